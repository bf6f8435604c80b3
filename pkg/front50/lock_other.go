//go:build !unix

package front50

import "context"

// lockFile is a no-op where flock does not exist: conditional writes of the
// file store are then only checked, not exclusive, between concurrent writers.
func lockFile(ctx context.Context, path string) (func(), error) {
	return func() {}, ctx.Err()
}

// lockDir is a no-op like lockFile: where flock does not exist, the sync lock's release is
// checked, not exclusive, against a concurrent force-unlock.
func lockDir(ctx context.Context, dir string) (func(), error) {
	return func() {}, ctx.Err()
}
