package local

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// appendEvents records n events, signed, spread over bundles, written by writers goroutines
// perCall events at a time (RecordAll), and returns the elapsed time.
func appendEvents(b *testing.B, l custody.Ledger, n, writers, perCall int) time.Duration {
	ctx := context.Background()
	k := &custody.Keeper{Ledger: l, Signer: ledgertest.Signer(), Origin: "evx.bench/custody"}
	doc := custody.Document{Name: "data/report.pdf", Size: 123456, SHA256: fmt.Sprintf("%064x", 42)}
	drafts := make([]custody.Draft, perCall)
	for i := range drafts {
		drafts[i] = custody.Draft{Type: custody.Hashed, Actor: custody.Actor{Kind: custody.ActorSystem, ID: "ingest"},
			Details: custody.Details{Documents: []custody.Document{doc}}}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * perCall; i < n; i += writers * perCall {
				if _, err := k.RecordAll(ctx, fmt.Sprintf("bundle-%d-%d", w, i/48), drafts); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkSQLiteAppend appends 2,000 signed events per iteration to the SQLite ledger (a fresh
// database file, synchronous=FULL: every append is a durable transaction) from 1, 8 and 32
// writers recording one event per call, and from one writer recording 8 events per call
// (RecordAll, as ingest records a bundle's first steps). It reports events per second and the
// ratio to the in-memory reference ledger doing the same work in the same run. Goal: 2,000
// events/s or more.
func BenchmarkSQLiteAppend(b *testing.B) {
	const n = 2000
	for _, c := range []struct{ writers, perCall int }{{1, 1}, {8, 1}, {32, 1}, {1, 8}} {
		writers, perCall := c.writers, c.perCall
		b.Run(fmt.Sprintf("writers=%d/events-per-call=%d", writers, perCall), func(b *testing.B) {
			var sqliteTime, memTime, sqliteCPU time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ctx := context.Background()
				db, err := OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				l, err := NewLedger(ctx, db)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				cpu0 := cpuTime()
				sqliteTime += appendEvents(b, l, n, writers, perCall)
				sqliteCPU += cpuTime() - cpu0
				b.StopTimer()
				db.Close()
				memTime += appendEvents(b, custody.NewMemLedger(), n, writers, perCall)
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/sqliteTime.Seconds(), "events/s")
			b.ReportMetric(sqliteTime.Seconds()/memTime.Seconds(), "ratio-vs-memledger")
			// CPU time per event: what the machine's other load cannot inflate.
			b.ReportMetric(float64(sqliteCPU.Microseconds())/float64(n*b.N), "cpu-µs/event")
		})
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
