//go:build integration

package dynamosearch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/aws/dynamotest"

	"github.com/evx-project/evx/shared/backend/aws/dynamosearch"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/searchtest"
)

// newIndex makes a fresh table with the keys template.yaml gives SearchTable.
func newIndex(t *testing.T, endpoint string) *dynamosearch.Index {
	t.Helper()
	db, name := dynamotest.Table(t, endpoint, "search", "pk", "sk")
	return dynamosearch.New(db, name)
}

func run(t *testing.T, endpoint string) {
	if endpoint == "" {
		t.Skip("no emulator endpoint: run through infra/integration.sh")
	}
	searchtest.Run(t, func(t *testing.T) pipeline.SearchIndex { return newIndex(t, endpoint) })
	// More bundles than one batch of checks, a word in all of them: newest first, the limit
	// kept, every other word checked.
	t.Run("many", func(t *testing.T) {
		x, ctx := newIndex(t, endpoint), context.Background()
		for i := range 230 {
			text := "cocaine shipment"
			if i%3 == 0 {
				text += " rotterdam"
			}
			if err := x.IndexBundle(ctx, pipeline.SearchRecord{BundleID: fmt.Sprintf("b%03d", i), Received: searchtest.Day.Add(time.Duration(i) * time.Minute),
				Documents: []pipeline.SearchDocument{{Name: "d.txt", Text: text}}}); err != nil {
				t.Fatal(err)
			}
		}
		hits, err := x.Search(ctx, pipeline.SearchQuery{Text: "rotterdam cocaine", Limit: 60})
		if err != nil || len(hits) != 60 || hits[0].BundleID != "b228" || hits[59].BundleID != fmt.Sprintf("b%03d", 228-3*59) {
			t.Fatalf("Search = %d hits (%v), first %v, last %v", len(hits), err, first(hits), last(hits))
		}
		if hits, err := x.Search(ctx, pipeline.SearchQuery{Text: "shipment"}); err != nil || len(hits) != pipeline.DefaultSearchLimit {
			t.Errorf("Search(shipment) = %d hits, %v; want the default limit", len(hits), err)
		}
	})
	t.Run("one-letter-prefix", func(t *testing.T) {
		x := newIndex(t, endpoint)
		var qe *pipeline.SearchQueryError
		if _, err := x.Search(context.Background(), pipeline.SearchQuery{Text: "b*"}); !errors.As(err, &qe) {
			t.Errorf("Search(b*) = %v, want a *SearchQueryError", err)
		}
	})
}

func first(h []pipeline.SearchHit) string {
	if len(h) == 0 {
		return ""
	}
	return h[0].BundleID
}

func last(h []pipeline.SearchHit) string {
	if len(h) == 0 {
		return ""
	}
	return h[len(h)-1].BundleID
}

func TestIntegrationSearchMoto(t *testing.T) { run(t, os.Getenv("AWS_ENDPOINT_URL")) }

func TestIntegrationSearchDynamoDBLocal(t *testing.T) { run(t, os.Getenv("EVX_DYNAMODB_LOCAL_URL")) }
