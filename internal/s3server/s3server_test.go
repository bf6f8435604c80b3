package s3server

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var testEnv Env

func TestMain(m *testing.M) { Main(m, &testEnv) }

func TestServerRoundTrip(t *testing.T) {
	srv, bucket := testEnv.Bucket(t)
	ctx := context.Background()
	_, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("a/b.json"), Body: strings.NewReader(`{"x":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := srv.Keys(ctx, bucket, "a/")
	if err != nil || len(keys) != 1 || keys[0] != "a/b.json" {
		t.Fatalf("Keys = %v, %v", keys, err)
	}
	body, err := srv.Object(ctx, bucket, "a/b.json")
	if err != nil || string(body) != `{"x":1}` {
		t.Fatalf("Object = %q, %v", body, err)
	}
	// A second bucket of the same test gets another name.
	_, other := testEnv.Bucket(t)
	if other == bucket {
		t.Fatal("bucket names repeat")
	}
}

func TestStartAndClose(t *testing.T) {
	if _, err := FindBinary(); err != nil {
		testEnv.Server(t) // skips or fails the way the other tests do
	}
	ctx := context.Background()
	srv, err := Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	resp, err := http.Get(srv.Endpoint + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health: %s", resp.Status)
	}
	if err := srv.CreateBucket(ctx, "bucket-1"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	case <-time.After(time.Second):
		t.Fatal("process still running after Close")
	}
	if _, err := http.Get(srv.Endpoint + "/health"); err == nil {
		t.Fatal("server still answers after Close")
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestBucketName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	for _, name := range []string{"TestX", "TestS3Suite/Put_Get#01", strings.Repeat("Long/", 40), "---", ""} {
		b := bucketName(name, 12345)
		if !valid.MatchString(b) || strings.Contains(b, "--") {
			t.Errorf("bucketName(%q) = %q, not a valid bucket name", name, b)
		}
	}
	// Same test, same sequence number, two runs: the per-run random part must tell them apart.
	if first, second := bucketName("t", 1), bucketName("t", 1); first == second {
		t.Errorf("bucket names are not unique across runs: %s twice", first)
	}
}

func TestFindBinaryHonoursEnv(t *testing.T) {
	t.Setenv("PIPEGEN_VERSITYGW", "/nonexistent/versitygw")
	if _, err := FindBinary(); err == nil || !strings.Contains(err.Error(), "/nonexistent/versitygw") {
		t.Fatalf("FindBinary = %v", err)
	}
}
