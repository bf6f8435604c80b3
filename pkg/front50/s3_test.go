package front50

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func TestParseS3URLAndLayout(t *testing.T) {
	tests := []struct {
		url                    string
		bucket, root, location string
		object, lastModified   string
	}{
		{"s3://b", "b", "front50", "s3://b/front50",
			"front50/pipelines/abc/pipeline-metadata.json", "front50/pipelines/last-modified.json"},
		{"s3://b/", "b", "front50", "s3://b/front50",
			"front50/pipelines/abc/pipeline-metadata.json", "front50/pipelines/last-modified.json"},
		{"s3://b/custom/root", "b", "custom/root", "s3://b/custom/root",
			"custom/root/pipelines/abc/pipeline-metadata.json", "custom/root/pipelines/last-modified.json"},
		// Front50 collapses the "//" that a trailing slash makes.
		{"s3://b/custom/root/", "b", "custom/root/", "s3://b/custom/root/",
			"custom/root/pipelines/abc/pipeline-metadata.json", "custom/root/pipelines/last-modified.json"},
		// The empty-root edge: Front50 with root-folder "" or "/" writes keys
		// that start with a slash.
		{"s3://b//", "b", "/", "s3://b//",
			"/pipelines/abc/pipeline-metadata.json", "/pipelines/last-modified.json"},
	}
	for _, tc := range tests {
		bucket, root, err := parseS3URL(tc.url)
		if err != nil {
			t.Errorf("parseS3URL(%q): %v", tc.url, err)
			continue
		}
		l := layout{root: root}
		got := []string{bucket, root, "s3://" + bucket + "/" + root, l.objectKey("ABC"), l.lastModifiedKey()}
		want := []string{tc.bucket, tc.root, tc.location, tc.object, tc.lastModified}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.url, got, want)
		}
		if f, ok := l.folderOf(tc.object); !ok || f != "abc" {
			t.Errorf("%s: folderOf(%s) = %q, %v", tc.url, tc.object, f, ok)
		}
	}
	// Front50's empty root, given directly, matches the "//" URL.
	if got := (layout{root: ""}).objectKey("x"); got != "/pipelines/x/pipeline-metadata.json" {
		t.Errorf("empty root key = %s", got)
	}
	for _, bad := range []string{"s3://", "s3:///root", "s3://a b/x"} {
		if _, _, err := parseS3URL(bad); err == nil {
			t.Errorf("parseS3URL(%q) accepted", bad)
		}
	}
}

