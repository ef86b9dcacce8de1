package bagit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"testing"
)

// A zip bag verified a part at a time (Select, Verified) and then validated whole with the
// digests recorded (Known) reads each payload byte once over the three walks, and the last
// walk's report is that of an ordinary validation.
func TestValidateInParts(t *testing.T) {
	var payload []member
	for i := range 6 {
		payload = append(payload, member{Name: fmt.Sprintf("data/f%d.bin", i), Data: bytes.Repeat([]byte{byte('a' + i)}, 100_000+i)})
	}
	data := zipOf("case/", validBag(payload, ""), nil)
	ra := &countingReaderAt{r: bytes.NewReader(data)}
	b, err := OpenZip(ra, int64(len(data)), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	ms, ok := b.Members()
	if !ok || len(ms) != 6 || ms[0].Path != "data/f0.bin" || ms[5].Size != 100_005 {
		t.Fatalf("Members() = %v, %v", ms, ok)
	}
	opened := ra.n.Load()
	known := map[string]map[string]string{}
	var consumed []string
	part := func(first, last int) {
		t.Helper()
		rep, err := b.Validate(Options{
			Select: func(p string) bool {
				i := slices.IndexFunc(ms, func(m Member) bool { return m.Path == p })
				return i >= first && i < last
			},
			Consume:  func(f File, r io.Reader) error { consumed = append(consumed, f.Path); return nil },
			Verified: func(f FileResult) { known[f.Path] = f.Digests },
		})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Valid() || !errors.Is(rep.Err(), ErrPartial) {
			t.Errorf("selective walk: report %v, want ErrPartial", rep.Err())
		}
		if len(rep.Files) != last-first {
			t.Errorf("selective walk [%d,%d) reported %d files", first, last, len(rep.Files))
		}
	}
	part(0, 3)
	part(3, 6)
	if len(known) != 6 || len(consumed) != 6 {
		t.Fatalf("verified %d, consumed %d, want 6 and 6", len(known), len(consumed))
	}
	before := ra.n.Load()
	rep, err := b.Validate(Options{
		Known:   func(p string, _ int64) (map[string]string, bool) { d, ok := known[p]; return d, ok },
		Consume: func(f File, r io.Reader) error { t.Errorf("consumer saw %s, already verified", f.Path); return nil },
	})
	if err != nil || !rep.Valid() {
		t.Fatalf("final walk: %v %v", err, rep.Err())
	}
	if got := ra.n.Load() - before; got != 0 {
		t.Errorf("final walk read %d bytes, want 0", got)
	}
	if got, max := ra.n.Load()-opened, int64(len(data)); got > max {
		t.Errorf("three walks read %d bytes of a %d-byte zip", got, len(data))
	}
	if rep.Octets != 600_015 || rep.Streams != 6 || !maps.Equal(rep.Files[2].Digests, known["data/f2.bin"]) {
		t.Errorf("final report: %d octets, %d files, %v", rep.Octets, rep.Streams, rep.Files[2].Digests)
	}
}

// A digest from Known is checked as a computed one: one that differs from the manifest is a
// ChecksumError, and Known without every algorithm is ignored (the file is read).
func TestValidateKnownChecked(t *testing.T) {
	payload := []member{{Name: "data/a.txt", Data: []byte("alpha\n")}, {Name: "data/b.txt", Data: []byte("bravo\n")}}
	data := zipOf("", validBag(payload, ""), nil)
	for _, tc := range []struct {
		name     string
		known    map[string]string
		want     []string
		consumed int
	}{
		{"wrong digest", map[string]string{"sha256": sum256([]byte("other"))}, []string{"ChecksumError data/a.txt manifest-sha256.txt"}, 1},
		{"right digest", map[string]string{"sha256": sum256([]byte("alpha\n"))}, nil, 1},
		{"no sha256", map[string]string{"sha512": "00"}, nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := OpenZip(bytes.NewReader(data), int64(len(data)), DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			consumed := 0
			var verified []string
			rep, err := b.Validate(Options{
				Known: func(p string, _ int64) (map[string]string, bool) {
					return tc.known, p == "data/a.txt"
				},
				Consume:  func(File, io.Reader) error { consumed++; return nil },
				Verified: func(f FileResult) { verified = append(verified, f.Path) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(rep.Errors); !slices.Equal(got, tc.want) {
				t.Errorf("errors %q, want %q", got, tc.want)
			}
			if consumed != tc.consumed || len(verified) != tc.consumed {
				t.Errorf("consumed %d, verified %v, want %d read", consumed, verified, tc.consumed)
			}
		})
	}
}

// Verified is not called for a file whose bytes differ from the manifest.
func TestVerifiedOnlyMatching(t *testing.T) {
	payload := []member{{Name: "data/a.txt", Data: []byte("alpha\n")}, {Name: "data/b.txt", Data: []byte("bravo\n")}}
	bag := validBag(payload, "")
	bag[len(bag)-1].Data = []byte("brav0\n")
	data := zipOf("", bag, nil)
	b, err := OpenZip(bytes.NewReader(data), int64(len(data)), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var verified []string
	rep, err := b.Validate(Options{Verified: func(f FileResult) { verified = append(verified, f.Path) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid() || !slices.Equal(verified, []string{"data/a.txt"}) {
		t.Errorf("valid %v, verified %v, want invalid and [data/a.txt]", rep.Valid(), verified)
	}
}
