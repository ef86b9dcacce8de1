package custody

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"testing"

	"filippo.io/edwards25519"
)

// TestBatchRefusesNonCanonicalR: a signature whose R is the identity point satisfies the
// batch equation whatever R's encoding; ed25519.Verify accepts only the canonical encoding
// (01 00 .. 00), so the batch must refuse the two others (the sign bit set, and y = p + 1).
func TestBatchRefusesNonCanonicalR(t *testing.T) {
	seed := sha256.Sum256([]byte("non-canonical R"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	h := sha512.Sum512(seed[:])
	a, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("custody event hash")
	// sign with nonce 0: R = identity, s = SHA-512(R || A || M) * a.
	sign := func(r []byte) []byte {
		d := sha512.New()
		d.Write(r)
		d.Write(pub)
		d.Write(msg)
		k, err := edwards25519.NewScalar().SetUniformBytes(d.Sum(nil))
		if err != nil {
			t.Fatal(err)
		}
		return append(append([]byte(nil), r...), edwards25519.NewScalar().Multiply(k, a).Bytes()...)
	}
	canonical := make([]byte, 32)
	canonical[0] = 1
	signBit := append([]byte(nil), canonical...)
	signBit[31] |= 0x80
	pPlus1 := make([]byte, 32) // 2^255 - 19 + 1, little endian
	for i := range pPlus1 {
		pPlus1[i] = 0xff
	}
	pPlus1[0], pPlus1[31] = 0xee, 0x7f
	for _, tc := range []struct {
		name string
		r    []byte
		ok   bool
	}{
		{"canonical", canonical, true},
		{"sign-bit-set", signBit, false},
		{"y-is-p-plus-1", pPlus1, false},
	} {
		sig := sign(tc.r)
		if got := ed25519.Verify(pub, msg, sig); got != tc.ok {
			t.Fatalf("%s: ed25519.Verify = %v, want %v (the test's premise)", tc.name, got, tc.ok)
		}
		if _, err := new(edwards25519.Point).SetBytes(tc.r); err != nil {
			t.Fatalf("%s: R does not decode: %v", tc.name, err)
		}
		_, _, msgs, sigs := batchInputs(3)
		for i := range msgs {
			msgs[i] = msg
		}
		for i := range sigs {
			sigs[i] = ed25519.Sign(priv, msg)
		}
		sigs[1] = sig
		if got := verifyEd25519Batch(pub, msgs, sigs); got != tc.ok {
			t.Errorf("%s: batch = %v, want %v as ed25519.Verify", tc.name, got, tc.ok)
		}
	}
}
