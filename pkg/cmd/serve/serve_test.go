package serve

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pipegen/pipegen/internal/cmdtest"
	"github.com/pipegen/pipegen/pkg/cmdutil"
	"github.com/pipegen/pipegen/pkg/iostreams"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// serve runs `pipegen serve ARGS` on the worked example until the test has looked, and
// returns the status of GET /new and the command's stderr.
func serve(t *testing.T, port int, args ...string) (newStatus int, stderr string) {
	t.Helper()
	root := t.TempDir()
	src, _ := filepath.Abs("../../..")
	cmdtest.CopyExample(t, src, root)
	ios, _, _, errOut := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" },
		Getwd: func() (string, error) { return root, nil }, OpenStore: cmdutil.OpenStore}
	cmd := NewCmd(f)
	cmd.SetArgs(args)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		if resp, err = http.Get(base + "/"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		cancel()
		t.Fatalf("server did not answer: %v (%v)", err, <-done)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /: %d", resp.StatusCode)
	}
	if resp, err = http.Get(base + "/new"); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
	return resp.StatusCode, errOut.String()
}

func TestServeLoopbackHasForm(t *testing.T) {
	port := freePort(t)
	code, stderr := serve(t, port, "--addr", "127.0.0.1:"+strconv.Itoa(port))
	if code != 200 || strings.Contains(stderr, "read-only") {
		t.Errorf("GET /new: %d; stderr: %s", code, stderr)
	}
}

func TestServeOtherAddressIsReadOnly(t *testing.T) {
	port := freePort(t)
	code, stderr := serve(t, port, "--addr", "0.0.0.0:"+strconv.Itoa(port))
	if code != http.StatusNotFound || !strings.Contains(stderr, "read-only") {
		t.Errorf("GET /new: %d; stderr: %s", code, stderr)
	}
	code, _ = serve(t, port, "--addr", "0.0.0.0:"+strconv.Itoa(port), "--allow-writes")
	if code != 200 {
		t.Errorf("with --allow-writes, GET /new: %d", code)
	}
}

func TestServeBadAddr(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmd(&cmdutil.Factory{IOStreams: ios, Getwd: func() (string, error) { return t.TempDir(), nil }})
	cmd.SetArgs([]string{"--addr", "nonsense"})
	err := cmd.Execute()
	if err == nil || cmdutil.ExitCode(err) != cmdutil.ExitCode(cmdutil.UsageErrorf("x")) {
		t.Errorf("got %v", err)
	}
}
