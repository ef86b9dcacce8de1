package bagit

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/bagit/bagittest"
)

var errOverBound = errors.New("consumer received more than Limits.MaxPayload")

// kindOf names an archive's form from its first bytes, as Open does.
func kindOf(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("PK")):
		return "zip"
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return "tar.gz"
	}
	return "tar"
}

// written validates data from a file (and, for a tar, streamed) and returns the most
// payload bytes a consumer received in either pass. The consumer stops the walk as soon
// as it has received more than bound.
func written(t *testing.T, data []byte, lim Limits, bound int64, streamed bool) int64 {
	t.Helper()
	var got int64
	consume := func(f File, r io.Reader) error {
		n, err := io.Copy(io.Discard, io.LimitReader(r, bound+1-got))
		got += n
		if got > bound {
			return errOverBound
		}
		return err
	}
	var b *Bag
	var err error
	if streamed {
		b, err = OpenTar(bytes.NewReader(data), lim)
	} else {
		p := filepath.Join(t.TempDir(), "upload")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err = Open(p, lim)
	}
	if err != nil {
		return got // refused at open: nothing handed on
	}
	defer b.Close()
	if _, err := b.Validate(Options{Mode: ModeEVX, Consume: consume}); errors.Is(err, errOverBound) {
		return got
	}
	return got
}

// TestMaxPayload answers, for every archive form, "what is the most bytes a hostile
// upload of N bytes can make evx write?": the bound Limits.MaxPayload states holds for
// every hostile archive (sparse members, bombs, long names) and for archives built to
// come close to it, read from a file and streamed. The figures are logged (-v).
func TestMaxPayload(t *testing.T) {
	lim := Limits{MaxRatio: 10, RatioFloor: 256 << 10} // small, so that the bombs stay small
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	noise := make([]byte, 128<<10)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	// Incompressible bytes, then zeros: deflated, close to 10:1 overall.
	near := append(append([]byte(nil), noise...), make([]byte, 9*len(noise)-48<<10)...)
	nearBag := bagittest.ValidBag([]bagittest.Member{{Name: "data/near.bin", Data: near}}, "")
	nearZip := bagittest.ZipOf("", nearBag, func(h *zip.FileHeader) { h.Method = zip.Deflate })
	zeros := bagittest.ValidBag([]bagittest.Member{{Name: "data/zeros.bin", Data: make([]byte, 16<<20)}}, "")
	// A bag listing the sparse member, so that its bytes reach the consumer.
	holes := bagittest.ValidBag([]bagittest.Member{{Name: "data/holes.bin"}}, "")[:4]

	type archive struct {
		name string
		data []byte
	}
	as := []archive{
		{"zip-near-ratio", nearZip},
		{"targz-near-ratio", bagittest.GzipOf(bagittest.TarOf(nearBag))},
		{"tar-incompressible", bagittest.TarOf(bagittest.ValidBag([]bagittest.Member{{Name: "data/noise.bin", Data: noise}}, ""))},
		{"zip-zeros-16MiB", bagittest.ZipOf("", zeros, func(h *zip.FileHeader) { h.Method = zip.Deflate })},
		{"targz-zeros-16MiB", bagittest.GzipOf(bagittest.TarOf(zeros))},
	}
	sparse := bagittest.SparseMembers("data/holes.bin")
	for _, f := range []string{"pax-1.0", "pax-0.1", "pax-0.0", "gnu-old"} {
		tr := bagittest.TarThen(holes, sparse[f])
		as = append(as, archive{"tar-sparse-listed-" + f, tr}, archive{"targz-sparse-listed-" + f, bagittest.GzipOf(tr)})
	}
	for _, c := range bagittest.Cases() {
		as = append(as, archive{c.Name, c.Data})
	}
	for _, a := range as {
		t.Run(a.name, func(t *testing.T) {
			kind := kindOf(a.data)
			n := int64(len(a.data))
			bound := lim.MaxPayload(kind, n)
			for _, streamed := range []bool{false, true} {
				if streamed && kind == "zip" {
					continue
				}
				got := written(t, a.data, lim, bound, streamed)
				if got > bound {
					t.Errorf("%s of %d bytes (streamed %v): consumer received %d bytes, more than MaxPayload %d", kind, n, streamed, got, bound)
				}
				t.Logf("%s, %d bytes in (streamed %v): %d bytes handed on, bound %d (x%.2f of the input)", kind, n, streamed, got, bound, float64(got)/float64(n))
			}
		})
	}
}

func TestMaxPayloadFormula(t *testing.T) {
	lim := Limits{MaxRatio: 10, RatioFloor: 1000, MaxTotalSize: 1 << 20}
	for _, tc := range []struct {
		kind string
		n    int64
		want int64
	}{
		{"tar", 5000, 5000},
		{"zip", 50, 1000},
		{"zip", 5000, 54999},
		{"tar.gz", 5000, 54999},
		{"tar.gz", 1 << 20, 1 << 20},
		{"zip", 1 << 62, 1 << 20},
		{"zip", 0, 0},
		{"rar", 5000, 0},
	} {
		if got := lim.MaxPayload(tc.kind, tc.n); got != tc.want {
			t.Errorf("MaxPayload(%s, %d) = %d, want %d", tc.kind, tc.n, got, tc.want)
		}
	}
}
