package custody

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// VerifyOptions are the optional inputs of Verify.
type VerifyOptions struct {
	// Documents, when set, is a folder holding the bundle's documents; each document an event
	// records is looked up at Documents/<name> (name as recorded, e.g. "data/report.pdf"),
	// then without a leading "data/", and its SHA-256 compared.
	Documents string
	// Older, when set, is a signed checkpoint the verifier held before (e.g. received with an
	// earlier delivery); the trail must prove that its log extends that one.
	Older []byte
	// Now, when set, is the verifier's clock: an event stamped later than Now plus Tolerance
	// is a *FutureEventError. evx verify sets it; a program re-checking an archived trail
	// may leave it zero.
	Now time.Time
	// Tolerance is how far ahead of Now an event may be stamped (clocks differ between
	// machines); DefaultClockTolerance when zero.
	Tolerance time.Duration
	// AgencyKeys pins agencies' seal keys obtained out of band (evx verify --agency-key):
	// a seal of a pinned agency must be made with one of its keys, and every submission and
	// receipt of a pinned agency must be sealed. Seals of other agencies are checked with the
	// key records the trail carries (Report.Seals says which).
	AgencyKeys map[string][]crypto.PublicKey
	// Witnesses are the verifier keys of the witnesses trusted (C2SP vkeys, see
	// CosignatureVerifier); Quorum, when more than zero, is how many distinct ones must have
	// cosigned the trail's checkpoint, or the later or earlier one it carries and proves
	// consistent (*QuorumError). See checkCompleteness.
	Witnesses []string
	Quorum    int
}

// DefaultClockTolerance is the tolerance of VerifyOptions.Now when none is stated.
const DefaultClockTolerance = 5 * time.Minute

// Report summarises a successful verification.
type Report struct {
	BundleID       string `json:"bundle"`
	Events         int    `json:"events"`
	KeyID          string `json:"key_id"`
	Origin         string `json:"origin"`
	LogSize        uint64 `json:"log_size"`
	Root           string `json:"root"`
	DocumentsCheck int    `json:"documents_checked"`
	OlderSize      uint64 `json:"older_checkpoint_size,omitempty"`
	// Rotation, for a trail spanning key rotations, lists the chain of keys with the events
	// each signed (see rotation.go); KeyID is then the trusted key. Nil otherwise.
	Rotation *RotationReport `json:"rotation,omitempty"`
	// Seals lists every party's seal checked (sender's and counterparts'), in event order.
	Seals []SealCheck `json:"seals,omitempty"`
	// Complete, when set, says as of which checkpoint the trail is proven complete.
	Complete *Completeness `json:"complete,omitempty"`
}

// VerifyTrail parses a trail file and verifies it; see Verify.
func VerifyTrail(data []byte, pub crypto.PublicKey, opt VerifyOptions) (*Report, error) {
	t, err := ParseTrail(data)
	if err != nil {
		return nil, err
	}
	return Verify(t, pub, opt)
}

