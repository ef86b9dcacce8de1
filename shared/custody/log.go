package custody

import (
	"context"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// The log is an RFC 6962 Merkle tree over event leaf hashes (github.com/transparency-dev/merkle
// v0.0.2). A backend stores only perfect-subtree node hashes, each written once when its last
// leaf arrives; the root of any size, and every inclusion and consistency proof, is computed
// from at most 2·log2(n) of them, so no tree is ever held in memory.

var (
	hasher = rfc6962.DefaultHasher
	ranges = &compact.RangeFactory{Hash: hasher.HashChildren}
)

// Node is one perfect-subtree hash of the log, as a backend stores it.
type Node struct {
	ID   compact.NodeID
	Hash []byte
}

// RangeIDs lists the nodes of the compact range [0, size): the perfect subtrees, left to right,
// that a backend reads to append after size leaves (popcount(size) of them).
func RangeIDs(size uint64) []compact.NodeID {
	return compact.RangeNodes(0, size, nil)
}

// AppendLeaves appends leaf hashes to a log of size leaves whose compact range is rangeHashes
// (the hashes of RangeIDs(size), in order). It returns the compact range of the grown log and
// the nodes to store: every leaf and every perfect subtree the leaves complete. rangeHashes is
// not modified.
func AppendLeaves(size uint64, rangeHashes [][]byte, leaves [][]byte) (newRange [][]byte, nodes []Node, err error) {
	// The range works in place on the slice it is given: copy it, so the caller's (a cache,
	// a failed batch) is never changed.
	r, err := ranges.NewRange(0, size, append([][]byte(nil), rangeHashes...))
	if err != nil {
		return nil, nil, fmt.Errorf("log range at size %d: %w", size, err)
	}
	visit := func(id compact.NodeID, h []byte) {
		nodes = append(nodes, Node{ID: id, Hash: append([]byte(nil), h...)})
	}
	for _, l := range leaves {
		if len(l) != hasher.Size() {
			return nil, nil, fmt.Errorf("leaf hash of %d bytes, want %d", len(l), hasher.Size())
		}
		if err := r.Append(l, visit); err != nil {
			return nil, nil, err
		}
	}
	return r.Hashes(), nodes, nil
}

// RootAt returns the root hash of the log's first size leaves. Requires size <= LogSize.
func RootAt(ctx context.Context, r LogReader, size uint64) ([]byte, error) {
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	hs, err := r.Nodes(ctx, RangeIDs(size))
	if err != nil {
		return nil, fmt.Errorf("root at %d: %w", size, err)
	}
	return rootFromRange(size, hs)
}

func rootFromRange(size uint64, hs [][]byte) ([]byte, error) {
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	rg, err := ranges.NewRange(0, size, hs)
	if err != nil {
		return nil, err
	}
	return rg.GetRootHash(nil)
}

// InclusionProof returns the RFC 6962 inclusion proof of leaf index in the tree of the first
// size leaves: ceil(log2(size)) hashes at most. Requires index < size <= LogSize.
func InclusionProof(ctx context.Context, r LogReader, index, size uint64) ([][]byte, error) {
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return fetchProof(ctx, r, n)
}

// ConsistencyProof returns the RFC 6962 consistency proof between the trees of size1 and size2
// leaves. Requires size1 <= size2 <= LogSize.
func ConsistencyProof(ctx context.Context, r LogReader, size1, size2 uint64) ([][]byte, error) {
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return fetchProof(ctx, r, n)
}

func fetchProof(ctx context.Context, r LogReader, n proof.Nodes) ([][]byte, error) {
	hs, err := r.Nodes(ctx, n.IDs)
	if err != nil {
		return nil, fmt.Errorf("proof nodes: %w", err)
	}
	return n.Rehash(hs, hasher.HashChildren)
}
