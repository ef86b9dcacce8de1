// Package benchbag writes large synthetic evx bags for benchmarks: a zip whose payload is
// pseudo-random (stored members) or text-like (deflated members), with a SHA-256 manifest
// and the evx fields, written in one pass with the payload generated twice (once to hash,
// once to store) so nothing large is held in memory.
package benchbag

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
)

// Write creates a zip bag at path with files payload files of octets/files bytes each.
// Deflate selects deflated members with compressible content; otherwise members are
// stored and their content is incompressible. The bag names counterpart BE-FPP.
func Write(path string, octets int64, files int, deflate bool) error {
	return WriteInfo(path, octets, files, deflate, "EVX-Counterpart: BE-FPP\n")
}

// WriteInfo is Write with info (lines "Label: Value\n") as the evx fields of bag-info.txt.
func WriteInfo(path string, octets int64, files int, deflate bool, info string) error {
	per := octets / int64(files)
	sums := make([]string, files)
	for i := range files {
		h := sha256.New()
		if _, err := io.Copy(h, content(i, per, deflate)); err != nil {
			return err
		}
		sums[i] = hex.EncodeToString(h.Sum(nil))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	var man bytes.Buffer
	for i := range files {
		fmt.Fprintf(&man, "%s  data/file%05d.bin\n", sums[i], i)
	}
	tags := []struct {
		name string
		data []byte
	}{
		{"bagit.txt", []byte("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")},
		{"bag-info.txt", fmt.Appendf(nil, "%sPayload-Oxum: %d.%d\n", info, per*int64(files), files)},
		{"manifest-sha256.txt", man.Bytes()},
	}
	for _, t := range tags {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "bench/" + t.name, Method: zip.Store})
		if err != nil {
			return err
		}
		w.Write(t.data)
	}
	method := zip.Store
	if deflate {
		method = zip.Deflate
	}
	for i := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("bench/data/file%05d.bin", i), Method: method})
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, content(i, per, deflate)); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// Text returns an endless text-like stream (about 3:1 under deflate), the same for the
// same seed.
func Text(seed int) io.Reader {
	return &words{rng: rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 't'}))}
}

// content returns file i's bytes, the same on every call.
func content(i int, n int64, text bool) io.Reader {
	rng := rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), 'e', 'v', 'x'})
	if !text {
		return io.LimitReader(rng, n)
	}
	return io.LimitReader(&words{rng: rand.New(rng)}, n)
}

// words produces text that deflates about 3:1, like reports and CSV files.
type words struct {
	rng *rand.Rand
	buf []byte
}

var vocabulary = []string{"seized", "container", "account", "transfer", "2026-03-14", "EUR", "invoice",
	"fruit", "consignee", "port", "Rotterdam", "Antwerp", "suspect", "phone", "record", "kg", "bags", "report"}

func (w *words) Read(p []byte) (int, error) {
	for len(w.buf) < len(p) {
		w.buf = append(w.buf, vocabulary[w.rng.IntN(len(vocabulary))]...)
		w.buf = fmt.Appendf(w.buf, " %d,", w.rng.IntN(100000))
		if w.rng.IntN(12) == 0 {
			w.buf = append(w.buf, '\n')
		}
	}
	n := copy(p, w.buf)
	w.buf = w.buf[n:]
	return n, nil
}