// Verify checks a trail with the trusted public key pub alone, in this order, and returns the
// first failure as a typed error carrying the expected and the computed value:
//
//  1. the trail's list of keys is well formed (*FormatError); its key rotations, if any, form
//     one chain of statements each signed by the key the one before introduced, pub among its
//     keys (*KeyRotationError; see rotation.go); the checkpoint is signed by pub, or by the
//     chain's last key (*CheckpointError);
//  2. for each event in order: it belongs to the trail's bundle (*BundleError), its prev is
//     the hash of the event before it (*BreakError), its seq follows (*SequenceError), its
//     content hashes to its hash (*EventHashError), it names the key id of pub (or of the
//     chain's key for its leaf index) and its signature verifies (*SignatureError), its time is not before its predecessor's (*TimeOrderError),
//     nor after the export time its checkpoint states (SignCheckpointAt) or, with opt.Now, after opt.Now plus the tolerance
//     (*FutureEventError), and its inclusion proof leads to the checkpoint's root (*InclusionError);
//  3. the list of keys names pub (*FormatError);
//  4. every document manifest an event references (details.document_manifest) is in the
//     trail, of the size, SHA-256 and count the event states, and well formed
//     (*DocumentManifestError; a manifest listed twice or referenced by no event is a
//     *FormatError); its documents are then the event's for the checks below;
//     every party's seal the events carry, and that each event agrees with the sealed
//     statement it carries (*SealError, *KeyValidityError, *SealMismatchError; see
//     VerifyOptions.AgencyKeys and Report.Seals);
//  5. with opt.Documents, every recorded document's SHA-256 (*DocumentHashError);
//  6. with opt.Older, the consistency of the checkpoint's log with the older one
//     (*CheckpointError for the older note, *ConsistencyError);
//  7. completeness: when the checkpoint commits to every bundle's head, that the trail ends
//     with its bundle's (*HeadError, *TruncatedError); the cosigned checkpoint the trail
//     carries, its consistency with the trail's and its head likewise; with opt.Quorum, that
//     many cosignatures by distinct opt.Witnesses keys (*QuorumError). See checkCompleteness.
//
// A malformed trail is a *FormatError. Hash and signature checks run on every core.
func Verify(t *Trail, pub crypto.PublicKey, opt VerifyOptions) (*Report, error) {
	keyID, err := KeyIDOf(pub)
	if err != nil {
		return nil, err
	}
	if len(t.Events) == 0 {
		return nil, &FormatError{Err: errNoEvents}
	}
	listed, err := checkKeyList(t.Keys, keyID)
	if err != nil {
		return nil, err
	}
	rots, err := t.allRotations()
	if err != nil {
		return nil, err
	}
	chain, err := newKeyChain(rots, pub, keyID)
	if err != nil {
		return nil, err
	}
	cp, exported, err := OpenCheckpointTime([]byte(t.Checkpoint), chain.current().pub)
	if err != nil {
		return nil, err
	}
	tol := opt.Tolerance
	if tol <= 0 {
		tol = DefaultClockTolerance
	}
	clockLimit := opt.Now.Add(tol)
	if err := chain.checkIncluded(t.Rotations, cp.Size, cp.Hash, exported, opt.Now, clockLimit); err != nil {
		return nil, err
	}
	if err := checkLaterRotations(t, chain, cp, opt.Now, clockLimit); err != nil {
		return nil, err
	}
	checks := chain.checkEvents(t.Events, cp.Size, cp.Hash)
	var prev *Event
	for i := range t.Events {
		e := &t.Events[i].Event
		c := &checks[i]
		if e.BundleID != t.BundleID {
			return nil, &BundleError{Position: i, Want: t.BundleID, Got: e.BundleID}
		}
		wantPrev := ""
		if prev != nil {
			wantPrev = prev.Hash
		}
		if e.Prev != wantPrev {
			return nil, &BreakError{Seq: e.Seq, Want: wantPrev, Got: e.Prev}
		}
		if e.Seq != uint64(i)+1 {
			return nil, &SequenceError{Position: i, Want: uint64(i) + 1, Got: e.Seq}
		}
		var ve *VersionError
		if errors.As(c.fieldErr, &ve) {
			return nil, ve
		}
		if c.fieldErr != nil {
			return nil, &FormatError{Err: fmt.Errorf("event seq %d: %w", e.Seq, c.fieldErr)}
		}
		if c.hash != e.Hash {
			return nil, &EventHashError{Seq: e.Seq, Want: e.Hash, Got: c.hash}
		}
		if want := chain.at(t.Events[i].Leaf).id; e.KeyID != want {
			return nil, &SignatureError{Seq: e.Seq, WantKeyID: want, GotKeyID: e.KeyID}
		}
		if c.sigErr != nil {
			return nil, &SignatureError{Seq: e.Seq, WantKeyID: e.KeyID, GotKeyID: e.KeyID, Err: c.sigErr}
		}
		if prev != nil && e.Time.Before(prev.Time) {
			return nil, &TimeOrderError{Seq: e.Seq, Previous: prev.Time.Format(TimeFormat), Got: e.Time.Format(TimeFormat)}
		}
		if !exported.IsZero() && e.Time.After(exported) {
			return nil, &FutureEventError{Seq: e.Seq, Bound: "export", Limit: exported.UTC().Format(TimeFormat), Got: e.Time.UTC().Format(TimeFormat)}
		}
		if !opt.Now.IsZero() && e.Time.After(clockLimit) {
			return nil, &FutureEventError{Seq: e.Seq, Bound: "clock", Limit: clockLimit.UTC().Format(TimeFormat), Got: e.Time.UTC().Format(TimeFormat), Tolerance: tol}
		}
		if c.inclErr != nil || !bytes.Equal(c.root, cp.Hash) {
			return nil, &InclusionError{Seq: e.Seq, Leaf: t.Events[i].Leaf, Size: cp.Size, Want: cp.Hash, Got: c.root, Err: c.inclErr}
		}
		prev = e
	}
	if c := t.Consistency; c != nil {
		if c.FromSize == 0 || c.FromSize > cp.Size {
			return nil, &FormatError{Err: fmt.Errorf("consistency proof from size %d: want 1..%d", c.FromSize, cp.Size)}
		}
		if _, err := unhexList(c.Proof); err != nil {
			return nil, &FormatError{Err: fmt.Errorf("consistency proof: %w", err)}
		}
	}
	if !listed {
		return nil, &FormatError{Err: fmt.Errorf("trail does not list the key that signed it (%s) among its keys", keyID)}
	}
	rep := &Report{BundleID: t.BundleID, Events: len(t.Events), KeyID: keyID, Origin: cp.Origin,
		LogSize: cp.Size, Root: hex.EncodeToString(cp.Hash), Rotation: chain.report(t.Events)}
	history, err := checkKeyHistory(t, chain, cp.Size, cp.Hash, exported, opt.Now, clockLimit)
	if err != nil {
		return nil, err
	}
	// Events whose documents are in a manifest: each manifest checked against its event, then
	// its documents stand in for the event's in the checks of seals and documents.
	mdocs, err := manifestDocuments(t)
	if err != nil {
		return nil, err
	}
	resolved := t
	if len(mdocs) > 0 {
		rt := *t
		rt.Events = append([]TrailEvent(nil), t.Events...)
		for i, docs := range mdocs {
			rt.Events[i].Event.Details.Documents = docs
		}
		resolved = &rt
	}
	if rep.Seals, err = checkSeals(resolved, opt.AgencyKeys, history); err != nil {
		return nil, err
	}
	if opt.Documents != "" {
		n, err := checkDocuments(resolved, opt.Documents)
		if err != nil {
			return nil, err
		}
		rep.DocumentsCheck = n
	}
	if opt.Older != nil {
		old, err := chain.openOlder(opt.Older)
		if err != nil {
			if ce, ok := err.(*CheckpointError); ok {
				ce.Reason = "older checkpoint: " + ce.Reason
			}
			return nil, err
		}
		if err := checkConsistency(t, old.Origin, old.Size, old.Hash, cp.Origin, cp.Size, cp.Hash); err != nil {
			return nil, err
		}
		rep.OlderSize = old.Size
	}
	if rep.Complete, err = checkCompleteness(t, chain, opt); err != nil {
		return nil, err
	}
	return rep, nil
}

