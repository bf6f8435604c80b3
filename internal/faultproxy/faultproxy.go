// Package faultproxy is a reverse proxy for tests that sits between pipegen and a real S3
// server (versitygw) and breaks requests the way networks and S3 break them: 5xx answers,
// SlowDown throttling, connections dropped before or after the server acted, response bodies
// cut in the middle, answers that never come, a 403 on one key. It counts every request and
// every fault, so tests can assert how many attempts a client made and report what they
// injected.
//
// Faults are chosen per request by a Policy. Seeded policies decide from a hash of the request
// (method, path, query and how many identical requests came before), not from arrival order,
// so a seed reproduces the same faults for the same requests however goroutines interleave.
package faultproxy

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is what the proxy does with one request.
type Kind int

const (
	Pass               Kind = iota // forwarded untouched
	InternalError                  // 500 InternalError, not forwarded
	ServiceUnavailable             // 503 ServiceUnavailable, not forwarded
	SlowDown                       // 503 SlowDown, not forwarded
	Throttled                      // 503 SlowDown because too many requests were in flight
	Forbidden                      // 403 AccessDenied, not forwarded
	DropRequest                    // connection closed before the request reaches the server
	DropResponse                   // forwarded (the server acts on it), connection closed before any answer
	CutBody                        // forwarded; headers and half the body sent, then the connection closed
	Stall                          // held unforwarded until the client gives up (or the stall limit passes)
	StallResponse                  // forwarded, answer held until the client gives up (or the stall limit passes)
	numKinds
)

var kindNames = [...]string{
	Pass: "pass", InternalError: "500 InternalError", ServiceUnavailable: "503 ServiceUnavailable",
	SlowDown: "503 SlowDown", Throttled: "503 SlowDown (throttled)", Forbidden: "403 AccessDenied",
	DropRequest: "dropped before forwarding", DropResponse: "dropped after forwarding",
	CutBody: "body cut mid-way", Stall: "stalled before forwarding", StallResponse: "stalled answer",
}

func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Faults are every kind that breaks a request, for seeded policies.
var Faults = []Kind{InternalError, ServiceUnavailable, SlowDown, DropRequest, DropResponse, CutBody, Stall, StallResponse}

// Request describes one request as the proxy received it.
type Request struct {
	Seq        int64 // arrival number, from 1
	Method     string
	Bucket     string // path-style: the first path segment
	Key        string // the rest of the path, unescaped; "" for bucket operations
	Query      string // raw query
	Occurrence int    // how many identical (method, path, query) requests came before this one
	Time       time.Time
}

// Entry is a request and what was done with it.
type Entry struct {
	Request
	Kind Kind
}

// Policy picks the fault for a request; Pass forwards it.
type Policy func(Request) Kind

// EveryNth faults every nth request (by arrival) with k.
func EveryNth(n int, k Kind) Policy {
	return func(r Request) Kind {
		if n > 0 && r.Seq%int64(n) == 0 {
			return k
		}
		return Pass
	}
}

// OnKey faults every request for keys ending in suffix (and with this method, unless method
// is "") with k.
func OnKey(method, suffix string, k Kind) Policy {
	return func(r Request) Kind {
		if (method == "" || r.Method == method) && r.Key != "" && strings.HasSuffix(r.Key, suffix) {
			return k
		}
		return Pass
	}
}

// Seeded faults a fraction rate of requests, picking among kinds, as a pure function of
// (seed, request): the same seed gives the same faults for the same requests.
func Seeded(seed uint64, rate float64, kinds ...Kind) Policy {
	if len(kinds) == 0 {
		kinds = Faults
	}
	return func(r Request) Kind {
		h := fnv.New64a()
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], seed)
		h.Write(b[:])
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d", r.Method, r.Bucket, r.Key, r.Query, r.Occurrence)
		x := mix(h.Sum64())
		// Top 53 bits for the draw, low bits for the kind.
		if float64(x>>11)/float64(uint64(1)<<53) >= rate {
			return Pass
		}
		return kinds[int(x%uint64(len(kinds)))]
	}
}

// mix is splitmix64's finaliser: FNV alone leaves hashes of requests that differ in one
// trailing digit (retries) strongly correlated, which would fault every retry alike.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Chain asks each policy in turn; the first fault wins.
func Chain(ps ...Policy) Policy {
	return func(r Request) Kind {
		for _, p := range ps {
			if p == nil {
				continue
			}
			if k := p(r); k != Pass {
				return k
			}
		}
		return Pass
	}
}

// Proxy is a running fault-injecting reverse proxy.
type Proxy struct {
	// URL is the proxy's address (http://127.0.0.1:PORT); use it as the S3 endpoint.
	URL string

	target    *url.URL
	srv       *httptest.Server
	transport *http.Transport
	seq       atomic.Int64
	inFlight  atomic.Int64

	mu          sync.Mutex
	policy      Policy
	latency     time.Duration
	maxInFlight int
	stallLimit  time.Duration
	seen        map[string]int
	log         []Entry
	injected    [numKinds]int64
}

// New starts a proxy in front of target (an S3 endpoint such as http://127.0.0.1:9000).
// It forwards everything until a policy is set. Close it when done.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q: want http://HOST:PORT", target)
	}
	p := &Proxy{
		target: u,
		transport: &http.Transport{
			Proxy:               nil,
			DisableCompression:  true, // pass bodies byte for byte
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 128,
			IdleConnTimeout:     30 * time.Second,
		},
		stallLimit: 10 * time.Second,
		seen:       map[string]int{},
	}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy, cutting the connections still open.
func (p *Proxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.transport.CloseIdleConnections()
}

