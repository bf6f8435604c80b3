package front50

import (
	"fmt"
	"strings"
)

// layout builds S3 keys exactly as Front50's S3StorageService does, so that a
// root such as "", "/" or "custom/root/" gives the same keys Front50 reads.
type layout struct {
	root string
}

// typedFolder is Front50's buildTypedFolder: root + "/" + group with "//"
// collapsed once, left to right (Java's replaceAll has the same semantics as
// strings.ReplaceAll here).
func (l layout) typedFolder() string {
	return strings.ReplaceAll(l.root+"/"+group, "//", "/")
}

// objectKey is Front50's buildS3Key for a pipeline.
func (l layout) objectKey(id string) string {
	return strings.ReplaceAll(l.typedFolder()+"/"+strings.ToLower(id)+"/"+metadataFile, "//", "/")
}

// lastModifiedKey is not collapsed by Front50, only the typed folder is.
func (l layout) lastModifiedKey() string {
	return l.typedFolder() + "/" + lastModifiedFile
}

// listPrefix ends with "/" so that a sibling group such as "pipelines-x" is
// not listed (Front50 lists without the slash but then filters by file name).
func (l layout) listPrefix() string {
	return l.typedFolder() + "/"
}

// folderOf returns the folder of a listed key <typedFolder>/<folder>/pipeline-metadata.json.
// The folder may be nested ("backup/<id>"): Front50 keeps every key of the group that ends
// in the metadata file name, at any depth, and serves each as a live pipeline.
func (l layout) folderOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, l.listPrefix())
	if !ok {
		return "", false
	}
	folder, ok := strings.CutSuffix(rest, "/"+metadataFile)
	if !ok || folder == "" {
		return "", false
	}
	return folder, true
}

// parseS3URL splits "s3://bucket[/root]". The root is everything after the
// first slash, verbatim; an empty one means the default.
func parseS3URL(u string) (bucket, root string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("store URL %q: not an s3:// URL", u)
	}
	bucket, root, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("store URL %q: no bucket (use s3://BUCKET[/ROOT])", u)
	}
	if strings.ContainsAny(bucket, " \t\r\n?#") {
		return "", "", fmt.Errorf("store URL %q: invalid bucket name %q", u, bucket)
	}
	if root == "" {
		root = defaultRoot
	}
	return bucket, root, nil
}
