package bagit

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/bagit/bagittest"
)

// Fuzz targets for every parser of outside input. Seeds live in testdata/fuzz/FuzzXxx/;
// `go test -run TestWriteFuzzSeeds -update-seeds` regenerates them from the conformance
// suite and the hostile cases.

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz seeds")

// fuzzLimits keep each fuzz input cheap.
var fuzzLimits = Limits{MaxMembers: 200, MaxMemberSize: 1 << 20, MaxTotalSize: 4 << 20, MaxTagFileSize: 64 << 10,
	MaxTagBytes: 256 << 10, MaxManifestLines: 500, MaxTagLineLen: 4096}

// checkReport verifies what a Validate that raised no error promises: each file handed
// to the consumer had the digests the manifests claimed.
func checkReport(t *testing.T, rep *Report, claims map[string]map[string]string) {
	if !rep.Valid() {
		return
	}
	for _, f := range rep.Files {
		for alg, want := range claims[f.Path] {
			if f.Digests[alg] != want {
				t.Fatalf("valid report, but %s %s = %s, claimed %s", f.Path, alg, f.Digests[alg], want)
			}
		}
	}
}

func validateAll(t *testing.T, b *Bag) {
	claims := map[string]map[string]string{}
	rep, err := b.Validate(Options{Consume: func(f File, r io.Reader) error {
		claims[f.Path] = f.Claimed
		_, err := io.Copy(io.Discard, r)
		return err
	}})
	if err != nil {
		return
	}
	checkReport(t, rep, claims)
}

func FuzzOpenZip(f *testing.F) {
	f.Add(zipOf("", validBag(onePayload(), ""), nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := OpenZip(bytes.NewReader(data), int64(len(data)), fuzzLimits)
		if err != nil {
			return
		}
		validateAll(t, b)
	})
}

