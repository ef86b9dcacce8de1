package bagit

// Hostile input. Every archive is built in memory by package bagittest and named for
// what it breaks; each must yield the typed error named, never a panic, never more
// memory than the limits allow.

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/bagit/bagittest"
)

// The archive builders and the hostile cases live in package bagittest, so that
// mkhostile can write them out for other packages; these aliases keep the tests short.
type member = bagittest.Member

var (
	validBag    = bagittest.ValidBag
	onePayload  = bagittest.OnePayload
	prefixed    = bagittest.Prefixed
	zipOf       = bagittest.ZipOf
	tarOf       = bagittest.TarOf
	gzipOf      = bagittest.GzipOf
	manyPayload = bagittest.ManyPayload
)

// limitsOf applies a case's limit overrides to the defaults' zero value.
func limitsOf(t *testing.T, over map[string]int64) Limits {
	var lim Limits
	v := reflect.ValueOf(&lim).Elem()
	for k, x := range over {
		f := v.FieldByName(k)
		if !f.IsValid() {
			t.Fatalf("hostile case sets unknown limit %s", k)
		}
		f.SetInt(x)
	}
	return lim
}

// asType reports whether err is (or wraps) the bagit error type named.
func asType(err error, name string) bool {
	var (
		le *LimitError
		ue *UnsafePathError
		ae *ArchiveError
		oe *OrderError
		fe *FormatError
	)
	switch name {
	case "LimitError":
		return errors.As(err, &le)
	case "UnsafePathError":
		return errors.As(err, &ue)
	case "ArchiveError":
		return errors.As(err, &ae)
	case "OrderError":
		return errors.As(err, &oe)
	case "FormatError":
		return errors.As(err, &fe)
	}
	return false
}

// openHostile opens data as a file (content detection), as Open does for an upload.
func openHostile(t *testing.T, name string, data []byte, lim Limits) (*Report, error) {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Open(p, lim)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	rep, err := b.Validate(Options{Mode: ModeEVX})
	if err != nil {
		return nil, err
	}
	return rep, rep.Err()
}

func TestHostile(t *testing.T) {
	for _, tc := range bagittest.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			lim := limitsOf(t, tc.Limits)
			var err error
			if tc.Streamed {
				var b *Bag
				b, err = OpenTar(bytes.NewReader(tc.Data), lim)
				if err == nil {
					var rep *Report
					rep, err = b.Validate(Options{})
					if err == nil {
						err = rep.Err()
					}
				}
			} else {
				_, err = openHostile(t, tc.Name, tc.Data, lim)
			}
			if err == nil {
				t.Fatalf("accepted, want *%s", tc.Want)
			}
			if !asType(err, tc.Want) {
				t.Fatalf("error %v (%T), want *%s", err, err, tc.Want)
			}
			if tc.Limit != "" {
				var le *LimitError
				errors.As(err, &le)
				if le.Limit != tc.Limit {
					t.Errorf("limit %s, want %s (%v)", le.Limit, tc.Limit, err)
				}
			}
			if tc.Path != "" && !strings.Contains(err.Error(), tc.Path) {
				t.Errorf("error %q does not name %q", err, tc.Path)
			}
		})
	}
}

