package custody

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
)

// Completeness. A checkpoint of size N also commits to the head of every bundle at N: for each
// bundle with an event among the first N leaves, its last such event. The heads are the leaves
// of a second RFC 6962 tree, the heads tree, sorted by bundle key (byte order, each bundle
// once); its size and root are the checkpoint's extension line
//
//	heads <count> <base64 root>
//
// A head's leaf is the RFC 6962 leaf hash, SHA-256(0x00 || record), of its record, the text
//
//	evx-head/1\n<bundle key>\n<seq, decimal>\n<event hash, lowercase hex>\n<leaf index, decimal>\n
//
// where the bundle key is the lowercase hex SHA-256 of the bundle id ([BundleKey]); the tree is
// sorted by key. Keys, not ids, so that the feed a witness replays names no bundle.
//
// A trail carries its bundle's head record with its inclusion proof in the heads tree ([HeadProof]);
// Verify holds the trail's events to it: the trail must end with that event, so a trail with
// its last events removed is a *[TruncatedError]. The heads line is evx's statement, signed
// with the checkpoint; a witness's cosignature says the log is append-only, and the heads line
// inherits no more from it than that (docs/witnesses.md says what that guarantees and what not).

// Head is the last event of a bundle at some log size. A ledger fills BundleID; the feed a
// witness replays fills Key alone (BundleKey of the id).
type Head struct {
	BundleID string
	Key      string // BundleKey(BundleID); computed from BundleID when empty
	Seq      uint64
	Hash     string // the event's hash, lowercase hex
	Leaf     uint64 // its leaf index in the log
}

// BundleKey is the key of a bundle in the heads tree: the lowercase hex SHA-256 of its id.
func BundleKey(bundleID string) string {
	h := sha256.Sum256([]byte(bundleID))
	return hex.EncodeToString(h[:])
}

// key is h's bundle key.
func (h Head) key() string {
	if h.Key != "" {
		return h.Key
	}
	return BundleKey(h.BundleID)
}

// HeadLister is implemented by ledgers that can list every bundle's head at a log size: for each
// bundle with an event among the first size leaves, the last such event. Order is free. Keeper
// signs checkpoints with a heads line when its ledger has it.
//
// A ledger that keeps heads only at some sizes (on AWS, those of the checkpoints the audit
// function signed) returns an error that wraps ErrHeadsUnknown at the others: checkpoints
// signed at those sizes then carry no heads line, and trails exported there no head record.
type HeadLister interface {
	Heads(ctx context.Context, size uint64) ([]Head, error)
}

// ErrHeadsUnknown is what a HeadLister's Heads wraps when it keeps no heads at that log size.
var ErrHeadsUnknown = errors.New("no heads kept at this log size")

const headRecordPrefix = "evx-head/1\n"

// Record is the head's record, the bytes its heads-tree leaf hashes.
func (h Head) Record() []byte {
	b := make([]byte, 0, len(headRecordPrefix)+64+64+48)
	b = append(b, headRecordPrefix...)
	b = append(b, h.key()...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, h.Seq, 10)
	b = append(b, '\n')
	b = append(b, h.Hash...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, h.Leaf, 10)
	return append(b, '\n')
}

// HeadsTree is the heads tree of one log size: the heads sorted by bundle id.
type HeadsTree struct {
	heads  []Head
	leaves [][]byte
	root   []byte
}

// NewHeadsTree sorts heads by bundle key and builds their tree. Two heads of one bundle are
// an error.
func NewHeadsTree(heads []Head) (*HeadsTree, error) {
	hs := slices.Clone(heads)
	for i := range hs {
		hs[i].Key = hs[i].key()
	}
	slices.SortFunc(hs, func(a, b Head) int { return strings.Compare(a.Key, b.Key) })
	leaves := make([][]byte, len(hs))
	for i, h := range hs {
		if i > 0 && hs[i-1].Key == h.Key {
			return nil, fmt.Errorf("heads: bundle %s listed twice", h.Key)
		}
		l := LeafHash(h.Record())
		leaves[i] = l[:]
	}
	root, err := treeRoot(leaves)
	if err != nil {
		return nil, err
	}
	return &HeadsTree{heads: hs, leaves: leaves, root: root}, nil
}

// fastRanges hashes nodes with nodeHasher (one allocation a node).
var fastRanges = &compact.RangeFactory{Hash: nodeHasher{hasher}.HashChildren}

// treeRoot is the RFC 6962 root of the tree over leaves (leaf hashes).
func treeRoot(leaves [][]byte) ([]byte, error) {
	if len(leaves) == 0 {
		return hasher.EmptyRoot(), nil
	}
	r := fastRanges.NewEmptyRange(0)
	for _, l := range leaves {
		if err := r.Append(l, nil); err != nil {
			return nil, err
		}
	}
	return r.GetRootHash(nil)
}

// Size is the number of heads; Root the tree's root hash.
func (t *HeadsTree) Size() uint64 { return uint64(len(t.heads)) }
func (t *HeadsTree) Root() []byte { return t.root }

