// Package conformance is the Jackson conformance check a test binary runs around its tests:
// every pipeline, application and permission object its stores write is read afterwards by
// Java's Jackson with models typed like Front50's, and one refusal fails the binary.
// (pkg/front50's own tests cannot use it: this package imports front50.)
package conformance

import (
	"os"
	"testing"

	"github.com/pipegen/pipegen/internal/jackson"
	"github.com/pipegen/pipegen/pkg/front50"
)

// Main runs the tests while recording every object written, calls each cleanup, has Jackson
// read what was written, and exits.
func Main(m *testing.M, cleanup ...func()) {
	pipelines := jackson.NewWrites("Pipeline")
	apps := jackson.NewWrites("Application")
	perms := jackson.NewWrites("ApplicationPermission")
	stop := front50.ObserveWrites(pipelines.Add)
	stopApps := front50.ObserveAppWrites(func(kind front50.AppKind, name string, body []byte) {
		if kind == front50.AppPermission {
			perms.Add(name, body)
			return
		}
		apps.Add(name, body)
	})
	code := m.Run()
	stop()
	stopApps()
	for _, c := range cleanup {
		c()
	}
	code = pipelines.Check(code)
	code = apps.Check(code)
	os.Exit(perms.Check(code))
}
