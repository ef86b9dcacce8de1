package bagit

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// sampleTree makes a small source folder and a loose file, with awkward names.
func sampleTree(t *testing.T) (dir, file string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "seizure")
	must(t, os.MkdirAll(filepath.Join(dir, "photos"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "report.txt"), []byte("Seizure report 2026-114\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "photos", "100% crop.jpg"), bytes.Repeat([]byte{0xff, 0xd8, 1}, 5000), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "line\nbreak.txt"), []byte("odd name\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "empty.bin"), nil, 0o644))
	file = filepath.Join(root, "accounts.csv")
	must(t, os.WriteFile(file, []byte("iban,amount\nNL00TEST0123456789,1000.00\n"), 0o644))
	return dir, file
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func evxInfo() Info {
	return Info{
		{LabelCounterpart, "BE-FPP"},
		{LabelCounterpart, "DE-BKA"},
		{LabelRequestReference, "MLA-2026-0042"},
		{LabelRequestingState, "NL"},
		{LabelRequestedState, "BE"},
		{LabelLegalBasis, "1959 European Convention on Mutual Assistance in Criminal Matters"},
		{LabelHandlingCode, "H2"},
		{LabelExternalIdentifier, "OM-2026-114"},
	}
}

func TestCreateRoundTrip(t *testing.T) {
	dir, file := sampleTree(t)
	out := t.TempDir()
	for _, name := range []string{"case", "case.zip", "case.tar", "case.tar.gz"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(out, name)
			c, err := Create(p, []string{dir, file}, CreateOptions{Info: evxInfo(), BaggingDate: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			if c.Files != 5 || c.Kind != KindOf(name) {
				t.Errorf("Create = %+v, want 5 files of kind %s", c, KindOf(name))
			}
			b, err := Open(p, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			got := map[string]string{}
			rep, err := b.Validate(Options{Mode: ModeEVX, Consume: func(f File, r io.Reader) error {
				if len(f.Claimed["sha256"]) != 64 || len(f.Claimed["sha512"]) != 128 {
					t.Errorf("%s: claims %v, want sha256 and sha512", f.Path, f.Claimed)
				}
				data, err := io.ReadAll(r)
				got[f.Path] = string(data)
				return err
			}})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Valid() {
				t.Fatalf("Validate = %v, want valid", rep.Err())
			}
			if got["data/seizure/line\nbreak.txt"] != "odd name\n" || got["data/accounts.csv"] == "" || len(got["data/seizure/photos/100% crop.jpg"]) != 15000 {
				t.Errorf("consumer saw %d files with wrong content", len(got))
			}
			if _, ok := got["data/seizure/empty.bin"]; !ok {
				t.Error("empty file not handed to the consumer")
			}
			f := rep.Fields
			if f == nil || len(f.Counterparts) != 2 || f.HandlingCode != "H2" || f.ExternalIdentifier != "OM-2026-114" {
				t.Errorf("Fields = %+v, want the evx fields given", f)
			}
			if rep.Info.First("Bagging-Date") != "2026-11-27" {
				t.Errorf("Bagging-Date = %q", rep.Info.First("Bagging-Date"))
			}
			if want := int64(24 + 15000 + 9 + 0 + 39); rep.Octets != want || rep.Streams != 5 {
				t.Errorf("payload = %d.%d, want %d.5", rep.Octets, rep.Streams, want)
			}
		})
	}
}

func TestCreateDeterministic(t *testing.T) {
	dir, file := sampleTree(t)
	for _, name := range []string{"case.zip", "case.tar", "case.tar.gz"} {
		a := filepath.Join(t.TempDir(), name)
		b := filepath.Join(t.TempDir(), name)
		for _, p := range []string{a, b} {
			if _, err := Create(p, []string{dir, file}, CreateOptions{Info: evxInfo()}); err != nil {
				t.Fatal(err)
			}
		}
		da, _ := os.ReadFile(a)
		db, _ := os.ReadFile(b)
		if !bytes.Equal(da, db) {
			t.Errorf("%s: two runs gave different bytes", name)
		}
	}
}

func TestCreateTagFilesFirst(t *testing.T) {
	dir, _ := sampleTree(t)
	p := filepath.Join(t.TempDir(), "case.zip")
	if _, err := Create(p, []string{dir}, CreateOptions{Info: evxInfo()}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, strings.TrimPrefix(f.Name, "case/"))
	}
	want := []string{"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt", "tagmanifest-sha512.txt"}
	for i, w := range want {
		if names[i] != w {
			t.Fatalf("members = %v, want tag files first: %v", names, want)
		}
	}
	// The tag manifests list the other tag files but no tag manifest.
	rc, _ := zr.File[4].Open()
	tm, _ := io.ReadAll(rc)
	if strings.Contains(string(tm), "tagmanifest") || !strings.Contains(string(tm), "manifest-sha512.txt") {
		t.Errorf("tagmanifest-sha256.txt =\n%s", tm)
	}
	rc, _ = zr.File[2].Open()
	m, _ := io.ReadAll(rc)
	if !strings.Contains(string(m), "data/seizure/line%0Abreak.txt") || !strings.Contains(string(m), "data/seizure/photos/100%25 crop.jpg") {
		t.Errorf("manifest-sha256.txt does not percent-encode LF and %%:\n%s", m)
	}
}

