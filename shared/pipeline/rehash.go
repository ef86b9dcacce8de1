package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// rehash reads a stored blob and returns its SHA-256.
func (s *Service) rehash(ctx context.Context, sum string) (string, error) {
	rc, err := s.c.Blobs.Open(ctx, sum)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
