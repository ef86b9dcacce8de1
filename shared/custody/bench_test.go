package custody_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
	"github.com/transparency-dev/merkle/compact"
)

// bigTrail builds the trail of one bundle of n events, in a log where other bundles' events
// alternate with it (so the log holds 2n leaves). Hashes are chained in order; signatures are
// computed on every core.
func bigTrail(tb testing.TB, n int) *custody.Trail {
	tb.Helper()
	ctx := context.Background()
	s := ledgertest.Signer()
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	mk := func(bundle string, seq int, prev string) custody.Event {
		e := custody.Event{BundleID: bundle, Seq: uint64(seq), Prev: prev, Type: custody.ContentAccessTracking,
			Time: t0.Add(time.Duration(seq) * time.Millisecond), KeyID: s.KeyID(),
			Actor:   custody.Actor{Kind: custody.ActorCounterpart, ID: "NL-OM"},
			Details: custody.Details{Counterpart: "NL-OM", Documents: []custody.Document{{Name: "data/report.pdf", Size: 123456, SHA256: fmt.Sprintf("%064x", seq)}}}}
		h, err := e.ComputeHash()
		if err != nil {
			tb.Fatal(err)
		}
		e.Hash = hex.EncodeToString(h[:])
		return e
	}
	var evs []custody.Event
	prevA, prevB := "", ""
	for i := 1; i <= n; i++ {
		a := mk("big", i, prevA)
		b := mk("other", i, prevB)
		prevA, prevB = a.Hash, b.Hash
		evs = append(evs, a, b)
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(evs); i += workers {
				h, _ := hex.DecodeString(evs[i].Hash)
				sig, _ := s.Sign(ctx, h)
				evs[i].Signature = base64.StdEncoding.EncodeToString(sig)
			}
		}()
	}
	wg.Wait()
	l := custody.NewMemLedger()
	for _, e := range evs {
		if _, err := l.Append(ctx, e); err != nil {
			tb.Fatal(err)
		}
	}
	tr, err := custody.Export(ctx, l, s, "evx.bench/custody", "big", custody.ExportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// BenchmarkVerify100k verifies a 100,000-event trail from its JSON file (parse, chain,
// signatures, inclusion proofs) and reports the time per trail and ratios against a plain
// sequential Ed25519 verification of 100,000 signatures and a SHA-256 pass over the file,
// both measured in the same run. The goal is under 2 s per trail.
func BenchmarkVerify100k(b *testing.B) {
	n := benchEvents
	if testing.Short() {
		n = 10_000
	}
	tr := bigTrail(b, n)
	data, err := json.Marshal(tr)
	if err != nil {
		b.Fatal(err)
	}
	pub := ledgertest.Signer().Public()

	// References, measured now.
	start := time.Now()
	msg := sha256.Sum256([]byte("m"))
	sig, _ := ledgertest.Signer().Sign(context.Background(), msg[:])
	for i := 0; i < n; i++ {
		ed25519.Verify(pub.(ed25519.PublicKey), msg[:], sig)
	}
	refEd := time.Since(start)
	start = time.Now()
	sha256.Sum256(data)
	refSHA := time.Since(start)

	// Collect the setup's garbage now, so that the time and CPU measured are verification's.
	runtime.GC()
	b.ResetTimer()
	start = time.Now()
	cpu0 := cpuTime()
	// The label marks verification's samples (its workers inherit it): with -cpuprofile,
	// `go tool pprof -tagfocus phase=verify` leaves out the setup that signs the trail.
	pprof.Do(context.Background(), pprof.Labels("phase", "verify"), func(context.Context) {
		for i := 0; i < b.N; i++ {
			rep, err := custody.VerifyTrail(data, pub, custody.VerifyOptions{})
			if err != nil || rep.Events != n {
				b.Fatalf("VerifyTrail = %v, %v", rep, err)
			}
		}
	})
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(per.Seconds(), "s/trail")
	// CPU seconds (all threads): less sensitive than wall time to other load on the machine.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/trail")
	b.ReportMetric(float64(n)/per.Seconds(), "events/s")
	b.ReportMetric(float64(len(data))/(1<<20), "trail-MiB")
	b.ReportMetric(per.Seconds()/refEd.Seconds(), "ratio-vs-sequential-ed25519-verify")
	b.ReportMetric(per.Seconds()/refSHA.Seconds(), "ratio-vs-sha256-of-file")
}

// BenchmarkProofSize reports the longest inclusion proof in a log of 2^17+1 leaves next to
// ceil(log2 n), the RFC 6962 bound.
func BenchmarkProofSize(b *testing.B) {
	ctx := context.Background()
	const n = 1<<17 + 1
	var leaves [][]byte
	for i := 0; i < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprint(i)))
		leaves = append(leaves, h[:])
	}
	_, nodes, err := custody.AppendLeaves(0, nil, leaves)
	if err != nil {
		b.Fatal(err)
	}
	r := nodeStore{size: n, m: map[compact.NodeID][]byte{}}
	for _, nd := range nodes {
		r.m[nd.ID] = nd.Hash
	}
	b.ResetTimer()
	longest := 0
	for i := 0; i < b.N; i++ {
		for _, idx := range []uint64{0, 1, n / 3, n / 2, n - 2, n - 1} {
			p, err := custody.InclusionProof(ctx, r, idx, n)
			if err != nil {
				b.Fatal(err)
			}
			longest = max(longest, len(p))
		}
	}
	b.ReportMetric(float64(longest), "max-proof-hashes")
	b.ReportMetric(math.Ceil(math.Log2(n)), "ceil-log2-n")
}

// nodeStore is a LogReader over a map of nodes.
type nodeStore struct {
	size uint64
	m    map[compact.NodeID][]byte
}

func (s nodeStore) LogSize(context.Context) (uint64, error) { return s.size, nil }
func (s nodeStore) Nodes(_ context.Context, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := s.m[id]
		if !ok {
			return nil, fmt.Errorf("node %v missing", id)
		}
		out[i] = h
	}
	return out, nil
}

// benchEvents is the trail length of BenchmarkVerify100k (smaller under -short).
var benchEvents = 100_000

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
