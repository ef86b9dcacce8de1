// Package indextest is the conformance suite of pipeline.IdentifierIndex: every backend of
// the hit/no-hit index (SQLite on one machine, DynamoDB on AWS) runs it.
package indextest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
)

// Run checks an IdentifierIndex; newIndex returns an empty one.
func Run(t *testing.T, newIndex func(t *testing.T) pipeline.IdentifierIndex) {
	ctx := context.Background()
	secret := make([]byte, identify.MinSecret)
	k1 := identify.Key(secret, identify.Container, "CSQU3054383")
	k2 := identify.Key(secret, identify.IBAN, "NL91ABNA0417164300")

	t.Run("add-lookup-bundle", func(t *testing.T) {
		x := newIndex(t)
		a := pipeline.IndexedBundle{BundleID: "a", Agency: "nl-politie", Matching: true}
		b := pipeline.IndexedBundle{BundleID: "b", Agency: "es-fge", Matching: false}
		if err := x.AddBundle(ctx, a, []pipeline.IndexEntry{{Key: k1, Type: identify.Container}, {Key: k2, Type: identify.IBAN}}); err != nil {
			t.Fatal(err)
		}
		if err := x.AddBundle(ctx, b, []pipeline.IndexEntry{{Key: k1, Type: identify.Container}}); err != nil {
			t.Fatal(err)
		}
		// Adding a bundle again changes nothing, even with other entries.
		if err := x.AddBundle(ctx, pipeline.IndexedBundle{BundleID: "b", Agency: "other", Matching: true}, []pipeline.IndexEntry{{Key: k2, Type: identify.IBAN}}); err != nil {
			t.Fatal(err)
		}
		hs, err := x.Lookup(ctx, k1, 10)
		if err != nil || len(hs) != 2 {
			t.Fatalf("Lookup(k1) = %+v, %v; want 2 holdings", hs, err)
		}
		slices.SortFunc(hs, func(p, q pipeline.Holding) int { return strings.Compare(p.BundleID, q.BundleID) })
		if hs[0] != (pipeline.Holding{BundleID: "a", Agency: "nl-politie", Matching: true}) || hs[1] != (pipeline.Holding{BundleID: "b", Agency: "es-fge", Matching: false}) {
			t.Errorf("Lookup(k1) = %+v", hs)
		}
		if hs, _ := x.Lookup(ctx, k2, 10); len(hs) != 1 || hs[0].BundleID != "a" {
			t.Errorf("Lookup(k2) = %+v, want bundle a only", hs)
		}
		if hs, _ := x.Lookup(ctx, k1, 1); len(hs) != 1 {
			t.Errorf("Lookup(k1, max 1) = %d holdings", len(hs))
		}
		if hs, err := x.Lookup(ctx, [32]byte{}, 10); err != nil || len(hs) != 0 {
			t.Errorf("Lookup(absent) = %+v, %v", hs, err)
		}
		if got, err := x.Bundle(ctx, "b"); err != nil || got != (pipeline.IndexedBundle{BundleID: "b", Agency: "es-fge", Identifiers: 1}) {
			t.Errorf("Bundle(b) = %+v, %v", got, err)
		}
		if got, err := x.Bundle(ctx, "a"); err != nil || got != (pipeline.IndexedBundle{BundleID: "a", Agency: "nl-politie", Matching: true, Identifiers: 2}) {
			t.Errorf("Bundle(a) = %+v, %v", got, err)
		}
		if _, err := x.Bundle(ctx, "zz"); !errors.Is(err, pipeline.ErrNotFound) {
			t.Errorf("Bundle(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("no-entries", func(t *testing.T) {
		x := newIndex(t)
		if err := x.AddBundle(ctx, pipeline.IndexedBundle{BundleID: "empty", Agency: "nl-om"}, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := x.Bundle(ctx, "empty"); err != nil || got.Identifiers != 0 || got.Agency != "nl-om" {
			t.Errorf("Bundle(empty) = %+v, %v", got, err)
		}
	})

	// A bundle with many identifiers (past any batch size of the backend's writes), and a
	// key held by many bundles (past one page of a lookup).
	t.Run("many", func(t *testing.T) {
		x := newIndex(t)
		var entries []pipeline.IndexEntry
		for i := range 260 {
			entries = append(entries, pipeline.IndexEntry{Key: identify.Key(secret, identify.Phone, fmt.Sprintf("+3161234%04d", i)), Type: identify.Phone})
		}
		if err := x.AddBundle(ctx, pipeline.IndexedBundle{BundleID: "big", Agency: "nl-om", Matching: true}, entries); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 24, 25, 99, 100, 259} {
			if hs, err := x.Lookup(ctx, entries[i].Key, 10); err != nil || len(hs) != 1 || hs[0].BundleID != "big" {
				t.Errorf("Lookup(entry %d) = %+v, %v", i, hs, err)
			}
		}
		if got, err := x.Bundle(ctx, "big"); err != nil || got.Identifiers != 260 {
			t.Errorf("Bundle(big) = %+v, %v; want 260 identifiers", got, err)
		}
		for i := range 40 {
			if err := x.AddBundle(ctx, pipeline.IndexedBundle{BundleID: fmt.Sprintf("b%02d", i), Agency: "es-fge"}, []pipeline.IndexEntry{{Key: k1, Type: identify.Container}}); err != nil {
				t.Fatal(err)
			}
		}
		if hs, err := x.Lookup(ctx, k1, 1000); err != nil || len(hs) != 40 {
			t.Errorf("Lookup(k1 of 40 bundles) = %d, %v", len(hs), err)
		}
		if hs, err := x.Lookup(ctx, k1, 7); err != nil || len(hs) != 7 {
			t.Errorf("Lookup(k1, max 7) = %d, %v", len(hs), err)
		}
	})

	// Two writers adding the same bundle (a retried indexing racing the first) leave one
	// record.
	t.Run("concurrent-add", func(t *testing.T) {
		x := newIndex(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = x.AddBundle(ctx, pipeline.IndexedBundle{BundleID: "race", Agency: "nl-om", Matching: true}, []pipeline.IndexEntry{{Key: k2, Type: identify.IBAN}})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("AddBundle #%d = %v", i, err)
			}
		}
		if hs, err := x.Lookup(ctx, k2, 10); err != nil || len(hs) != 1 {
			t.Errorf("Lookup after the race = %+v, %v; want one holding", hs, err)
		}
	})
}
