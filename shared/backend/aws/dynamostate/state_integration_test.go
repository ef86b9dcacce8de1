//go:build integration

package dynamostate_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/evx-project/evx/shared/backend/aws/dynamostate"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/statetest"
)

// newTable makes a fresh table with the keys template.yaml gives DeliveriesTable.
func newTable(t *testing.T, endpoint string) *dynamostate.Table {
	t.Helper()
	db, name := dynamotest.Table(t, endpoint, "deliveries", "counterpart", "delivery")
	return dynamostate.New(db, name)
}

func run(t *testing.T, endpoint string) {
	if endpoint == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	t.Run("uploads", func(t *testing.T) {
		statetest.RunUploads(t, func(t *testing.T) pipeline.Uploads { return newTable(t, endpoint) })
	})
	t.Run("deliveries", func(t *testing.T) {
		statetest.RunDeliveries(t, func(t *testing.T) pipeline.Deliveries { return newTable(t, endpoint) })
	})
	t.Run("checkpoints", func(t *testing.T) {
		statetest.RunCheckpoints(t, func(t *testing.T) pipeline.Checkpoints { return newTable(t, endpoint) })
	})
	t.Run("receipts", func(t *testing.T) {
		statetest.RunReceipts(t, func(t *testing.T) pipeline.Receipts { return newTable(t, endpoint) })
	})
	t.Run("submissions", func(t *testing.T) {
		statetest.RunSubmissions(t, func(t *testing.T) pipeline.Submissions { return newTable(t, endpoint) })
	})
	t.Run("members", func(t *testing.T) {
		statetest.RunMembers(t, func(t *testing.T) pipeline.Members { return newTable(t, endpoint) })
	})
	t.Run("guard", func(t *testing.T) {
		statetest.RunGuard(t, func(t *testing.T) pipeline.DocumentGuard {
			tb := newTable(t, endpoint)
			tb.HoldWait = time.Minute
			return tb
		})
	})
	t.Run("fixity-tally", func(t *testing.T) {
		tb, ctx := newTable(t, endpoint), context.Background()
		if _, _, _, ok, err := tb.LastFixityRun(ctx, "2026-12-05T02:00:00Z"); ok || err != nil {
			t.Fatalf("LastFixityRun(empty) = %v, %v; want none", ok, err)
		}
		// An item done before its run's count was recorded, then the count, then two more.
		if err := tb.FixityDone(ctx, "2026-12-04T02:00:00Z"); err != nil {
			t.Fatal(err)
		}
		if err := tb.FixitySent(ctx, "2026-12-04T02:00:00Z", 4); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := tb.FixityDone(ctx, "2026-12-04T02:00:00Z"); err != nil {
				t.Fatal(err)
			}
		}
		if err := tb.FixitySent(ctx, "2026-12-03T02:00:00Z", 9); err != nil {
			t.Fatal(err)
		}
		if err := tb.FixitySent(ctx, "2026-12-05T02:00:00Z", 5); err != nil {
			t.Fatal(err)
		}
		run, sent, done, ok, err := tb.LastFixityRun(ctx, "2026-12-05T02:00:00Z")
		if err != nil || !ok || run != "2026-12-04T02:00:00Z" || sent != 4 || done != 3 {
			t.Fatalf("LastFixityRun = %s, %d sent, %d done, %v, %v; want 2026-12-04T02:00:00Z, 4, 3", run, sent, done, ok, err)
		}
	})
	t.Run("subjects", func(t *testing.T) {
		tb, ctx := newTable(t, endpoint), context.Background()
		if got, err := tb.Subjects(ctx, "request:"); err != nil || len(got) != 0 {
			t.Fatalf("Subjects(empty) = %v, %v", got, err)
		}
		for _, s := range []string{"request:b", "request:a", "request:b", "agency:x"} {
			if err := tb.AddSubject(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := tb.Subjects(ctx, "request:"); err != nil || !slices.Equal(got, []string{"request:a", "request:b"}) {
			t.Fatalf("Subjects(request:) = %v, %v; want [request:a request:b]", got, err)
		}
		if err := tb.AddSubject(ctx, ""); err == nil {
			t.Error("AddSubject(\"\") = nil")
		}
	})
	t.Run("receipt-too-large", func(t *testing.T) {
		tb := newTable(t, endpoint)
		_, err := tb.PutReceipt(context.Background(), "d1", make([]byte, dynamostate.MaxReceiptBytes+1))
		var tl *dynamostate.ReceiptTooLargeError
		if !errors.As(err, &tl) {
			t.Fatalf("PutReceipt(%d bytes) = %v, want *ReceiptTooLargeError", dynamostate.MaxReceiptBytes+1, err)
		}
	})
	t.Run("source", func(t *testing.T) {
		tb, ctx := newTable(t, endpoint), context.Background()
		if _, err := tb.Source(ctx, "b1"); err == nil {
			t.Fatal("Source of an unrecorded bundle: no error")
		}
		want := dynamostate.Source{Bucket: "bk", Key: "incoming/a.zip", Version: "v1"}
		if err := tb.SetSource(ctx, "b1", want); err != nil {
			t.Fatal(err)
		}
		if got, err := tb.Source(ctx, "b1"); err != nil || got != want {
			t.Errorf("Source = %+v, %v; want %+v", got, err, want)
		}
		if ds, err := tb.ListDeliveries(ctx, "#source"); err != nil || len(ds) != 0 {
			t.Errorf("ListDeliveries(#source) = %v, %v; want none", ds, err)
		}
	})
}

func TestIntegrationStateMoto(t *testing.T) { run(t, os.Getenv("AWS_ENDPOINT_URL")) }

func TestIntegrationStateDynamoDBLocal(t *testing.T) { run(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL")) }