func TestFolderOf(t *testing.T) {
	l := layout{root: "front50"}
	for key, want := range map[string]string{
		"front50/pipelines/a/pipeline-metadata.json":       "a",
		"front50/pipelines/A-b/pipeline-metadata.json":     "A-b",
		"front50/pipelines/a/b/pipeline-metadata.json":     "a/b",
		"front50/pipelines//pipeline-metadata.json":        "",
		"front50/pipelines/pipeline-metadata.json":         "",
		"front50/pipelines/a/pipeline-metadata.json.tmp":   "",
		"front50/pipelines-x/a/pipeline-metadata.json":     "",
		"other/front50/pipelines/a/pipeline-metadata.json": "",
		"front50/pipelines/last-modified.json":             "",
		"front50/pipelines/a/xpipeline-metadata.json":      "",
	} {
		got, ok := l.folderOf(key)
		if got != want || ok != (want != "") {
			t.Errorf("folderOf(%s) = %q, %v; want %q", key, got, ok, want)
		}
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	for _, u := range []string{"gs://bucket", "bucket", "", "S3://bucket", "http://x"} {
		_, err := Open(context.Background(), Config{URL: u})
		if err == nil {
			t.Errorf("Open(%q) accepted", u)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, fmt.Sprintf("%q", u)) || !strings.Contains(msg, "s3://") || !strings.Contains(msg, "file://") {
			t.Errorf("Open(%q) error does not name the URL and the schemes: %v", u, err)
		}
	}
}

// isolateAWSEnv hides the developer's AWS configuration from a test.
func isolateAWSEnv(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/pipegen-test")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/pipegen-test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestOpenRegion(t *testing.T) {
	isolateAWSEnv(t)
	ctx := context.Background()
	static := credentials.NewStaticCredentialsProvider("a", "b", "")

	_, err := Open(ctx, Config{URL: "s3://bucket", Credentials: static})
	if err == nil {
		t.Fatal("no region and no endpoint accepted")
	}
	for _, want := range []string{"region", "--region", "PIPEGEN_S3_REGION", "AWS_REGION", "s3.region", "pipegen.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("region error %q does not mention %s", err, want)
		}
	}

	tests := []struct {
		name     string
		cfg      Config
		env      string
		region   string
		endpoint string
	}{
		{"endpoint defaults to us-east-1", Config{Endpoint: "http://127.0.0.1:9"}, "", "us-east-1", "http://127.0.0.1:9"},
		{"explicit region", Config{Region: "eu-west-3"}, "", "eu-west-3", ""},
		{"explicit region wins over the chain", Config{Region: "eu-west-3"}, "ap-south-1", "eu-west-3", ""},
		{"region from the AWS chain", Config{}, "ap-south-1", "ap-south-1", ""},
		{"chain region with endpoint", Config{Endpoint: "http://127.0.0.1:9"}, "ap-south-1", "ap-south-1", "http://127.0.0.1:9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tc.env)
			cfg := tc.cfg
			cfg.URL = "s3://bucket"
			cfg.Credentials = static
			s, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			st := s.(*s3Store)
			if st.region != tc.region || st.endpoint != tc.endpoint {
				t.Fatalf("region %q endpoint %q; want %q %q", st.region, st.endpoint, tc.region, tc.endpoint)
			}
			if o := st.client.Options(); (tc.endpoint != "") != o.UsePathStyle ||
				(tc.endpoint != "") != (o.RequestChecksumCalculation == aws.RequestChecksumCalculationWhenRequired) {
				t.Fatalf("endpoint %q: path style %v, checksums %v", tc.endpoint, o.UsePathStyle, o.RequestChecksumCalculation)
			}
		})
	}

	t.Run("endpoint from AWS_ENDPOINT_URL_S3", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7")
		s, err := Open(ctx, Config{URL: "s3://bucket", Credentials: static})
		if err != nil {
			t.Fatal(err)
		}
		if st := s.(*s3Store); st.endpoint != "http://127.0.0.1:7" || !st.client.Options().UsePathStyle {
			t.Fatalf("endpoint %q", st.endpoint)
		}
	})
	for _, bad := range []Config{
		{URL: "s3://b", Endpoint: "localhost:9000"},
		{URL: "s3://b", Endpoint: "ftp://x"},
		{URL: "s3://b", Region: "r", SSE: "rot13"},
		{URL: "s3://b", Region: "r", ACL: "public-read"},
	} {
		bad.Credentials = static
		if _, err := Open(ctx, bad); err == nil {
			t.Errorf("Open(%+v) accepted", bad)
		}
	}
}

