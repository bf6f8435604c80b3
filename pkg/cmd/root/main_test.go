package root

import (
	"os"
	"testing"

	"github.com/pipegen/pipegen/internal/jackson"
	"github.com/pipegen/pipegen/pkg/front50"
)

// written is every pipeline object the tests of this package wrote, and writtenApps and
// writtenPerms every application and permission object; Jackson reads them all after the tests
// (the conformance check).
var (
	written      = jackson.NewWrites("Pipeline")
	writtenApps  = jackson.NewWrites("Application")
	writtenPerms = jackson.NewWrites("ApplicationPermission")
)

func TestMain(m *testing.M) {
	stop := front50.ObserveWrites(written.Add)
	stopApps := front50.ObserveAppWrites(observeApp)
	code := m.Run()
	stop()
	stopApps()
	code = written.Check(code)
	code = writtenApps.Check(code)
	os.Exit(writtenPerms.Check(code))
}

func observeApp(kind front50.AppKind, name string, body []byte) {
	if kind == front50.AppPermission {
		writtenPerms.Add(name, body)
		return
	}
	writtenApps.Add(name, body)
}
