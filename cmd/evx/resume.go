package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/pipeline"
)

// DefaultPartSize is the part size of a resumable upload; a bag larger than one part is
// sent by the resumable protocol (docs/uploads.md).
const DefaultPartSize = 16 << 20

// MaxWholeUpload is the largest bag evx upload --server posts in one request: the api function
// on AWS takes at most about 4.4 MiB in a request body (Lambda's payload limit), so a larger
// bag goes by the resumable protocol on every backend, in one part if it is smaller than one.
const MaxWholeUpload = 4 << 20

// resumeState is what a run keeps, in the user's cache folder, of a resumable upload in
// progress, so that the next run for the same bag and server continues it.
type resumeState struct {
	Server   string `json:"server"`
	SHA256   string `json:"sha256"`
	UploadID string `json:"upload_id"`
}

// resumeStatePath names the state file of the bag sha sent to server:
// $XDG_CACHE_HOME/evx/uploads/SHA256(server "\n" sha).json.
func resumeStatePath(server, sha string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	k := sha256.Sum256([]byte(server + "\n" + sha))
	return filepath.Join(dir, "evx", "uploads", hex.EncodeToString(k[:])+".json"), nil
}

func loadResumeState(path, server, sha string) string {
	raw, err := os.ReadFile(path)
	if err != nil || len(raw) > 4<<10 {
		return ""
	}
	var s resumeState
	if json.Unmarshal(raw, &s) != nil || s.Server != server || s.SHA256 != sha {
		return ""
	}
	return s.UploadID
}

func saveResumeState(path string, s resumeState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	raw, _ := json.Marshal(s)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// hashFile returns the SHA-256 of f's bytes, counting them on p.
func hashFile(f *os.File, p *meter) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(h, p), io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// uploadResumable sends f by the resumable protocol, continuing the upload an earlier run for
// the same bag and server left (its state file), and forgets the state once the server has
// answered for the bag.
func uploadResumable(ctx context.Context, c *client.Client, f *os.File, size, partSize int64, quiet bool, stderr io.Writer) (*pipeline.Status, error) {
	hp := newMeter(stderr, quiet, "hashing", size)
	sha, err := hashFile(f, hp)
	hp.finish()
	if err != nil {
		return nil, fmt.Errorf("read the bag: %w", err)
	}
	statePath, err := resumeStatePath(c.URL(), sha)
	if err != nil {
		return nil, fmt.Errorf("no cache folder to keep the upload's state in: %w", err)
	}
	prev := loadResumeState(statePath, c.URL(), sha)
	p := newMeter(stderr, quiet, "uploading", size)
	st, err := c.UploadResumable(ctx, f, size, sha, client.ResumeOptions{
		PartSize: partSize,
		UploadID: prev,
		Started: func(id string) error {
			return saveResumeState(statePath, resumeState{Server: c.URL(), SHA256: sha, UploadID: id})
		},
		Sent: func(n int, k int64) { p.add(k) },
	})
	p.finish()
	if err == nil {
		if rerr := os.Remove(statePath); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			fmt.Fprintln(stderr, "evx upload: note:", rerr)
		}
	}
	return st, err
}
