package custody

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func newTestSigner(t *testing.T) *Ed25519Signer {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(nil)
	s, err := NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rotatedLog records two events of bundle B signed by key a, rotates to key b, records two
// more (and one of bundle C), and returns the keeper (now signing with b) and both signers.
func rotatedLog(t *testing.T) (*Keeper, *Ed25519Signer, *Ed25519Signer) {
	t.Helper()
	a, b := newTestSigner(t), newTestSigner(t)
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	k := &Keeper{Ledger: NewMemLedger(), Signer: a, Origin: "evx.example/custody", Now: func() time.Time {
		clock = clock.Add(time.Minute)
		return clock
	}}
	ctx := context.Background()
	rec := func(bundle string) {
		if _, err := k.Record(ctx, bundle, SubmissionAcceptance, Actor{Kind: ActorSystem, ID: "x"}, Details{}); err != nil {
			t.Fatal(err)
		}
	}
	rec("B")
	rec("B")
	en, err := k.RotateKey(ctx, b.Public(), Actor{Kind: ActorSystem, ID: "key-rotate"}, "scheduled")
	if err != nil {
		t.Fatal(err)
	}
	if en.Event.BundleID != KeyLogSubject || en.Event.KeyID != a.KeyID() || en.Event.Details.Reference != b.KeyID() {
		t.Fatalf("rotation event %+v: want on %s, signed by %s, naming %s", en.Event, KeyLogSubject, a.KeyID(), b.KeyID())
	}
	k.Signer = b
	rec("C")
	rec("B")
	rec("B")
	return k, a, b
}

func exportTrail(t *testing.T, k *Keeper, bundle string) *Trail {
	t.Helper()
	tr, err := k.Export(context.Background(), bundle, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Through the file format, as a verifier receives it.
	data, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseTrail(data)
	if err != nil {
		t.Fatalf("ParseTrail(exported): %v", err)
	}
	return back
}

// A trail spanning a rotation verifies given the older key or the newer one, and the report
// says which key signed which events.
func TestVerifyAcrossRotation(t *testing.T) {
	k, a, b := rotatedLog(t)
	tr := exportTrail(t, k, "B")
	if len(tr.Rotations) != 1 || len(tr.Keys) != 2 || tr.Keys[0].KeyID != a.KeyID() || tr.Keys[1].KeyID != b.KeyID() {
		t.Fatalf("exported %d rotations, keys %+v; want 1 rotation and keys a, b", len(tr.Rotations), tr.Keys)
	}
	for _, tc := range []struct {
		name string
		key  crypto.PublicKey
	}{{"older-key", a.Public()}, {"newer-key", b.Public()}} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Verify(tr, tc.key, VerifyOptions{Now: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatalf("Verify = %v, want verified", err)
			}
			if rep.Rotation == nil || len(rep.Rotation.Keys) != 2 {
				t.Fatalf("report rotation = %+v, want two keys", rep.Rotation)
			}
			ka, kb := rep.Rotation.Keys[0], rep.Rotation.Keys[1]
			if ka.KeyID != a.KeyID() || ka.Events != 2 || ka.FirstSeq != 1 || ka.LastSeq != 2 || ka.Retired == "" || ka.Introduced != "" {
				t.Errorf("older key's use = %+v, want events 1-2, retired", ka)
			}
			if kb.KeyID != b.KeyID() || kb.Events != 2 || kb.FirstSeq != 3 || kb.LastSeq != 4 || kb.Introduced == "" || kb.Retired != "" {
				t.Errorf("newer key's use = %+v, want events 3-4, introduced", kb)
			}
		})
	}
	// Without rotations, the report is as it always was.
	plain, _ := futureTrail(t, time.Date(2070, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(plain.Rotations) != 0 {
		t.Errorf("a log never rotated exports %d rotations", len(plain.Rotations))
	}
}

// Every way of forging or dropping a rotation, or of signing past one with the retired key,
// fails with the error that names it.
func TestVerifyRotationTampered(t *testing.T) {
	ctx := context.Background()
	stranger := newTestSigner(t)
	type tamper struct {
		name   string
		key    func(a, b *Ed25519Signer) crypto.PublicKey
		modify func(t *testing.T, k *Keeper, a, b *Ed25519Signer, tr *Trail)
		want   any
	}
	for _, tc := range []tamper{
		{"untrusted-key", func(a, b *Ed25519Signer) crypto.PublicKey { return stranger.Public() }, nil, new(*KeyRotationError)},
		{"rotation-dropped-older-key", func(a, b *Ed25519Signer) crypto.PublicKey { return a.Public() },
			func(t *testing.T, k *Keeper, a, b *Ed25519Signer, tr *Trail) { tr.Rotations = nil }, new(*CheckpointError)},
		{"rotation-dropped-newer-key", func(a, b *Ed25519Signer) crypto.PublicKey { return b.Public() },
			func(t *testing.T, k *Keeper, a, b *Ed25519Signer, tr *Trail) { tr.Rotations = nil }, new(*SignatureError)},
		{"rotation-introduces-other-key", func(a, b *Ed25519Signer) crypto.PublicKey { return a.Public() },
			func(t *testing.T, k *Keeper, a, b *Ed25519Signer, tr *Trail) {
				d, _ := RotationDetails(a.Public(), stranger.Public(), "")
				tr.Rotations[0].Event.Details = d
			}, new(*KeyRotationError)},
		{"rotation-resigned-by-stranger", func(a, b *Ed25519Signer) crypto.PublicKey { return a.Public() },
			func(t *testing.T, k *Keeper, a, b *Ed25519Signer, tr *Trail) {
				e := &tr.Rotations[0].Event
				if err := Seal(ctx, stranger, e); err != nil {
					t.Fatal(err)
				}
			}, new(*KeyRotationError)},
		{"rotation-proof-wrong", func(a, b *Ed25519Signer) crypto.PublicKey { return a.Public() },
			func(t *testing.T, k *Keeper, a, b *Ed25519Signer, tr *Trail) { tr.Rotations[0].Leaf++ }, new(*KeyRotationError)},
		{"retired-key-signs-after-rotation", func(a, b *Ed25519Signer) crypto.PublicKey { return a.Public() },
			func(t *testing.T, k *Keeper, a, b *Ed25519Signer, tr *Trail) {
				k.Signer = a
				if _, err := k.Record(ctx, "B", Stored, Actor{Kind: ActorSystem, ID: "x"}, Details{}); err != nil {
					t.Fatal(err)
				}
				k.Signer = b
				*tr = *exportTrail(t, k, "B")
			}, new(*SignatureError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, a, b := rotatedLog(t)
			tr := exportTrail(t, k, "B")
			if tc.modify != nil {
				tc.modify(t, k, a, b, tr)
			}
			_, err := Verify(tr, tc.key(a, b), VerifyOptions{})
			if err == nil || !errors.As(err, tc.want) {
				t.Fatalf("Verify = %v, want %T", err, tc.want)
			}
		})
	}
}

// The rotation trail itself (subject KeyLogSubject) verifies like a bundle's.
func TestKeyLogTrail(t *testing.T) {
	k, a, _ := rotatedLog(t)
	tr := exportTrail(t, k, KeyLogSubject)
	if _, err := Verify(tr, a.Public(), VerifyOptions{}); err != nil {
		t.Fatalf("Verify(key log trail) = %v", err)
	}
}

// ParseRotation refuses a rotation whose keys are not the ones it names.
func TestParseRotation(t *testing.T) {
	a, b := newTestSigner(t), newTestSigner(t)
	d, err := RotationDetails(a.Public(), b.Public(), "  ")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Reasons) != 2 || !strings.HasPrefix(d.Reasons[0], "retires ed25519 ") || !strings.HasPrefix(d.Reasons[1], "introduces ed25519 ") {
		t.Fatalf("RotationDetails reasons = %q", d.Reasons)
	}
	good := Event{Type: KeyRotation, KeyID: a.KeyID(), Details: d}
	if _, _, err := ParseRotation(good); err != nil {
		t.Fatalf("ParseRotation(good) = %v", err)
	}
	for name, e := range map[string]Event{
		"wrong-type":      {Type: Stored, KeyID: a.KeyID(), Details: d},
		"signer-not-old":  {Type: KeyRotation, KeyID: b.KeyID(), Details: d},
		"reference-other": {Type: KeyRotation, KeyID: a.KeyID(), Details: Details{Reference: a.KeyID(), Reasons: d.Reasons}},
		"one-line":        {Type: KeyRotation, KeyID: a.KeyID(), Details: Details{Reference: d.Reference, Reasons: d.Reasons[:1]}},
		"not-base64":      {Type: KeyRotation, KeyID: a.KeyID(), Details: Details{Reference: d.Reference, Reasons: []string{d.Reasons[0], "introduces ed25519 !!"}}},
		"wrong-algorithm": {Type: KeyRotation, KeyID: a.KeyID(), Details: Details{Reference: d.Reference, Reasons: []string{d.Reasons[0], strings.Replace(d.Reasons[1], "ed25519", "ecdsa-p256", 1)}}},
	} {
		if _, _, err := ParseRotation(e); err == nil {
			t.Errorf("ParseRotation(%s): no error", name)
		}
	}
}

// smallRotatedTrail is a fuzz seed: one event signed by the tamper vectors' trusted key, the
// rotation from it to a second fixed key, and one event signed by that key.
func smallRotatedTrail(tb testing.TB) []byte {
	tb.Helper()
	signer := func(label string) *Ed25519Signer {
		seed := sha256.Sum256([]byte(label))
		s, err := NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	a, b := signer("evx tamper vectors: trusted key"), signer("evx tamper vectors: rotated key")
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := &Keeper{Ledger: NewMemLedger(), Signer: a, Origin: "evx.example/custody", Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	ctx := context.Background()
	if _, err := k.Record(ctx, "B", SubmissionAcceptance, Actor{Kind: ActorSystem, ID: "x"}, Details{}); err != nil {
		tb.Fatal(err)
	}
	if _, err := k.RotateKey(ctx, b.Public(), Actor{Kind: ActorSystem, ID: "key-rotate"}, ""); err != nil {
		tb.Fatal(err)
	}
	k.Signer = b
	if _, err := k.Record(ctx, "B", ContentConsignment, Actor{Kind: ActorSystem, ID: "x"}, Details{Counterpart: "c"}); err != nil {
		tb.Fatal(err)
	}
	tr, err := k.Export(ctx, "B", ExportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(tr)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestSmallRotatedTrailVerifies: the rotated fuzz seed is a valid trail.
func TestSmallRotatedTrailVerifies(t *testing.T) {
	seed := sha256.Sum256([]byte("evx tamper vectors: trusted key"))
	pub := ed25519.NewKeyFromSeed(seed[:]).Public()
	if _, err := VerifyTrail(smallRotatedTrail(t), pub, VerifyOptions{}); err != nil {
		t.Errorf("VerifyTrail(small rotated trail) = %v, want nil", err)
	}
}

// A rotation failure is described as such, not as the check it wraps.
func TestKeyRotationFailure(t *testing.T) {
	err := error(&KeyRotationError{Seq: 2, Reason: "not in the checkpoint's log", Err: &InclusionError{Seq: 2}})
	f, ok := FailureOf(err)
	if !ok || f.Kind != "KeyRotationError" || f.Seq != 2 || f.Fact("reason") != "not in the checkpoint's log" {
		t.Errorf("FailureOf = %+v, %v; want KeyRotationError seq 2 with its reason", f, ok)
	}
}

// An export at an earlier log size carries the rotations recorded below that size in
// key_rotations, and those recorded after it in later_key_rotations, proven in a later
// checkpoint consistent with the trail's: in rotatedLog, B's events are leaves 0 and 1 and the
// rotation leaf 2, so the export at size 2 has its events signed by the older key and its
// checkpoint by the newer. Every one verifies with either key, through the file format.
func TestExportAtSizeCutsRotations(t *testing.T) {
	k, a, b := rotatedLog(t)
	now := VerifyOptions{Now: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		size             uint64
		rotations, later int
	}{{2, 0, 1}, {3, 1, 0}, {6, 1, 0}, {0, 1, 0}} {
		tr := exportAt(t, k, "B", tc.size)
		nLater := 0
		if tr.LaterRotations != nil {
			nLater = len(tr.LaterRotations.Rotations)
		}
		if len(tr.Rotations) != tc.rotations || nLater != tc.later {
			t.Errorf("export at size %d: %d rotations and %d later, want %d and %d", tc.size, len(tr.Rotations), nLater, tc.rotations, tc.later)
		}
		for _, key := range []*Ed25519Signer{a, b} {
			rep, err := Verify(tr, key.Public(), now)
			if err != nil {
				t.Errorf("export at size %d: Verify with key %s = %v, want verified", tc.size, key.KeyID(), err)
				continue
			}
			if rep.Rotation == nil || len(rep.Rotation.Keys) != 2 {
				t.Errorf("export at size %d: rotation report %+v, want the chain of two keys", tc.size, rep.Rotation)
			}
		}
	}
}

func exportAt(t *testing.T, k *Keeper, bundle string, size uint64) *Trail {
	t.Helper()
	tr, err := k.Export(context.Background(), bundle, ExportOptions{Size: size})
	if err != nil {
		t.Fatalf("Export at size %d: %v", size, err)
	}
	data, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseTrail(data)
	if err != nil {
		t.Fatalf("ParseTrail(export at size %d): %v", size, err)
	}
	return back
}

// The later rotations are held to the trail's checkpoint: each way of breaking them fails.
func TestLaterRotationsTampered(t *testing.T) {
	k, a, b := rotatedLog(t)
	now := VerifyOptions{Now: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	smaller, err := k.Export(context.Background(), "B", ExportOptions{Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	full, err := k.Ledger.LogSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	root, err := RootAt(context.Background(), k.Ledger, full)
	if err != nil {
		t.Fatal(err)
	}
	otherCP, err := SignCheckpoint(context.Background(), a, k.Origin, full, root)
	if err != nil {
		t.Fatal(err)
	}
	otherLog, err := SignCheckpoint(context.Background(), b, "evx.example/other", full, root)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		key    *Ed25519Signer
		size   uint64
		mutate func(*Trail)
		want   any
		msg    string // in the error, when not empty
	}{
		{"rotation inside the trail's log listed as later", a, 3, func(tr *Trail) {
			cur := exportAt(t, k, "B", 0) // the rotation proven in the log of its current size
			tr.LaterRotations = &LaterRotations{Checkpoint: cur.Checkpoint, Consistency: consistencyProof(t, k, 3), Rotations: cur.Rotations}
			tr.Rotations = nil
		}, new(*KeyRotationError), ""},
		{"dropped, older key", a, 0, func(tr *Trail) { tr.LaterRotations = nil }, new(*CheckpointError), ""},
		{"dropped, newer key", b, 0, func(tr *Trail) { tr.LaterRotations = nil }, new(*SignatureError), ""},
		{"none listed", a, 0, func(tr *Trail) { tr.LaterRotations.Rotations = nil }, new(*KeyRotationError), ""},
		{"consistency proof altered", a, 0, func(tr *Trail) { tr.LaterRotations.Consistency[0] = flipHex(tr.LaterRotations.Consistency[0]) }, new(*KeyRotationError), ""},
		{"consistency proof too long", a, 0, func(tr *Trail) {
			tr.LaterRotations.Consistency = slices.Repeat(tr.LaterRotations.Consistency[:1], 2*maxProofLen+1)
		}, new(*KeyRotationError), "consistency proof of 129 hashes"},
		{"consistency proof at the bound", a, 0, func(tr *Trail) {
			tr.LaterRotations.Consistency = slices.Repeat(tr.LaterRotations.Consistency[:1], 2*maxProofLen)
		}, new(*KeyRotationError), "not consistent with the later one"},
		{"consistency proof cut", a, 0, func(tr *Trail) { tr.LaterRotations.Consistency = tr.LaterRotations.Consistency[:1] }, new(*KeyRotationError), ""},
		{"later checkpoint by the older key", a, 0, func(tr *Trail) { tr.LaterRotations.Checkpoint = string(otherCP) }, new(*KeyRotationError), ""},
		{"later checkpoint of another log", a, 0, func(tr *Trail) { tr.LaterRotations.Checkpoint = string(otherLog) }, new(*KeyRotationError), ""},
		{"later checkpoint no larger", a, 0, func(tr *Trail) { tr.LaterRotations.Checkpoint = smaller.Checkpoint }, new(*KeyRotationError), ""},
		{"rotation proof altered", a, 0, func(tr *Trail) {
			r := &tr.LaterRotations.Rotations[0]
			r.Proof[0] = flipHex(r.Proof[0])
		}, new(*KeyRotationError), ""},
		{"rotation moved into key_rotations", a, 0, func(tr *Trail) {
			tr.Rotations, tr.LaterRotations.Rotations = tr.LaterRotations.Rotations, []TrailEvent{tr.LaterRotations.Rotations[0]}
		}, new(*KeyRotationError), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == 0 {
				size = 2
			}
			tr := exportAt(t, k, "B", size)
			tc.mutate(tr)
			_, err := Verify(tr, tc.key.Public(), now)
			if err == nil || !errors.As(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Verify = %v, want %T %q", err, tc.want, tc.msg)
			}
		})
	}
}

func consistencyProof(t *testing.T, k *Keeper, from uint64) []string {
	t.Helper()
	full, err := k.Ledger.LogSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := ConsistencyProof(context.Background(), k.Ledger, from, full)
	if err != nil {
		t.Fatal(err)
	}
	return hexList(p)
}

func flipHex(s string) string {
	c := byte('0')
	if s[0] == '0' {
		c = '1'
	}
	return string(c) + s[1:]
}
