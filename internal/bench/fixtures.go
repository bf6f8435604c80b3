package bench

import (
	"errors"
	"fmt"
	"github.com/pipegen/pipegen/pkg/render"
	"path/filepath"
)

// WritePongo2Templates writes the synthetic templates, pongo2 dialect, revision 1, straight
// into dir (dir/deploy.yml, …): a templates folder for micro-benchmarks of one render.
func WritePongo2Templates(dir string) error {
	if dir == "" {
		return errors.New("write templates: no folder given")
	}
	files := map[string]string{}
	for _, name := range templateOf {
		text, err := Template(name, Pongo2, 1)
		if err != nil {
			return err
		}
		files[name+".yml"] = text
	}
	if err := writeFiles(dir, files); err != nil {
		return fmt.Errorf("write templates to %s: %w", filepath.Clean(dir), err)
	}
	return nil
}

// TemplateNames are the synthetic templates, by entry key.
func TemplateNames() map[string]string {
	out := make(map[string]string, len(templateOf))
	for k, v := range templateOf {
		out[k] = v
	}
	return out
}

// SampleEngine writes the synthetic templates into dir and opens a render engine on them, for
// the micro-benchmarks and tests that need realistic pipelines without a whole repo.
func SampleEngine(dir string) (*render.Engine, error) {
	if err := WritePongo2Templates(dir); err != nil {
		return nil, err
	}
	return render.New(dir, "templates")
}

// SampleDeploy is one synthetic deploy pipeline as its template renders it (YAML, about 7 KB):
// service 2's prod stack.
func SampleDeploy(dir string) ([]byte, error) {
	e, err := SampleEngine(dir)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return e.Render("deploy", SampleVars(2, "prod"), nil)
}