func TestCreateRefuses(t *testing.T) {
	dir, file := sampleTree(t)
	out := filepath.Join(t.TempDir(), "x.zip")
	cases := []struct {
		name string
		srcs []string
		opts CreateOptions
	}{
		{"same-name-twice", []string{file, file}, CreateOptions{}},
		{"oxum-given", []string{dir}, CreateOptions{Info: Info{{"Payload-Oxum", "1.1"}}}},
		{"label-with-space", []string{dir}, CreateOptions{Info: Info{{"Bad Label", "x"}}}},
		{"multi-line-value", []string{dir}, CreateOptions{Info: Info{{"Note", "a\nb"}}}},
		{"missing-source", []string{filepath.Join(dir, "nope")}, CreateOptions{}},
	}
	for _, tc := range cases {
		if _, err := Create(out, tc.srcs, tc.opts); err == nil {
			t.Errorf("%s: Create succeeded, want an error", tc.name)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a failed Create left %s behind", tc.name, out)
		}
	}
	if _, err := Create(dir, []string{file}, CreateOptions{}); err == nil {
		t.Error("Create over an existing path succeeded")
	}
	link := filepath.Join(dir, "link")
	must(t, os.Symlink(file, link))
	if _, err := Create(out, []string{dir}, CreateOptions{}); err == nil {
		t.Error("Create with a symlink in a source folder succeeded")
	}
}

// TestCreateSealHook: the seal hook sees bagit.txt, bag-info.txt and the manifests; its tag
// file is written before the tag manifests, which list it, so the bag stays valid under RFC
// 8493 and evx's policy, and the file is readable from the opened bag (every container).
// Names BagIt reserves are refused.
func TestCreateSealHook(t *testing.T) {
	dir, file := sampleTree(t)
	out := t.TempDir()
	for _, name := range []string{"case", "case.zip", "case.tar", "case.tar.gz"} {
		t.Run(name, func(t *testing.T) {
			var seen []string
			p := filepath.Join(out, "sealed-"+name)
			_, err := Create(p, []string{dir, file}, CreateOptions{Info: evxInfo(), Seal: func(tags map[string][]byte) (string, []byte, error) {
				for n := range tags {
					seen = append(seen, n)
				}
				return "evx-seal.json", []byte(`{"sealed":true}`), nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(seen)
			if got := strings.Join(seen, " "); got != "bag-info.txt bagit.txt manifest-sha256.txt manifest-sha512.txt" {
				t.Errorf("the hook saw %s", got)
			}
			b, err := Open(p, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if data, ok := b.TagFile("evx-seal.json"); !ok || string(data) != `{"sealed":true}` {
				t.Errorf("TagFile(evx-seal.json) = %q, %v", data, ok)
			}
			tm, _ := b.TagFile("tagmanifest-sha256.txt")
			if !strings.Contains(string(tm), "  evx-seal.json\n") {
				t.Errorf("tagmanifest-sha256.txt does not list the seal:\n%s", tm)
			}
			for _, mode := range []Mode{ModeSpec, ModeEVX} {
				b, _ := Open(p, DefaultLimits())
				rep, err := b.Validate(Options{Mode: mode})
				b.Close()
				if err != nil || !rep.Valid() {
					t.Errorf("mode %v: %v %v", mode, rep.Err(), err)
				}
			}
		})
	}
	for _, bad := range []string{"data", "manifest-md5.txt", "tagmanifest-sha256.txt", "bag-info.txt", "x/y.json", ""} {
		_, err := Create(filepath.Join(out, "bad.zip"), []string{file}, CreateOptions{Info: evxInfo(), Seal: func(map[string][]byte) (string, []byte, error) {
			return bad, []byte("x"), nil
		}})
		if err == nil {
			t.Errorf("Create with a seal named %q = nil, want an error", bad)
		}
	}
}
