package bench

import (
	"errors"
	"fmt"
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
