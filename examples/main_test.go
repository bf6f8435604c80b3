package examples

import (
	"os"
	"testing"

	"github.com/pipegen/pipegen/internal/jackson"
	"github.com/pipegen/pipegen/pkg/front50"
)

// written is every pipeline object the tests of this package wrote; Jackson reads them all
// after the tests (the conformance check).
var written = jackson.NewWrites("Pipeline")

func TestMain(m *testing.M) {
	stop := front50.ObserveWrites(written.Add)
	code := m.Run()
	stop()
	os.Exit(written.Check(code))
}
