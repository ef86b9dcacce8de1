package report_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// bigTrail records n events of one bundle: an acceptance of 50 documents, then consignments,
// fetches and receipts in turn.
func bigTrail(b *testing.B, n int) (*custody.Trail, *custody.Ed25519Signer) {
	ctx := context.Background()
	s, _ := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	now := time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC)
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.example.org/custody",
		Now: func() time.Time { now = now.Add(time.Second); return now }}
	var docs []custody.Document
	for i := range 50 {
		docs = append(docs, custody.Document{Name: fmt.Sprintf("data/doc-%03d.pdf", i), Size: int64(1000 * i), SHA256: fmt.Sprintf("%064x", i)})
	}
	types := []custody.EventType{custody.ContentConsignment, custody.ContentAccessTracking, custody.ConsignmentAcceptance}
	for i := range n {
		typ, d := types[i%3], custody.Details{Counterpart: fmt.Sprintf("CP-%d", i%7)}
		if i == 0 {
			typ, d = custody.SubmissionAcceptance, custody.Details{Documents: docs}
		}
		if _, err := k.Record(ctx, "bench", typ, custody.Actor{Kind: custody.ActorSystem, ID: "bench"}, d); err != nil {
			b.Fatal(err)
		}
	}
	tr, err := k.Export(ctx, "bench", custody.ExportOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return tr, s
}

// BenchmarkPDF renders the report of trails of 10 and 500 events and reports its cost as a
// ratio to verifying the same trail (custody.Verify), measured in the same run.
func BenchmarkPDF(b *testing.B) {
	for _, n := range []int{10, 500} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			tr, s := bigTrail(b, n)
			v, err := report.Check(tr, s.Public(), custody.VerifyOptions{})
			if err != nil || !v.Verified {
				b.Fatal(err, v.Failure)
			}
			// The reference runs for at least 100 ms, so that a short trail's verification is
			// timed over many runs.
			refRuns := 0
			start := time.Now()
			for refRuns < 3 || time.Since(start) < 100*time.Millisecond {
				if _, err := custody.Verify(tr, s.Public(), custody.VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
				refRuns++
			}
			verify := time.Since(start) / time.Duration(refRuns)
			b.ResetTimer()
			start = time.Now()
			for b.Loop() {
				if err := report.PDF(io.Discard, tr, v, report.Options{Fonts: testFonts, Generated: genTime}); err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(per)/float64(verify), "ratio-vs-verify")
		})
	}
}
