package bagit

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/digest"
)

// CreateOptions configure [Create].
type CreateOptions struct {
	// Info holds bag-info.txt fields in the order given, evx fields included
	// (EVX-Counterpart, ...). Payload-Oxum is computed; Bagging-Date comes from
	// BaggingDate; neither may appear here.
	Info Info
	// BaggingDate is written as Bagging-Date (YYYY-MM-DD). Zero omits it, so that the
	// output depends on the input alone.
	BaggingDate time.Time
	// Progress, if set, is called after each payload file is hashed (stage "hashing",
	// the first pass) and after it is written (stage "writing"), with the bytes done in
	// that stage so far.
	Progress func(stage, path string, octets int64)
	// Reading, if set, is called as payload bytes are read, in both stages, with the bytes of
	// that read: progress within a file. It must not block for long.
	Reading func(stage, path string, n int)
	// Seal, if set, is called with the tag files made so far (bagit.txt, bag-info.txt and
	// the payload manifests, by name) and returns a further tag file (custody.SealBag's
	// evx-seal.json): it is written after them and before the tag manifests, which list it,
	// so the bag stays a plain BagIt bag to any tool.
	Seal func(tags map[string][]byte) (name string, data []byte, err error)
}

// readCounter reports the bytes written to it to a CreateOptions.Reading.
type readCounter struct {
	f           func(stage, path string, n int)
	stage, path string
}

func (c readCounter) Write(p []byte) (int, error) {
	if c.f != nil {
		c.f(c.stage, c.path, len(p))
	}
	return len(p), nil
}

// Created summarizes a bag Create wrote.
type Created struct {
	Path   string
	Kind   string // "folder", "zip", "tar", "tar.gz"
	Files  int
	Octets int64
}

// createAlgorithms are the manifests Create writes.
var createAlgorithms = []string{"sha256", "sha512"}

// fixedTime is the modification time of every archive member, so that the same input
// gives the same bytes (1980-01-01, the earliest time a zip can hold).
var fixedTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

type payloadFile struct {
	bagPath string // data/...
	fsPath  string
	size    int64
	sums    map[string]string
}

// KindOf names the container Create writes for an output path: by its extension
// ".zip", ".tar", ".tar.gz" or ".tgz", else a folder.
func KindOf(out string) string {
	l := strings.ToLower(out)
	switch {
	case strings.HasSuffix(l, ".zip"):
		return "zip"
	case strings.HasSuffix(l, ".tar.gz"), strings.HasSuffix(l, ".tgz"):
		return "tar.gz"
	case strings.HasSuffix(l, ".tar"):
		return "tar"
	}
	return "folder"
}

// Create writes a bag of the given files and folders to out: a folder, or a .zip, .tar
// or .tar.gz archive whose members sit in one top-level folder named after out. A file
// SRC becomes data/BASENAME, a folder SRC becomes data/BASENAME/... . The bag has
// SHA-256 and SHA-512 manifests and tag manifests and a bag-info.txt with Payload-Oxum;
// archives store the tag files first and payload uncompressed in path order, with fixed
// times and modes: the same input gives the same bytes. Sources are read twice (to
// compute the manifests, then to copy), and a file that changes in between is an
// error. out must not exist; it appears only when complete.
func Create(out string, srcs []string, opts CreateOptions) (*Created, error) {
	if _, err := os.Lstat(out); err == nil {
		return nil, fmt.Errorf("create %s: it already exists; choose a new name", out)
	}
	files, err := collect(srcs)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("create %s: no files to put in the bag", out)
	}
	var hashed int64
	for _, f := range files {
		if err := hashFile(f, readCounter{opts.Reading, "hashing", f.bagPath}); err != nil {
			return nil, err
		}
		hashed += f.size
		if opts.Progress != nil {
			opts.Progress("hashing", f.bagPath, hashed)
		}
	}
	tags, err := tagFiles(files, opts)
	if err != nil {
		return nil, err
	}
	kind := KindOf(out)
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".partial")
	os.RemoveAll(tmp)
	if kind == "folder" {
		err = writeFolder(tmp, tags, files, opts)
	} else {
		err = writeArchive(tmp, kind, topName(out), tags, files, opts)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, out); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	c := &Created{Path: out, Kind: kind, Files: len(files)}
	for _, f := range files {
		c.Octets += f.size
	}
	return c, nil
}

