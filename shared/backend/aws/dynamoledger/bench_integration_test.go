//go:build integration

package dynamoledger_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/evx-project/evx/shared/backend/aws/dynamoledger"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// BenchmarkIntegrationAppend appends on DynamoDB Local with 1 and 64 concurrent writers, in
// the single-transaction layout (New: one global log head in every event's transaction) and
// the sequenced one (NewSequenced), in the same run; each writer is a Ledger of its own (as
// each Lambda is) appending to its own bundle. It reports events/s, logs the DynamoDB
// requests made, and prints the ratio of the sequenced layout to the single one. b.N is the
// events of one run, over all writers (make bench-aws runs 640):
//
//	infra/emulators.sh run go test -tags integration -run '^$' -bench IntegrationAppend -benchtime 640x ./shared/backend/aws/dynamoledger
func BenchmarkIntegrationAppend(b *testing.B) {
	endpoint := os.Getenv("EVX_DYNAMODB_LOCAL_URL")
	if endpoint == "" {
		b.Skip("no emulator endpoint: run through infra/emulators.sh run")
	}
	db := benchClient(b, endpoint)
	cnt := &counting{Client: db}
	layouts := []struct {
		name string
		open func(c, l, p string) *dynamoledger.Ledger
	}{
		{"single", func(c, l, _ string) *dynamoledger.Ledger { return dynamoledger.NewWith(cnt, c, l, "") }},
		{"sequenced", func(c, l, p string) *dynamoledger.Ledger { return dynamoledger.NewWith(cnt, c, l, p) }},
	}
	rate := map[string]float64{}
	for _, writers := range []int{1, 64} {
		for _, lay := range layouts {
			name := fmt.Sprintf("%s/writers=%d", lay.name, writers)
			b.Run(name, func(b *testing.B) {
				c, l, p := createTables(b, db)
				chains := sealChains(b, writers, b.N)
				ledgers := make([]*dynamoledger.Ledger, writers)
				for w := range ledgers {
					ledgers[w] = lay.open(c, l, p)
				}
				ctx := context.Background()
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for w, chain := range chains {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for _, e := range chain {
							if _, err := ledgers[w].Append(ctx, e); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				if n, err := ledgers[0].LogSize(ctx); err != nil || n != uint64(b.N) {
					b.Fatalf("LogSize = %d, %v, want %d", n, err, b.N)
				}
				rate[name] = float64(b.N) / elapsed.Seconds()
				b.ReportMetric(rate[name], "events/s")
				b.Logf("%d events, requests: %v", b.N, cnt)
				cnt.reset()
			})
		}
		single, seq := rate[fmt.Sprintf("single/writers=%d", writers)], rate[fmt.Sprintf("sequenced/writers=%d", writers)]
		if single > 0 {
			fmt.Printf("append %d writers: sequenced %.0f events/s, single-transaction %.0f events/s: %.1fx\n", writers, seq, single, seq/single)
		}
	}
}

// benchClient is a DynamoDB client whose connection pool holds a connection per writer.
func benchClient(b testing.TB, endpoint string) *dynamodb.Client {
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	})
	db, err := dynamoledger.NewClient(context.Background(), func(o *dynamodb.Options) {
		o.BaseEndpoint, o.HTTPClient = &endpoint, hc
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// sealChains seals total events over writers bundles, one chain each.
func sealChains(b *testing.B, writers, total int) [][]custody.Event {
	ctx := context.Background()
	signer := ledgertest.Signer()
	chains := make([][]custody.Event, writers)
	t0 := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	for i := range total {
		w := i % writers
		e := custody.Event{BundleID: fmt.Sprint("bench-", w), Seq: uint64(len(chains[w]) + 1), Type: custody.Hashed,
			Time: t0.Add(time.Duration(i) * time.Millisecond), Actor: custody.Actor{Kind: custody.ActorSystem, ID: "bench"}}
		if n := len(chains[w]); n > 0 {
			e.Prev = chains[w][n-1].Hash
		}
		if err := custody.Seal(ctx, signer, &e); err != nil {
			b.Fatal(err)
		}
		chains[w] = append(chains[w], e)
	}
	return chains
}
