package custody

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"

	"filippo.io/edwards25519"
)

func batchInputs(n int) (ed25519.PublicKey, ed25519.PrivateKey, [][]byte, [][]byte) {
	seed := sha256.Sum256([]byte("batch"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	var msgs, sigs [][]byte
	for i := 0; i < n; i++ {
		m := sha256.Sum256([]byte(fmt.Sprint(i)))
		msgs = append(msgs, m[:])
		sigs = append(sigs, ed25519.Sign(priv, m[:]))
	}
	return priv.Public().(ed25519.PublicKey), priv, msgs, sigs
}

// TestVerifyEd25519Batch holds the batch check to ed25519.Verify: valid batches pass, and a
// batch with any one signature, message or key changed fails.
func TestVerifyEd25519Batch(t *testing.T) {
	for _, n := range []int{1, 2, 7, 64} {
		pub, _, msgs, sigs := batchInputs(n)
		if !verifyEd25519Batch(pub, msgs, sigs) {
			t.Fatalf("batch of %d valid signatures rejected", n)
		}
		for i := 0; i < n; i++ {
			if testing.Short() && i != 0 && i != n/2 && i != n-1 {
				continue // first, middle and last only
			}
			for _, bit := range []int{0, 7, 100, 255, 256, 300, 511} {
				bad := append([][]byte(nil), sigs...)
				bad[i] = append([]byte(nil), sigs[i]...)
				bad[i][bit/8] ^= 1 << (bit % 8)
				if got, single := verifyEd25519Batch(pub, msgs, bad), ed25519.Verify(pub, msgs[i], bad[i]); got || single {
					t.Errorf("n=%d: signature %d with bit %d flipped: batch %v, ed25519.Verify %v; want both false", n, i, bit, got, single)
				}
			}
			badMsgs := append([][]byte(nil), msgs...)
			badMsgs[i] = []byte("other")
			if verifyEd25519Batch(pub, badMsgs, sigs) {
				t.Errorf("n=%d: message %d replaced, batch still passes", n, i)
			}
		}
		seed := sha256.Sum256([]byte("other"))
		other := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
		if verifyEd25519Batch(other, msgs, sigs) {
			t.Errorf("n=%d: batch passes under another key", n)
		}
		if n > 1 {
			swapped := append([][]byte(nil), sigs...)
			swapped[0], swapped[1] = swapped[1], swapped[0]
			if verifyEd25519Batch(pub, msgs, swapped) {
				t.Errorf("n=%d: two signatures swapped, batch still passes", n)
			}
		}
	}
	pub, _, msgs, sigs := batchInputs(3)
	sigs[1] = sigs[1][:63]
	if verifyEd25519Batch(pub, msgs, sigs) {
		t.Errorf("batch with a short signature passes")
	}
	if verifyEd25519Batch(pub[:31], msgs, sigs) {
		t.Errorf("batch with a short key passes")
	}
}

func BenchmarkEd25519Batch(b *testing.B) {
	pub, _, msgs, sigs := batchInputs(256)
	b.Run("single", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for j := range sigs[:64] {
				ed25519.Verify(pub, msgs[j], sigs[j])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(64*b.N), "ns/signature")
	})
	for _, n := range []int{64, batchSize} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				verifyEd25519Batch(pub, msgs[:n], sigs[:n])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/signature")
		})
	}
}

// TestCanonicalPoint holds canonicalPoint to the definition it shortcuts: an encoding that
// decodes is canonical when re-encoding the point gives it back. Inputs: random strings and
// the edge cases (y from 2^255-19 upwards, y = 0, 1, -1, each with and without the sign bit).
func TestCanonicalPoint(t *testing.T) {
	var cases [][]byte
	le := func(tail byte, low byte) []byte { // 2^255-19 + k, as little endian
		b := make([]byte, 32)
		for i := range b {
			b[i] = 0xff
		}
		b[31] = tail
		b[0] = low
		return b
	}
	for k := 0; k <= 18; k++ {
		cases = append(cases, le(0x7f, byte(0xed+k)))
	}
	cases = append(cases, le(0x7f, 0xec)) // y = p-1 = -1
	one := make([]byte, 32)
	one[0] = 1
	cases = append(cases, one, make([]byte, 32))
	seed := sha256.Sum256([]byte("points"))
	for i := 0; i < 4000; i++ {
		seed = sha256.Sum256(seed[:])
		cases = append(cases, append([]byte(nil), seed[:]...))
	}
	nonCanonical := 0
	for _, c := range cases {
		for _, sign := range []byte{0, 0x80} {
			b := append([]byte(nil), c...)
			b[31] = b[31]&0x7f | sign
			p, err := new(edwards25519.Point).SetBytes(b)
			if err != nil {
				continue
			}
			got, want := canonicalPoint(b), bytes.Equal(p.Bytes(), b)
			if !want {
				nonCanonical++
			}
			if got != want {
				t.Errorf("canonicalPoint(%x) = %v, want %v", b, got, want)
			}
		}
	}
	if nonCanonical < 3 {
		t.Errorf("only %d non-canonical encodings among the cases that decode", nonCanonical)
	}
}
