// Package front50 reads and writes the pipeline objects of Spinnaker's Front50
// directly in its storage, with exactly the layout Front50 uses:
//
//	<root>/pipelines/<id lower-cased>/pipeline-metadata.json
//	<root>/pipelines/last-modified.json
//
// Two implementations share one contract: S3 (any S3-compatible server) and a
// local directory (file://), the latter for dry runs, tests and air-gapped use.
// Every write goes through ValidatePipelineObject first, because one object that
// Front50 cannot read breaks the refresh of every pipeline.
package front50

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Info describes one stored pipeline object without its body.
type Info struct {
	ID           string // folder name == pipeline id (lower-case)
	ETag         string
	LastModified time.Time
	Size         int64
}

// Object is a stored pipeline object with its body.
type Object struct {
	Info
	Body []byte
}

// PutOptions makes a write conditional. The zero value writes unconditionally.
type PutOptions struct {
	IfMatch     string // write only if the current ETag equals this (update)
	IfNoneMatch bool   // write only if absent (create)
	// Validated, when set, is given the document a pipeline Put decoded to validate the body
	// (what DecodeStored gives for it), before the write: so that a caller that needs it
	// decoded need not decode it again. Put does not use the document afterwards.
	Validated func(doc map[string]any)
}

var (
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrPrecondition: a conditional write or delete lost because someone
	// changed (or removed) the object concurrently.
	ErrPrecondition = errors.New("object changed concurrently (precondition failed)")
	// ErrInvalidObject: the body was refused before writing because Front50
	// could not read it.
	ErrInvalidObject = errors.New("invalid pipeline object")
	// ErrAccessDenied: the credentials were refused or lack permission.
	ErrAccessDenied = errors.New("access denied")
	// ErrNoSuchBucket: the configured bucket does not exist.
	ErrNoSuchBucket = errors.New("bucket does not exist")
)

// Store is Front50's pipeline storage.
type Store interface {
	// List returns every pipeline metadata object, whatever the number of pages.
	List(ctx context.Context) ([]Info, error)
	// Get returns one object; ErrNotFound when absent. The id is lower-cased
	// as Front50 does when it builds the key.
	Get(ctx context.Context, id string) (*Object, error)
	// Put validates body with ValidatePipelineObject, then writes it.
	Put(ctx context.Context, id string, body []byte, opt PutOptions) (etag string, err error)
	// Delete removes an object. With ifMatch == "" it is idempotent (no error
	// when absent); with ifMatch it returns ErrNotFound when absent and
	// ErrPrecondition when the current ETag differs.
	Delete(ctx context.Context, id string, ifMatch string) error
	// LastModified reads last-modified.json the way Front50 does: 0 when the
	// file is absent or its content unreadable. Transport and permission
	// failures are errors.
	LastModified(ctx context.Context) (int64, error)
	// SetLastModified writes {"lastModified":<ms>}.
	SetLastModified(ctx context.Context, ms int64) error
	// ReadLastModified is LastModified with what a conditional write needs: the file's ETag
	// ("" when absent) and the store's own clock (the Date of the store's answer; a local
	// folder's is this machine's).
	ReadLastModified(ctx context.Context) (ms int64, etag string, storeNow time.Time, err error)
	// WriteLastModified writes {"lastModified":<ms>} only if the file is as read (ifETag; ""
	// = still absent), ErrPrecondition otherwise.
	WriteLastModified(ctx context.Context, ms int64, ifETag string) error
	// Location is "s3://bucket/root" or "file:///abs/dir".
	Location() string
}

// Config selects and configures a Store.
type Config struct {
	// URL is "s3://bucket[/root]" or "file://DIR". The root defaults to
	// "front50" (also for "s3://bucket/"). A root is used verbatim with
	// Front50's joining rules, so "s3://bucket//" is the root "/", which is
	// what Front50 produces with an empty root-folder: keys "/pipelines/…".
	URL string
	// BaseDir resolves relative file:// paths; empty means the working directory.
	BaseDir string
	// Endpoint is an S3-compatible endpoint (MinIO, versitygw, …). It implies
	// path-style addressing and checksums only "when required".
	Endpoint string
	// Region: with Endpoint and none given or found in the AWS chain,
	// us-east-1; without Endpoint, one is required.
	Region string
	// SSE is "", "AES256" or "aws:kms" (Front50's "AWSKMS" is accepted too), with the bucket's
	// default key as Front50 uses it.
	SSE string
	// ACL is a canned ACL set on every object written: "" or "bucket-owner-full-control",
	// for a writer in another account than the bucket's.
	ACL string
	// HTTPClient replaces the SDK's HTTP client (tests insert faults with it).
	HTTPClient *http.Client
	// MaxAttempts bounds attempts for retryable errors; default 5.
	MaxAttempts int
	// ListPageSize is ListObjectsV2's MaxKeys; default 1000.
	ListPageSize int32

	// Credentials replaces the AWS default credential chain (tests use static keys).
	Credentials aws.CredentialsProvider
	// AttemptTimeout bounds one HTTP attempt, including reading the body, so a
	// hung connection is retried instead of blocking forever; default 30s.
	AttemptTimeout time.Duration
	// RetryBaseDelay is the first backoff delay, doubled per attempt (with
	// jitter) up to 20 times it; default 100ms.
	RetryBaseDelay time.Duration
}

const (
	defaultRoot         = "front50"
	defaultMaxAttempts  = 5
	defaultListPageSize = 1000
	metadataFile        = "pipeline-metadata.json"
	lastModifiedFile    = "last-modified.json"
	group               = "pipelines"
)

// Open returns the Store that cfg.URL names.
func Open(ctx context.Context, cfg Config) (Store, error) {
	switch {
	case strings.HasPrefix(cfg.URL, "s3://"):
		return openS3(ctx, cfg)
	case strings.HasPrefix(cfg.URL, "file://"):
		return openFile(cfg)
	default:
		return nil, fmt.Errorf("unknown store URL %q: accepted schemes are s3://BUCKET[/ROOT] and file://DIR", cfg.URL)
	}
}

// writeObserver sees every body a store has written (see ObserveWrites).
var writeObserver atomic.Pointer[func(id string, body []byte)]

// ObserveWrites makes every successful Put, of any store, call f with the body written, until
// stop is called. Tests use it to have Front50's own reader check every object they wrote.
func ObserveWrites(f func(id string, body []byte)) (stop func()) {
	writeObserver.Store(&f)
	return func() { writeObserver.Store(nil) }
}

func observeWrite(id string, body []byte) {
	if f := writeObserver.Load(); f != nil {
		(*f)(id, body)
	}
}

// SameETag compares ETags as S3 clients do: surrounding quotes and a weak marker do not count.
func SameETag(a, b string) bool { return BareETag(a) == BareETag(b) }

// BareETag is an ETag without quotes or weak marker: for a plain S3 upload, the body's hex MD5.
func BareETag(e string) string { return strings.Trim(strings.TrimPrefix(e, "W/"), `"`) }

// behind finds a T in s or in the stores it wraps, outermost first.
func behind[T any](s Store) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		u, ok := s.(Unwrapper)
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false
}
