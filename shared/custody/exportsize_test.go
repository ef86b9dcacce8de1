package custody

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// TestExportAtSize: a trail exported at an earlier log size holds only the bundle's events
// below it, verifies, and is byte for byte the trail exported at that size before the log
// grew (on a stopped clock); a size beyond the log is a *LogSizeError.
func TestExportAtSize(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	s, err := NewEd25519Signer(priv)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	k := &Keeper{Ledger: NewMemLedger(), Signer: s, Origin: "evx.example/custody", Now: func() time.Time { return now }}
	ctx := context.Background()
	rec := func(subject string) {
		if _, err := k.Record(ctx, subject, SubmissionAcceptance, Actor{Kind: ActorSystem, ID: "x"}, Details{}); err != nil {
			t.Fatal(err)
		}
	}
	rec("B")
	rec("B")
	then, err := k.Export(ctx, "B", ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(then)
	rec("reads:B") // another subject grows the log
	rec("B")       // and so does the bundle
	for _, tc := range []struct {
		size   uint64
		events int
		same   bool
	}{{2, 2, true}, {3, 2, false}, {4, 3, false}, {1, 1, false}} {
		tr, err := k.Export(ctx, "B", ExportOptions{Size: tc.size})
		if err != nil {
			t.Fatalf("size %d: %v", tc.size, err)
		}
		if len(tr.Events) != tc.events {
			t.Errorf("size %d: %d events, want %d", tc.size, len(tr.Events), tc.events)
		}
		if _, err := Verify(tr, pub, VerifyOptions{}); err != nil {
			t.Errorf("size %d: %v", tc.size, err)
		}
		got, _ := json.Marshal(tr)
		if bytes.Equal(got, want) != tc.same {
			t.Errorf("size %d: same bytes as the export at size 2 = %v, want %v", tc.size, !tc.same, tc.same)
		}
	}
	var le *LogSizeError
	if _, err := k.Export(ctx, "B", ExportOptions{Size: 5}); !errors.As(err, &le) || le.Want != 5 || le.Size != 4 {
		t.Errorf("size 5 of a log of 4: %v, want a *LogSizeError", err)
	}
	if _, err := k.Export(ctx, "reads:B", ExportOptions{Size: 2}); err == nil {
		t.Error("export of a subject with no event below the size: no error")
	}
}
