package statetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/pipeline"
)

// RunCheckpoints checks a Checkpoints backend; newCheckpoints returns an empty one.
func RunCheckpoints(t *testing.T, newCheckpoints func(t *testing.T) pipeline.Checkpoints) {
	ctx := context.Background()
	t.Run("first-write-wins", func(t *testing.T) {
		c := newCheckpoints(t)
		if _, err := c.Checkpoint(ctx, 5); !errors.Is(err, pipeline.ErrNotFound) {
			t.Fatalf("Checkpoint(none stored) = %v, want ErrNotFound", err)
		}
		if got, err := c.RecentCheckpoints(ctx, 4); err != nil || len(got) != 0 {
			t.Fatalf("RecentCheckpoints(empty) = %v, %v; want none", got, err)
		}
		got, err := c.PutCheckpoint(ctx, 5, []byte("cp 5\n"))
		if err != nil || string(got) != "cp 5\n" {
			t.Fatalf("PutCheckpoint = %q, %v; want the note put", got, err)
		}
		if got, err = c.PutCheckpoint(ctx, 5, []byte("other cp 5\n")); err != nil || string(got) != "cp 5\n" {
			t.Fatalf("PutCheckpoint(again) = %q, %v; want the first note", got, err)
		}
		if got, err = c.Checkpoint(ctx, 5); err != nil || string(got) != "cp 5\n" {
			t.Fatalf("Checkpoint = %q, %v; want the first note", got, err)
		}
	})
	t.Run("recent-largest-first", func(t *testing.T) {
		c := newCheckpoints(t)
		// Sizes that sort differently as text and as numbers.
		for _, size := range []uint64{9, 100, 10, 2, 1 << 40} {
			if _, err := c.PutCheckpoint(ctx, size, []byte(fmt.Sprintf("cp %d\n", size))); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.RecentCheckpoints(ctx, 3)
		if want := []uint64{1 << 40, 100, 10}; err != nil || !slices.Equal(got, want) {
			t.Fatalf("RecentCheckpoints(3) = %v, %v; want %v", got, err, want)
		}
		got, err = c.RecentCheckpoints(ctx, 100)
		if want := []uint64{1 << 40, 100, 10, 9, 2}; err != nil || !slices.Equal(got, want) {
			t.Fatalf("RecentCheckpoints(100) = %v, %v; want %v", got, err, want)
		}
	})
	t.Run("cosignatures", func(t *testing.T) {
		c := newCheckpoints(t)
		if _, err := c.PutCheckpoint(ctx, 7, []byte("cp 7\n")); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Cosignatures(ctx, 7); err != nil || len(got) != 0 {
			t.Fatalf("Cosignatures(none) = %q, %v; want none", got, err)
		}
		for _, w := range []struct{ id, line string }{{"w-b+01", "b1\n"}, {"w-a+02", "a1\n"}, {"w-b+01", "b2\n"}} {
			if err := c.PutCosignature(ctx, 7, w.id, []byte(w.line)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.Cosignatures(ctx, 7)
		if err != nil || len(got) != 2 || string(got[0]) != "a1\n" || string(got[1]) != "b2\n" {
			t.Fatalf("Cosignatures = %q, %v; want [a1 b2]: ordered by witness, the later line of w-b", got, err)
		}
		if got, err := c.Cosignatures(ctx, 8); err != nil || len(got) != 0 {
			t.Fatalf("Cosignatures(other size) = %q, %v; want none", got, err)
		}
	})
	t.Run("concurrent-writers-agree", func(t *testing.T) {
		c := newCheckpoints(t)
		const n = 8
		got := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := c.PutCheckpoint(ctx, 3, []byte{'a' + byte(i), '\n'})
				got[i], errs[i] = string(b), err
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || got[i] != got[0] {
				t.Fatalf("writer %d got %q, %v; writer 0 got %q: want one winner for all", i, got[i], errs[i], got[0])
			}
		}
	})
}
