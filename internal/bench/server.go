package bench

import (
	"context"
	"path/filepath"

	"github.com/pipegen/pipegen/internal/s3server"
)

// server is versitygw started for the benchmark: the tests' server (internal/s3server) with
// keep-alive on, as S3 and every production S3 server have it (without it every request pays a
// TCP handshake on both sides), and an access log, which is what the request counts come from.
type server struct {
	*s3server.Server
	accessLog string
}

func startServer(ctx context.Context, dir string) (*server, error) {
	log := filepath.Join(dir, "access.log")
	srv, err := s3server.StartWith(ctx, dir, s3server.Options{KeepAlive: true, AccessLog: log})
	if err != nil {
		return nil, err
	}
	return &server{Server: srv, accessLog: log}, nil
}

func (s *server) close() { _ = s.Server.Close() }
