package front50

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func newVersionedS3Store(t *testing.T) (*s3Store, *s3.Client) {
	t.Helper()
	srv, bucket := testS3.VersionedBucket(t)
	s, err := Open(context.Background(), Config{
		URL: "s3://" + bucket, Endpoint: srv.Endpoint, Credentials: srv.Credentials(), RetryBaseDelay: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*s3Store), srv.Client()
}

// versionsOf lists a key's versions and delete markers, newest first, as Front50's history does.
func versionsOf(t *testing.T, c *s3.Client, bucket, key string) (versions, markers int) {
	t.Helper()
	out, err := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &key})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out.Versions {
		if *v.Key == key {
			versions++
		}
	}
	for _, m := range out.DeleteMarkers {
		if *m.Key == key {
			markers++
		}
	}
	return versions, markers
}

// On a versioned bucket (Front50 enables versioning on the bucket it creates) a pipeline
// deleted by --prune and added back is created again, and its key's history holds no delete
// marker: Front50's /pipelines/{id}/history GETs every version and fails on one.
func TestVersionedBucketRecreate(t *testing.T) {
	st, c := newVersionedS3Store(t)
	ctx := context.Background()
	body := pipelineBody("p1", "app", "deploy")
	if _, err := st.Put(ctx, "p1", body, PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "p1", ""); err != nil {
		t.Fatal(err)
	}
	key := st.lay.objectKey("p1")
	if v, m := versionsOf(t, c, st.bucket, key); v != 1 || m != 1 {
		t.Fatalf("after delete: %d versions, %d delete markers; want 1 and 1 (is versioning on?)", v, m)
	}
	body2 := pipelineBody("p1", "app", "deploy", "description", "back")
	if _, err := st.Put(ctx, "p1", body2, PutOptions{IfNoneMatch: true}); err != nil {
		t.Fatalf("re-create after delete: %v", err)
	}
	obj, err := st.Get(ctx, "p1")
	if err != nil || string(obj.Body) != string(body2) {
		t.Fatalf("Get = %v, %v", obj, err)
	}
	if v, m := versionsOf(t, c, st.bucket, key); m != 0 || v != 2 {
		t.Errorf("after re-create: %d versions, %d delete markers; want 2 and none", v, m)
	}
	// Created again while it exists: still refused.
	if _, err := st.Put(ctx, "p1", body, PutOptions{IfNoneMatch: true}); err == nil {
		t.Error("a create over a live pipeline succeeded")
	}
}
