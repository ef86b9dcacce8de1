package custody

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// MemLedger is the reference Ledger: everything in memory, behind one mutex. It defines the
// behaviour the persistent ledgers must match (package ledgertest runs them all) and serves
// tests of the packages that use a ledger.
type MemLedger struct {
	mu      sync.Mutex
	bundles map[string][]Entry
	nodes   map[compact.NodeID][]byte
	rng     [][]byte // compact range [0, size)
	size    uint64
}

// NewMemLedger returns an empty ledger.
func NewMemLedger() *MemLedger {
	return &MemLedger{bundles: map[string][]Entry{}, nodes: map[compact.NodeID][]byte{}}
}

var (
	_ Ledger        = (*MemLedger)(nil)
	_ BatchAppender = (*MemLedger)(nil)
)

func (m *MemLedger) Append(ctx context.Context, e Event) (uint64, error) {
	leaves, err := m.AppendAll(ctx, []Event{e})
	if err != nil {
		return 0, err
	}
	return leaves[0], nil
}

// AppendAll implements BatchAppender.
func (m *MemLedger) AppendAll(ctx context.Context, evs []Event) ([]uint64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckBatch(evs); err != nil {
		return nil, err
	}
	hashes := make([][]byte, len(evs))
	for i, e := range evs {
		if err := CheckSealed(e); err != nil {
			return nil, err
		}
		hashes[i], _ = decodeHash(e.Hash)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	bundle := m.bundles[evs[0].BundleID]
	var last Entry
	if len(bundle) > 0 {
		last = bundle[len(bundle)-1]
	}
	if err := CheckNext(evs[0], last, len(bundle) > 0); err != nil {
		return nil, err
	}
	rng, nodes, err := AppendLeaves(m.size, m.rng, hashes)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		m.nodes[n.ID] = n.Hash
	}
	leaves := make([]uint64, len(evs))
	for i, e := range evs {
		leaves[i] = m.size + uint64(i)
		bundle = append(bundle, Entry{Event: cloneEvent(e), Leaf: leaves[i]})
	}
	m.bundles[evs[0].BundleID] = bundle
	m.rng, m.size = rng, m.size+uint64(len(evs))
	return leaves, nil
}

func (m *MemLedger) Events(ctx context.Context, bundleID string) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	evs := m.bundles[bundleID]
	out := make([]Entry, len(evs))
	for i, en := range evs {
		out[i] = Entry{Event: cloneEvent(en.Event), Leaf: en.Leaf}
	}
	return out, nil
}

func (m *MemLedger) Last(ctx context.Context, bundleID string) (Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	evs := m.bundles[bundleID]
	if len(evs) == 0 {
		return Entry{}, false, nil
	}
	last := evs[len(evs)-1]
	return Entry{Event: cloneEvent(last.Event), Leaf: last.Leaf}, true, nil
}

func (m *MemLedger) LogSize(ctx context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.size, nil
}

func (m *MemLedger) Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := m.nodes[id]
		if !ok {
			return nil, fmt.Errorf("log node %d/%d not stored", id.Level, id.Index)
		}
		out[i] = h
	}
	return out, nil
}

// decodeHash turns a stated event hash into the 32-byte leaf hash.
func decodeHash(s string) ([]byte, error) {
	if !isHex(s, 64) {
		return nil, fmt.Errorf("event hash %q: want 64 lowercase hex digits", s)
	}
	var b [32]byte
	for i := range b {
		b[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return b[:], nil
}

func unhex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// cloneEvent copies e's slices, so callers never share memory with the stored record.
func cloneEvent(e Event) Event {
	e.Details.Documents = append([]Document(nil), e.Details.Documents...)
	e.Details.Reasons = append([]string(nil), e.Details.Reasons...)
	if m := e.Details.DocumentManifest; m != nil {
		c := *m
		e.Details.DocumentManifest = &c
	}
	return e
}

// Subjects returns the ids of the bundles (and other custody subjects) that start with prefix.
func (m *MemLedger) Subjects(ctx context.Context, prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for id := range m.bundles {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}
