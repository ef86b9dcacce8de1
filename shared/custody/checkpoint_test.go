package custody_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// TestCheckpointOriginLimits: an origin is 1-256 characters without spaces, tabs, newlines or
// '+'; one on the limit signs and opens, one past it is refused.
func TestCheckpointOriginLimits(t *testing.T) {
	ctx := context.Background()
	s := ledgertest.Signer()
	root := make([]byte, 32)
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"a", true},
		{strings.Repeat("o", 256), true},
		{strings.Repeat("o", 257), false},
		{"", false},
		{"evx example", false},
		{"evx\texample", false},
		{"evx+example", false},
		{"evx\nexample", false},
	} {
		cp, err := custody.SignCheckpoint(ctx, s, tc.origin, 1, root)
		if (err == nil) != tc.ok {
			t.Errorf("SignCheckpoint(origin of %d bytes %q) = %v, want ok %v", len(tc.origin), clip(tc.origin), err, tc.ok)
			continue
		}
		if _, err := custody.NewNoteVerifier(tc.origin, s.Public()); (err == nil) != tc.ok {
			t.Errorf("NewNoteVerifier(%q) = %v, want ok %v", clip(tc.origin), err, tc.ok)
		}
		if _, err := custody.NoteVerifierKey(tc.origin, s.Public()); (err == nil) != tc.ok {
			t.Errorf("NoteVerifierKey(%q) = %v, want ok %v", clip(tc.origin), err, tc.ok)
		}
		if tc.ok {
			if got, err := custody.OpenCheckpoint(cp, s.Public()); err != nil || got.Origin != tc.origin {
				t.Errorf("OpenCheckpoint(origin %q) = %v, %v", clip(tc.origin), got, err)
			}
		}
	}
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// TestCheckpointRootLength: a root of other than 32 bytes is refused, even signed.
func TestCheckpointRootLength(t *testing.T) {
	ctx := context.Background()
	s := ledgertest.Signer()
	for _, n := range []int{0, 31, 32, 33, 64} {
		cp, err := custody.SignCheckpoint(ctx, s, "evx.test/custody", 1, make([]byte, n))
		if err != nil {
			t.Fatal(err)
		}
		_, err = custody.OpenCheckpoint(cp, s.Public())
		var ce *custody.CheckpointError
		if n == 32 {
			if err != nil {
				t.Errorf("OpenCheckpoint(root of 32 bytes) = %v, want nil", err)
			}
		} else if !errors.As(err, &ce) {
			t.Errorf("OpenCheckpoint(root of %d bytes) = %v, want *CheckpointError", n, err)
		}
	}
}

