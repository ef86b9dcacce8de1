package custody_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// twoChanges: both agencies' keys added before the exchange (leaves 0 and 1); after its three
// events (leaves 2-4), nl-pol's key revoked (leaf 5) and es-fge's expired (leaf 6).
func (sc *sealedScene) twoChanges(t0 time.Time) (before, after []custody.Event) {
	before, _ = sc.keysAdded(t0)
	k := sc.cpKey
	k.NotAfter = "2026-11-30T00:00:00.000000000Z"
	return before, []custody.Event{keyChange(custody.AgencyKeyRevoked, "nl-pol", sc.senderKey, t0.Add(20*time.Hour)), keyChange(custody.AgencyKeyExpired, "es-fge", k, t0.Add(21*time.Hour))}
}

// withoutHeads re-signs tr's checkpoint (same size and root, evx's key) without a heads line, as
// a ledger that lists no heads exports it, and drops the trail's own head record.
func withoutHeads(t *testing.T, sc *sealedScene, tr *custody.Trail) {
	t.Helper()
	cp, err := custody.OpenCheckpoint([]byte(tr.Checkpoint), sc.evx.Public())
	if err != nil {
		t.Fatal(err)
	}
	note, err := custody.SignCheckpointAt(context.Background(), sc.evx, cp.Origin, cp.Size, cp.Hash, time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	tr.Checkpoint, tr.Head = string(note), nil
}

// The key history's checks at their bounds, each failure a *KeyHistoryError saying why.
func TestKeyHistoryBounds(t *testing.T) {
	sc := newScene(t)
	raw := sc.trailWith(t, nil, sc.twoChanges)
	parse := func(t *testing.T) *custody.Trail {
		t.Helper()
		tr, err := custody.ParseTrail(raw)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	flipSig := func(te *custody.TrailEvent) {
		sig, _ := base64.StdEncoding.DecodeString(te.Event.Signature)
		sig[0] ^= 1
		te.Event.Signature = base64.StdEncoding.EncodeToString(sig)
	}
	pad := func(te *custody.TrailEvent, n int) {
		for len(te.Proof) < n {
			te.Proof = append(te.Proof, strings.Repeat("0", 64))
		}
	}
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, tr *custody.Trail)
		want string // in the error; "" for a trail that verifies
	}{
		{"no heads anywhere", func(t *testing.T, tr *custody.Trail) { withoutHeads(t, sc, tr); tr.AgencyKeyHeads = nil }, ""},
		{"key heads under a checkpoint without heads", func(t *testing.T, tr *custody.Trail) { withoutHeads(t, sc, tr) }, "its checkpoint commits to no heads"},
		{"change signature flipped", func(t *testing.T, tr *custody.Trail) { flipSig(&tr.AgencyKeyChanges[0]) }, "its signature"},
		{"change signature flipped, no heads", func(t *testing.T, tr *custody.Trail) {
			withoutHeads(t, sc, tr)
			tr.AgencyKeyHeads = nil
			flipSig(&tr.AgencyKeyChanges[0])
		}, "its signature"},
		{"key heads without the changes", func(t *testing.T, tr *custody.Trail) { tr.AgencyKeyChanges = nil }, "a head record for an agency"},
		{"proof of 65 hashes", func(t *testing.T, tr *custody.Trail) { pad(&tr.AgencyKeyChanges[0], 65) }, "proof of 65 hashes"},
		{"proof of 64 hashes", func(t *testing.T, tr *custody.Trail) { pad(&tr.AgencyKeyChanges[0], 64) }, "not in the checkpoint's log"},
		{"first change dropped", func(t *testing.T, tr *custody.Trail) { tr.AgencyKeyChanges = tr.AgencyKeyChanges[1:] }, "(seq 2 follows 0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := parse(t)
			tc.edit(t, tr)
			_, err := custody.Verify(tr, sc.evx.Public(), custody.VerifyOptions{})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Verify = %v, want verified", err)
			case tc.want != "" && (!isKind(err, "KeyHistoryError") || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Verify = %v, want a *KeyHistoryError saying %q", err, tc.want)
			}
		})
	}
}

// A trail exported at the log size where nl-pol's revocation is the next leaf carries the
// changes below it only, and verifies.
func TestKeyChangesExportedBelowSize(t *testing.T) {
	sc := newScene(t)
	sc.exportSize = 5
	tr, err := custody.ParseTrail(sc.trailWith(t, nil, sc.twoChanges))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.AgencyKeyChanges); n != 2 || slices.ContainsFunc(tr.AgencyKeyChanges, func(te custody.TrailEvent) bool { return te.Leaf >= 5 }) {
		t.Fatalf("export at size 5: %d key changes, want the two additions below leaf 5", n)
	}
	if _, err := custody.Verify(tr, sc.evx.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("Verify(export at size 5) = %v", err)
	}
}

// A history cut at its end is refused naming the agency's last change the trail carries.
func TestKeyHistoryCutNamesLastChange(t *testing.T) {
	sc := newScene(t)
	tr, err := custody.ParseTrail(sc.trailWith(t, nil, sc.twoChanges))
	if err != nil {
		t.Fatal(err)
	}
	// Each agency has two changes; the last one listed (its seq 2) is cut.
	cut := tr.AgencyKeyChanges[len(tr.AgencyKeyChanges)-1].Event.Details.KeyChange.Agency
	tr.AgencyKeyChanges = tr.AgencyKeyChanges[:len(tr.AgencyKeyChanges)-1]
	_, err = custody.Verify(tr, sc.evx.Public(), custody.VerifyOptions{})
	var ke *custody.KeyHistoryError
	if !errors.As(err, &ke) || ke.Agency != cut || ke.Seq != 1 {
		t.Fatalf("Verify(%s's last change cut) = %v, want a *KeyHistoryError of %s at seq 1", cut, err, cut)
	}
}