func TestS3CustomRootKeys(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ suffix, key string }{
		{"", "front50/pipelines/abc/pipeline-metadata.json"},
		{"/", "front50/pipelines/abc/pipeline-metadata.json"},
		{"/custom/root", "custom/root/pipelines/abc/pipeline-metadata.json"},
		{"/custom/root/", "custom/root/pipelines/abc/pipeline-metadata.json"},
	} {
		st, srv := newS3Store(t)
		s, err := Open(ctx, Config{URL: "s3://" + st.bucket + tc.suffix, Endpoint: srv.Endpoint, Credentials: srv.Credentials()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(ctx, "abc", pipelineBody("abc", "a", "n"), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		keys, err := srv.Keys(ctx, st.bucket, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0] != tc.key {
			t.Errorf("s3://bucket%s: keys %q, want %s", tc.suffix, keys, tc.key)
		}
		if infos, err := s.List(ctx); err != nil || len(infos) != 1 || infos[0].ID != "abc" {
			t.Errorf("s3://bucket%s: List = %v, %v", tc.suffix, infos, err)
		}
	}
}

func TestS3Credentials(t *testing.T) {
	srv, bucket := testS3.Bucket(t)
	ctx := context.Background()
	const secret = "wrong-secret-do-not-print-7f3a"
	tests := []struct {
		name      string
		creds     aws.CredentialsProvider
		wantInMsg string
	}{
		{"unknown access key", credentials.NewStaticCredentialsProvider("nobody", secret, ""), "access key id"},
		{"wrong secret", credentials.NewStaticCredentialsProvider(srv.AccessKey, secret, ""), "secret access key does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := newCountingTransport(nil)
			s, err := Open(ctx, Config{URL: "s3://" + bucket, Endpoint: srv.Endpoint, Credentials: tc.creds,
				HTTPClient: &http.Client{Transport: rt}, RetryBaseDelay: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Put(ctx, "x", pipelineBody("x", "a", "n"), PutOptions{})
			if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Fatalf("error %v; want ErrAccessDenied mentioning %q", err, tc.wantInMsg)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error prints the secret: %v", err)
			}
			if n := rt.requests("PUT"); n != 1 {
				t.Fatalf("%d PUT requests; access errors must not be retried", n)
			}
		})
	}
	t.Run("no credentials", func(t *testing.T) {
		isolateAWSEnv(t)
		s, err := Open(ctx, Config{URL: "s3://" + bucket, Endpoint: srv.Endpoint, RetryBaseDelay: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.List(ctx)
		if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
			t.Fatalf("error %v; want ErrAccessDenied saying how to set credentials", err)
		}
	})
}

func TestS3NoSuchBucket(t *testing.T) {
	srv := testS3.Server(t)
	s, err := Open(context.Background(), Config{URL: "s3://pipegen-missing-bucket-9c1e", Endpoint: srv.Endpoint,
		Credentials: srv.Credentials(), RetryBaseDelay: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.List(context.Background())
	if !errors.Is(err, ErrNoSuchBucket) || !strings.Contains(err.Error(), `"pipegen-missing-bucket-9c1e"`) {
		t.Fatalf("List of a missing bucket: %v", err)
	}
	_, err = s.Get(context.Background(), "x")
	if !errors.Is(err, ErrNoSuchBucket) || errors.Is(err, ErrNotFound) {
		t.Fatalf("Get in a missing bucket: %v", err)
	}
}

func TestS3PutHeaders(t *testing.T) {
	var seen []http.Header
	rt := newCountingTransport(func(n int, req *http.Request) (*http.Response, error, bool) {
		if req.Method == http.MethodPut {
			seen = append(seen, req.Header.Clone())
		}
		return nil, nil, false
	})
	body := pipelineBody("x", "a", "n")
	sum := md5.Sum(body)
	wantMD5 := base64.StdEncoding.EncodeToString(sum[:])
	// Front50 never sends a KMS key id (the bucket's default key encrypts); a writer in another
	// account sends bucket-owner-full-control.
	for _, tc := range []struct {
		sse, acl string
		wantSSE  string
	}{
		{"", "", ""},
		{"AES256", "", "AES256"},
		{"aws:kms", "", "aws:kms"},
		{"AWSKMS", "bucket-owner-full-control", "aws:kms"},
		{"", "bucket-owner-full-control", ""},
	} {
		seen = nil
		st, _ := newS3Store(t, func(c *Config) {
			c.SSE, c.ACL = tc.sse, tc.acl
			c.HTTPClient = &http.Client{Transport: rt}
		})
		// versitygw may refuse KMS; the request is what matters here.
		_, _ = st.Put(context.Background(), "x", body, PutOptions{IfNoneMatch: true})
		if len(seen) == 0 {
			t.Fatalf("SSE %q: no PUT sent", tc.sse)
		}
		h := seen[0]
		if h.Get("Content-Md5") != wantMD5 {
			t.Errorf("SSE %q: Content-MD5 %q, want %q", tc.sse, h.Get("Content-Md5"), wantMD5)
		}
		if h.Get("Content-Encoding") != "" || h.Get("X-Amz-Trailer") != "" {
			t.Errorf("SSE %q: aws-chunked upload to a non-AWS endpoint: %v", tc.sse, h)
		}
		if h.Get("If-None-Match") != "*" {
			t.Errorf("If-None-Match = %q", h.Get("If-None-Match"))
		}
		if got := h.Get("X-Amz-Server-Side-Encryption"); got != tc.wantSSE {
			t.Errorf("SSE %q: header %q, want %q", tc.sse, got, tc.wantSSE)
		}
		if got := h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); got != "" {
			t.Errorf("SSE %q: KMS key id %q sent, want none", tc.sse, got)
		}
		if got := h.Get("X-Amz-Acl"); got != tc.acl {
			t.Errorf("ACL %q: header %q", tc.acl, got)
		}
	}
}

func TestS3ListPages(t *testing.T) {
	rt := newCountingTransport(nil)
	st, _ := newS3Store(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
	ctx := context.Background()
	for i := range 5 {
		id := fmt.Sprintf("p%d", i)
		if _, err := st.Put(ctx, id, pipelineBody(id, "a", id), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	before := rt.requests("GET")
	infos, err := st.List(ctx)
	if err != nil || len(infos) != 5 {
		t.Fatalf("List = %d infos, %v", len(infos), err)
	}
	if pages := rt.requests("GET") - before; pages != 3 {
		t.Fatalf("%d list requests for 5 objects at 2 per page, want 3", pages)
	}
}

// A listing the server says is truncated but gives no way to go on is an error, not a listing
// of the first page, for the pipelines and the applications alike.
func TestS3TruncatedListingWithoutToken(t *testing.T) {
	rt := newCountingTransport(func(_ int, req *http.Request) (*http.Response, error, bool) {
		if req.Method != "GET" || req.URL.Query().Get("list-type") != "2" {
			return nil, nil, false
		}
		body := `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
			`<Name>b</Name><Prefix>` + req.URL.Query().Get("prefix") + `</Prefix><KeyCount>0</KeyCount><MaxKeys>2</MaxKeys>` +
			`<IsTruncated>true</IsTruncated></ListBucketResult>`
		return &http.Response{
			StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/xml"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		}, nil, true
	})
	st, _ := newS3Store(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
	ctx := context.Background()
	const want = "truncated listing without a continuation token"
	if _, err := st.List(ctx); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("List = %v, want %q", err, want)
	}
	if _, err := st.ListApplications(ctx); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("ListApplications = %v, want %q", err, want)
	}
}

// --- faults -----------------------------------------------------------------

func errorResponse(req *http.Request, status int, code string) *http.Response {
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected</Message></Error>`, code)
	return &http.Response{
		StatusCode:    status,
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Header:        http.Header{"Content-Type": {"application/xml"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
		Proto:         "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}
}

var errReset = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}

// cutBody yields the first half of a body, then fails as a dropped connection.
type cutBody struct {
	r io.Reader
	c io.Closer
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
func (b *cutBody) Close() error { return b.c.Close() }

func TestS3Retries(t *testing.T) {
	ctx := context.Background()
	body := pipelineBody("x", "a", "n")
	tests := []struct {
		name    string
		method  string // requests of this method are faulted
		fault   func(rt http.RoundTripper, req *http.Request) (*http.Response, error)
		faults  int // how many
		op      func(s Store) error
		wantErr error // nil: success
		want    int   // requests of method seen
	}{
		{"503 SlowDown on PUT", "PUT", func(_ http.RoundTripper, r *http.Request) (*http.Response, error) {
			return errorResponse(r, 503, "SlowDown"), nil
		}, 2, func(s Store) error { _, err := s.Put(ctx, "x", body, PutOptions{}); return err }, nil, 3},
		{"500 InternalError on list", "GET", func(_ http.RoundTripper, r *http.Request) (*http.Response, error) {
			return errorResponse(r, 500, "InternalError"), nil
		}, 3, func(s Store) error { _, err := s.List(ctx); return err }, nil, 4},
		{"connection reset before the answer", "GET", func(_ http.RoundTripper, r *http.Request) (*http.Response, error) {
			return nil, errReset
		}, 2, func(s Store) error { _, err := s.Get(ctx, "seed"); return err }, nil, 3},
		{"body cut mid GetObject", "GET", func(rt http.RoundTripper, r *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(r)
			if err != nil {
				return nil, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body = &cutBody{r: bytes.NewReader(b[:len(b)/2]), c: resp.Body}
			return resp, nil
		}, 2, func(s Store) error {
			obj, err := s.Get(ctx, "seed")
			if err == nil && !bytes.Equal(obj.Body, pipelineBody("seed", "a", "n")) {
				return fmt.Errorf("body %q", obj.Body)
			}
			return err
		}, nil, 3},
		{"403 is not retried", "PUT", func(_ http.RoundTripper, r *http.Request) (*http.Response, error) {
			return errorResponse(r, 403, "AccessDenied"), nil
		}, 99, func(s Store) error { _, err := s.Put(ctx, "x", body, PutOptions{}); return err }, ErrAccessDenied, 1},
		{"412 is not retried", "PUT", nil, 0, func(s Store) error {
			_, err := s.Put(ctx, "seed", pipelineBody("seed", "a", "n"), PutOptions{IfNoneMatch: true})
			return err
		}, ErrPrecondition, 1},
		{"attempts are bounded", "PUT", func(_ http.RoundTripper, r *http.Request) (*http.Response, error) {
			return errorResponse(r, 503, "ServiceUnavailable"), nil
		}, 99, func(s Store) error { _, err := s.Put(ctx, "x", body, PutOptions{}); return err }, errGaveUp, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var faulted atomic.Int32
			var armed atomic.Bool
			var rt *countingTransport
			rt = newCountingTransport(func(n int, req *http.Request) (*http.Response, error, bool) {
				if !armed.Load() || req.Method != tc.method || tc.fault == nil || int(faulted.Load()) >= tc.faults {
					return nil, nil, false
				}
				faulted.Add(1)
				resp, err := tc.fault(rt.base, req)
				return resp, err, true
			})
			st, _ := newS3Store(t, func(c *Config) {
				c.HTTPClient = &http.Client{Transport: rt}
				c.MaxAttempts = 4
			})
			if _, err := st.Put(ctx, "seed", pipelineBody("seed", "a", "n"), PutOptions{}); err != nil {
				t.Fatal(err)
			}
			armed.Store(true)
			before := rt.requests(tc.method)
			err := tc.op(st)
			switch {
			case tc.wantErr == errGaveUp:
				if err == nil || !strings.Contains(err.Error(), "giving up after 4 attempts") {
					t.Fatalf("error %v; want giving up after 4 attempts", err)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v; want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			}
			if got := rt.requests(tc.method) - before; got != tc.want {
				t.Fatalf("%d %s requests, want %d (%s)", got, tc.method, tc.want, rt)
			}
		})
	}
}

var errGaveUp = errors.New("gave up")

func TestS3RetryHonoursContext(t *testing.T) {
	rt := newCountingTransport(func(n int, req *http.Request) (*http.Response, error, bool) {
		return errorResponse(req, 503, "SlowDown"), nil, true
	})
	st, _ := newS3Store(t, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: rt}
		c.RetryBaseDelay = time.Minute
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := st.List(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v despite the context", d)
	}
}

func TestS3AttemptTimeout(t *testing.T) {
	var hung atomic.Bool
	rt := newCountingTransport(func(n int, req *http.Request) (*http.Response, error, bool) {
		if req.Method == "GET" && hung.CompareAndSwap(false, true) {
			<-req.Context().Done() // a server that never answers
			return nil, req.Context().Err(), true
		}
		return nil, nil, false
	})
	st, _ := newS3Store(t, func(c *Config) {
		c.HTTPClient = &http.Client{Transport: rt}
		c.AttemptTimeout = 300 * time.Millisecond
	})
	if _, err := st.List(context.Background()); err != nil {
		t.Fatalf("hung attempt not retried: %v", err)
	}
	if rt.requests("GET") != 2 {
		t.Fatalf("%d GETs, want 2", rt.requests("GET"))
	}
}

// A PUT that lands but whose answer is lost is retried; the retry then fails
// its own condition. That is our write, not a conflict.
func TestS3LostPutResponse(t *testing.T) {
	ctx := context.Background()
	type step struct {
		opt     func(etag string) PutOptions
		meddle  bool // another writer changes the object right after our lost write
		wantErr error
	}
	for name, tc := range map[string]step{
		"create":               {opt: func(string) PutOptions { return PutOptions{IfNoneMatch: true} }},
		"update":               {opt: func(e string) PutOptions { return PutOptions{IfMatch: e} }},
		"real create conflict": {opt: func(string) PutOptions { return PutOptions{IfNoneMatch: true} }, meddle: true, wantErr: ErrPrecondition},
		"real update conflict": {opt: func(e string) PutOptions { return PutOptions{IfMatch: e} }, meddle: true, wantErr: ErrPrecondition},
	} {
		t.Run(name, func(t *testing.T) {
			var armed atomic.Bool
			var st *s3Store
			var rt *countingTransport
			rt = newCountingTransport(func(n int, req *http.Request) (*http.Response, error, bool) {
				if req.Method != "PUT" || !armed.CompareAndSwap(true, false) {
					return nil, nil, false
				}
				resp, err := rt.base.RoundTrip(req)
				if err != nil {
					return nil, err, true
				}
				resp.Body.Close()
				if tc.meddle {
					rawPut(t, st, st.lay.objectKey("x"), pipelineBody("x", "a", "theirs"))
				}
				return nil, errReset, true
			})
			st, _ = newS3Store(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
			var etag string
			if name == "update" || name == "real update conflict" {
				var err error
				if etag, err = st.Put(ctx, "x", pipelineBody("x", "a", "v1"), PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			ours := pipelineBody("x", "a", "ours")
			armed.Store(true)
			got, err := st.Put(ctx, "x", ours, tc.opt(etag))
			if rt.requests("PUT") < 2 {
				t.Fatalf("the lost PUT was not retried (%s)", rt)
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("our own landed write reported as %v", err)
			}
			obj, gerr := st.Get(ctx, "x")
			if gerr != nil || !bytes.Equal(obj.Body, ours) || obj.ETag != got {
				t.Fatalf("stored %s (%s), Put returned ETag %s (%v)", obj.Body, obj.ETag, got, gerr)
			}
		})
	}
}

func TestS3DeleteIfMatch(t *testing.T) {
	ctx := context.Background()
	t.Run("change between HEAD and DELETE is caught", func(t *testing.T) {
		var st *s3Store
		var armed atomic.Bool
		var ifMatch atomic.Value
		rt := newCountingTransport(func(n int, req *http.Request) (*http.Response, error, bool) {
			if req.Method == "DELETE" && armed.CompareAndSwap(true, false) {
				ifMatch.Store(req.Header.Get("If-Match"))
				rawPut(t, st, st.lay.objectKey("x"), pipelineBody("x", "a", "theirs"))
			}
			return nil, nil, false
		})
		st, _ = newS3Store(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
		etag, err := st.Put(ctx, "x", pipelineBody("x", "a", "ours"), PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		armed.Store(true)
		if err := st.Delete(ctx, "x", etag); !errors.Is(err, ErrPrecondition) {
			t.Fatalf("Delete = %v, want ErrPrecondition", err)
		}
		if ifMatch.Load() != etag {
			t.Fatalf("DELETE sent If-Match %q, want %q", ifMatch.Load(), etag)
		}
		if obj, err := st.Get(ctx, "x"); err != nil || !bytes.Equal(obj.Body, pipelineBody("x", "a", "theirs")) {
			t.Fatalf("the other writer's object was deleted: %v", err)
		}
	})
	t.Run("server without If-Match on DELETE", func(t *testing.T) {
		rt := newCountingTransport(func(n int, req *http.Request) (*http.Response, error, bool) {
			if req.Method == "DELETE" && req.Header.Get("If-Match") != "" {
				return errorResponse(req, 501, "NotImplemented"), nil, true
			}
			return nil, nil, false
		})
		st, _ := newS3Store(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
		for _, id := range []string{"a", "b"} {
			etag, err := st.Put(ctx, id, pipelineBody(id, "a", "n"), PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Delete(ctx, id, etag); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Get(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s not deleted: %v", id, err)
			}
		}
		// The first delete learnt; the second did not ask again.
		if n := rt.requests("DELETE"); n != 3 {
			t.Fatalf("%d DELETEs, want 3", n)
		}
	})
	t.Run("lost DELETE answer", func(t *testing.T) {
		var armed atomic.Bool
		var rt *countingTransport
		rt = newCountingTransport(func(n int, req *http.Request) (*http.Response, error, bool) {
			if req.Method == "DELETE" && armed.CompareAndSwap(true, false) {
				if resp, err := rt.base.RoundTrip(req); err == nil {
					resp.Body.Close()
				}
				return nil, errReset, true
			}
			return nil, nil, false
		})
		st, _ := newS3Store(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
		etag, err := st.Put(ctx, "x", pipelineBody("x", "a", "n"), PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		armed.Store(true)
		if err := st.Delete(ctx, "x", etag); err != nil {
			t.Fatalf("our own landed delete reported as %v", err)
		}
		if rt.requests("DELETE") < 2 {
			t.Fatal("lost DELETE not retried")
		}
	})
}

// A writer in another account than the bucket's sets bucket-owner-full-control on every object
// it writes, pipelines and last-modified.json alike (TestS3PutHeaders checks the header); the
// S3 server takes those writes.
func TestS3BucketOwnerFullControl(t *testing.T) {
	st, _ := newS3Store(t, func(c *Config) { c.ACL = "bucket-owner-full-control" })
	ctx := context.Background()
	if _, err := st.Put(ctx, "x", pipelineBody("x", "a", "n"), PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	v, err := BumpLastModified(ctx, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.LastModified(ctx); err != nil || got != v {
		t.Fatalf("last-modified = %d, %v; want %d", got, err, v)
	}
	if _, err := st.Get(ctx, "x"); err != nil {
		t.Fatal(err)
	}
}

// Past its first page a listing is read as ranges at once: every key must come back exactly
// once, whatever its folder name, including names equal to a range's bound.
func TestS3ListRangesListEveryKeyOnce(t *testing.T) {
	st, _ := newS3Store(t)
	ctx := context.Background()
	ids := []string{"0", "00", "0zz", "1", "1-a", "9", "9~", "a", "a0", "f", "ff", "fz", "g", "g0", "zz", "-x", "_y"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 25 {
		ids = append(ids, fmt.Sprintf("%08x-0000-4000-8000-%012x", rng.Uint32(), rng.Uint64()>>16))
	}
	for _, id := range ids {
		if _, err := st.Put(ctx, id, pipelineBody(id, "a", id), PutOptions{}); err != nil {
			t.Fatalf("put %s: %v", id, err)
		}
	}
	infos, err := st.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range infos {
		got = append(got, in.ID)
	}
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d ids:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
	}
}
