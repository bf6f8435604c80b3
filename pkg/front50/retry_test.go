package front50

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func apiErr(status int, code string) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "PutObject", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: "m"},
		},
	}}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{apiErr(503, "SlowDown"), true},
		{apiErr(503, ""), true},
		{apiErr(500, "InternalError"), true},
		{apiErr(502, ""), true},
		{apiErr(504, ""), true},
		{apiErr(429, ""), true},
		{apiErr(400, "RequestTimeout"), true},
		{apiErr(501, "NotImplemented"), false},
		{apiErr(403, "AccessDenied"), false},
		{apiErr(403, "SignatureDoesNotMatch"), false},
		{apiErr(403, ""), false},
		{apiErr(412, "PreconditionFailed"), false},
		{apiErr(409, "ConditionalRequestConflict"), false},
		{apiErr(404, "NoSuchKey"), false},
		{apiErr(400, "BadDigest"), false},
		{&smithyhttp.RequestSendError{Err: errReset}, true},
		{&smithyhttp.RequestSendError{Err: io.EOF}, true},
		{&bodyReadError{err: io.ErrUnexpectedEOF}, true},
		{&smithy.CanceledError{Err: context.Canceled}, false},
		{&v4.SigningError{Err: errors.New("failed to retrieve credentials: dial tcp: connection refused")}, false},
		{fmt.Errorf("get identity: get credentials: %w", &smithyhttp.RequestSendError{Err: errReset}), false},
		{errors.New("something else"), false},
	}
	for _, tc := range tests {
		if got := isRetryable(tc.err); got != tc.want {
			t.Errorf("isRetryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	r := retrier{baseDelay: 100 * time.Millisecond}
	for attempt := 1; attempt <= 30; attempt++ {
		want := min(100*time.Millisecond<<min(attempt-1, 20), 2*time.Second)
		for range 20 {
			d := r.backoff(attempt)
			if d < want/2 || d >= want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v)", attempt, d, want/2, want)
			}
		}
	}
}

func TestRetrierStopsOnFinalErrors(t *testing.T) {
	r := retrier{maxAttempts: 5, baseDelay: time.Microsecond, attemptTimeout: time.Second}
	n := 0
	attempts, err := r.do(context.Background(), func(context.Context) error {
		n++
		return apiErr(412, "PreconditionFailed")
	})
	if attempts != 1 || n != 1 || err == nil {
		t.Fatalf("412: %d attempts, err %v", attempts, err)
	}
	n = 0
	attempts, err = r.do(context.Background(), func(context.Context) error {
		n++
		if n < 3 {
			return apiErr(503, "SlowDown")
		}
		return nil
	})
	if attempts != 3 || err != nil {
		t.Fatalf("503 twice: %d attempts, err %v", attempts, err)
	}
}
