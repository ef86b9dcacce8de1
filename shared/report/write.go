package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/custody"
)

// File names Write uses inside its folder.
const (
	FilePDF    = "report.pdf"
	FileTrail  = "trail.json"
	FileJSONLD = "trail.jsonld"
)

// Files are the paths Write wrote.
type Files struct {
	PDF    string `json:"pdf"`
	Trail  string `json:"trail"`
	JSONLD string `json:"jsonld"`
}

// Write writes report.pdf, trail.json and trail.jsonld into dir (created if missing) and
// returns their paths. raw is the trail file exactly as exported: it is copied byte for byte,
// since it, not the PDF, is the evidence of record; when raw is nil, t is written as
// indented JSON. Each file is written to a temporary name and renamed, so a reader never
// sees half a report.
func Write(dir string, raw []byte, t *custody.Trail, v Verdict, opt Options) (Files, error) {
	if err := CourtUse(t); err != nil {
		return Files{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Files{}, fmt.Errorf("report folder: %w", err)
	}
	if opt.TrailName == "" {
		opt.TrailName = FileTrail
	}
	if raw == nil {
		if t == nil {
			return Files{}, errors.New("report: no trail to write")
		}
		var err error
		if raw, err = json.MarshalIndent(t, "", "  "); err != nil {
			return Files{}, fmt.Errorf("encode trail: %w", err)
		}
		raw = append(raw, '\n')
	}
	sum := sha256.Sum256(raw)
	opt.TrailSHA256 = hex.EncodeToString(sum[:])
	var pdf bytes.Buffer
	if err := PDF(&pdf, t, v, opt); err != nil {
		return Files{}, err
	}
	ld, err := JSONLD(t, v, opt)
	if err != nil {
		return Files{}, fmt.Errorf("encode JSON-LD: %w", err)
	}
	ld = append(ld, '\n')
	fs := Files{
		PDF:    filepath.Join(dir, FilePDF),
		Trail:  filepath.Join(dir, FileTrail),
		JSONLD: filepath.Join(dir, FileJSONLD),
	}
	for _, w := range []struct {
		path string
		data []byte
	}{{fs.Trail, raw}, {fs.JSONLD, ld}, {fs.PDF, pdf.Bytes()}} {
		if err := writeAtomic(w.path, w.data); err != nil {
			return Files{}, err
		}
	}
	return fs, nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