// checkKeyList holds the trail's list of keys (there for people checking by hand) to the
// truth: every entry's id and algorithm are those of its PEM key. It reports whether the
// trusted key is listed.
func checkKeyList(keys []PublicKey, trusted string) (listed bool, err error) {
	for i, k := range keys {
		pub, err := ParsePublicKeyPEM([]byte(k.PEM))
		if err != nil {
			return false, &FormatError{Err: fmt.Errorf("keys[%d]: %w", i, err)}
		}
		want, err := PublicKeyOf(pub)
		if err != nil {
			return false, &FormatError{Err: fmt.Errorf("keys[%d]: %w", i, err)}
		}
		if k.KeyID != want.KeyID || k.Algorithm != want.Algorithm || k.PEM != want.PEM {
			return false, &FormatError{Err: fmt.Errorf("keys[%d] states id %s (%s), its PEM key is %s (%s)", i, k.KeyID, k.Algorithm, want.KeyID, want.Algorithm)}
		}
		listed = listed || k.KeyID == trusted
	}
	return listed, nil
}

// eventCheck holds what the parallel pass computed for one event.
type eventCheck struct {
	fieldErr error
	hash     string
	sum      [32]byte // the computed hash: the signed message
	sig      []byte
	sigErr   error
	root     []byte
	inclErr  error
}