// Line is the checkpoint extension line that commits to the tree, without its newline.
func (t *HeadsTree) Line() string {
	return fmt.Sprintf("%s%d %s", checkpointHeadsPrefix, t.Size(), base64.StdEncoding.EncodeToString(t.root))
}

// Proof returns the head of bundleID and its inclusion proof; ok is false when the tree has no
// head of that bundle.
func (t *HeadsTree) Proof(bundleID string) (*HeadProof, bool, error) {
	i, found := slices.BinarySearchFunc(t.heads, BundleKey(bundleID), func(h Head, k string) int { return strings.Compare(h.Key, k) })
	if !found {
		return nil, false, nil
	}
	n, err := proof.Inclusion(uint64(i), t.Size())
	if err != nil {
		return nil, false, err
	}
	hs := make([][]byte, len(n.IDs))
	for j, id := range n.IDs {
		// A perfect subtree's hash from the sorted leaves it spans.
		begin, end := id.Coverage()
		var err error
		if hs[j], err = treeRoot(t.leaves[begin:end]); err != nil {
			return nil, false, err
		}
	}
	p, err := n.Rehash(hs, hasher.HashChildren)
	if err != nil {
		return nil, false, err
	}
	h := t.heads[i]
	return &HeadProof{Seq: h.Seq, Hash: h.Hash, Leaf: h.Leaf, Index: uint64(i), Proof: hexList(p)}, true, nil
}

// HeadProof is a bundle's head record in a checkpoint's heads tree, with the record's index in
// that tree and its RFC 6962 inclusion proof (lowercase hex, from the leaf upwards). The bundle
// is the trail's.
type HeadProof struct {
	Seq   uint64   `json:"seq"`
	Hash  string   `json:"hash"`
	Leaf  uint64   `json:"leaf_index"`
	Index uint64   `json:"index"`
	Proof []string `json:"proof"`
}

const checkpointHeadsPrefix = "heads "

// HeadsCommitment is what a checkpoint's heads line states.
type HeadsCommitment struct {
	Size uint64
	Root []byte
}

// CheckpointHeads returns the heads commitment a checkpoint's extension lines state, if any.
func CheckpointHeads(ext []byte) (HeadsCommitment, bool, error) {
	for _, line := range strings.Split(string(ext), "\n") {
		v, ok := strings.CutPrefix(line, checkpointHeadsPrefix)
		if !ok {
			continue
		}
		n, r, ok := strings.Cut(v, " ")
		size, err := strconv.ParseUint(n, 10, 64)
		root, rerr := base64.StdEncoding.Strict().DecodeString(r)
		if !ok || err != nil || rerr != nil || len(root) != hasher.Size() || strconv.FormatUint(size, 10) != n {
			return HeadsCommitment{}, false, fmt.Errorf("checkpoint heads line %q: want \"heads <count> <base64 root>\"", line)
		}
		return HeadsCommitment{Size: size, Root: root}, true, nil
	}
	return HeadsCommitment{}, false, nil
}

// NoteHeads returns the heads commitment of a signed checkpoint note (its signatures are not
// checked): what a store of checkpoints reads to know whether one commits to heads.
func NoteHeads(note []byte) (HeadsCommitment, bool, error) {
	body, _, _ := bytes.Cut(note, []byte("\n\n"))
	var cp log.Checkpoint
	ext, err := cp.Unmarshal(append(body[:len(body):len(body)], '\n'))
	if err != nil {
		return HeadsCommitment{}, false, err
	}
	return CheckpointHeads(ext)
}

// checkHead verifies that hp is bundleID's record in the heads tree hc commits to, and holds the
// trail's events to it: the events proven in a log of size logSize must end with the head's
// event. at names the checkpoint ("trail checkpoint", "witnessed checkpoint") in errors.
func checkHead(t *Trail, hp *HeadProof, hc HeadsCommitment, logSize uint64, at string) error {
	if hp == nil {
		return &FormatError{Err: fmt.Errorf("the %s commits to every bundle's head, the trail carries no head record", at)}
	}
	if !isHex(hp.Hash, 64) || len(hp.Proof) > maxProofLen {
		return &FormatError{Err: fmt.Errorf("head record of the %s: malformed", at)}
	}
	p, err := unhexList(hp.Proof)
	if err != nil {
		return &FormatError{Err: fmt.Errorf("head record of the %s: %w", at, err)}
	}
	h := Head{BundleID: t.BundleID, Seq: hp.Seq, Hash: hp.Hash, Leaf: hp.Leaf}
	leaf := LeafHash(h.Record())
	if hp.Index >= hc.Size {
		return &HeadError{At: at, Reason: fmt.Sprintf("head index %d beyond the %d heads the checkpoint commits to", hp.Index, hc.Size)}
	}
	root, err := proof.RootFromInclusionProof(nodeHasher{hasher}, hp.Index, hc.Size, leaf[:], p)
	if err != nil {
		return &HeadError{At: at, Reason: err.Error()}
	}
	if !bytes.Equal(root, hc.Root) {
		return &HeadError{At: at, Reason: fmt.Sprintf("head record proof gives heads root %x, checkpoint has %x", root, hc.Root)}
	}
	if hp.Leaf >= logSize {
		return &HeadError{At: at, Reason: fmt.Sprintf("head at leaf %d, beyond the log size %d", hp.Leaf, logSize)}
	}
	// The events of the trail that the log of size logSize holds: those at leaves below it.
	var last *TrailEvent
	for i := range t.Events {
		if t.Events[i].Leaf < logSize {
			last = &t.Events[i]
		}
	}
	if last == nil || hp.Seq > last.Event.Seq {
		var got uint64
		if last != nil {
			got = last.Event.Seq
		}
		return &TruncatedError{At: at, Size: logSize, WantSeq: hp.Seq, WantHash: hp.Hash, GotSeq: got}
	}
	if hp.Seq < last.Event.Seq || hp.Hash != last.Event.Hash || hp.Leaf != last.Leaf {
		return &HeadError{At: at, Reason: fmt.Sprintf("the checkpoint's head of the bundle is seq %d (event %s, leaf %d), the trail's last event in that log is seq %d (event %s, leaf %d)",
			hp.Seq, hp.Hash, hp.Leaf, last.Event.Seq, last.Event.Hash, last.Leaf)}
	}
	return nil
}

