package front50

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/pipegen/pipegen/internal/parallel"
)

type s3Store struct {
	client   *s3.Client
	bucket   string
	lay      layout
	sse      types.ServerSideEncryption
	acl      types.ObjectCannedACL
	pageSize int32
	retry    retrier
	endpoint string // "" for AWS
	region   string

	// noDeleteIfMatch is set once the server has refused If-Match on
	// DeleteObject, so later deletes rely on the HEAD comparison alone.
	noDeleteIfMatch atomic.Bool
}

// RegionHelp says where a region can come from; kept in one place so the
// CLI's messages agree with ours.
const RegionHelp = "set one with --region, PIPEGEN_S3_REGION or AWS_REGION, or s3.region in pipegen.yaml"

func openS3(ctx context.Context, cfg Config) (*s3Store, error) {
	bucket, root, err := parseS3URL(cfg.URL)
	if err != nil {
		return nil, err
	}
	sse, err := parseSSE(cfg.SSE)
	if err != nil {
		return nil, err
	}
	var acl types.ObjectCannedACL
	switch cfg.ACL {
	case "":
	case string(types.ObjectCannedACLBucketOwnerFullControl):
		acl = types.ObjectCannedACLBucketOwnerFullControl
	default:
		return nil, fmt.Errorf("S3 ACL %q: want %s or none", cfg.ACL, types.ObjectCannedACLBucketOwnerFullControl)
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	if cfg.HTTPClient == nil {
		// Load runs many GETs at once; Go's default of 2 idle connections per
		// host would reopen a connection for most of them.
		opts = append(opts, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = 256
			t.MaxIdleConnsPerHost = 128
		})))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}

	// An endpoint given only through the AWS environment is still not AWS and
	// needs the same path-style and checksum settings.
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if endpoint == "" && awsCfg.BaseEndpoint != nil {
		endpoint = *awsCfg.BaseEndpoint
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("S3 endpoint %q: want http://HOST[:PORT] or https://HOST[:PORT]", endpoint)
		}
	}
	if awsCfg.Region == "" {
		if endpoint == "" {
			return nil, fmt.Errorf("%s: no AWS region: %s", cfg.URL, RegionHelp)
		}
		awsCfg.Region = "us-east-1"
	}

	maxAttempts := cfg.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = defaultMaxAttempts
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.Retryer = aws.NopRetryer{}
		if cfg.HTTPClient != nil {
			// Set here rather than in LoadDefaultConfig, which refuses a plain
			// *http.Client when AWS_CA_BUNDLE is set.
			o.HTTPClient = cfg.HTTPClient
		}
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
			// With "when supported", PutObject is sent aws-chunked with a
			// checksum trailer, which some S3-compatible servers store as is.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	s := &s3Store{
		client:   client,
		bucket:   bucket,
		lay:      layout{root: root},
		sse:      sse,
		acl:      acl,
		pageSize: cfg.ListPageSize,
		retry: retrier{
			maxAttempts:    maxAttempts,
			baseDelay:      orDefault(cfg.RetryBaseDelay, 100*time.Millisecond),
			attemptTimeout: orDefault(cfg.AttemptTimeout, 30*time.Second),
		},
		endpoint: endpoint,
		region:   awsCfg.Region,
	}
	if s.pageSize <= 0 {
		s.pageSize = defaultListPageSize
	}
	return s, nil
}

// orDefault returns d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// parseSSE accepts what Front50 writes with: nothing, AES256, or aws:kms with the bucket's
// default key (Front50 never sets a key id).
func parseSSE(sse string) (types.ServerSideEncryption, error) {
	switch strings.ToLower(sse) {
	case "":
		return "", nil
	case "aes256":
		return types.ServerSideEncryptionAes256, nil
	case "aws:kms", "awskms":
		return types.ServerSideEncryptionAwsKms, nil
	}
	return "", fmt.Errorf("server-side encryption %q: want AES256 or aws:kms", sse)
}

