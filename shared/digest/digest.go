// Package digest computes several cryptographic digests of one stream in a single pass.
//
// A [Writer] fans every Write out to the hashes it was asked for, plus SHA-256 always,
// so a caller that must both verify an uploader's manifest (whatever algorithms it names)
// and store the bytes under their SHA-256 reads them exactly once. Results are lowercase
// hex keyed by the algorithm names BagIt uses in manifest file names: "md5", "sha1",
// "sha224", "sha256", "sha384", "sha512".
package digest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"runtime"
	"sort"
	"sync"
)

// SHA256 is the algorithm every Writer computes, whatever else it is asked for.
const SHA256 = "sha256"

var constructors = map[string]func() hash.Hash{
	"md5":    md5.New,
	"sha1":   sha1.New,
	"sha224": sha256.New224,
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

// Supported reports whether name is an algorithm this package computes.
func Supported(name string) bool {
	_, ok := constructors[name]
	return ok
}

// Algorithms lists the supported algorithm names in sorted order.
func Algorithms() []string {
	out := make([]string, 0, len(constructors))
	for k := range constructors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// UnsupportedError reports an algorithm name the package does not know.
type UnsupportedError struct{ Algorithm string }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("digest: unsupported algorithm %q (supported: md5, sha1, sha224, sha256, sha384, sha512)", e.Algorithm)
}

// Writer is an io.Writer that feeds every byte to each of its hashes. The zero value is
// not usable; call [New].
type Writer struct {
	names  []string
	hashes []hash.Hash
	n      int64
	// From parallelMin up, the hashes after the first run behind the caller on a copy of the
	// last Write (see Write); pending is their work on it, bufs the two copies they alternate.
	pending sync.WaitGroup
	bufs    [2][]byte
	next    int
}

// New returns a Writer computing the named algorithms plus SHA-256. Duplicate names are
// computed once. An unknown name yields an *[UnsupportedError].
func New(algorithms ...string) (*Writer, error) {
	w := &Writer{}
	seen := map[string]bool{}
	add := func(name string) error {
		if seen[name] {
			return nil
		}
		c, ok := constructors[name]
		if !ok {
			return &UnsupportedError{Algorithm: name}
		}
		seen[name] = true
		w.names = append(w.names, name)
		w.hashes = append(w.hashes, c())
		return nil
	}
	if err := add(SHA256); err != nil {
		return nil, err
	}
	for _, a := range algorithms {
		if err := add(a); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// parallelMin is the write size from which the hashes after SHA-256 run on their own
// goroutines: a SHA-256 + SHA-512 pass then costs the slower hash alone, not the sum, on
// two cores.
const parallelMin = 64 << 10

// Write feeds p to every hash. It never fails and does not retain p.
//
// For a large p (parallelMin and up, with more than one hash and more than one core), the
// hashes other than SHA-256 are fed a copy of p on goroutines of their own, and Write returns
// as soon as SHA-256 has p, without waiting for them: they finish while the caller does
// something else with the bytes (stores them, reads the next ones), and the next Write, Sums
// or Reset waits for them. So a caller that hashes and writes is held up by the slowest
// hash alone, not by the hash and its own work one after the other.
func (w *Writer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > maxBehind {
		w.write(p[:maxBehind])
		p = p[maxBehind:]
	}
	w.write(p)
	return n, nil
}

// maxBehind bounds the copy a Write hands the other hashes, so that one large Write costs
// two buffers of at most this size, not two copies of itself.
const maxBehind = 1 << 20

func (w *Writer) write(p []byte) {
	if len(w.hashes) > 1 && len(p) >= parallelMin && runtime.GOMAXPROCS(0) > 1 {
		buf := w.bufs[w.next]
		if cap(buf) < len(p) {
			buf = make([]byte, len(p))
			w.bufs[w.next] = buf
		}
		buf = buf[:len(p)]
		copy(buf, p)
		w.next ^= 1
		w.pending.Wait() // the previous Write's, which used the other copy
		for _, h := range w.hashes[1:] {
			w.pending.Add(1)
			go func() {
				defer w.pending.Done()
				h.Write(buf)
			}()
		}
		w.hashes[0].Write(p)
	} else {
		w.pending.Wait()
		for _, h := range w.hashes {
			h.Write(p)
		}
	}
	w.n += int64(len(p))
}

// SHA256 returns the SHA-256 of the bytes written so far as lowercase hex, without waiting
// for the other hashes. It does not change the Writer's state.
func (w *Writer) SHA256() string { return hex.EncodeToString(w.hashes[0].Sum(nil)) }

// Size returns the number of bytes written so far.
func (w *Writer) Size() int64 { return w.n }

// Algorithms returns the names computed, SHA-256 first.
func (w *Writer) Algorithms() []string { return append([]string(nil), w.names...) }

// Sums returns the digests of the bytes written so far as lowercase hex, keyed by
// algorithm name. It does not change the Writer's state.
func (w *Writer) Sums() map[string]string {
	w.pending.Wait()
	out := make(map[string]string, len(w.names))
	for i, h := range w.hashes {
		out[w.names[i]] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// Reset clears the Writer so it can hash another stream with the same algorithms.
func (w *Writer) Reset() {
	w.pending.Wait()
	for _, h := range w.hashes {
		h.Reset()
	}
	w.n = 0
}
