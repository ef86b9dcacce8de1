package custody

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
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
	pub, _, msgs, sigs := batchInputs(64)
	b.Run("single", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for j := range sigs {
				ed25519.Verify(pub, msgs[j], sigs[j])
			}
		}
	})
	b.Run("batch", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			verifyEd25519Batch(pub, msgs, sigs)
		}
	})
}
