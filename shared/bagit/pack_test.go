package bagit

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// packFolder writes the bag in dir into an archive of the given kind, inside one
// top-level folder named after dir, in lexical order.
func packFolder(dir, out, kind string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	top := filepath.Base(dir)
	type add func(name string, data []byte) error
	var put add
	var finish func() error
	switch kind {
	case "zip":
		zw := zip.NewWriter(f)
		put = func(name string, data []byte) error {
			w, err := zw.Create(name)
			if err != nil {
				return err
			}
			_, err = w.Write(data)
			return err
		}
		finish = zw.Close
	case "tar", "tar.gz":
		var w io.Writer = f
		var gz *gzip.Writer
		if kind == "tar.gz" {
			gz = gzip.NewWriter(f)
			w = gz
		}
		tw := tar.NewWriter(w)
		put = func(name string, data []byte) error {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
				return err
			}
			_, err := tw.Write(data)
			return err
		}
		finish = func() error {
			if err := tw.Close(); err != nil {
				return err
			}
			if gz != nil {
				return gz.Close()
			}
			return nil
		}
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return put(top+"/"+strings.ReplaceAll(rel, string(filepath.Separator), "/"), data)
	})
	if err != nil {
		return err
	}
	return finish()
}
