package examples

import (
	"testing"

	"github.com/pipegen/pipegen/internal/conformance"
)

func TestMain(m *testing.M) { conformance.Main(m) }