// batchSize is how many Ed25519 signatures are checked together.
const batchSize = 64

func checkEvents(evs []TrailEvent, pub crypto.PublicKey, size uint64, root []byte) []eventCheck {
	out := make([]eventCheck, len(evs))
	parallel(len(evs), 128, func(i int) { out[i] = checkEvent(evs[i], size) })
	// Signatures: Ed25519 in batches (a failed batch is checked one by one, to name the
	// event); other keys one by one.
	edPub, isEd := pub.(ed25519.PublicKey)
	if !isEd {
		parallel(len(out), 16, func(i int) {
			if c := &out[i]; c.fieldErr == nil && c.sigErr == nil {
				c.sigErr = VerifySignature(pub, c.sum[:], c.sig)
			}
		})
		return out
	}
	chunks := (len(out) + batchSize - 1) / batchSize
	parallel(chunks, 1, func(ch int) {
		var idx []int
		var msgs, sigs [][]byte
		for i := ch * batchSize; i < min((ch+1)*batchSize, len(out)); i++ {
			if c := &out[i]; c.fieldErr == nil && c.sigErr == nil {
				idx, msgs, sigs = append(idx, i), append(msgs, c.sum[:]), append(sigs, c.sig)
			}
		}
		if len(idx) == 0 || verifyEd25519Batch(edPub, msgs, sigs) {
			return
		}
		for _, i := range idx {
			out[i].sigErr = VerifySignature(pub, out[i].sum[:], out[i].sig)
		}
	})
	return out
}

