package statetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
)

// RunGuard checks a DocumentGuard; newGuard returns an empty one. Holds that wait are given a
// few seconds: a backend polls, and the suite runs against emulators.
func RunGuard(t *testing.T, newGuard func(t *testing.T) pipeline.DocumentGuard) {
	ctx := context.Background()
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	claim := func(t *testing.T, g pipeline.DocumentGuard, sum, bundle string, wantOK bool, wantHolder string) {
		t.Helper()
		holder, ok, err := g.Claim(ctx, sum, bundle)
		if err != nil || ok != wantOK || (!ok && holder != wantHolder) {
			t.Fatalf("Claim(%s, %s) = %q, %v, %v; want ok %v (holder %q)", sum[:6], bundle, holder, ok, err, wantOK, wantHolder)
		}
	}
	sum := func(i int) string { return fmt.Sprintf("%064x", 0xd0c0+i) }
	t.Run("unheld-and-sole-holder", func(t *testing.T) {
		g := newGuard(t)
		claim(t, g, sum(1), "A", true, "") // never held (stored before holds were kept)
		claim(t, g, sum(1), "A", true, "") // a claim held already succeeds again
		must(t, g.Release(ctx, sum(1), "A"))
		must(t, g.Hold(ctx, sum(2), "A"))
		must(t, g.Hold(ctx, sum(2), "A")) // holding twice is holding
		claim(t, g, sum(2), "A", true, "")
		must(t, g.Release(ctx, sum(2), "A"))
	})
	t.Run("other-holder", func(t *testing.T) {
		g := newGuard(t)
		must(t, g.Hold(ctx, sum(3), "A"))
		must(t, g.Hold(ctx, sum(3), "B"))
		claim(t, g, sum(3), "A", false, "B")
		must(t, g.Drop(ctx, sum(3), "B"))
		claim(t, g, sum(3), "A", true, "")
		// Another disposal cannot claim it meanwhile, nor release A's claim.
		claim(t, g, sum(3), "C", false, "A")
		must(t, g.Release(ctx, sum(3), "C"))
		claim(t, g, sum(3), "C", false, "A")
		must(t, g.Release(ctx, sum(3), "A"))
		claim(t, g, sum(3), "C", true, "") // A's hold ended with its claim
	})
	t.Run("hold-waits-for-release", func(t *testing.T) {
		g := newGuard(t)
		claim(t, g, sum(4), "A", true, "")
		done := make(chan error, 1)
		hctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		go func() { done <- g.Hold(hctx, sum(4), "B") }()
		select {
		case err := <-done:
			t.Fatalf("Hold returned %v while a disposal claims the blob", err)
		case <-time.After(400 * time.Millisecond):
		}
		must(t, g.Release(ctx, sum(4), "A"))
		if err := <-done; err != nil {
			t.Fatalf("Hold after the release = %v", err)
		}
		claim(t, g, sum(4), "A", false, "B")
	})
	t.Run("hold-fails-while-claimed", func(t *testing.T) {
		g := newGuard(t)
		claim(t, g, sum(5), "A", true, "")
		hctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if err := g.Hold(hctx, sum(5), "B"); err == nil {
			t.Fatal("Hold returned nil while a disposal claims the blob")
		}
		must(t, g.Release(ctx, sum(5), "A"))
		claim(t, g, sum(5), "C", true, "") // B's failed hold holds nothing
	})
	// Ingests race a disposal: whoever the claim lets through, no hold returns while the
	// claim stands, and a claim that loses names one who holds.
	t.Run("race", func(t *testing.T) {
		g := newGuard(t)
		must(t, g.Hold(ctx, sum(6), "A"))
		var mu sync.Mutex
		var released time.Time
		var wg sync.WaitGroup
		returned := make([]time.Time, 16)
		errs := make([]error, 16)
		start := make(chan struct{})
		for i := range returned {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				errs[i] = g.Hold(hctx, sum(6), fmt.Sprintf("B%02d", i))
				mu.Lock()
				returned[i] = time.Now()
				mu.Unlock()
			}()
		}
		close(start)
		holder, ok, err := g.Claim(ctx, sum(6), "A")
		must(t, err)
		if ok {
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			released = time.Now()
			mu.Unlock()
			must(t, g.Release(ctx, sum(6), "A"))
		} else if len(holder) != 3 || holder[0] != 'B' {
			t.Errorf("lost claim names %q, want one of the ingests", holder)
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("Hold %d = %v", i, err)
			}
			if ok && returned[i].Before(released) {
				// A hold recorded before the claim would have made the claim lose.
				t.Errorf("Hold %d returned at %v, before the claim's release at %v", i, returned[i], released)
			}
		}
		// Every ingest holds the blob now.
		if holder, ok, err := g.Claim(ctx, sum(6), "A"); err != nil || ok || len(holder) != 3 || holder[0] != 'B' {
			t.Errorf("Claim after the race = %q, %v, %v; want it refused, naming an ingest", holder, ok, err)
		}
	})
}

// MemGuard is the reference DocumentGuard, in memory, for one process's tests.
type MemGuard struct {
	mu    sync.Mutex
	blobs map[string]*memBlob
	// Wait bounds a Hold that waits for a claim to end; 0 means until ctx ends.
	Wait time.Duration
}

type memBlob struct {
	holders map[string]bool
	claimer string
}

func (g *MemGuard) blob(sum string) *memBlob {
	if g.blobs == nil {
		g.blobs = map[string]*memBlob{}
	}
	b := g.blobs[sum]
	if b == nil {
		b = &memBlob{holders: map[string]bool{}}
		g.blobs[sum] = b
	}
	return b
}

// Hold implements pipeline.DocumentGuard, polling while a claim stands.
func (g *MemGuard) Hold(ctx context.Context, sum, bundle string) error {
	var deadline <-chan time.Time
	if g.Wait > 0 {
		deadline = time.After(g.Wait)
	}
	for {
		g.mu.Lock()
		b := g.blob(sum)
		if b.claimer == "" || b.claimer == bundle {
			b.holders[bundle] = true
			g.mu.Unlock()
			return nil
		}
		by := b.claimer
		g.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("blob %s is being disposed of by %s: %w", sum, by, ctx.Err())
		case <-deadline:
			return errors.New("blob " + sum + " is being disposed of by " + by)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Claim implements pipeline.DocumentGuard.
func (g *MemGuard) Claim(ctx context.Context, sum, bundle string) (string, bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.blob(sum)
	if b.claimer != "" && b.claimer != bundle {
		return b.claimer, false, nil
	}
	for h := range b.holders {
		if h != bundle {
			return h, false, nil
		}
	}
	b.claimer = bundle
	return "", true, nil
}

// Drop implements pipeline.DocumentGuard.
func (g *MemGuard) Drop(ctx context.Context, sum, bundle string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.blob(sum).holders, bundle)
	return nil
}

// Release implements pipeline.DocumentGuard.
func (g *MemGuard) Release(ctx context.Context, sum, bundle string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.blob(sum)
	if b.claimer == bundle {
		b.claimer = ""
		delete(b.holders, bundle)
	}
	return nil
}

var _ pipeline.DocumentGuard = (*MemGuard)(nil)
