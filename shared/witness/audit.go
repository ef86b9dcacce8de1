package witness

import (
	"bytes"
	"context"
	"crypto"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/evx-project/evx/shared/custody"
)

// Auditing. A witness with a Feed does more than check consistency: it replays every leaf of
// the log (each leaf's bundle key, seq and event hash, as the feed lists them), checks that the
// leaves make the root the checkpoint signs and that each bundle's seqs follow one another,
// rebuilds the heads tree and cosigns only if the checkpoint's heads line commits to that
// tree. The replay state (the log's compact range and every bundle's head) is kept in
// audit.json beside latest.checkpoint, so each round reads only the new leaves.

// Feed lists the log's leaves from (inclusive) to to (exclusive); it may return fewer than
// asked (a page), never more, and never none while from < to.
type Feed func(ctx context.Context, from, to uint64) ([]custody.Head, error)

// AuditError: the log's leaves or its heads line do not hold up to the replay. Nothing was
// cosigned. Evidence, when set, is the folder holding the checkpoint and what the replay
// computed.
type AuditError struct {
	Origin   string
	Size     uint64
	Reason   string
	Evidence string
}

func (e *AuditError) Error() string {
	msg := fmt.Sprintf("ALERT: log %s at size %d does not hold up to this witness's replay: %s. Nothing was cosigned.", e.Origin, e.Size, e.Reason)
	if e.Evidence != "" {
		msg += " The checkpoint and the heads this witness computed are kept in " + e.Evidence + "; export the trails of the bundles concerned to see which event the log's heads leave out."
	}
	return msg
}

// auditState is audit.json.
type auditState struct {
	Size  uint64      `json:"size"`
	Range []string    `json:"range"` // the compact range of the first Size leaves, hex
	Heads []auditHead `json:"heads"`
	index map[string]custody.Head
}

type auditHead struct {
	Key  string `json:"key"`
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
	Leaf uint64 `json:"leaf_index"`
}

func loadAudit(path string) (*auditState, error) {
	st := &auditState{index: map[string]custody.Head{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, h := range st.Heads {
		st.index[h.Key] = custody.Head{Key: h.Key, Seq: h.Seq, Hash: h.Hash, Leaf: h.Leaf}
	}
	return st, nil
}

// audit replays the leaves of cp beyond the state in dir and checks cp's root and heads line.
// It returns the state to keep once cp is cosigned.
func (w *Witness) audit(ctx context.Context, dir string, cp []byte, key crypto.PublicKey) (*auditState, error) {
	c, ext, err := custody.OpenCheckpointExtensions(cp, key)
	if err != nil {
		return nil, err
	}
	fail := func(reason string) error { return &AuditError{Origin: c.Origin, Size: c.Size, Reason: reason} }
	st, err := loadAudit(filepath.Join(dir, "audit.json"))
	if err != nil {
		return nil, err
	}
	if st.Size > c.Size {
		return nil, fail(fmt.Sprintf("the replay already reached size %d", st.Size))
	}
	rng := make([][]byte, len(st.Range))
	for i, h := range st.Range {
		if rng[i], err = hex.DecodeString(h); err != nil {
			return nil, fmt.Errorf("audit.json: %w", err)
		}
	}
	for next := st.Size; next < c.Size; {
		page, err := w.Feed(ctx, next, c.Size)
		if err != nil {
			return nil, fmt.Errorf("leaves from %d: %w", next, err)
		}
		if len(page) == 0 || uint64(len(page)) > c.Size-next {
			return nil, fail(fmt.Sprintf("the log's feed gave %d leaves from %d, of %d", len(page), next, c.Size-next))
		}
		if err := custody.ReplayHeads(st.index, next, page); err != nil {
			return nil, fail("the log's feed: " + err.Error())
		}
		hashes := make([][]byte, len(page))
		for i, l := range page {
			hashes[i], _ = hex.DecodeString(l.Hash)
		}
		if rng, _, err = custody.AppendLeaves(next, rng, hashes); err != nil {
			return nil, err
		}
		next += uint64(len(page))
	}
	root, err := custody.RangeRoot(c.Size, rng)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(root, c.Hash) {
		return nil, fail(fmt.Sprintf("the leaves the log lists make root %x, its checkpoint signs %x", root, c.Hash))
	}
	st.Size = c.Size
	st.Range = st.Range[:0]
	for _, h := range rng {
		st.Range = append(st.Range, hex.EncodeToString(h))
	}
	st.Heads = st.Heads[:0]
	heads := make([]custody.Head, 0, len(st.index))
	for k, h := range st.index {
		heads = append(heads, custody.Head{Key: k, Seq: h.Seq, Hash: h.Hash, Leaf: h.Leaf})
	}
	tree, err := custody.NewHeadsTree(heads)
	if err != nil {
		return nil, fail(err.Error())
	}
	for _, h := range heads {
		st.Heads = append(st.Heads, auditHead{Key: h.Key, Seq: h.Seq, Hash: h.Hash, Leaf: h.Leaf})
	}
	hc, has, err := custody.CheckpointHeads(ext)
	if err != nil {
		return nil, fail(err.Error())
	}
	if has && (hc.Size != tree.Size() || !bytes.Equal(hc.Root, tree.Root())) {
		e := &AuditError{Origin: c.Origin, Size: c.Size, Reason: fmt.Sprintf("its checkpoint commits to %d bundle heads (root %x), the log's own leaves make %d (root %x): the heads line is false", hc.Size, hc.Root, tree.Size(), tree.Root())}
		var b strings.Builder
		for _, h := range st.Heads {
			fmt.Fprintf(&b, "%s %d %s %d\n", h.Key, h.Seq, h.Hash, h.Leaf)
		}
		if ev, err := w.keepEvidence(dir, nil, Offer{Checkpoint: cp}, map[string][]byte{"heads-computed.txt": []byte(b.String())}); err == nil {
			e.Evidence = ev
		}
		return nil, e
	}
	return st, nil
}

func (st *auditState) save(dir string) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "audit.json"), b)
}
