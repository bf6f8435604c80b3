package front50

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pipegen/pipegen/internal/jackson"
	"github.com/pipegen/pipegen/internal/s3server"
)

// testS3 is the S3 server this test binary shares (started on first use).
var testS3 s3server.Env

// written is every pipeline object the tests of this package wrote; Jackson reads them all
// after the tests (the conformance check).
var written = jackson.NewWrites("Pipeline")

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		helperProcess()
		return
	}
	if os.Getenv(killedWriterEnv) != "" {
		killedWriter()
		return
	}
	stop := ObserveWrites(written.Add)
	code := m.Run()
	stop()
	testS3.Close()
	os.Exit(written.Check(code))
}

// pipelineBody returns a valid pipeline object.
func pipelineBody(id, app, name string, extra ...string) []byte {
	m := map[string]any{
		"id": id, "application": app, "name": name, "schema": "1",
		"triggers": []any{}, "stages": []any{map[string]any{"refId": "1", "type": "wait", "waitTime": 30}},
		"updateTs": "1712345678901", "lastModifiedBy": "pipegen",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

type s3Opt func(*Config)

// newS3Store opens a store on a fresh bucket of the shared server. Its list
// page size is 2 so that every listing in the suite spans several pages.
func newS3Store(t testing.TB, opts ...s3Opt) (*s3Store, *s3server.Server) {
	t.Helper()
	srv, bucket := testS3.Bucket(t)
	cfg := Config{
		URL:            "s3://" + bucket,
		Endpoint:       srv.Endpoint,
		Credentials:    srv.Credentials(),
		ListPageSize:   2,
		RetryBaseDelay: 1,
	}
	for _, o := range opts {
		o(&cfg)
	}
	st, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st.(*s3Store), srv
}

func newFileStore(t testing.TB) *fileStore {
	t.Helper()
	st, err := Open(context.Background(), Config{URL: "file://" + filepath.Join(t.TempDir(), "front50")})
	if err != nil {
		t.Fatal(err)
	}
	return st.(*fileStore)
}

// rawPrefix is where a store's layout starts in rawObjects' keys.
func rawPrefix(s Store) string {
	if st, ok := s.(*s3Store); ok {
		return strings.ReplaceAll(st.lay.root+"/", "//", "/")
	}
	return ""
}

// rawObjects returns every stored object by its physical key (S3 key, or
// path relative to the file store's directory), bypassing the Store.
func rawObjects(t testing.TB, s Store) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	switch st := s.(type) {
	case *s3Store:
		srv := testS3.Server(t)
		keys, err := srv.Keys(ctx, st.bucket, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			b, err := srv.Object(ctx, st.bucket, k)
			if err != nil {
				t.Fatal(err)
			}
			out[k] = b
		}
	case *fileStore:
		err := filepath.WalkDir(st.dir, func(p string, d os.DirEntry, err error) error {
			if os.IsNotExist(err) && p == st.dir {
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(st.dir, p)
			if rel == lockName {
				return nil
			}
			b, err := os.ReadFile(p)
			out[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("rawObjects: unknown store %T", s)
	}
	return out
}

// rawPut writes an object bypassing the Store and its validation.
func rawPut(t testing.TB, s Store, key string, body []byte) {
	t.Helper()
	switch st := s.(type) {
	case *s3Store:
		_, err := testS3.Server(t).Client().PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: &st.bucket, Key: aws.String(key), Body: strings.NewReader(string(body)),
		})
		if err != nil {
			t.Fatal(err)
		}
	case *fileStore:
		p := filepath.Join(st.dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("rawPut: unknown store %T", s)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// countingTransport counts requests by method and can inject faults.
type countingTransport struct {
	base  http.RoundTripper
	fault func(n int, req *http.Request) (*http.Response, error, bool) // handled?
	mu    chan struct{}
	count map[string]int
	total int
}

func newCountingTransport(fault func(n int, req *http.Request) (*http.Response, error, bool)) *countingTransport {
	c := &countingTransport{base: http.DefaultTransport, fault: fault, mu: make(chan struct{}, 1), count: map[string]int{}}
	return c
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu <- struct{}{}
	c.total++
	n := c.total
	c.count[req.Method]++
	<-c.mu
	if c.fault != nil {
		if resp, err, ok := c.fault(n, req); ok {
			return resp, err
		}
	}
	return c.base.RoundTrip(req)
}

func (c *countingTransport) requests(method string) int {
	c.mu <- struct{}{}
	defer func() { <-c.mu }()
	return c.count[method]
}

func (c *countingTransport) String() string {
	c.mu <- struct{}{}
	defer func() { <-c.mu }()
	return fmt.Sprint(c.count)
}
