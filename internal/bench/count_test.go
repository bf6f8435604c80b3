package bench

import "testing"

func TestCountRequests(t *testing.T) {
	log := "log starts 2026-11-21 22:50:15.930243083 +0000 UTC m=+0.024779051\n" +
		"pipegen-bench b [21/November/2026:22:50:17 +0000] 127.0.0.1 pipegen-bench ID1 s3_ListObjectsV2 - /b?list-type=2 200 - 0 0 0 0 - ua - sig SigV4 - AuthHeader host - arn Yes\n" +
		"pipegen-bench b [21/November/2026:22:50:17 +0000] 127.0.0.1 pipegen-bench ID2 s3_GetObject front50/pipelines/last-modified.json /b/front50/pipelines/last-modified.json 404 NoSuchKey 0 0 0 0 - ua - sig SigV4 - AuthHeader host - arn Yes\n" +
		"pipegen-bench b [21/November/2026:22:50:17 +0000] 127.0.0.1 pipegen-bench ID3 s3_PutObject front50/pipelines/a/pipeline-metadata.json /b/front50/pipelines/a/pipeline-metadata.json 200 - 0 0 0 0 - ua - sig SigV4 - AuthHeader host - arn Yes\n" +
		"pipegen-bench b [21/November/2026:22:50:17 +0000] 127.0.0.1 pipegen-bench ID4 s3_PutObject front50/pipelines/b/pipeline-metadata.json /b/front50/pipelines/b/pipeline-metadata.json 200 - 0 0 0 0 - ua - sig SigV4 - AuthHeader host - arn Yes\n" +
		"pipegen-bench b [21/November/2026:22:50:17 +0000] 127.0.0.1 pipegen-bench ID5 s3_HeadObject front50/pipelines/b/pipeline-metadata.json /b/front50/pipelines/b/pipeline-metadata.json 200 - 0 0 0 0 - ua - sig SigV4 - AuthHeader host - arn Yes\n" +
		"pipegen-bench b [21/November/2026:22:50:17 +0000] 127.0.0.1 pipegen-bench ID6 s3_DeleteObject front50/pipelines/b/pipeline-metadata.json /b/front50/pipelines/b/pipeline-metadata.json 204 - 0 0 0 0 - ua - sig SigV4 - AuthHeader host - arn Yes\n"
	got := countRequests(log)
	want := Requests{List: 1, Get: 1, Put: 2, Delete: 1, Head: 1, Known: true}
	if got != want {
		t.Fatalf("countRequests = %+v, want %+v", got, want)
	}
	if s := got.String(); s != "1 LIST, 1 GET, 1 HEAD, 2 PUT, 1 DELETE" {
		t.Errorf("String() = %q", s)
	}
}
