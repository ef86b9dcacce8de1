//go:build integration

package web

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// TestIntegrationVerifierPageKeyRotation holds the page to custody.Verify on trails that span
// a key rotation: verified with the older or the newer key, and each way of breaking the
// rotation chain failing with the same error type in both.
func TestIntegrationVerifierPageKeyRotation(t *testing.T) {
	signer := func() *custody.Ed25519Signer {
		_, priv, _ := ed25519.GenerateKey(nil)
		s, err := custody.NewEd25519Signer(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b, stranger := signer(), signer(), signer()
	ctx := context.Background()
	actor := custody.Actor{Kind: custody.ActorSystem, ID: "x"}
	// build records an event by a, the rotation to b, two events by b (or, with lateOld, one
	// by the retired key a after the rotation), and exports the trail.
	// With size, the trail is exported at that earlier log size: size 1 holds a's event only,
	// the rotation (leaf 1) then travels in later_key_rotations.
	build := func(lateOld bool, size uint64) *custody.Trail {
		clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: a, Origin: "evx.example/custody", Now: func() time.Time { clock = clock.Add(time.Minute); return clock }}
		if _, err := k.Record(ctx, "B", custody.SubmissionAcceptance, actor, custody.Details{}); err != nil {
			t.Fatal(err)
		}
		if _, err := k.RotateKey(ctx, b.Public(), custody.Actor{Kind: custody.ActorSystem, ID: "key-rotate"}, "yearly"); err != nil {
			t.Fatal(err)
		}
		k.Signer = b
		if _, err := k.Record(ctx, "B", custody.ContentConsignment, actor, custody.Details{Counterpart: "nl-om"}); err != nil {
			t.Fatal(err)
		}
		if lateOld {
			k.Signer = a
		}
		if _, err := k.Record(ctx, "B", custody.FixityCheck, actor, custody.Details{}); err != nil {
			t.Fatal(err)
		}
		k.Signer = b
		tr, err := k.Export(ctx, "B", custody.ExportOptions{Size: size})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	pemOf := func(pub crypto.PublicKey) []byte {
		pk, err := custody.PublicKeyOf(pub)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(pk.PEM)
	}
	bctx := browser(t)
	openVerifier(t, bctx)
	for _, tc := range []struct {
		name   string
		key    crypto.PublicKey
		late   bool
		size   uint64
		modify func(tr *custody.Trail)
		want   string
	}{
		{"older-key", a.Public(), false, 0, nil, "ok"},
		{"newer-key", b.Public(), false, 0, nil, "ok"},
		{"untrusted-key", stranger.Public(), false, 0, nil, "KeyRotationError"},
		{"rotation-dropped-older-key", a.Public(), false, 0, func(tr *custody.Trail) { tr.Rotations = nil }, "CheckpointError"},
		{"rotation-dropped-newer-key", b.Public(), false, 0, func(tr *custody.Trail) { tr.Rotations = nil }, "SignatureError"},
		{"rotation-introduces-other-key", a.Public(), false, 0, func(tr *custody.Trail) {
			d, _ := custody.RotationDetails(a.Public(), stranger.Public(), "")
			tr.Rotations[0].Event.Details = d
		}, "KeyRotationError"},
		{"rotation-leaf-wrong", a.Public(), false, 0, func(tr *custody.Trail) { tr.Rotations[0].Leaf++ }, "KeyRotationError"},
		{"retired-key-signs-after-rotation", a.Public(), true, 0, nil, "SignatureError"},
		{"earlier-size-older-key", a.Public(), false, 1, nil, "ok"},
		{"earlier-size-newer-key", b.Public(), false, 1, nil, "ok"},
		{"earlier-size-later-dropped", a.Public(), false, 1, func(tr *custody.Trail) { tr.LaterRotations = nil }, "CheckpointError"},
		{"earlier-size-later-consistency-altered", a.Public(), false, 1, func(tr *custody.Trail) {
			c, flip := tr.LaterRotations.Consistency, "00"
			if c[0][:2] == flip {
				flip = "ff"
			}
			c[0] = flip + c[0][2:]
		}, "KeyRotationError"},
		{"earlier-size-later-checkpoint-is-the-trails", a.Public(), false, 1, func(tr *custody.Trail) { tr.LaterRotations.Checkpoint = tr.Checkpoint }, "KeyRotationError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.late, tc.size)
			if tc.modify != nil {
				tc.modify(tr)
			}
			data, err := json.Marshal(tr)
			if err != nil {
				t.Fatal(err)
			}
			_, goErr := custody.VerifyTrail(data, tc.key, custody.VerifyOptions{})
			goType := "ok"
			if goErr != nil {
				f, _ := custody.FailureOf(goErr)
				goType = f.Kind
			}
			res := verifyInPage(t, bctx, data, pemOf(tc.key), nil, nil)
			pageType := "ok"
			if !res.OK {
				pageType = res.Error.Type
			}
			if pageType != tc.want || goType != tc.want {
				msg := ""
				if res.Error != nil {
					msg = res.Error.Message
				}
				t.Errorf("page %s (%s), evx verify %s (%v); want %s", pageType, msg, goType, goErr, tc.want)
			}
		})
	}
}
