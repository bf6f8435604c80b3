package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/pipegen/pipegen/internal/s3server"
)

var testS3 s3server.Env

func TestMain(m *testing.M) { s3server.Main(m, &testS3) }

// backend is a plain HTTP server that echoes what it got and counts requests.
type backend struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	last *http.Request
	body []byte
}

func newBackend(t *testing.T) *backend {
	b := &backend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.last, b.body = r, body
		b.mu.Unlock()
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("X-Host-Seen", r.Host)
		_, _ = io.WriteString(w, "answer to "+r.Method+" "+r.URL.RequestURI()+": "+strings.Repeat("x", 100))
	}))
	t.Cleanup(b.Close)
	return b
}

func newProxy(t *testing.T, target string) *Proxy {
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func do(t *testing.T, c *http.Client, method, url, body string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestFaultKinds(t *testing.T) {
	be := newBackend(t)
	client := &http.Client{Timeout: 2 * time.Second}
	tests := []struct {
		kind        Kind
		forwarded   bool
		status      int    // 0: no answer
		code        string // S3 error code in the body
		bodyErr     bool   // the answer starts but the body breaks off
		clientTimer time.Duration
	}{
		{Pass, true, 200, "", false, 0},
		{InternalError, false, 500, "InternalError", false, 0},
		{ServiceUnavailable, false, 503, "ServiceUnavailable", false, 0},
		{SlowDown, false, 503, "SlowDown", false, 0},
		{Forbidden, false, 403, "AccessDenied", false, 0},
		{DropRequest, false, 0, "", false, 0},
		{DropResponse, true, 0, "", false, 0},
		{CutBody, true, 200, "", true, 0},
		{Stall, false, 0, "", false, 200 * time.Millisecond},
		{StallResponse, true, 0, "", false, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String(), func(t *testing.T) {
			p := newProxy(t, be.URL)
			p.SetPolicy(OnKey("", "obj", tc.kind))
			before := be.hits.Load()
			c := client
			if tc.clientTimer > 0 {
				c = &http.Client{Timeout: tc.clientTimer}
			}
			resp, body, err := do(t, c, "PUT", p.URL+"/bucket/dir/obj?x=1", "payload")
			// A stalled request whose client gave up is forwarded late or never; let it settle.
			time.Sleep(50 * time.Millisecond)
			if got := be.hits.Load() - before; (got == 1) != tc.forwarded {
				t.Errorf("forwarded %d times, want forwarded=%v", got, tc.forwarded)
			}
			switch {
			case tc.status == 0:
				if err == nil {
					t.Fatalf("got an answer %d, want none", resp.StatusCode)
				}
			case tc.bodyErr:
				if err == nil || resp.StatusCode != tc.status || len(body) == 0 {
					t.Fatalf("status %v body %d bytes err %v; want a cut body", resp, len(body), err)
				}
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("cut body error %v, want unexpected EOF", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tc.status || (tc.code != "" && !bytes.Contains(body, []byte("<Code>"+tc.code+"</Code>"))) {
					t.Fatalf("status %d body %s", resp.StatusCode, body)
				}
			}
			if inj := p.Injected(); tc.kind != Pass && inj[tc.kind] != 1 {
				t.Errorf("injected %v, want one %v", inj, tc.kind)
			}
			log := p.Log()
			if len(log) != 1 || log[0].Method != "PUT" || log[0].Bucket != "bucket" || log[0].Key != "dir/obj" || log[0].Query != "x=1" {
				t.Errorf("log %+v", log)
			}
		})
	}
}

func TestForwardsFaithfully(t *testing.T) {
	be := newBackend(t)
	p := newProxy(t, be.URL)
	resp, body, err := do(t, http.DefaultClient, "POST", p.URL+"/b/k%2Fx?uploads&a=b", "hello")
	if err != nil {
		t.Fatal(err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if string(be.body) != "hello" || be.last.URL.RequestURI() != "/b/k%2Fx?uploads&a=b" {
		t.Errorf("backend got %s %q", be.last.URL.RequestURI(), be.body)
	}
	// Signatures cover the Host header: the server must see the one the client sent.
	if got := resp.Header.Get("X-Host-Seen"); got != strings.TrimPrefix(p.URL, "http://") {
		t.Errorf("backend saw Host %q, client sent %q", got, strings.TrimPrefix(p.URL, "http://"))
	}
	if resp.Header.Get("ETag") != `"abc"` || !strings.HasPrefix(string(body), "answer to POST") {
		t.Errorf("answer %v %s", resp.Header, body)
	}
}

func TestEveryNthAndReset(t *testing.T) {
	be := newBackend(t)
	p := newProxy(t, be.URL)
	p.SetPolicy(EveryNth(3, InternalError))
	var statuses []int
	for range 9 {
		resp, _, err := do(t, http.DefaultClient, "GET", p.URL+"/b/k", "")
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, resp.StatusCode)
	}
	want := []int{200, 200, 500, 200, 200, 500, 200, 200, 500}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
	}
	if p.TotalInjected() != 3 || p.Count(func(e Entry) bool { return e.Occurrence == 8 }) != 1 {
		t.Fatalf("injected %v, log %+v", p.Injected(), p.Log())
	}
	p.Reset()
	if p.TotalInjected() != 0 || len(p.Log()) != 0 {
		t.Fatal("Reset kept counters")
	}
}

// A seed decides by request, not by arrival order: two proxies with one seed fault the same
// requests even when they arrive in a different order.
func TestSeededIsReproducible(t *testing.T) {
	be := newBackend(t)
	faulted := func(order []int) map[int]Kind {
		p := newProxy(t, be.URL)
		p.SetPolicy(Seeded(42, 0.5, InternalError, SlowDown, Forbidden))
		out := map[int]Kind{}
		for _, i := range order {
			do(t, http.DefaultClient, "GET", p.URL+"/b/key-"+string(rune('a'+i)), "")
		}
		for _, e := range p.Log() {
			out[int(e.Key[len(e.Key)-1]-'a')] = e.Kind
		}
		return out
	}
	a := faulted([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	b := faulted([]int{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0})
	n := 0
	for i, k := range a {
		if b[i] != k {
			t.Fatalf("request %d: %v then %v", i, k, b[i])
		}
		if k != Pass {
			n++
		}
	}
	if n == 0 || n == len(a) {
		t.Fatalf("rate 0.5 faulted %d of %d", n, len(a))
	}
}

func TestThrottle(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(2)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Done()
		<-release
	}))
	defer slow.Close()
	p := newProxy(t, slow.URL)
	// Two requests occupy the server; a third is one too many.
	p.SetMaxInFlight(2)
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, _, err := do(t, http.DefaultClient, "GET", p.URL+"/b/k", ""); errs <- err }()
	}
	entered.Wait()
	resp, body, err := do(t, http.DefaultClient, "GET", p.URL+"/b/k", "")
	close(release)
	if err != nil || resp.StatusCode != 503 || !bytes.Contains(body, []byte("SlowDown")) {
		t.Fatalf("third request: %v %s %v", resp, body, err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if p.Injected()[Throttled] != 1 {
		t.Fatalf("injected %v", p.Injected())
	}
}

// Through the proxy, a real S3 server accepts the signed requests and the SDK sees S3's own
// error shapes for the injected faults.
func TestWithS3(t *testing.T) {
	srv, bucket := testS3.Bucket(t)
	p := newProxy(t, srv.Endpoint)
	c := s3.New(s3.Options{
		Region:                     s3server.Region,
		BaseEndpoint:               aws.String(p.URL),
		UsePathStyle:               true,
		Credentials:                srv.Credentials(),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		Retryer:                    aws.NopRetryer{},
	})
	ctx := context.Background()
	key := "front50/pipelines/x/pipeline-metadata.json"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(`{"a":1}`)}); err != nil {
		t.Fatalf("signed PUT through the proxy: %v", err)
	}
	p.SetPolicy(OnKey("GET", "x/pipeline-metadata.json", SlowDown))
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "SlowDown" {
		t.Fatalf("injected SlowDown came back as %v", err)
	}
	p.SetPolicy(OnKey("GET", "x/pipeline-metadata.json", Forbidden))
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
		t.Fatalf("injected 403 came back as %v", err)
	}
	p.SetPolicy(nil)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != `{"a":1}` {
		t.Fatalf("body %q", b)
	}
}
