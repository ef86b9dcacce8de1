package api_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
	"github.com/evx-project/evx/shared/backend/local/sqliteledger"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// smallBags writes n distinct bags of about size bytes (one document of incompressible
// bytes), each for two counterparts, and returns their bytes.
func smallBags(b *testing.B, n int, size int64) [][]byte {
	dir := b.TempDir()
	out := make([][]byte, n)
	for i := range n {
		src := filepath.Join(dir, "intercept.bin")
		buf := make([]byte, size)
		rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), 's'}).Read(buf)
		if err := os.WriteFile(src, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		bag := filepath.Join(dir, "bundle.zip")
		if _, err := bagit.Create(bag, []string{src}, bagit.CreateOptions{Info: bagit.Info{
			{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelCounterpart, Value: "es-fge"},
			{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"},
		}}); err != nil {
			b.Fatal(err)
		}
		raw, err := os.ReadFile(bag)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = raw
		os.Remove(bag)
	}
	return out
}

// benchEnv reads a positive whole number from the environment variable name, else def.
func benchEnv(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// BenchmarkServeSmallBundles uploads 1,000 bundles of 100 KiB, each for two counterparts,
// over HTTP from 8 and from 16 concurrent clients to the handler evx serve runs over the embedded
// backend (a data folder: SQLite with synchronous=FULL, blobs fsynced; each upload is
// spooled, ingested and routed before its answer), and reports bundles/s and custody
// events/s. Goal: 200 bundles/s on two cores. Beside them, sqlite-append-events/s is the
// SQLite ledger's own append rate measured in the same run (32 writers, one signed event per
// call, as sqliteledger's BenchmarkSQLiteAppend goal case), and ratio-vs-sqlite-append the
// share of it the uploads reach. EVX_BENCH_SERVE_BUNDLES and EVX_BENCH_SERVE_CLIENTS (one
// count instead of the two) change the numbers.
func BenchmarkServeSmallBundles(b *testing.B) {
	n := benchEnv(b, "EVX_BENCH_SERVE_BUNDLES", 1000)
	bags := smallBags(b, n, 100<<10)
	toks, err := api.ParseTokens(strings.NewReader(tokensFile))
	if err != nil {
		b.Fatal(err)
	}
	counts := []int{8, 16} // 16: the most uploads evx serve receives at once
	if v := os.Getenv("EVX_BENCH_SERVE_CLIENTS"); v != "" {
		counts = []int{benchEnv(b, "EVX_BENCH_SERVE_CLIENTS", 8)}
	}
	for _, clients := range counts {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { serveBundles(b, bags, clients, toks) })
	}
}

func serveBundles(b *testing.B, bags [][]byte, clients int, toks *api.Tokens) {
	n := len(bags)
	var elapsed, appendRate float64
	var events uint64
	for b.Loop() {
		b.StopTimer()
		ctx := context.Background()
		node, err := local.OpenNode(ctx, b.TempDir(), local.NodeOptions{Directory: "../../infra/counterparts.yaml"})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(api.New(node.Service, node.Uploads, toks, api.Limits{}, nil).WithResumable(node.Parts))
		tr := &http.Transport{MaxIdleConnsPerHost: clients}
		c, err := client.New(srv.URL, client.WithToken(tokens["alice"]), client.WithHTTPClient(&http.Client{Transport: tr}))
		if err != nil {
			b.Fatal(err)
		}
		next := make(chan []byte)
		var wg sync.WaitGroup
		b.StartTimer()
		start := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for raw := range next {
					st, err := c.Upload(ctx, bytes.NewReader(raw), int64(len(raw)))
					if err != nil {
						b.Error(err)
						continue
					}
					if st.Ingest == nil || !st.Ingest.Accepted || len(st.Deliveries) != 2 {
						b.Errorf("upload = %+v, want accepted with 2 deliveries", st)
					}
				}
			}()
		}
		for _, raw := range bags {
			next <- raw
		}
		close(next)
		wg.Wait()
		elapsed += time.Since(start).Seconds()
		b.StopTimer()
		size, err := node.Ledger.LogSize(ctx)
		if err != nil {
			b.Fatal(err)
		}
		events += size
		srv.Close()
		tr.CloseIdleConnections()
		node.Close()
		appendRate += sqliteAppendRate(b, 2000, 32)
		b.StartTimer()
	}
	runs := float64(b.N)
	b.ReportMetric(float64(n)*runs/elapsed, "bundles/s")
	b.ReportMetric(float64(events)/elapsed, "events/s")
	b.ReportMetric(appendRate/runs, "sqlite-append-events/s")
	b.ReportMetric(float64(events)/elapsed/(appendRate/runs), "ratio-vs-sqlite-append")
}

// sqliteAppendRate appends n signed events to a fresh SQLite ledger from writers goroutines,
// one event per call on bundles of their own, and returns events per second.
func sqliteAppendRate(b *testing.B, n, writers int) float64 {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, filepath.Join(b.TempDir(), "append.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l, err := sqliteledger.New(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	k := &custody.Keeper{Ledger: l, Signer: ledgertest.Signer(), Origin: "evx.bench/custody"}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				if _, err := k.Record(ctx, fmt.Sprintf("bundle-%d", w), custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}, custody.Details{}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}