func FuzzOpenTar(f *testing.F) {
	f.Add(tarOf(validBag(onePayload(), "")))
	f.Add(gzipOf(tarOf(validBag(onePayload(), ""))))
	f.Fuzz(func(t *testing.T, data []byte) {
		if b, err := OpenTar(bytes.NewReader(data), fuzzLimits); err == nil {
			validateAll(t, b)
		}
		// The two-pass reader used for tar files.
		open := func() (io.Reader, io.Closer, error) {
			r, gz, err := untar(bytes.NewReader(data), fuzzLimits.withDefaults())
			_ = gz
			return r, io.NopCloser(nil), err
		}
		if b, err := openTarFile(open, fuzzLimits.withDefaults(), "tar"); err == nil {
			validateAll(t, b)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add("d41d8cd98f00b204e9800998ecf8427e  data/empty\n")
	f.Add("d41d8cd98f00b204e9800998ecf8427e *data/100%25 a%0Ab\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		entries, _, err := ParseManifest("manifest-md5.txt", "md5", text, fuzzLimits.withDefaults())
		if err != nil {
			return
		}
		// Every path is safe, and writing the entries back and parsing them again gives
		// the same entries.
		var b strings.Builder
		for _, e := range entries {
			if why := checkPath(e.Path); why != "" {
				t.Fatalf("ParseManifest accepted unsafe path %q: %s", e.Path, why)
			}
			fmt.Fprintf(&b, "%s  %s\n", e.Checksum, encodePath(e.Path))
		}
		again, _, err := ParseManifest("manifest-md5.txt", "md5", b.String(), fuzzLimits.withDefaults())
		if err != nil || len(again) != len(entries) {
			t.Fatalf("round trip: %v, %d entries, want %d", err, len(again), len(entries))
		}
		for i := range again {
			if again[i].Path != entries[i].Path || again[i].Checksum != entries[i].Checksum {
				t.Fatalf("round trip: %q, want %q", again[i].Path, entries[i].Path)
			}
		}
	})
}

func FuzzParseInfo(f *testing.F) {
	f.Add("Source-Organization: X\nExternal-Description: a\n  b\nPayload-Oxum: 10.2\n")
	f.Add("EVX-Counterpart: BE-FPP\r\nEVX-Handling-Code : H9\r")
	f.Fuzz(func(t *testing.T, text string) {
		info, err := ParseInfo("bag-info.txt", text, fuzzLimits.withDefaults())
		if err != nil {
			return
		}
		ParseFields(info)
		var b strings.Builder
		for _, fl := range info {
			fmt.Fprintf(&b, "%s: %s\n", fl.Label, fl.Value)
		}
		again, err := ParseInfo("bag-info.txt", b.String(), fuzzLimits.withDefaults())
		if err != nil {
			t.Fatalf("round trip of %q: %v", b.String(), err)
		}
		if len(again) != len(info) {
			t.Fatalf("round trip: %d fields, want %d", len(again), len(info))
		}
		for i := range info {
			if again[i] != info[i] {
				t.Fatalf("round trip: %+v, want %+v", again[i], info[i])
			}
		}
	})
}

func FuzzParseDeclaration(f *testing.F) {
	f.Add([]byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := ParseDeclaration(raw)
		if err != nil {
			return
		}
		again, err := ParseDeclaration([]byte("BagIt-Version: " + d.Version + "\nTag-File-Character-Encoding: " + d.Encoding + "\n"))
		if err != nil || again != d {
			t.Fatalf("round trip: %+v %v, want %+v", again, err, d)
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpora: tag files of the conformance suite, and
// the conformance bags and hostile cases as archives.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds to rewrite testdata/fuzz")
	}
	write := func(target, name string, v any) {
		dir := filepath.Join("testdata", "fuzz", target)
		must(t, os.MkdirAll(dir, 0o755))
		var lit string
		switch x := v.(type) {
		case []byte:
			lit = "[]byte(" + strconv.Quote(string(x)) + ")"
		case string:
			lit = "string(" + strconv.Quote(x) + ")"
		}
		must(t, os.WriteFile(filepath.Join(dir, name), []byte("go test fuzz v1\n"+lit+"\n"), 0o644))
	}
	clean := func(s string) string { return strings.NewReplacer("/", "_", ".", "_").Replace(s) }
	tmp := t.TempDir()
	for _, tc := range conformanceCases(t) {
		dir := filepath.Join(suite, tc.dir)
		files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
		for _, p := range files {
			data, _ := os.ReadFile(p)
			base := filepath.Base(p)
			switch {
			case base == "bagit.txt":
				write("FuzzParseDeclaration", clean(tc.dir), data)
			case base == "bag-info.txt" || base == "package-info.txt":
				write("FuzzParseInfo", clean(tc.dir), string(data))
			case strings.HasPrefix(base, "manifest-md5"):
				write("FuzzParseManifest", clean(tc.dir), string(data))
			}
		}
		if strings.Contains(tc.dir, "UTF-16") || strings.Contains(tc.dir, "v0.93") {
			continue
		}
		for _, kind := range []string{"zip", "tar.gz"} { // plain tar seeds come from the hostile cases
			p := filepath.Join(tmp, clean(tc.dir)+"."+kind)
			must(t, packFolder(dir, p, kind))
			data, _ := os.ReadFile(p)
			if len(data) > 64<<10 {
				continue
			}
			target := "FuzzOpenTar"
			if kind == "zip" {
				target = "FuzzOpenZip"
			}
			write(target, clean(tc.dir)+"_"+clean(kind), data)
		}
	}
	for _, hc := range bagittest.Cases() {
		if len(hc.Data) > 64<<10 || len(hc.Data) < 4 {
			continue
		}
		target := "FuzzOpenTar"
		if bytes.HasPrefix(hc.Data, []byte("PK")) {
			target = "FuzzOpenZip"
		}
		write(target, hc.Name, hc.Data)
	}
}