func (s *s3Store) Location() string { return "s3://" + s.bucket + "/" + s.lay.root }

func (s *s3Store) List(ctx context.Context) ([]Info, error) {
	var mu sync.Mutex
	var infos []Info
	err := s.listRanges(ctx, s.lay.listPrefix(), func(objs []types.Object) {
		mu.Lock()
		defer mu.Unlock()
		for _, o := range objs {
			folder, ok := s.lay.folderOf(aws.ToString(o.Key))
			if !ok {
				continue
			}
			infos = append(infos, Info{
				ID:           folder,
				ETag:         aws.ToString(o.ETag),
				LastModified: aws.ToTime(o.LastModified),
				Size:         aws.ToInt64(o.Size),
			})
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID < infos[j].ID })
	return infos, nil
}

// listRanges lists every key under prefix like listPages. A listing is a chain of pages, each
// asked for with the last one's token: ten thousand pipelines were eleven requests one after
// the other, the longest serial wait of a diff. So when the first page is not the whole
// listing, the rest is listed as ranges at once. Pipeline folders are ids, mostly UUIDs, so
// the ranges split after the prefix at the hex digits above the first page's last key:
// (last, b1], (b1, b2], …, (bn, end). Each range starts after its lower bound and stops at
// the first key above its upper bound, so every key is listed by exactly one range whatever
// the folder names are.
func (s *s3Store) listRanges(ctx context.Context, prefix string, page func([]types.Object)) error {
	var last string
	more := false
	err := s.listFrom(ctx, prefix, "", func(objs []types.Object, truncated bool) bool {
		page(objs)
		if len(objs) > 0 {
			last = aws.ToString(objs[len(objs)-1].Key)
		}
		more = truncated
		return false
	})
	if err != nil || !more {
		return err
	}
	lows := []string{last}
	for _, c := range "0123456789abcdef" {
		if b := prefix + string(c); b > last {
			lows = append(lows, b)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(lows))
	// A range never started (the context ended first) has no error of its own: Do's says so.
	started := parallel.Do(ctx, len(lows), len(lows), func(i int) {
		upTo := ""
		if i+1 < len(lows) {
			upTo = lows[i+1]
		}
		errs[i] = s.listFrom(ctx, prefix, lows[i], func(objs []types.Object, _ bool) bool {
			for j, o := range objs {
				if upTo != "" && aws.ToString(o.Key) > upTo {
					page(objs[:j])
					return false
				}
			}
			page(objs)
			return true
		})
		if errs[i] != nil {
			cancel()
		}
	})
	if err := firstError(errs); err != nil {
		return err
	}
	return started
}

// firstError is the first failure of parallel requests, preferring the cause over the
// cancellations it led to.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// listPages lists every key under prefix, a page at a time, until page returns false.
func (s *s3Store) listPages(ctx context.Context, prefix string, page func([]types.Object) bool) error {
	return s.listFrom(ctx, prefix, "", func(objs []types.Object, _ bool) bool { return page(objs) })
}

// listFrom is listPages from the first key after startAfter ("" for the first key); page is
// also told whether more pages follow.
func (s *s3Store) listFrom(ctx context.Context, prefix, startAfter string, page func(objs []types.Object, more bool) bool) error {
	var token *string
	for {
		var out *s3.ListObjectsV2Output
		_, err := s.retry.do(ctx, func(ctx context.Context) error {
			var err error
			in := &s3.ListObjectsV2Input{
				Bucket:            &s.bucket,
				Prefix:            &prefix,
				MaxKeys:           aws.Int32(s.pageSize),
				ContinuationToken: token,
			}
			if startAfter != "" && token == nil {
				in.StartAfter = &startAfter
			}
			out, err = s.client.ListObjectsV2(ctx, in)
			return err
		})
		if err != nil {
			return s.wrap("list", prefix, err)
		}
		if !page(out.Contents, aws.ToBool(out.IsTruncated)) || !aws.ToBool(out.IsTruncated) {
			return nil
		}
		if aws.ToString(out.NextContinuationToken) == "" {
			return s.wrap("list", prefix, errors.New("server reported a truncated listing without a continuation token"))
		}
		token = out.NextContinuationToken
	}
}

func (s *s3Store) Get(ctx context.Context, id string) (*Object, error) {
	key := s.lay.objectKey(id)
	obj, _, err := s.getKey(ctx, key)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	obj.ID = strings.ToLower(id)
	return obj, nil
}

// getKey reads a whole object; a body that breaks off is read again.
func (s *s3Store) getKey(ctx context.Context, key string) (*Object, int, error) {
	obj, _, attempts, err := s.getVersioned(ctx, key)
	return obj, attempts, err
}

// getVersioned is getKey that also returns the object's version id ("" when unversioned).
func (s *s3Store) getVersioned(ctx context.Context, key string) (*Object, string, int, error) {
	var obj *Object
	var version string
	attempts, err := s.retry.do(ctx, func(ctx context.Context) error {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		body, err := io.ReadAll(out.Body)
		if err != nil {
			return &bodyReadError{err: err}
		}
		obj = &Object{
			Info: Info{
				ETag:         aws.ToString(out.ETag),
				LastModified: aws.ToTime(out.LastModified),
				Size:         int64(len(body)),
			},
			Body: body,
		}
		version = aws.ToString(out.VersionId)
		return nil
	})
	return obj, version, attempts, err
}

func (s *s3Store) Put(ctx context.Context, id string, body []byte, opt PutOptions) (string, error) {
	doc, err := validatePipelineObject(id, body)
	if err != nil {
		return "", err
	}
	if opt.Validated != nil {
		opt.Validated(doc)
	}
	etag, err := s.putChecked(ctx, s.lay.objectKey(id), body, opt)
	if err == nil {
		observeWrite(id, body)
	}
	return etag, err
}

// putChecked is a conditional write that tells a lost race from our own retried write.
func (s *s3Store) putChecked(ctx context.Context, key string, body []byte, opt PutOptions) (string, error) {
	if opt.IfMatch != "" && opt.IfNoneMatch {
		return "", errors.New("put: IfMatch and IfNoneMatch cannot be combined")
	}
	etag, version, attempts, err := s.putVersioned(ctx, key, body, opt)
	if err != nil && opt.IfNoneMatch && errors.Is(err, ErrPrecondition) {
		// Some S3 servers (versitygw) refuse a create while the key's latest version is a
		// delete marker, though the object does not exist: a pipeline pruned and added back
		// could never be written again.
		if marker, lerr := s.latestIsDeleteMarker(ctx, key); lerr == nil && marker {
			etag, version, attempts, err = s.putVersioned(ctx, key, body, PutOptions{})
		}
	}
	if err == nil {
		// Only a versioned bucket answers with a version id, and only there can a delete
		// marker be left under the key: an unversioned bucket costs no listing per create.
		if opt.IfNoneMatch && version != "" {
			if derr := s.dropDeleteMarkers(ctx, key); derr != nil {
				return etag, s.wrap("put", key, fmt.Errorf("written, but its version history still holds a delete marker, which breaks Front50's pipeline history: %w", derr))
			}
		}
		return etag, nil
	}
	if errors.Is(err, ErrPrecondition) && attempts > 1 {
		// An earlier attempt whose answer was lost may have written our body,
		// which makes the retry fail its own condition. The write did happen
		// if the object is now byte for byte what we sent.
		if obj, _, gerr := s.getKey(ctx, key); gerr == nil && bytes.Equal(obj.Body, body) {
			return obj.ETag, nil
		}
	}
	return "", s.wrap("put", key, err)
}

// putKey writes body as Front50 does (plain PUT with Content-MD5 and the
// configured encryption). A failed condition comes back as ErrPrecondition.
func (s *s3Store) putKey(ctx context.Context, key string, body []byte, opt PutOptions) (string, int, error) {
	etag, _, attempts, err := s.putVersioned(ctx, key, body, opt)
	return etag, attempts, err
}

// putVersioned is putKey that also returns the version id written ("" when unversioned).
func (s *s3Store) putVersioned(ctx context.Context, key string, body []byte, opt PutOptions) (string, string, int, error) {
	sum := md5.Sum(body)
	contentMD5 := base64.StdEncoding.EncodeToString(sum[:])
	var etag, version string
	attempts, err := s.retry.do(ctx, func(ctx context.Context) error {
		in := &s3.PutObjectInput{
			Bucket:        &s.bucket,
			Key:           &key,
			Body:          bytes.NewReader(body),
			ContentLength: aws.Int64(int64(len(body))),
			ContentMD5:    &contentMD5,
		}
		if s.sse != "" {
			in.ServerSideEncryption = s.sse
		}
		if s.acl != "" {
			in.ACL = s.acl
		}
		if opt.IfMatch != "" {
			in.IfMatch = &opt.IfMatch
		}
		if opt.IfNoneMatch {
			in.IfNoneMatch = aws.String("*")
		}
		out, err := s.client.PutObject(ctx, in)
		if err != nil {
			return err
		}
		etag, version = aws.ToString(out.ETag), aws.ToString(out.VersionId)
		return nil
	})
	if err != nil {
		// If-Match on a key that is gone is a 404 on AWS: the object we meant
		// to update was deleted concurrently.
		if isPrecondition(err) || (opt.IfMatch != "" && isNotFound(err)) {
			return "", "", attempts, fmt.Errorf("%w: %w", ErrPrecondition, err)
		}
		return "", "", attempts, err
	}
	return etag, version, attempts, nil
}

// keyVersions lists the versions and delete markers of exactly key.
func (s *s3Store) keyVersions(ctx context.Context, key string) (*s3.ListObjectVersionsOutput, error) {
	var out *s3.ListObjectVersionsOutput
	_, err := s.retry.do(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.client.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &s.bucket, Prefix: &key})
		return err
	})
	return out, err
}