// SetPolicy replaces the fault policy; nil forwards everything.
func (p *Proxy) SetPolicy(pol Policy) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.policy = pol
}

// SetLatency delays every forwarded request by d, to make a run slow enough to interrupt.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// SetMaxInFlight throttles: a request arriving while n others are being served gets
// 503 SlowDown, as S3 answers a client that is too fast. 0 turns throttling off.
func (p *Proxy) SetMaxInFlight(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.maxInFlight = n
}

// SetStallLimit bounds how long Stall and StallResponse hold a request whose client does not
// give up; afterwards it proceeds normally. Default 10s.
func (p *Proxy) SetStallLimit(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stallLimit = d
}

// Reset forgets the log, the counters and the occurrence counts (policy and settings stay).
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = nil
	p.injected = [numKinds]int64{}
	p.seen = map[string]int{}
}

// Log returns a copy of every request seen since the last Reset, in arrival order.
func (p *Proxy) Log() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]Entry(nil), p.log...)
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Count returns how many logged requests match.
func (p *Proxy) Count(match func(Entry) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.log {
		if match(e) {
			n++
		}
	}
	return n
}

// Injected returns how many requests got each fault since the last Reset.
func (p *Proxy) Injected() map[Kind]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[Kind]int64{}
	for k, n := range p.injected {
		if Kind(k) != Pass && n > 0 {
			out[Kind(k)] = n
		}
	}
	return out
}

// TotalInjected is the sum of Injected.
func (p *Proxy) TotalInjected() int64 {
	var n int64
	for _, v := range p.Injected() {
		n += v
	}
	return n
}

// decide records the request and picks what to do with it.
func (p *Proxy) decide(r *http.Request) (Request, Kind, time.Duration, time.Duration) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	req := Request{Seq: p.seq.Add(1), Method: r.Method, Bucket: bucket, Key: key, Query: r.URL.RawQuery, Time: time.Now()}
	inFlight := p.inFlight.Load()

	p.mu.Lock()
	defer p.mu.Unlock()
	id := req.Method + " " + r.URL.Path + "?" + req.Query
	req.Occurrence = p.seen[id]
	p.seen[id]++
	kind := Pass
	if p.maxInFlight > 0 && inFlight > int64(p.maxInFlight) {
		kind = Throttled
	} else if p.policy != nil {
		kind = p.policy(req)
	}
	p.log = append(p.log, Entry{Request: req, Kind: kind})
	p.injected[kind]++
	return req, kind, p.latency, p.stallLimit
}

// relabel corrects the recorded kind of a request when the fault could not be applied as
// asked (a body too short to cut).
func (p *Proxy) relabel(seq int64, from, to Kind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.log) - 1; i >= 0; i-- {
		if p.log[i].Seq == seq {
			p.log[i].Kind = to
			p.injected[from]--
			p.injected[to]++
			return
		}
	}
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	// The whole body first: the server's context then reports a client that hangs up.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	req, kind, latency, stallLimit := p.decide(r)

	switch kind {
	case InternalError:
		writeError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", req.Seq)
		return
	case ServiceUnavailable:
		writeError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unable to handle request.", req.Seq)
		return
	case SlowDown, Throttled:
		writeError(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.", req.Seq)
		return
	case Forbidden:
		writeError(w, r, http.StatusForbidden, "AccessDenied", "Access Denied", req.Seq)
		return
	case DropRequest:
		panic(http.ErrAbortHandler) // net/http closes the connection without answering
	case Stall:
		if !wait(r.Context(), stallLimit) {
			panic(http.ErrAbortHandler)
		}
	}
	if latency > 0 && !wait(r.Context(), latency) {
		panic(http.ErrAbortHandler)
	}

	resp, err := p.forward(r, body)
	if err != nil {
		writeError(w, r, http.StatusBadGateway, "InternalError", "faultproxy: "+err.Error(), req.Seq)
		return
	}
	switch kind {
	case DropResponse:
		panic(http.ErrAbortHandler)
	case StallResponse:
		if !wait(r.Context(), stallLimit) {
			panic(http.ErrAbortHandler)
		}
	}
	h := w.Header()
	for k, vs := range resp.header {
		if !hopByHop(k) {
			h[k] = vs
		}
	}
	if r.Method != http.MethodHead {
		h.Set("Content-Length", fmt.Sprint(len(resp.body)))
	}
	if kind == CutBody && (r.Method == http.MethodHead || len(resp.body) < 2) {
		// Nothing to cut: closing before the answer is the nearest fault.
		p.relabel(req.Seq, CutBody, DropResponse)
		panic(http.ErrAbortHandler)
	}
	w.WriteHeader(resp.status)
	if kind == CutBody {
		_, _ = w.Write(resp.body[:len(resp.body)/2])
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write(resp.body)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// forward sends the request to the target as received: same method, path, query, headers and
// Host (the signature covers it), and reads the whole answer.
func (p *Proxy) forward(r *http.Request, body []byte) (*response, error) {
	u := *p.target
	u.Path = r.URL.Path
	u.RawPath = r.URL.RawPath
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		if !hopByHop(k) {
			out.Header[k] = vs
		}
	}
	out.Host = r.Host
	out.ContentLength = int64(len(body))
	if len(body) == 0 {
		out.Body = http.NoBody
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func hopByHop(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
		"Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// wait sleeps for d; false if ctx ended first (the client hung up).
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string, seq int64) {
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>faultproxy-%d</RequestId></Error>`,
		code, xmlEscape(msg), xmlEscape(r.URL.Path), seq)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("x-amz-request-id", fmt.Sprintf("faultproxy-%d", seq))
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