func topName(out string) string {
	b := filepath.Base(out)
	for _, ext := range []string{".tar.gz", ".tgz", ".zip", ".tar"} {
		if strings.HasSuffix(strings.ToLower(b), ext) {
			return b[:len(b)-len(ext)]
		}
	}
	return b
}

// collect lists the payload files of the sources, sorted by bag path.
func collect(srcs []string) ([]*payloadFile, error) {
	var files []*payloadFile
	seen := map[string]string{}
	add := func(bagPath, fsPath string, size int64) error {
		if why := checkPath(bagPath); why != "" {
			return fmt.Errorf("create: %s cannot go in a bag: %s", fsPath, why)
		}
		if prev, ok := seen[bagPath]; ok {
			return fmt.Errorf("create: %s and %s would both become %s; rename one", prev, fsPath, bagPath)
		}
		seen[bagPath] = fsPath
		files = append(files, &payloadFile{bagPath: bagPath, fsPath: fsPath, size: size})
		return nil
	}
	for _, src := range srcs {
		st, err := os.Lstat(src)
		if err != nil {
			return nil, err
		}
		base := filepath.Base(filepath.Clean(src))
		switch {
		case st.Mode().IsRegular():
			if err := add("data/"+base, src, st.Size()); err != nil {
				return nil, err
			}
		case st.IsDir():
			err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					return nil
				}
				if !d.Type().IsRegular() {
					return fmt.Errorf("create: %s is a link or special file; a bag holds regular files only", p)
				}
				info, err := d.Info()
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(src, p)
				return add("data/"+base+"/"+filepath.ToSlash(rel), p, info.Size())
			})
			if err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("create: %s is a link or special file; a bag holds regular files only", src)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].bagPath < files[j].bagPath })
	return files, nil
}

func hashFile(f *payloadFile, reading io.Writer) error {
	r, err := os.Open(f.fsPath)
	if err != nil {
		return err
	}
	defer r.Close()
	dw, _ := digest.New(createAlgorithms...)
	if _, err := io.Copy(io.MultiWriter(dw, reading), r); err != nil {
		return fmt.Errorf("create: read %s: %w", f.fsPath, err)
	}
	f.size, f.sums = dw.Size(), dw.Sums()
	return nil
}

type tagFile struct {
	name string
	data []byte
}

