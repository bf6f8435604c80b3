package s3server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Environment variables that steer Env.
const (
	EnvEndpoint  = "PIPEGEN_TEST_S3_ENDPOINT"   // use this server instead of starting versitygw
	EnvAccessKey = "PIPEGEN_TEST_S3_ACCESS_KEY" // its credentials
	EnvSecretKey = "PIPEGEN_TEST_S3_SECRET_KEY"
	EnvRequire   = "PIPEGEN_REQUIRE_S3" // "1": a missing server fails the tests instead of skipping them
)

// Env is the S3 server one test binary shares. The zero value is ready: the
// server starts on first use, so a run filtered to other tests starts none.
//
//	var testS3 s3server.Env
//	func TestMain(m *testing.M) { s3server.Main(m, &testS3) }
//	func TestX(t *testing.T) { srv, bucket := testS3.Bucket(t); … }
type Env struct {
	once sync.Once
	srv  *Server
	dir  string
	err  error
	seq  atomic.Int64
}

// Main runs the tests, stops the server if one was started, and exits.
func Main(m *testing.M, env *Env) {
	code := m.Run()
	env.Close()
	os.Exit(code)
}

// Close stops the server and removes its data.
func (e *Env) Close() {
	if e.srv != nil {
		e.srv.Close()
	}
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
}

func (e *Env) start() {
	if ep := os.Getenv(EnvEndpoint); ep != "" {
		e.srv = &Server{Endpoint: ep, AccessKey: os.Getenv(EnvAccessKey), SecretKey: os.Getenv(EnvSecretKey)}
		if e.srv.AccessKey == "" || e.srv.SecretKey == "" {
			e.err = fmt.Errorf("%s is set but %s or %s is not", EnvEndpoint, EnvAccessKey, EnvSecretKey)
		}
		return
	}
	dir, err := os.MkdirTemp("", "pipegen-s3-")
	if err != nil {
		e.err = err
		return
	}
	e.dir = dir
	e.srv, e.err = Start(context.Background(), dir)
}

// External reports whether the server is one named by the environment.
func (e *Env) External() bool { return os.Getenv(EnvEndpoint) != "" }

// Server returns the shared server. Without one it skips the test, saying how
// to get one, or fails it when PIPEGEN_REQUIRE_S3=1 (make test, CI).
func (e *Env) Server(t testing.TB) *Server {
	t.Helper()
	e.once.Do(e.start)
	if e.err == nil {
		return e.srv
	}
	if errors.Is(e.err, ErrNoBinary) && os.Getenv(EnvRequire) != "1" {
		t.Skipf("S3 tests skipped: %v; run `make test`, which installs versitygw, or set PIPEGEN_VERSITYGW or %s", e.err, EnvEndpoint)
	}
	t.Fatalf("S3 test server: %v", e.err)
	return nil
}

// Bucket creates a fresh bucket for the test. Buckets on an external server
// are emptied and removed when the test ends; a local server's data goes
// with the server.
func (e *Env) Bucket(t testing.TB) (*Server, string) {
	t.Helper()
	srv := e.Server(t)
	name := bucketName(t.Name(), e.seq.Add(1))
	ctx := context.Background()
	if err := srv.CreateBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
	if e.External() {
		t.Cleanup(func() { removeBucket(context.Background(), srv.Client(), name) })
	}
	return srv, name
}

// VersionedBucket is Bucket with versioning enabled, as Front50 enables it on the bucket it
// creates (Front50's pipeline history lists the versions of a key).
func (e *Env) VersionedBucket(t testing.TB) (*Server, string) {
	t.Helper()
	srv, name := e.Bucket(t)
	if _, err := srv.Client().PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket:                  &name,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	}); err != nil {
		t.Fatalf("enable versioning on %s: %v", name, err)
	}
	return srv, name
}

// bucketName makes a valid, unique bucket name from a test name.
func bucketName(test string, seq int64) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	base := strings.Trim(b.String(), "-")
	if len(base) > 36 {
		base = strings.TrimRight(base[:36], "-")
	}
	if base == "" {
		base = "t"
	}
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	return fmt.Sprintf("pg-%s-%d-%s", base, seq, hex.EncodeToString(rnd[:]))
}

// removeBucket is best effort: every version and delete marker, then the bucket.
func removeBucket(ctx context.Context, c *s3.Client, bucket string) {
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		del := func(key, version *string) {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: key, VersionId: version})
		}
		for _, v := range page.Versions {
			del(v.Key, v.VersionId)
		}
		for _, m := range page.DeleteMarkers {
			del(m.Key, m.VersionId)
		}
	}
	// Unversioned servers list nothing above; delete current objects too.
	lp := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: o.Key})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}
