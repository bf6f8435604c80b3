// Package s3server gives tests a real S3 server: versitygw started on a free
// loopback port, or an external server named by the environment.
//
// Binary lookup: $PIPEGEN_VERSITYGW, else versitygw on PATH, else
// $(go env GOPATH)/bin/versitygw (`make test` installs it there).
package s3server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Region is the region clients of a test server use.
const Region = "us-east-1"

// Server is a running S3 server.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	SecretKey string

	cmd        *exec.Cmd
	exited     chan struct{}
	logPath    string
	client     *s3.Client
	clientOnce sync.Once
	closeOnce  sync.Once
}

// ErrNoBinary means versitygw was not found.
var ErrNoBinary = errors.New("versitygw binary not found")

// FindBinary locates versitygw.
func FindBinary() (string, error) {
	if p := os.Getenv("PIPEGEN_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: PIPEGEN_VERSITYGW=%s: %v", ErrNoBinary, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var gopath string
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		gopath = strings.TrimSpace(string(out))
	}
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	// GOPATH may be a list; the first entry is where go install puts binaries.
	if i := strings.IndexRune(gopath, filepath.ListSeparator); i >= 0 {
		gopath = gopath[:i]
	}
	p := filepath.Join(gopath, "bin", "versitygw")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w (looked at $PIPEGEN_VERSITYGW, PATH and %s)", ErrNoBinary, p)
	}
	return p, nil
}

// Options are versitygw settings beyond the defaults the tests use.
type Options struct {
	// KeepAlive keeps connections open between requests, as S3 does; without it versitygw
	// closes each connection after one request (the benchmark measures with it on).
	KeepAlive bool
	// AccessLog, when set, is a file versitygw writes one line per request to, naming its S3
	// operation (the benchmark counts requests from it; the interleaved stdout lines cannot
	// be counted exactly under concurrency).
	AccessLog string
}

// Start runs versitygw with its data under dir (which must exist) on a free
// loopback port and waits until it answers its health check.
func Start(ctx context.Context, dir string) (*Server, error) {
	return StartWith(ctx, dir, Options{})
}

// StartWith is Start with options.
func StartWith(ctx context.Context, dir string, opt Options) (*Server, error) {
	bin, err := FindBinary()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	root := filepath.Join(abs, "data")
	versions := filepath.Join(abs, "versions") // must be outside root
	for _, d := range []string{root, versions} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// The free port is found by binding and releasing it, so another process
	// can take it in between: try again on another port if start-up fails.
	var lastErr error
	for try := 0; try < 3; try++ {
		srv, err := startOnce(ctx, bin, abs, root, versions, try, opt)
		if err == nil {
			return srv, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func startOnce(ctx context.Context, bin, dir, root, versions string, try int, opt Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	srv := &Server{
		Endpoint:  "http://" + addr,
		AccessKey: "pipegen-test",
		SecretKey: "pipegen-test-secret",
		exited:    make(chan struct{}),
		logPath:   filepath.Join(dir, fmt.Sprintf("versitygw-%d.log", try)),
	}
	logf, err := os.Create(srv.logPath)
	if err != nil {
		return nil, err
	}
	args := []string{"--port", addr, "--health", "/health"}
	if opt.KeepAlive {
		args = append(args, "--keep-alive")
	}
	if opt.AccessLog != "" {
		args = append(args, "--quiet", "--access-log", opt.AccessLog)
	}
	cmd := exec.Command(bin, append(args, "posix", "--versioning-dir", versions, root)...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+srv.AccessKey, "ROOT_SECRET_KEY="+srv.SecretKey)
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	srv.cmd = cmd
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(srv.exited)
	}()
	if err := srv.waitHealthy(ctx, 15*time.Second); err != nil {
		srv.Close()
		return nil, fmt.Errorf("versitygw on %s: %w\n%s", addr, err, srv.logTail())
	}
	return srv, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitHealthy(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
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

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Close stops a server this package started; an external one is left alone.
func (s *Server) Close() error {
	if s.cmd == nil {
		return nil
	}
	var err error
	s.closeOnce.Do(func() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
			err = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return err
}

// Credentials returns the server's static credentials.
func (s *Server) Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")
}

// Client returns an S3 client for raw assertions (path-style, checksums only
// when required, no retries).
func (s *Server) Client() *s3.Client {
	s.clientOnce.Do(func() {
		s.client = s3.New(s3.Options{
			Region:                     Region,
			BaseEndpoint:               aws.String(s.Endpoint),
			UsePathStyle:               true,
			Credentials:                s.Credentials(),
			RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
			ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
			Retryer:                    aws.NopRetryer{},
		})
	})
	return s.client
}

// CreateBucket creates a bucket.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// Keys lists every key of a bucket under prefix, for assertions.
func (s *Server) Keys(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client(), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// Object reads one object's body, for assertions.
func (s *Server) Object(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := s.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(out.Body); err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	return buf.Bytes(), nil
}