func (s *s3Store) latestIsDeleteMarker(ctx context.Context, key string) (bool, error) {
	out, err := s.keyVersions(ctx, key)
	if err != nil {
		return false, err
	}
	for _, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) == key && aws.ToBool(m.IsLatest) {
			return true, nil
		}
	}
	return false, nil
}

// dropDeleteMarkers removes the delete markers from a live key's version history (a pipeline
// deleted, then created again under the same id): Front50's history GETs every version and
// fails on a delete marker. Removing a marker that is not the latest version changes no
// object. Without the right to list versions (an unversioned bucket needs none of this) it
// does nothing.
func (s *s3Store) dropDeleteMarkers(ctx context.Context, key string) error {
	out, err := s.keyVersions(ctx, key)
	if err != nil {
		if errorCode(err) == "AccessDenied" || ifMatchUnsupported(err) {
			return nil
		}
		return err
	}
	for _, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) != key || aws.ToBool(m.IsLatest) {
			continue
		}
		vid := m.VersionId
		if _, err := s.retry.do(ctx, func(ctx context.Context) error {
			_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key, VersionId: vid})
			return err
		}); err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

func (s *s3Store) Delete(ctx context.Context, id string, ifMatch string) error {
	key := s.lay.objectKey(id)
	if ifMatch == "" {
		_, err := s.deleteKey(ctx, key, "")
		if err != nil && !isNotFound(err) {
			return s.wrap("delete", key, err)
		}
		return nil
	}
	return s.deleteIfMatch(ctx, key, ifMatch)
}