// headsAt builds the heads tree of the ledger at size, or returns nil when the ledger cannot
// list heads, or keeps none at that size.
func headsAt(ctx context.Context, l LogReader, size uint64) (*HeadsTree, error) {
	hl, ok := l.(HeadLister)
	if !ok {
		return nil, nil
	}
	hs, err := hl.Heads(ctx, size)
	if errors.Is(err, ErrHeadsUnknown) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("heads at %d: %w", size, err)
	}
	return NewHeadsTree(hs)
}

// HeadsOf lists the heads at size of a ledger given as its bundles' entries: the helper
// backends use to implement HeadLister over what they store.
func HeadsOf(bundles map[string][]Entry, size uint64) []Head {
	var out []Head
	for id, es := range bundles {
		for i := len(es) - 1; i >= 0; i-- {
			if es[i].Leaf < size {
				out = append(out, Head{BundleID: id, Seq: es[i].Event.Seq, Hash: es[i].Event.Hash, Leaf: es[i].Leaf})
				break
			}
		}
	}
	return out
}

var _ HeadLister = (*MemLedger)(nil)

// Heads implements HeadLister.
func (m *MemLedger) Heads(ctx context.Context, size uint64) ([]Head, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return HeadsOf(m.bundles, size), nil
}

// LeafLister is implemented by ledgers that list the log's leaves with the bundle and seq of
// their events: the feed a witness replays to check a checkpoint's heads line itself
// (package witness). Leaves returns the leaves from (inclusive) to to (exclusive), in order,
// each as the Head its event made; requires from <= to <= LogSize.
type LeafLister interface {
	Leaves(ctx context.Context, from, to uint64) ([]Head, error)
}

var _ LeafLister = (*MemLedger)(nil)

// Leaves implements LeafLister.
func (m *MemLedger) Leaves(ctx context.Context, from, to uint64) ([]Head, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if from > to || to > m.size {
		return nil, fmt.Errorf("leaves [%d, %d) of a log of size %d", from, to, m.size)
	}
	out := make([]Head, to-from)
	for id, es := range m.bundles {
		for _, e := range es {
			if e.Leaf >= from && e.Leaf < to {
				out[e.Leaf-from] = Head{BundleID: id, Seq: e.Event.Seq, Hash: e.Event.Hash, Leaf: e.Leaf}
			}
		}
	}
	return out, nil
}

// ReplayHeads applies the leaves of a log, in order from leaf next, to heads (bundle key ->
// head) and returns an error when a leaf does not follow its bundle's head (a
// seq that is not the next, a leaf index out of order). It is the check a replaying witness
// makes of the feed before rebuilding the heads tree.
func ReplayHeads(heads map[string]Head, next uint64, leaves []Head) error {
	for i, l := range leaves {
		if l.Leaf != next+uint64(i) {
			return fmt.Errorf("leaf %d listed as leaf %d", next+uint64(i), l.Leaf)
		}
		want := uint64(1)
		k := l.key()
		if h, ok := heads[k]; ok {
			want = h.Seq + 1
		}
		if l.Seq != want || !isHex(l.Hash, 64) || !isHex(k, 64) {
			return fmt.Errorf("leaf %d: bundle key %.64q seq %d, want seq %d after the bundle's head (and 64-digit hashes)", l.Leaf, k, l.Seq, want)
		}
		heads[k] = l
	}
	return nil
}

// RangeRoot returns the root of a log of size leaves from its compact range (the hashes of
// RangeIDs(size), as AppendLeaves returns them).
func RangeRoot(size uint64, rangeHashes [][]byte) ([]byte, error) {
	return rootFromRange(size, rangeHashes)
}
