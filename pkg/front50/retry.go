package front50

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// retrier runs S3 calls with our own bounded retry loop. The SDK's retryer is
// switched off because it cannot retry what happens after it returns (reading
// the GetObject body), does not tell us whether an earlier attempt may have
// landed (needed to recover conditional PUTs), and its shared retry quota turns
// a burst of failures under concurrency into "retry quota exceeded".
type retrier struct {
	maxAttempts    int
	baseDelay      time.Duration
	attemptTimeout time.Duration
}

// bodyReadError marks a response whose body broke off after the headers; the
// whole request is repeated.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "reading response body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// do calls fn until it succeeds, fails with an error that is not worth
// retrying, the attempts run out or ctx ends. It returns the attempts made.
// fn gets a context bounded by the attempt timeout and must finish all its
// I/O (including reading bodies) before it returns.
func (r retrier) do(ctx context.Context, fn func(ctx context.Context) error) (int, error) {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, r.attemptTimeout)
		err := fn(actx)
		attemptTimedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return attempt, nil
		}
		if ctx.Err() != nil {
			if !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
			}
			return attempt, err
		}
		if !attemptTimedOut && !isRetryable(err) {
			return attempt, err
		}
		if attempt >= r.maxAttempts {
			return attempt, fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		t := time.NewTimer(r.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt, fmt.Errorf("%w (after %d attempts, last error: %w)", ctx.Err(), attempt, err)
		case <-t.C:
		}
	}
}

// backoff is exponential with jitter in [d/2, d), capped at 20 base delays.
func (r retrier) backoff(attempt int) time.Duration {
	d := r.baseDelay << min(attempt-1, 20)
	if limit := 20 * r.baseDelay; d > limit || d <= 0 {
		d = limit
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// retryableCode tells S3 error codes that mean "try again later".
func retryableCode(code string) bool {
	switch code {
	case "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "Throttling",
		"ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "OperationAborted":
		return true
	}
	return false
}

// finalCode tells error codes never retried: the same request gets the same answer.
func finalCode(code string) bool {
	switch code {
	case "AccessDenied", "InvalidAccessKeyId", "XAdminUserNotFound", "SignatureDoesNotMatch", "PreconditionFailed",
		"ConditionalRequestConflict", "NoSuchKey", "NoSuchBucket", "NotFound":
		return true
	}
	return false
}

func isRetryable(err error) bool {
	var bre *bodyReadError
	if errors.As(err, &bre) {
		return true
	}
	// A success whose body breaks off (ListObjectsV2's XML cut mid-way) fails in the SDK's
	// decoder rather than in our own read; it is the same fault and worth the same retry.
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		if status := httpStatus(err); status >= 200 && status < 300 {
			return true
		}
	}
	// Credential lookups fail with connection errors (IMDS) that would look
	// retryable; they do not get better by signing the same request again.
	if isCredentialsError(err) {
		return false
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if retryableCode(api.ErrorCode()) {
			return true
		}
		if finalCode(api.ErrorCode()) {
			return false
		}
	}
	if status := httpStatus(err); status != 0 {
		switch {
		case status == 429:
			return true
		case status == 501 || status == 505:
			return false
		case status >= 500:
			return true
		case status >= 400:
			return false
		}
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool()
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// isCredentialsError tells failures to find or use credentials, before any
// request is sent. The SDK has no type for the "get identity" path, hence the
// message matching.
func isCredentialsError(err error) bool {
	var se *v4.SigningError
	if errors.As(err, &se) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "get identity: ") ||
		strings.Contains(msg, "failed to retrieve credentials") ||
		strings.Contains(msg, "failed to refresh cached credentials")
}