// deleteIfMatch deletes key only if its ETag is ifMatch.
func (s *s3Store) deleteIfMatch(ctx context.Context, key, ifMatch string) error {
	// The HEAD check protects on servers that ignore If-Match on DeleteObject;
	// it leaves a window between HEAD and DELETE in which another writer's
	// change would be deleted. Servers that honour If-Match close that window.
	etag, err := s.headETag(ctx, key)
	if err != nil {
		return s.wrap("delete", key, err)
	}
	if !SameETag(etag, ifMatch) {
		return s.wrap("delete", key, fmt.Errorf("%w: ETag is %s, expected %s", ErrPrecondition, etag, ifMatch))
	}
	cond := ifMatch
	if s.noDeleteIfMatch.Load() {
		cond = ""
	}
	attempts, err := s.deleteKey(ctx, key, cond)
	if err != nil && cond != "" && ifMatchUnsupported(err) {
		s.noDeleteIfMatch.Store(true)
		attempts, err = s.deleteKey(ctx, key, "")
	}
	if err == nil {
		return nil
	}
	if attempts > 1 && (isNotFound(err) || isPrecondition(err)) {
		// Our own earlier attempt may have deleted it before its answer was lost.
		if _, herr := s.headETag(ctx, key); isNotFound(herr) {
			return nil
		}
	}
	return s.wrap("delete", key, err)
}