// tagFiles renders bagit.txt, bag-info.txt, the manifests and the tag manifests, in the
// order they are written. Tag manifests list every other tag file, not each other.
func tagFiles(files []*payloadFile, opts CreateOptions) ([]tagFile, error) {
	var octets int64
	for _, f := range files {
		octets += f.size
	}
	var info bytes.Buffer
	if !opts.BaggingDate.IsZero() {
		fmt.Fprintf(&info, "Bagging-Date: %s\n", opts.BaggingDate.UTC().Format("2006-01-02"))
	}
	for _, fl := range opts.Info {
		l := fl.Label
		if l == "" || strings.ContainsAny(l, ": \t\r\n") {
			return nil, fmt.Errorf("create: bag-info label %q must be a word without spaces or colons", l)
		}
		if strings.EqualFold(l, "Payload-Oxum") || strings.EqualFold(l, "Bagging-Date") {
			return nil, fmt.Errorf("create: %s is computed by evx; do not give it", l)
		}
		if strings.ContainsAny(fl.Value, "\r\n") {
			return nil, fmt.Errorf("create: the value of %s must be one line", l)
		}
		fmt.Fprintf(&info, "%s: %s\n", l, fl.Value)
	}
	fmt.Fprintf(&info, "Payload-Oxum: %d.%d\n", octets, len(files))
	tags := []tagFile{
		{"bagit.txt", []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")},
		{"bag-info.txt", info.Bytes()},
	}
	for _, alg := range createAlgorithms {
		var m bytes.Buffer
		for _, f := range files {
			fmt.Fprintf(&m, "%s  %s\n", f.sums[alg], encodePath(f.bagPath))
		}
		tags = append(tags, tagFile{"manifest-" + alg + ".txt", m.Bytes()})
	}
	if opts.Seal != nil {
		made := map[string][]byte{}
		for _, t := range tags {
			made[t.name] = t.data
		}
		name, data, err := opts.Seal(made)
		if err != nil {
			return nil, fmt.Errorf("create: %w", err)
		}
		if _, dup := made[name]; dup || checkTagName(name) != "" {
			return nil, fmt.Errorf("create: seal tag file %q: want a new file name in the bag's top folder", name)
		}
		tags = append(tags, tagFile{name, data})
	}
	listed := append([]tagFile(nil), tags...)
	for _, alg := range createAlgorithms {
		var m bytes.Buffer
		for _, t := range listed {
			dw, _ := digest.New(alg)
			dw.Write(t.data)
			fmt.Fprintf(&m, "%s  %s\n", dw.Sums()[alg], t.name)
		}
		tags = append(tags, tagFile{"tagmanifest-" + alg + ".txt", m.Bytes()})
	}
	return tags, nil
}

// copyChecked copies a source file to w and fails if it no longer matches what the
// manifests say.
func copyChecked(w io.Writer, f *payloadFile, reading func(stage, path string, n int)) error {
	r, err := os.Open(f.fsPath)
	if err != nil {
		return err
	}
	defer r.Close()
	dw, _ := digest.New()
	n, err := io.Copy(io.MultiWriter(w, dw, readCounter{reading, "writing", f.bagPath}), io.LimitReader(r, f.size+1))
	if err != nil {
		return err
	}
	if n != f.size || dw.Sums()["sha256"] != f.sums["sha256"] {
		return fmt.Errorf("create: %s changed while the bag was written; try again when it is stable", f.fsPath)
	}
	return nil
}

func writeFolder(dir string, tags []tagFile, files []*payloadFile, opts CreateOptions) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var octets int64
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.bagPath))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		w, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		err = copyChecked(w, f, opts.Reading)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		octets += f.size
		if opts.Progress != nil {
			opts.Progress("writing", f.bagPath, octets)
		}
	}
	for _, t := range tags {
		if err := os.WriteFile(filepath.Join(dir, t.name), t.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeArchive(path, kind, top string, tags []tagFile, files []*payloadFile, opts CreateOptions) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	var w io.Writer = out
	var gz *gzip.Writer
	if kind == "tar.gz" {
		gz = gzip.NewWriter(out)
		w = gz
	}
	var put func(name string, size int64, write func(io.Writer) error) error
	var finish func() error
	switch kind {
	case "zip":
		zw := zip.NewWriter(w)
		put = func(name string, size int64, write func(io.Writer) error) error {
			h := &zip.FileHeader{Name: top + "/" + name, Method: zip.Store, Modified: fixedTime}
			h.SetMode(0o644)
			mw, err := zw.CreateHeader(h)
			if err != nil {
				return err
			}
			return write(mw)
		}
		finish = zw.Close
	default:
		tw := tar.NewWriter(w)
		put = func(name string, size int64, write func(io.Writer) error) error {
			h := &tar.Header{Name: top + "/" + name, Mode: 0o644, Size: size, ModTime: fixedTime, Typeflag: tar.TypeReg}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			return write(tw)
		}
		finish = tw.Close
	}
	for _, t := range tags {
		data := t.data
		if err := put(t.name, int64(len(data)), func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			return err
		}
	}
	var octets int64
	for _, f := range files {
		if err := put(f.bagPath, f.size, func(w io.Writer) error { return copyChecked(w, f, opts.Reading) }); err != nil {
			return err
		}
		octets += f.size
		if opts.Progress != nil {
			opts.Progress("writing", f.bagPath, octets)
		}
	}
	if err := finish(); err != nil {
		return err
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return err
		}
	}
	return out.Close()
}

// checkTagName says why name cannot be an extra tag file in the bag's top folder, "" when it
// can.
func checkTagName(name string) string {
	switch {
	case name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == "..":
		return "not a file name in the top folder"
	case name == "data" || manifestName.MatchString(name) || tagManifestName.MatchString(name) || name == "fetch.txt":
		return "a name BagIt reserves"
	}
	return ""
}
