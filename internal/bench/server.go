package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/pipegen/pipegen/internal/s3server"
)

// server is versitygw started for the benchmark. internal/s3server.Start is what the tests
// use; the benchmark starts the same binary (found the same way) with two differences that
// matter for measuring: keep-alive on, as S3 and every production S3 server have it (without
// it versitygw closes the connection after each request, and every request pays a TCP
// handshake on both sides), and an access log, one line per request naming its S3 operation,
// which is what the request counts come from. versitygw's own per-request stdout lines, which
// s3server keeps, interleave under concurrent requests and cannot be counted exactly.
type server struct {
	*s3server.Server // endpoint, credentials and client helpers
	cmd              *exec.Cmd
	exited           chan struct{}
	accessLog        string
}

func startServer(ctx context.Context, dir string) (*server, error) {
	bin, err := s3server.FindBinary()
	if err != nil {
		return nil, err
	}
	root, versions := filepath.Join(dir, "data"), filepath.Join(dir, "versions")
	for _, d := range []string{root, versions} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := &server{
		Server:    &s3server.Server{Endpoint: "http://" + addr, AccessKey: "pipegen-bench", SecretKey: "pipegen-bench-secret"},
		exited:    make(chan struct{}),
		accessLog: filepath.Join(dir, "access.log"),
	}
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "--port", addr, "--health", "/health", "--keep-alive", "--quiet",
		"--access-log", s.accessLog, "posix", "--versioning-dir", versions, root)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		_ = s.cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	if err := s.waitHealthy(ctx); err != nil {
		s.close()
		b, _ := os.ReadFile(filepath.Join(dir, "versitygw.log"))
		return nil, fmt.Errorf("versitygw on %s: %w\n%s", addr, err, tail(string(b), 2000))
	}
	return s, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *server) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/health", nil)
		if resp, err := hc.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return errors.New("exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("not healthy: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (s *server) close() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}
