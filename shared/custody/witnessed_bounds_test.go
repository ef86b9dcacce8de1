package custody

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"

	"golang.org/x/mod/sumdb/note"
)

// The messages of the completeness and seal errors say what they hold, and only that.
func TestWitnessedErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&QuorumError{Want: 2, Keys: 3}, "witnesses: 0 valid cosignature(s) by the 3 witness key(s) given, quorum is 2"},
		{&QuorumError{Want: 2, Got: []string{"w1+01"}, Keys: 3}, "witnesses: 1 valid cosignature(s) by the 3 witness key(s) given, quorum is 2 (cosigned by w1+01)"},
		{&QuorumError{Want: 1, Keys: 1, Reason: "none"}, "witnesses: 0 valid cosignature(s) by the 1 witness key(s) given, quorum is 1: none"},
		{&TruncatedError{At: "trail checkpoint", Size: 10, WantSeq: 8, WantHash: "h8", GotSeq: 5},
			"trail is incomplete: the trail checkpoint (log size 10) commits to the bundle's event seq 8 (h8), the trail ends at seq 5: 3 event(s) are missing from its end"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%T.Error() = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// A seal or key validity error without an event (a key history's own) has no seq in its
// Failure; one of an event has it.
func TestSealFailureSeq(t *testing.T) {
	for _, tc := range []struct {
		err    interface{ Failure() Failure }
		hasSeq bool
	}{
		{&SealError{Seq: 0, Agency: "nl-pol"}, false},
		{&SealError{Seq: 1, Agency: "nl-pol"}, true},
		{&KeyValidityError{Seq: 0, Agency: "nl-pol"}, false},
		{&KeyValidityError{Seq: 1, Agency: "nl-pol"}, true},
	} {
		if f := tc.err.Failure(); f.HasSeq != tc.hasSeq {
			t.Errorf("%T%+v: HasSeq %v, want %v", tc.err, tc.err, f.HasSeq, tc.hasSeq)
		}
	}
}

// witnessLog is a log of bundles B and C (B at leaves 0, 1, 3; C at 2, 4) and two witnesses.
type witnessLog struct {
	k      *Keeper
	vkeys  []string
	signer []*fnote.Signer
}

func newWitnessLog(t *testing.T) *witnessLog {
	t.Helper()
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	w := &witnessLog{k: &Keeper{Ledger: NewMemLedger(), Signer: newTestSigner(t), Origin: "evx.test/custody",
		Now: func() time.Time { clock = clock.Add(time.Minute); return clock }}}
	for _, b := range []string{"B", "B", "C", "B", "C"} {
		if _, err := w.k.Record(context.Background(), b, SubmissionAcceptance, Actor{Kind: ActorSystem, ID: "x"}, Details{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"w1.example/w", "w2.example/w"} {
		skey, vkey, err := note.GenerateKey(nil, name)
		if err != nil {
			t.Fatal(err)
		}
		cv, err := fnote.VKeyToCosignatureV1(vkey)
		if err != nil {
			t.Fatal(err)
		}
		s, err := fnote.NewSignerForCosignatureV1(skey)
		if err != nil {
			t.Fatal(err)
		}
		w.vkeys, w.signer = append(w.vkeys, cv), append(w.signer, s)
	}
	return w
}

// checkpoint is evx's checkpoint of the log at size, with its heads line, cosigned by the
// witnesses given (indexes into w.signer).
func (w *witnessLog) checkpoint(t *testing.T, size uint64, by ...int) []byte {
	t.Helper()
	ctx := context.Background()
	root, err := RootAt(ctx, w.k.Ledger, size)
	if err != nil {
		t.Fatal(err)
	}
	heads, err := headsAt(ctx, w.k.Ledger, size)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := SignCheckpointHeads(ctx, w.k.Signer, w.k.Origin, size, root, w.k.Now(), heads)
	if err != nil {
		t.Fatal(err)
	}
	return w.cosign(t, cp, by...)
}

// cosign appends the cosignatures of the witnesses by to the signed note cp.
func (w *witnessLog) cosign(t *testing.T, cp []byte, by ...int) []byte {
	t.Helper()
	body, _, _ := strings.Cut(string(cp), "\n\n")
	out := string(cp)
	for _, i := range by {
		signed, err := note.Sign(&note.Note{Text: body + "\n"}, w.signer[i])
		if err != nil {
			t.Fatal(err)
		}
		_, sig, _ := strings.Cut(string(signed), "\n\n")
		out += sig
	}
	return []byte(out)
}

func (w *witnessLog) export(t *testing.T, size uint64, witnessed []byte) *Trail {
	t.Helper()
	tr, err := w.k.Export(context.Background(), "B", ExportOptions{Size: size, Witnessed: witnessed})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Completeness through a cosigned checkpoint older or newer than the trail's, with and without
// witness keys, at the quorum's bounds.
func TestWitnessedCompleteness(t *testing.T) {
	w := newWitnessLog(t)
	pub := w.k.Signer.Public()
	for _, tc := range []struct {
		name      string
		trailSize uint64
		witnessed []byte
		keys      []string
		quorum    int
		size      uint64 // complete as of
		witness   bool
	}{
		{"older cosigned, quorum 1", 0, w.checkpoint(t, 3, 0), w.vkeys, 1, 3, true},
		{"older cosigned, quorum 2", 0, w.checkpoint(t, 3, 0, 1), w.vkeys, 2, 3, true},
		{"older cosigned, no keys", 0, w.checkpoint(t, 3, 0), nil, 0, 5, false},
		{"newer cosigned, no keys", 4, w.checkpoint(t, 5, 0), nil, 0, 5, false},
		{"newer cosigned, quorum 1", 4, w.checkpoint(t, 5, 1), w.vkeys, 1, 5, true},
		{"cosigned by no key given, quorum 0", 0, w.checkpoint(t, 3, 1), w.vkeys[:1], 0, 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Verify(w.export(t, tc.trailSize, tc.witnessed), pub, VerifyOptions{Witnesses: tc.keys, Quorum: tc.quorum})
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			if c := rep.Complete; c == nil || c.Size != tc.size || c.Witnessed != tc.witness {
				t.Errorf("complete %+v, want as of %d, witnessed %v", c, tc.size, tc.witness)
			}
		})
	}
}

// The trail's own checkpoint may carry the cosignatures; a witnessed checkpoint by another key
// or with a consistency proof past its bound is refused with its type.
func TestWitnessedOwnCheckpointAndBounds(t *testing.T) {
	w := newWitnessLog(t)
	pub := w.k.Signer.Public()
	tr := w.export(t, 0, nil)
	tr.Checkpoint = string(w.cosign(t, []byte(tr.Checkpoint), 0))
	rep, err := Verify(tr, pub, VerifyOptions{Witnesses: w.vkeys, Quorum: 1})
	if err != nil || rep.Complete == nil || !rep.Complete.Witnessed || rep.Complete.Size != 5 {
		t.Fatalf("Verify(own checkpoint cosigned once, quorum 1) = %+v, %v; want complete as of 5, witnessed", rep, err)
	}

	other := &witnessLog{k: &Keeper{Ledger: w.k.Ledger, Signer: newTestSigner(t), Origin: w.k.Origin, Now: w.k.Now}, signer: w.signer}
	for _, tc := range []struct {
		name   string
		mutate func(*Trail)
		want   any
	}{
		{"witnessed checkpoint by another key", func(tr *Trail) { tr.Witnessed.Checkpoint = string(other.checkpoint(t, 3, 0)) }, new(*CheckpointError)},
		{"consistency proof of 128 hashes", func(tr *Trail) { tr.Witnessed.Consistency = repeatHash(2 * maxProofLen) }, new(*ConsistencyError)},
		{"consistency proof of 129 hashes", func(tr *Trail) { tr.Witnessed.Consistency = repeatHash(2*maxProofLen + 1) }, new(*FormatError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := w.export(t, 0, w.checkpoint(t, 3, 0))
			tc.mutate(tr)
			if _, err := Verify(tr, pub, VerifyOptions{Witnesses: w.vkeys, Quorum: 1}); err == nil || !errors.As(err, tc.want) {
				t.Errorf("Verify = %v, want %T", err, tc.want)
			}
		})
	}
}

func repeatHash(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Repeat("ab", 32)
	}
	return out
}

// TestWitnessedRecordSizeBound: a cosigned checkpoint of exactly maxCheckpoint bytes is read
// (and here refused for its origin); one byte more is refused unread.
func TestWitnessedRecordSizeBound(t *testing.T) {
	body := "other.example/log\n1\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n\n"
	pad := func(n int) []byte {
		w := []byte(body)
		for len(w) < n {
			w = append(w, '-')
		}
		return w[:n]
	}
	_, err := witnessedRecord(context.Background(), nil, "evx.test/custody", "b", 1, pad(maxCheckpoint))
	if err == nil || !strings.Contains(err.Error(), "checkpoint of log") {
		t.Errorf("a checkpoint of %d bytes: %v, want it read and refused for its origin", maxCheckpoint, err)
	}
	_, err = witnessedRecord(context.Background(), nil, "evx.test/custody", "b", 1, pad(maxCheckpoint+1))
	if err == nil || err.Error() != "not a signed checkpoint note" {
		t.Errorf("a checkpoint of %d bytes: %v, want refused unread", maxCheckpoint+1, err)
	}
}
