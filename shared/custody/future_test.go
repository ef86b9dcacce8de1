package custody

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

// futureTrail records three events, the second stamped by a clock set decades ahead and
// then set back, and exports the trail at export.
func futureTrail(t *testing.T, export time.Time) (*Trail, ed25519.PublicKey) {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(nil)
	s, err := NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := base
	k := &Keeper{Ledger: NewMemLedger(), Signer: s, Origin: "evx.example/custody", Now: func() time.Time { return clock }}
	ctx := context.Background()
	for _, at := range []time.Time{base, base.AddDate(40, 0, 0)} {
		clock = at
		if _, err := k.Record(ctx, "B", SubmissionAcceptance, Actor{Kind: ActorSystem, ID: "x"}, Details{}); err != nil {
			t.Fatal(err)
		}
	}
	clock = export
	tr, err := k.Export(ctx, "B", ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr, pub
}

// An event dated after the export's own (signed) time, or after the verifier's clock plus
// the tolerance, fails with a *FutureEventError that says which bound it passed.
func TestFutureEvents(t *testing.T) {
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tr, pub := futureTrail(t, base.Add(time.Hour))
	_, err := Verify(tr, pub, VerifyOptions{})
	var fe *FutureEventError
	if !errors.As(err, &fe) || fe.Seq != 2 || fe.Bound != "export" {
		t.Fatalf("Verify(event after export) = %v, want *FutureEventError for seq 2, bound export", err)
	}
	if !strings.Contains(err.Error(), "2066-03-01T09:00:00") || !strings.Contains(err.Error(), "after the trail was exported") {
		t.Errorf("message %q does not name the event's time and the export", err)
	}

	// Exported even later (the clock still ahead): the export bound holds, the clock's does not.
	tr, pub = futureTrail(t, base.AddDate(41, 0, 0))
	if _, err := Verify(tr, pub, VerifyOptions{}); err != nil {
		t.Fatalf("Verify without a clock = %v, want nil", err)
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		tol  time.Duration
		want bool
	}{
		{"verifier in 2026", base.Add(24 * time.Hour), 0, true},
		{"tolerance of a year is not enough", base.Add(24 * time.Hour), 365 * 24 * time.Hour, true},
		{"verifier in 2070", base.AddDate(44, 0, 0), 0, false},
		{"within the tolerance", base.AddDate(40, 0, 0).Add(-time.Minute), 0, false},
		{"beyond the tolerance", base.AddDate(40, 0, 0).Add(-time.Minute), 30 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tr, pub, VerifyOptions{Now: tc.now, Tolerance: tc.tol})
			var fe *FutureEventError
			if got := errors.As(err, &fe); got != tc.want || (got && (fe.Bound != "clock" || fe.Seq != 2)) {
				t.Fatalf("Verify(now %s, tolerance %s) = %v, want future event: %v", tc.now.Format(TimeFormat), tc.tol, err, tc.want)
			}
			if tc.want && !strings.Contains(err.Error(), "future") {
				t.Errorf("message %q does not say the event lies in the future", err)
			}
		})
	}
}

// The export time is signed: a checkpoint's time line cannot be moved without breaking the
// checkpoint's signature.
func TestCheckpointTimeIsSigned(t *testing.T) {
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tr, pub := futureTrail(t, base.AddDate(41, 0, 0))
	cp, at, err := OpenCheckpointTime([]byte(tr.Checkpoint), pub)
	if err != nil || !at.Equal(base.AddDate(41, 0, 0)) || cp.Size != 2 {
		t.Fatalf("OpenCheckpointTime = %v, %s, %v", cp, at, err)
	}
	tr.Checkpoint = strings.Replace(tr.Checkpoint, "time 2067", "time 2099", 1)
	var ce *CheckpointError
	if _, err := Verify(tr, pub, VerifyOptions{}); !errors.As(err, &ce) {
		t.Fatalf("Verify(checkpoint time moved) = %v, want *CheckpointError", err)
	}
}