// A payload-first tar read from a file gets a first pass over headers and tag files,
// so the same bytes that fail streamed are valid from a file.
func TestTarPayloadFirstFromFile(t *testing.T) {
	valid := validBag(onePayload(), "")
	data := tarOf(append(append([]member(nil), valid[4:]...), valid[:4]...))
	rep, err := openHostile(t, "payload-first.tar", data, Limits{})
	if err != nil || !rep.Valid() {
		t.Fatalf("payload-first tar from a file: %v", err)
	}
	rep, err = openHostile(t, "payload-first.tar.gz", gzipOf(data), Limits{})
	if err != nil || !rep.Valid() {
		t.Fatalf("payload-first tar.gz from a file: %v", err)
	}
	// Streamed, small members before bagit.txt are held in memory: still valid.
	b, err := OpenTar(bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := b.Validate(Options{}); err != nil || !rep.Valid() {
		t.Fatalf("small payload-first tar streamed: %v %v", err, rep.Err())
	}
}

// In a streamed tar, a tag manifest after the payload is refused, not skipped.
func TestOpenTarLateTagManifest(t *testing.T) {
	valid := validBag(onePayload(), "")
	// bagit.txt, bag-info.txt, manifest, payload, tagmanifest.
	data := tarOf(append(append(append([]member(nil), valid[:3]...), valid[4:]...), valid[3]))
	b, err := OpenTar(bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Validate(Options{})
	var oe *OrderError
	if err != nil || !errors.As(rep.Err(), &oe) || oe.Path != "tagmanifest-sha256.txt" {
		t.Fatalf("Validate = %v, %v; want an *OrderError naming tagmanifest-sha256.txt", err, rep.Err())
	}
	// From a file, the first pass finds it: valid.
	if rep, err := openHostile(t, "late.tar", data, Limits{}); err != nil || !rep.Valid() {
		t.Fatalf("late tag manifest from a file: %v", err)
	}
}

func TestOpenTarStreamsCreatedBags(t *testing.T) {
	dir, file := sampleTree(t)
	for _, name := range []string{"case.tar", "case.tar.gz"} {
		p := filepath.Join(t.TempDir(), name)
		if _, err := Create(p, []string{dir, file}, CreateOptions{Info: evxInfo()}); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		// Hide Seek: a network stream.
		b, err := OpenTar(struct{ io.Reader }{f}, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		rep, err := b.Validate(Options{Consume: func(File, io.Reader) error { n++; return nil }})
		f.Close()
		if err != nil || !rep.Valid() || n != 5 {
			t.Fatalf("%s streamed: %v %v, consumer saw %d files, want 5", name, err, rep.Err(), n)
		}
		if _, err := b.Validate(Options{}); !errors.Is(err, ErrAlreadyRead) {
			t.Errorf("second Validate of a stream = %v, want ErrAlreadyRead", err)
		}
	}
}

// A nested archive is payload: hashed and handed over as bytes, never opened, even
// when it is a bomb.
func TestNestedArchiveIsPayload(t *testing.T) {
	zeros := make([]byte, 8<<20)
	bomb := zipOf("", []member{{Name: "zeros.bin", Data: zeros}}, func(h *zip.FileHeader) { h.Method = zip.Deflate })
	for _, kind := range []string{"zip", "tar"} {
		ms := validBag([]member{{Name: "data/inner.zip", Data: bomb}}, "")
		data := zipOf("", ms, nil)
		if kind == "tar" {
			data = tarOf(ms)
		}
		p := filepath.Join(t.TempDir(), "nested."+kind)
		must(t, os.WriteFile(p, data, 0o644))
		b, err := Open(p, DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		rep, err := b.Validate(Options{Consume: func(f File, r io.Reader) error {
			got, err = io.ReadAll(r)
			return err
		}})
		b.Close()
		if err != nil || !rep.Valid() {
			t.Fatalf("%s: nested archive refused: %v %v", kind, err, rep.Err())
		}
		if !bytes.Equal(got, bomb) {
			t.Errorf("%s: consumer got %d bytes, want the inner archive's %d", kind, len(got), len(bomb))
		}
	}
}

func TestFolderTooDeep(t *testing.T) {
	dir := t.TempDir()
	for _, m := range validBag(onePayload(), "") {
		p := filepath.Join(dir, m.Name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, m.Data, 0o644))
	}
	must(t, os.MkdirAll(filepath.Join(dir, "data", "a", "b", "c", "d"), 0o755))
	_, err := Open(dir, Limits{MaxPathDepth: 4})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxPathDepth" {
		t.Fatalf("Open(deep folder) = %v, want a MaxPathDepth *LimitError", err)
	}
}

func TestOpenDeviceRefused(t *testing.T) {
	_, err := Open("/dev/null", DefaultLimits())
	var ae *ArchiveError
	if !errors.As(err, &ae) {
		t.Fatalf("Open(/dev/null) = %v, want *ArchiveError", err)
	}
}

func TestFolderSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	for _, m := range validBag(onePayload(), "") {
		p := filepath.Join(dir, m.Name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, m.Data, 0o644))
	}
	must(t, os.Symlink("/etc/passwd", filepath.Join(dir, "data", "passwd")))
	_, err := Open(dir, DefaultLimits())
	var ae *ArchiveError
	if !errors.As(err, &ae) || ae.Path != "data/passwd" {
		t.Fatalf("Open(folder with symlink) = %v, want *ArchiveError naming data/passwd", err)
	}
}