// parallel calls fn(0) ... fn(n-1) on every core, grain calls at a time, and returns when
// all are done. Fewer than two grains run on the caller's goroutine.
func parallel(n, grain int, fn func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n <= grain || workers == 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(int64(grain))) - grain
				if start >= n {
					return
				}
				for i := start; i < min(start+grain, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

func checkEvent(te TrailEvent, size uint64) (c eventCheck) {
	h, err := te.Event.ComputeHash()
	if err != nil {
		c.fieldErr = err
		return c
	}
	c.sum = h
	c.hash = hex.EncodeToString(h[:])
	if c.sig, err = base64.StdEncoding.Strict().DecodeString(te.Event.Signature); err != nil {
		c.sigErr = fmt.Errorf("signature is not base64: %w", err)
	}
	if te.Leaf >= size {
		c.inclErr = fmt.Errorf("leaf index %d beyond log size %d", te.Leaf, size)
		return c
	}
	p, err := unhexList(te.Proof)
	if err != nil {
		c.inclErr = err
		return c
	}
	// The proof is checked against the stated hash, which the sequential pass compares with
	// the computed one first.
	stated, err := hex.DecodeString(te.Event.Hash)
	if err != nil || len(stated) != sha256.Size {
		stated = h[:]
	}
	c.root, c.inclErr = proof.RootFromInclusionProof(nodeHasher{hasher}, te.Leaf, size, stated, p)
	return c
}

func checkDocuments(t *Trail, dir string) (int, error) {
	type doc struct{ name, sha string }
	seen := map[doc]bool{}
	n := 0
	for _, te := range t.Events {
		for _, d := range te.Event.Details.Documents {
			k := doc{d.Name, d.SHA256}
			if seen[k] {
				continue
			}
			seen[k] = true
			p, err := DocumentPath(dir, d.Name)
			if err != nil {
				return n, &DocumentHashError{Name: d.Name, Want: d.SHA256, Err: err}
			}
			got, err := fileSHA256(p)
			if err != nil {
				return n, &DocumentHashError{Name: d.Name, Path: p, Want: d.SHA256, Err: err}
			}
			if got != d.SHA256 {
				return n, &DocumentHashError{Name: d.Name, Path: p, Want: d.SHA256, Got: got}
			}
			n++
		}
	}
	return n, nil
}

// DocumentPath finds a recorded document below dir (dir/NAME, or dir/REST for a name
// data/REST), refusing names that leave it: where VerifyOptions.Documents looks.
func DocumentPath(dir, name string) (string, error) {
	if !filepath.IsLocal(filepath.FromSlash(name)) || strings.Contains(name, "\\") {
		return "", fmt.Errorf("name %q is not a relative path inside the bundle", name)
	}
	p := filepath.Join(dir, filepath.FromSlash(name))
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if rest, ok := strings.CutPrefix(path.Clean(name), "data/"); ok {
		q := filepath.Join(dir, filepath.FromSlash(rest))
		if _, err := os.Stat(q); err == nil {
			return q, nil
		}
	}
	return "", fmt.Errorf("not found in %s: %w", dir, os.ErrNotExist)
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func checkConsistency(t *Trail, oldOrigin string, oldSize uint64, oldRoot []byte, origin string, size uint64, root []byte) error {
	fail := func(err error) error {
		return &ConsistencyError{OldSize: oldSize, NewSize: size, Want: oldRoot, Err: err}
	}
	switch {
	case oldOrigin != origin:
		return fail(fmt.Errorf("older checkpoint is of log %q, trail of %q", oldOrigin, origin))
	case oldSize > size:
		return fail(errors.New("older checkpoint is larger than the trail's"))
	case oldSize == 0:
		// Every log extends the empty one, whose root is SHA-256 of nothing.
		if !bytes.Equal(oldRoot, hasher.EmptyRoot()) {
			return &ConsistencyError{OldSize: oldSize, NewSize: size, Want: oldRoot, Got: hasher.EmptyRoot()}
		}
		return nil
	case oldSize == size:
		if !bytes.Equal(oldRoot, root) {
			return &ConsistencyError{OldSize: oldSize, NewSize: size, Want: oldRoot, Got: root}
		}
		return nil
	case t.Consistency == nil || t.Consistency.FromSize != oldSize:
		return fail(fmt.Errorf("trail carries no consistency proof from size %d (export it with that size)", oldSize))
	}
	p, err := unhexList(t.Consistency.Proof)
	if err != nil {
		return fail(err)
	}
	err = proof.VerifyConsistency(hasher, oldSize, size, p, oldRoot, root)
	var rm proof.RootMismatchError
	if errors.As(err, &rm) {
		return &ConsistencyError{OldSize: oldSize, NewSize: size, Want: rm.ExpectedRoot, Got: rm.CalculatedRoot}
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// nodeHasher is the RFC 6962 hasher with a HashChildren that, for two SHA-256 hashes, hashes
// 0x01 || l || r from the stack: one allocation per node instead of three (a proof walk
// makes one call per level).
type nodeHasher struct{ *rfc6962.Hasher }

func (h nodeHasher) HashChildren(l, r []byte) []byte {
	if len(l) != sha256.Size || len(r) != sha256.Size {
		return h.Hasher.HashChildren(l, r)
	}
	var b [1 + 2*sha256.Size]byte
	b[0] = rfc6962.RFC6962NodeHashPrefix
	copy(b[1:], l)
	copy(b[1+sha256.Size:], r)
	sum := sha256.Sum256(b[:])
	return sum[:]
}
