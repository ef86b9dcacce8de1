package digest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

// Known answers for "abc":
//
//	printf abc | md5sum; printf abc | sha1sum; printf abc | sha224sum
//	printf abc | sha256sum; printf abc | sha384sum; printf abc | sha512sum
var abc = map[string]string{
	"md5":    "900150983cd24fb0d6963f7d28e17f72",
	"sha1":   "a9993e364706816aba3e25717850c26c9cd0d89d",
	"sha224": "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
	"sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	"sha384": "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
	"sha512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
}

func TestKnownAnswers(t *testing.T) {
	w, err := New(Algorithms()...)
	if err != nil {
		t.Fatal(err)
	}
	// Written in pieces: the fan-out must not depend on write boundaries.
	for _, p := range []string{"a", "", "bc"} {
		io.WriteString(w, p)
	}
	got := w.Sums()
	for alg, want := range abc {
		if got[alg] != want {
			t.Errorf("Sums()[%s] = %s, want %s", alg, got[alg], want)
		}
	}
	if w.Size() != 3 {
		t.Errorf("Size() = %d, want 3", w.Size())
	}
}

func TestSHA256Always(t *testing.T) {
	w, err := New("md5")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "abc")
	got := w.Sums()
	if len(got) != 2 || got["sha256"] != abc["sha256"] || got["md5"] != abc["md5"] {
		t.Errorf("New(md5) sums = %v, want md5 and sha256 of abc", got)
	}
	if algs := w.Algorithms(); algs[0] != "sha256" {
		t.Errorf("Algorithms() = %v, want sha256 first", algs)
	}
}

func TestDuplicatesAndReset(t *testing.T) {
	w, err := New("sha256", "sha512", "sha512")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(w.Algorithms()); n != 2 {
		t.Errorf("len(Algorithms()) = %d, want 2", n)
	}
	io.WriteString(w, "xyz")
	w.Reset()
	io.WriteString(w, "abc")
	if got := w.Sums()["sha512"]; got != abc["sha512"] {
		t.Errorf("after Reset sha512 = %s, want %s", got, abc["sha512"])
	}
}

func TestUnsupported(t *testing.T) {
	_, err := New("sha3-256")
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Algorithm != "sha3-256" {
		t.Errorf("New(sha3-256) error = %v, want *UnsupportedError naming sha3-256", err)
	}
	if Supported("crc32") || !Supported("sha1") {
		t.Error("Supported gives wrong answers")
	}
}

func TestLargeStreamMatchesStdlib(t *testing.T) {
	data := bytes.Repeat([]byte("evidence\x00\xff"), 100_003)
	w, _ := New()
	io.Copy(w, bytes.NewReader(data))
	want := sha256.Sum256(data)
	if got := w.Sums()["sha256"]; got != hexOf(want[:]) {
		t.Errorf("sha256 = %s, want %x", got, want)
	}
}

func hexOf(b []byte) string {
	const h = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, h[c>>4], h[c&15])
	}
	return string(out)
}

// Large writes take the parallel path; the sums must not change.
func TestParallelWritesMatchSequential(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	big, _ := New("md5", "sha1", "sha512")
	big.Write(data)
	small, _ := New("md5", "sha1", "sha512")
	for i := 0; i < len(data); i += 1000 {
		small.Write(data[i:min(i+1000, len(data))])
	}
	if g, w := big.Sums(), small.Sums(); len(g) != 4 || g["sha512"] != w["sha512"] || g["md5"] != w["md5"] || g["sha1"] != w["sha1"] || g["sha256"] != w["sha256"] {
		t.Errorf("parallel sums %v, sequential %v", g, w)
	}
}

// TestWriterLargeWrites: writes large enough to run the other hashes behind the caller give
// the sums of the same bytes hashed at once, and SHA256 is right between writes.
func TestWriterLargeWrites(t *testing.T) {
	w, err := New("sha512", "md5")
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for i := range 5 {
		p := bytes.Repeat([]byte{byte(i)}, parallelMin+i*1000)
		w.Write(p)
		all = append(all, p...)
		if got, want := w.SHA256(), hex.EncodeToString(sha256.New().Sum(nil)); i == 0 && got == want {
			t.Fatalf("SHA256 after a write = the empty sum")
		}
		s := sha256.Sum256(all)
		if got := w.SHA256(); got != hex.EncodeToString(s[:]) {
			t.Fatalf("SHA256 after %d writes = %s, want %x", i+1, got, s)
		}
	}
	s512 := sha512.Sum512(all)
	m5 := md5.Sum(all)
	sums := w.Sums()
	if sums["sha512"] != hex.EncodeToString(s512[:]) || sums["md5"] != hex.EncodeToString(m5[:]) || w.Size() != int64(len(all)) {
		t.Errorf("Sums = %v, size %d; want sha512 %x, md5 %x, size %d", sums, w.Size(), s512, m5, len(all))
	}
}

// TestWriterHugeWrite: a Write larger than the copies the other hashes get is hashed whole.
func TestWriterHugeWrite(t *testing.T) {
	p := make([]byte, 3*maxBehind+12345)
	for i := range p {
		p[i] = byte(i * 31)
	}
	w, _ := New("sha512")
	if n, err := w.Write(p); n != len(p) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(p))
	}
	s256, s512 := sha256.Sum256(p), sha512.Sum512(p)
	if sums := w.Sums(); sums["sha256"] != hex.EncodeToString(s256[:]) || sums["sha512"] != hex.EncodeToString(s512[:]) {
		t.Errorf("Sums = %v, want sha256 %x, sha512 %x", sums, s256, s512)
	}
	if cap(w.bufs[0]) > maxBehind || cap(w.bufs[1]) > maxBehind {
		t.Errorf("copies of %d and %d bytes, want at most %d", cap(w.bufs[0]), cap(w.bufs[1]), maxBehind)
	}
}
