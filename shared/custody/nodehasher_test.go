package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestNodeHasher holds nodeHasher.HashChildren to rfc6962's, for hashes and other lengths.
func TestNodeHasher(t *testing.T) {
	seed := sha256.Sum256([]byte("nodes"))
	for i := 0; i < 200; i++ {
		l := sha256.Sum256(seed[:])
		r := sha256.Sum256(l[:])
		seed = r
		for _, c := range [][2][]byte{{l[:], r[:]}, {l[:i%32], r[:]}, {l[:], append(r[:], 1)}, {nil, nil}} {
			got, want := nodeHasher{hasher}.HashChildren(c[0], c[1]), hasher.HashChildren(c[0], c[1])
			if !bytes.Equal(got, want) {
				t.Fatalf("HashChildren(%x, %x) = %x, want %x", c[0], c[1], got, want)
			}
		}
	}
}

// TestDecodeLowerHex32 holds decodeLowerHex32 to isHex and hex.DecodeString.
func TestDecodeLowerHex32(t *testing.T) {
	good := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	cases := []string{good, "", good[:63], good + "0", strings.ToUpper(good)}
	for i := range good {
		for _, c := range []byte{'g', 'A', 'F', '/', ':', '`', 0, 0xff, '0', 'f'} {
			cases = append(cases, good[:i]+string([]byte{c})+good[i+1:])
		}
	}
	for _, s := range cases {
		var dst [32]byte
		ok := decodeLowerHex32(dst[:], s)
		if ok != isHex(s, 64) {
			t.Errorf("decodeLowerHex32(%q) = %v, isHex %v", s, ok, !ok)
			continue
		}
		if want, _ := hex.DecodeString(s); ok && !bytes.Equal(dst[:], want) {
			t.Errorf("decodeLowerHex32(%q) = %x, want %x", s, dst, want)
		}
	}
}
