package statetest

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/pipeline"
)

// RunMembers checks a Members backend; newMembers returns an empty one.
func RunMembers(t *testing.T, newMembers func(t *testing.T) pipeline.Members) {
	ctx := context.Background()
	m := newMembers(t)
	a := pipeline.MemberRecord{Path: "data/a.pdf", Size: 10, Digests: map[string]string{"sha256": strings.Repeat("a", 64), "sha512": strings.Repeat("b", 128)}}
	long := pipeline.MemberRecord{Path: "data/" + strings.Repeat("ü/", 200) + "x.txt", Size: 0, Digests: map[string]string{"sha256": strings.Repeat("c", 64)}}
	for _, r := range []pipeline.MemberRecord{a, long} {
		if err := m.RecordMember(ctx, "b1", r); err != nil {
			t.Fatalf("RecordMember(%s): %v", r.Path, err)
		}
	}
	// A record replaced: the extraction added.
	a.MediaType, a.Extraction = "application/pdf", strings.Repeat("d", 64)
	if err := m.RecordMember(ctx, "b1", a); err != nil {
		t.Fatal(err)
	}
	// A bundle whose id is a prefix of b1's keeps its records apart.
	if err := m.RecordMember(ctx, "b", pipeline.MemberRecord{Path: "data/a.pdf", Size: 3, Digests: map[string]string{"sha256": strings.Repeat("e", 64)}}); err != nil {
		t.Fatal(err)
	}
	got, err := m.BundleMembers(ctx, "b1")
	if err != nil {
		t.Fatalf("BundleMembers(b1): %v", err)
	}
	slices.SortFunc(got, func(x, y pipeline.MemberRecord) int { return strings.Compare(x.Path, y.Path) })
	want := []pipeline.MemberRecord{a, long}
	if len(got) != 2 || !sameRecord(got[0], want[0]) || !sameRecord(got[1], want[1]) {
		t.Errorf("BundleMembers(b1) = %+v, want %+v", got, want)
	}
	if got, err := m.BundleMembers(ctx, "b2"); err != nil || len(got) != 0 {
		t.Errorf("BundleMembers(unknown) = %+v, %v; want none", got, err)
	}
	// Chunks counted once each, per bundle.
	for i, tc := range []struct {
		bundle string
		k      int
		want   int
	}{{"b1", 0, 1}, {"b1", 2, 2}, {"b1", 0, 2}, {"b", 0, 1}, {"b1", 1, 3}} {
		if n, err := m.ChunkDone(ctx, tc.bundle, tc.k); err != nil || n != tc.want {
			t.Errorf("step %d: ChunkDone(%s, %d) = %d, %v; want %d", i, tc.bundle, tc.k, n, err, tc.want)
		}
	}
}

func sameRecord(x, y pipeline.MemberRecord) bool {
	return x.Path == y.Path && x.Size == y.Size && maps.Equal(x.Digests, y.Digests) && x.MediaType == y.MediaType && x.Extraction == y.Extraction
}

// MemMembers is the reference Members, in memory, for one process's tests. Puts counts the
// records written.
type MemMembers struct {
	mu     sync.Mutex
	recs   map[string]map[string]pipeline.MemberRecord
	chunks map[string]map[int]bool
	Puts   int
}

// RecordMember implements pipeline.Members.
func (m *MemMembers) RecordMember(ctx context.Context, bundleID string, r pipeline.MemberRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs = map[string]map[string]pipeline.MemberRecord{}
	}
	if m.recs[bundleID] == nil {
		m.recs[bundleID] = map[string]pipeline.MemberRecord{}
	}
	r.Digests = maps.Clone(r.Digests)
	m.recs[bundleID][r.Path] = r
	m.Puts++
	return nil
}

// BundleMembers implements pipeline.Members.
func (m *MemMembers) BundleMembers(ctx context.Context, bundleID string) ([]pipeline.MemberRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []pipeline.MemberRecord
	for _, r := range m.recs[bundleID] {
		r.Digests = maps.Clone(r.Digests)
		out = append(out, r)
	}
	return out, nil
}

// ChunkDone implements pipeline.Members.
func (m *MemMembers) ChunkDone(ctx context.Context, bundleID string, k int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.chunks == nil {
		m.chunks = map[string]map[int]bool{}
	}
	if m.chunks[bundleID] == nil {
		m.chunks[bundleID] = map[int]bool{}
	}
	m.chunks[bundleID][k] = true
	return len(m.chunks[bundleID]), nil
}