func (s *s3Store) deleteKey(ctx context.Context, key, ifMatch string) (int, error) {
	return s.retry.do(ctx, func(ctx context.Context) error {
		in := &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}
		if ifMatch != "" {
			in.IfMatch = &ifMatch
		}
		_, err := s.client.DeleteObject(ctx, in)
		return err
	})
}

func (s *s3Store) headETag(ctx context.Context, key string) (string, error) {
	var etag string
	_, err := s.retry.do(ctx, func(ctx context.Context) error {
		out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
		if err != nil {
			return err
		}
		etag = aws.ToString(out.ETag)
		return nil
	})
	return etag, err
}

func (s *s3Store) LastModified(ctx context.Context) (int64, error) {
	return s.readLastModified(ctx, s.lay.lastModifiedKey())
}

func (s *s3Store) readLastModified(ctx context.Context, key string) (int64, error) {
	obj, _, err := s.getKey(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return 0, nil
		}
		return 0, s.wrap("get", key, err)
	}
	return parseLastModified(obj.Body), nil
}

func (s *s3Store) SetLastModified(ctx context.Context, ms int64) error {
	return s.writeLastModified(ctx, s.lay.lastModifiedKey(), ms)
}

func (s *s3Store) writeLastModified(ctx context.Context, key string, ms int64) error {
	if _, _, err := s.putKey(ctx, key, lastModifiedBody(ms), PutOptions{}); err != nil {
		return s.wrap("put", key, err)
	}
	return nil
}

// ReadLastModified takes the store's clock from the Date of its answer (S3's is to the second).
func (s *s3Store) ReadLastModified(ctx context.Context) (int64, string, time.Time, error) {
	return s.readLastModifiedAt(ctx, s.lay.lastModifiedKey())
}

func (s *s3Store) readLastModifiedAt(ctx context.Context, key string) (int64, string, time.Time, error) {
	var (
		body  []byte
		etag  string
		clock time.Time
	)
	_, err := s.retry.do(ctx, func(ctx context.Context) error {
		out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
		if err != nil {
			clock = responseDate(err)
			return err
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		if err != nil {
			return &bodyReadError{err: err}
		}
		body, etag = b, aws.ToString(out.ETag)
		clock, _ = awsmiddleware.GetServerTime(out.ResultMetadata)
		return nil
	})
	switch {
	case err == nil:
		return parseLastModified(body), etag, clock, nil
	case isNotFound(err):
		return 0, "", clock, nil
	}
	return 0, "", time.Time{}, s.wrap("get", key, err)
}

// responseDate is the Date header of a failed request's answer; zero when there was none.
func responseDate(err error) time.Time {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if t, perr := http.ParseTime(re.Response.Header.Get("Date")); perr == nil {
			return t
		}
	}
	return time.Time{}
}