// TestCheckpointSizeLimit: a note of exactly 64 KiB is read (an unknown signature line pads
// it), one byte more is refused before parsing.
func TestCheckpointSizeLimit(t *testing.T) {
	ctx := context.Background()
	s := ledgertest.Signer()
	cp, err := custody.SignCheckpoint(ctx, s, "evx.test/custody", 1, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	const limit = 64 << 10
	pad := func(total int) []byte {
		// "— other.example/log " + base64 + "\n", base64 of a multiple of 3 bytes.
		prefix := "\u2014 other.example/log "
		n := total - len(cp) - len(prefix) - 1
		if n%4 != 0 {
			t.Fatalf("padding of %d base64 characters", n)
		}
		raw := make([]byte, n/4*3)
		raw[0] = 1
		return []byte(string(cp) + prefix + base64.StdEncoding.EncodeToString(raw) + "\n")
	}
	// Choose totals whose padding is a whole number of base64 quanta.
	base := (limit - len(cp) - len("\u2014 other.example/log ") - 1) / 4 * 4
	at := len(cp) + len("\u2014 other.example/log ") + 1 + base
	for _, tc := range []struct {
		total int
		ok    bool
	}{
		{at, true},
		{at + 4, at+4 <= limit},
	} {
		text := pad(tc.total)
		if len(text) != tc.total {
			t.Fatalf("padded note of %d bytes, want %d", len(text), tc.total)
		}
		_, err := custody.OpenCheckpoint(text, s.Public())
		if (err == nil) != tc.ok {
			t.Errorf("OpenCheckpoint(note of %d bytes, limit %d) = %v, want ok %v", len(text), limit, err, tc.ok)
		}
	}
	// Exactly the limit, then one byte over: a trailing character past the note's last line
	// is not a note at all, so compare the errors' reasons.
	over := append(pad(at), make([]byte, limit+1-at)...)
	var ce *custody.CheckpointError
	if _, err := custody.OpenCheckpoint(over, s.Public()); !errors.As(err, &ce) || !strings.Contains(ce.Reason, "exceeds") {
		t.Errorf("OpenCheckpoint(%d bytes) = %v, want a *CheckpointError saying it exceeds %d", len(over), err, limit)
	}
	exact := append(pad(at), make([]byte, limit-at)...)
	if _, err := custody.OpenCheckpoint(exact, s.Public()); !errors.As(err, &ce) || strings.Contains(ce.Reason, "exceeds") {
		t.Errorf("OpenCheckpoint(%d bytes) = %v, want a *CheckpointError that is not about its size", len(exact), err)
	}
}

// TestCheckpointNamesItsSigners: a failure lists the key hash of every signature line, even
// one that holds only the 4-byte key hash.
func TestCheckpointNamesItsSigners(t *testing.T) {
	ctx := context.Background()
	s := ledgertest.Signer()
	cp, err := custody.SignCheckpoint(ctx, s, "evx.test/custody", 1, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	body, _, _ := strings.Cut(string(cp), "\n\n")
	for _, tc := range []struct {
		raw  []byte
		want string
	}{
		{[]byte{0xde, 0xad, 0xbe, 0xef}, "other.example/log+deadbeef"},
		{[]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3}, "other.example/log+deadbeef"},
		{[]byte{0xde, 0xad, 0xbe}, ""},
	} {
		text := body + "\n\n\u2014 other.example/log " + base64.StdEncoding.EncodeToString(tc.raw) + "\n"
		_, err := custody.OpenCheckpoint([]byte(text), s.Public())
		var ce *custody.CheckpointError
		if !errors.As(err, &ce) || ce.Got != tc.want {
			t.Errorf("OpenCheckpoint(signature of %d bytes) = %v (got %q), want signers %q", len(tc.raw), err, ce.Got, tc.want)
		}
	}
}

// TestOtherCurvesRefused: only P-256 ECDSA keys are accepted, everywhere a key is taken.
func TestOtherCurvesRefused(t *testing.T) {
	for _, c := range []elliptic.Curve{elliptic.P224(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		pub := &k.PublicKey
		name := c.Params().Name
		if _, err := custody.KeyIDOf(pub); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("KeyIDOf(%s) = %v, want an error naming the curve", name, err)
		}
		h := sha256.Sum256([]byte("m"))
		sig, err := ecdsa.SignASN1(nil, k, h[:])
		if err != nil {
			t.Fatal(err)
		}
		if err := custody.VerifySignature(pub, []byte("m"), sig); err == nil || !strings.Contains(err.Error(), "P-256") {
			t.Errorf("VerifySignature(%s, a valid signature) = %v, want refused", name, err)
		}
		if _, err := custody.NewNoteVerifier("evx.test/custody", pub); err == nil {
			t.Errorf("NewNoteVerifier(%s) = nil error", name)
		}
		if _, err := custody.NoteVerifierKey("evx.test/custody", pub); err == nil {
			t.Errorf("NoteVerifierKey(%s) = nil error", name)
		}
		if _, err := custody.Verify(&custody.Trail{}, pub, custody.VerifyOptions{}); err == nil {
			t.Errorf("Verify(key on %s) = nil error", name)
		}
	}
	if _, err := custody.KeyIDOf("not a key"); err == nil {
		t.Errorf("KeyIDOf(string) = nil error")
	}
	if err := custody.VerifySignature("not a key", nil, nil); err == nil {
		t.Errorf("VerifySignature(string) = nil error")
	}
}
