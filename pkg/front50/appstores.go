package front50

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (s *s3Store) ListApplications(ctx context.Context) ([]AppInfo, error) {
	prefix := s.lay.groupFolder(appGroup) + "/"
	apps := appListing{}
	err := s.listPages(ctx, prefix, func(objs []types.Object) bool {
		for _, o := range objs {
			rest, _ := strings.CutPrefix(aws.ToString(o.Key), prefix)
			folder, file, ok := strings.Cut(rest, "/")
			if !ok || folder == "" || strings.Contains(file, "/") {
				continue
			}
			apps.add(folder, file, Info{ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified), Size: aws.ToInt64(o.Size)})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return apps.sorted(), nil
}

func (s *s3Store) GetApp(ctx context.Context, kind AppKind, name string) (*Object, error) {
	folder, err := appFolder(name)
	if err != nil {
		return nil, err
	}
	key := s.lay.groupKey(appGroup, folder, kind.file())
	obj, _, err := s.getKey(ctx, key)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	obj.ID = folder
	return obj, nil
}

func (s *s3Store) PutApp(ctx context.Context, kind AppKind, name string, body []byte, opt PutOptions) (string, error) {
	if err := ValidateAppObject(kind, name, body); err != nil {
		return "", err
	}
	etag, err := s.putChecked(ctx, s.lay.groupKey(appGroup, name, kind.file()), body, opt)
	if err == nil {
		observeAppWrite(kind, name, body)
	}
	return etag, err
}

func (s *s3Store) ReadAppsLastModified(ctx context.Context) (int64, string, time.Time, error) {
	return s.readLastModifiedAt(ctx, s.lay.groupFolder(appGroup)+"/"+lastModifiedFile)
}

func (s *s3Store) WriteAppsLastModified(ctx context.Context, ms int64, ifETag string) error {
	return s.writeLastModifiedAt(ctx, s.lay.groupFolder(appGroup)+"/"+lastModifiedFile, ms, ifETag)
}

func (s *fileStore) appDir() string { return filepath.Join(s.dir, appGroup) }

// ListApplications looks at the files without reading them (see AppStore).
func (s *fileStore) ListApplications(ctx context.Context) ([]AppInfo, error) {
	entries, err := os.ReadDir(s.appDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.appDir(), err)
	}
	apps := appListing{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		for _, file := range []string{appMetadataFile, appPermissionFile} {
			path := filepath.Join(s.appDir(), e.Name(), file)
			fi, err := os.Stat(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err == nil && !fi.Mode().IsRegular() {
				err = fmt.Errorf("%s is not a regular file", path)
			}
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", s.appDir(), err)
			}
			apps.add(e.Name(), file, Info{LastModified: fi.ModTime(), Size: fi.Size()})
		}
	}
	return apps.sorted(), nil
}

func (s *fileStore) appPath(kind AppKind, name string) (string, error) {
	folder, err := appFolder(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(s.appDir(), folder, kind.file()), nil
}

func (s *fileStore) GetApp(ctx context.Context, kind AppKind, name string) (*Object, error) {
	path, err := s.appPath(kind, name)
	if err != nil {
		return nil, err
	}
	obj, err := s.read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	obj.ID = strings.ToLower(name)
	return obj, nil
}

func (s *fileStore) PutApp(ctx context.Context, kind AppKind, name string, body []byte, opt PutOptions) (string, error) {
	if err := ValidateAppObject(kind, name, body); err != nil {
		return "", err
	}
	path, err := s.appPath(kind, name)
	if err != nil {
		return "", err
	}
	etag, err := s.putPath(ctx, path, body, opt)
	if err == nil {
		observeAppWrite(kind, name, body)
	}
	return etag, err
}

func (s *fileStore) ReadAppsLastModified(ctx context.Context) (int64, string, time.Time, error) {
	return readLastModifiedAt(filepath.Join(s.appDir(), lastModifiedFile))
}

func (s *fileStore) WriteAppsLastModified(ctx context.Context, ms int64, ifETag string) error {
	return s.writeLastModifiedAt(ctx, filepath.Join(s.appDir(), lastModifiedFile), ms, ifETag)
}