func (s *s3Store) WriteLastModified(ctx context.Context, ms int64, ifETag string) error {
	return s.writeLastModifiedAt(ctx, s.lay.lastModifiedKey(), ms, ifETag)
}

func (s *s3Store) writeLastModifiedAt(ctx context.Context, key string, ms int64, ifETag string) error {
	opt := PutOptions{IfMatch: ifETag, IfNoneMatch: ifETag == ""}
	body := lastModifiedBody(ms)
	_, attempts, err := s.putKey(ctx, key, body, opt)
	if err != nil && errors.Is(err, ErrPrecondition) && attempts > 1 {
		// Our own earlier attempt may have written it before its answer was lost.
		if obj, _, gerr := s.getKey(ctx, key); gerr == nil && bytes.Equal(obj.Body, body) {
			return nil
		}
	}
	if err != nil {
		return s.wrap("put", key, err)
	}
	return nil
}

func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrNotFound) {
		return true
	}
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return true
	case "":
		// HEAD answers have no body to carry a code.
		return httpStatus(err) == http.StatusNotFound
	}
	// Other 404s (NoSuchBucket, versitygw's XAdminUserNotFound) are not about the key.
	return false
}

func isPrecondition(err error) bool {
	if errors.Is(err, ErrPrecondition) {
		return true
	}
	switch errorCode(err) {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return true
	}
	return httpStatus(err) == http.StatusPreconditionFailed
}

func ifMatchUnsupported(err error) bool {
	return errorCode(err) == "NotImplemented" || httpStatus(err) == http.StatusNotImplemented
}

// wrap turns an S3 error into one that says what failed and what to do,
// with our sentinel errors for the cases callers act on. The SDK's messages
// never contain the secret key, and neither do ours.
func (s *s3Store) wrap(op, key string, err error) error {
	where := fmt.Sprintf("%s s3://%s/%s", op, s.bucket, key)
	code := errorCode(err)
	status := httpStatus(err)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && status == 0:
		return fmt.Errorf("%s: %w", where, err)
	case isCredentialsError(err):
		return fmt.Errorf("%s: %w: no usable AWS credentials (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): %w",
			where, ErrAccessDenied, err)
	case code == "NoSuchBucket":
		return fmt.Errorf("%s: %w: bucket %q not found at %s: %w", where, ErrNoSuchBucket, s.bucket, s.server(), err)
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrPrecondition):
		return fmt.Errorf("%s: %w", where, err)
	case isNotFound(err):
		return fmt.Errorf("%s: %w", where, ErrNotFound)
	case isPrecondition(err):
		return fmt.Errorf("%s: %w: %w", where, ErrPrecondition, err)
	case code == "InvalidAccessKeyId" || code == "XAdminUserNotFound":
		return fmt.Errorf("%s: %w: the server does not know the access key id (check AWS_ACCESS_KEY_ID or AWS_PROFILE): %w",
			where, ErrAccessDenied, err)
	case code == "SignatureDoesNotMatch":
		return fmt.Errorf("%s: %w: the secret access key does not match the access key id (check AWS_SECRET_ACCESS_KEY or AWS_PROFILE): %w",
			where, ErrAccessDenied, err)
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == http.StatusMovedPermanently:
		return fmt.Errorf("%s: bucket %q is not in region %s (%s): %w", where, s.bucket, s.region, RegionHelp, err)
	case code == "AccessDenied" || status == http.StatusForbidden || status == http.StatusUnauthorized:
		return fmt.Errorf("%s: %w: the credentials are not allowed to do this: %w", where, ErrAccessDenied, err)
	}
	return fmt.Errorf("%s: %w", where, err)
}

func (s *s3Store) server() string {
	if s.endpoint != "" {
		return s.endpoint
	}
	return "AWS region " + s.region
}
