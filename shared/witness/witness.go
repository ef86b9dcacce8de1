// Package witness lets a party hold evx's custody log to one history: it keeps the last
// checkpoint of the log it saw, checks that every new checkpoint is consistent with it (an
// RFC 6962 consistency proof, github.com/transparency-dev/merkle) and cosigns it in the C2SP
// tlog-cosignature format (cosignature/v1, an Ed25519 signature line added to evx's signed
// note; github.com/transparency-dev/formats/note).
//
// A witness that is shown a checkpoint inconsistent with the one it holds refuses to cosign
// and keeps both, with the proof it was given, as evidence in its state folder (*[ForkError]):
// evx's operator, even holding evx's key, cannot show two histories to two witnesses, nor one
// witness two histories over time, without one of them holding two signed checkpoints that
// prove it.
//
// State: one folder per log origin below the state folder, holding the last cosigned
// checkpoint (latest.checkpoint, replaced atomically: written to a temporary file, synced,
// renamed) and one fork-<time> folder per fork seen. One round at a time per state folder
// (a lock file).
package witness

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// GenerateKey returns a new witness key named name: the signer key (C2SP signed-note
// "PRIVATE+KEY+<name>+<hash>+<base64>", Ed25519) and its cosignature/v1 verifier key, the one
// verifiers are given ("<name>+<hash>+<base64(0x04 || public key)>").
func GenerateKey(name string) (skey, vkey string, err error) {
	skey, vkey0, err := note.GenerateKey(nil, name)
	if err != nil {
		return "", "", fmt.Errorf("witness key %q: %w", name, err)
	}
	vkey, err = fnote.VKeyToCosignatureV1(vkey0)
	if err != nil {
		return "", "", err
	}
	return skey, vkey, nil
}

// Witness cosigns checkpoints of one log, signed by one key.
type Witness struct {
	signer *fnote.Signer
	vkey   string
	state  string
	logKey crypto.PublicKey
	// Now names evidence folders; time.Now when nil.
	Now func() time.Time
	// Feed, when set, makes the witness replay the log's leaves and check the checkpoint's
	// heads line before cosigning (audit.go).
	Feed Feed
}

// New returns the witness with signer key skey (see GenerateKey), keeping its state in the
// folder state (created 0700 if missing), for the log whose checkpoints logKey signs.
func New(skey, state string, logKey crypto.PublicKey) (*Witness, error) {
	s, err := fnote.NewSignerForCosignatureV1(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	vkey, err := verifierKey(strings.TrimSpace(skey))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, err
	}
	return &Witness{signer: s, vkey: vkey, state: state, logKey: logKey}, nil
}

// verifierKey derives the cosignature/v1 verifier key from a signer key,
// "PRIVATE+KEY+<name>+<hash>+<base64(alg || 32-byte seed)>".
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("witness key: not a signer key (PRIVATE+KEY+name+hash+key)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return "", errors.New("witness key: not an Ed25519 signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s+%08x+%s", s.Name(), s.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{0x04}, pub...))), nil
}

// Name is the witness's key name; VerifierKey its cosignature/v1 verifier key.
func (w *Witness) Name() string        { return w.signer.Name() }
func (w *Witness) VerifierKey() string { return w.vkey }

// Offer is what the log shows a witness: a signed checkpoint and the consistency proof from
// the size of the checkpoint the witness holds (FromSize, 0 for a witness that holds none).
type Offer struct {
	Checkpoint []byte
	FromSize   uint64
	Proof      [][]byte
	// Rotations are the log's key rotations with their inclusion proofs in the checkpoint's
	// log: a checkpoint signed by a key the witness does not hold yet is accepted if they
	// lead to it from the key it holds (custody.FollowRotations).
	Rotations []custody.TrailEvent
}

// Result is a round's outcome: the checkpoint cosigned, the witness's cosignature line
// ("— <name> <base64>\n") and the size of the checkpoint held before (0 for the first).
type Result struct {
	Size        uint64
	Cosignature []byte
	Cosigned    []byte // the checkpoint note with the cosignature appended
	HeldSize    uint64
	First       bool // no checkpoint was held: the witness trusts this one on first use
	NewKeys     int  // keys of the log the witness learnt from the offer's rotations
}

// Errors of Cosign besides a fork.
var (
	// ErrStaleProof: the offer's proof is from another size than the checkpoint held; ask
	// again with the held size.
	ErrStaleProof = errors.New("consistency proof is not from the size of the checkpoint held")
)

// RollbackError: the log showed a checkpoint smaller than the one the witness holds. Not a
// fork by itself (evx may be showing an old checkpoint), but the witness does not cosign it.
type RollbackError struct {
	Held, Shown uint64
}

func (e *RollbackError) Error() string {
	return fmt.Sprintf("the log shows a checkpoint of size %d, smaller than the one of size %d this witness already cosigned: not cosigned", e.Shown, e.Held)
}

// ForkError: the log showed a checkpoint that is not an extension of the one the witness holds:
// two histories, both signed by the log's key. Evidence is the folder holding both and the proof.
type ForkError struct {
	Origin            string
	HeldSize, NewSize uint64
	HeldRoot, NewRoot []byte
	Reason            string
	Evidence          string
}

func (e *ForkError) Error() string {
	return fmt.Sprintf("ALERT: log %s showed two inconsistent histories. This witness cosigned the log at size %d (root %x); "+
		"it is now shown size %d (root %x), and %s. Both checkpoints are signed by the log's key: together they prove that the log's "+
		"operator rewrote or forked its history. Nothing was cosigned. Keep the evidence in %s and show it to the other parties and to the court.",
		e.Origin, e.HeldSize, e.HeldRoot, e.NewSize, e.NewRoot, e.Reason, e.Evidence)
}

// Cosign checks the offer and cosigns its checkpoint, or refuses. A checkpoint not signed by
// the log's key is a *custody.CheckpointError; one inconsistent with the one held, a *ForkError
// (evidence kept); a smaller one, a *RollbackError; a proof from another size, ErrStaleProof.
func (w *Witness) Cosign(o Offer) (*Result, error) {
	return w.CosignContext(context.Background(), o)
}

// CosignContext is Cosign with ctx for the feed of an auditing witness (*AuditError when the
// replay does not hold up).
func (w *Witness) CosignContext(ctx context.Context, o Offer) (*Result, error) {
	origin, _, _ := strings.Cut(string(o.Checkpoint), "\n")
	if origin == "" || len(origin) > 256 || strings.ContainsAny(origin, " +\t") {
		_, err := custody.OpenCheckpoint(o.Checkpoint, w.logKey)
		return nil, err // a *custody.CheckpointError naming the origin line
	}
	dir := filepath.Join(w.state, url.PathEscape(origin))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	unlock, err := lock(filepath.Join(dir, "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	keys, err := loadLogKeys(dir, w.logKey)
	if err != nil {
		return nil, err
	}
	// The checkpoint is signed by the log's current key, or by a successor that the offered
	// key rotations introduce (each signed by the key it retires, all in this checkpoint's log).
	signKey := keys[len(keys)-1]
	cp, err := custody.OpenCheckpoint(o.Checkpoint, signKey)
	var successors []crypto.PublicKey
	if err != nil && len(o.Rotations) > 0 {
		if c, _, after, ferr := custody.FollowRotations(o.Checkpoint, signKey, o.Rotations); ferr == nil && len(after) > 0 {
			cp, err, successors, signKey = c, nil, after, after[len(after)-1]
		}
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Size: cp.Size, NewKeys: len(successors)}
	heldPath := filepath.Join(dir, "latest.checkpoint")
	held, err := os.ReadFile(heldPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.First = true
	case err != nil:
		return nil, err
	default:
		old, err := openAny(held, keys)
		if err != nil {
			return nil, fmt.Errorf("checkpoint held in %s: %w", heldPath, err)
		}
		res.HeldSize = old.Size
		fork := func(reason string) error {
			ev, err := w.keepEvidence(dir, held, o, nil)
			if err != nil {
				return fmt.Errorf("%s; keeping the evidence failed: %w", reason, err)
			}
			return &ForkError{Origin: cp.Origin, HeldSize: old.Size, NewSize: cp.Size, HeldRoot: old.Hash, NewRoot: cp.Hash, Reason: reason, Evidence: ev}
		}
		switch {
		case cp.Size < old.Size:
			return nil, &RollbackError{Held: old.Size, Shown: cp.Size}
		case cp.Size == old.Size:
			if !bytes.Equal(cp.Hash, old.Hash) {
				return nil, fork("the two checkpoints have the same size and different roots")
			}
		case o.FromSize != old.Size:
			return nil, fmt.Errorf("offer of size %d: proof from size %d, witness holds size %d: %w", cp.Size, o.FromSize, old.Size, ErrStaleProof)
		default:
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old.Size, cp.Size, o.Proof, old.Hash, cp.Hash); err != nil {
				return nil, fork("the log's consistency proof between them does not verify (" + err.Error() + ")")
			}
		}
	}
	var audited *auditState
	if w.Feed != nil {
		if audited, err = w.audit(ctx, dir, o.Checkpoint, signKey); err != nil {
			return nil, err
		}
	}
	n, err := note.Open(o.Checkpoint, note.VerifierList(mustVerifier(cp.Origin, signKey)))
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, err
	}
	_, line, _ := bytes.Cut(signed, []byte("\n\n"))
	res.Cosignature = line
	res.Cosigned = append(append([]byte(nil), o.Checkpoint...), line...)
	// Hold the new checkpoint only if it is larger: an equal one changes nothing.
	if res.First || cp.Size > res.HeldSize {
		if err := writeAtomic(heldPath, o.Checkpoint); err != nil {
			return nil, fmt.Errorf("keep checkpoint: %w", err)
		}
	}
	if len(successors) > 0 {
		if err := saveLogKeys(dir, append(keys[1:], successors...)); err != nil {
			return nil, fmt.Errorf("keep the log's new key: %w", err)
		}
	}
	if audited != nil {
		if err := audited.save(dir); err != nil {
			return nil, fmt.Errorf("keep the replay: %w", err)
		}
	}
	return res, nil
}

func mustVerifier(origin string, pub crypto.PublicKey) note.Verifier {
	v, err := custody.NewNoteVerifier(origin, pub)
	if err != nil {
		panic(err) // OpenCheckpoint accepted the same origin and key
	}
	return v
}

// keepEvidence writes the held and the shown checkpoint, the proof and any extra files into a
// new fork-<time> folder of dir and returns its path. held may be nil (an audit's evidence).
func (w *Witness) keepEvidence(dir string, held []byte, o Offer, extra map[string][]byte) (string, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ev := filepath.Join(dir, "fork-"+now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.MkdirAll(ev, 0o700); err != nil {
		return "", err
	}
	var p strings.Builder
	fmt.Fprintf(&p, "consistency proof shown, from size %d (RFC 6962, hex, one hash a line):\n", o.FromSize)
	for _, h := range o.Proof {
		fmt.Fprintf(&p, "%x\n", h)
	}
	readme := "Two checkpoints of one log, both signed by the log's key, that cannot both be true:\n" +
		"held.checkpoint was cosigned by this witness earlier; shown.checkpoint was shown later and\n" +
		"does not extend it. Check both signatures with the log's public key, and the proof, with\n" +
		"any RFC 6962 tool (evx verify --checkpoint held.checkpoint on a trail of shown.checkpoint).\n"
	files := map[string][]byte{"shown.checkpoint": o.Checkpoint, "proof.txt": []byte(p.String())}
	if held != nil {
		files["held.checkpoint"] = held
	} else {
		readme = "shown.checkpoint, signed by the log's key, commits to bundle heads (its \"heads\" line) that the\n" +
			"log's own leaves, replayed by this witness, do not make: heads-computed.txt lists the heads the\n" +
			"replay found (bundle key, seq, event hash, leaf index). The leaves came from the log's feed.\n"
	}
	files["README.txt"] = []byte(readme)
	for name, data := range extra {
		files[name] = data
	}
	for name, data := range files {
		if err := writeAtomic(filepath.Join(ev, name), data); err != nil {
			return "", err
		}
	}
	return ev, nil
}

// The log's keys the witness follows, per origin: the one it was given, then the successors
// rotations introduced, kept in log-keys.pem (PEM public keys, oldest first).
func loadLogKeys(dir string, given crypto.PublicKey) ([]crypto.PublicKey, error) {
	keys := []crypto.PublicKey{given}
	b, err := os.ReadFile(filepath.Join(dir, "log-keys.pem"))
	if errors.Is(err, fs.ErrNotExist) {
		return keys, nil
	}
	if err != nil {
		return nil, err
	}
	for len(bytes.TrimSpace(b)) > 0 {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return nil, fmt.Errorf("%s: not PEM public keys", filepath.Join(dir, "log-keys.pem"))
		}
		pub, err := custody.ParsePublicKeyPEM(pem.EncodeToMemory(blk))
		if err != nil {
			return nil, err
		}
		keys = append(keys, pub)
	}
	return keys, nil
}

func saveLogKeys(dir string, successors []crypto.PublicKey) error {
	var b []byte
	for _, k := range successors {
		pk, err := custody.PublicKeyOf(k)
		if err != nil {
			return err
		}
		b = append(b, pk.PEM...)
	}
	return writeAtomic(filepath.Join(dir, "log-keys.pem"), b)
}

// openAny opens a checkpoint signed by any of keys, newest first.
func openAny(text []byte, keys []crypto.PublicKey) (*log.Checkpoint, error) {
	var first error
	for i := len(keys) - 1; i >= 0; i-- {
		cp, err := custody.OpenCheckpoint(text, keys[i])
		if err == nil {
			return cp, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// HeldSize returns the size of the checkpoint the witness holds for origin (0, false when it
// holds none), checked with the log's keys it follows.
func (w *Witness) HeldSize(origin string) (uint64, bool, error) {
	dir := filepath.Join(w.state, url.PathEscape(origin))
	held, err := w.Held(origin)
	if err != nil || held == nil {
		return 0, false, err
	}
	keys, err := loadLogKeys(dir, w.logKey)
	if err != nil {
		return 0, false, err
	}
	cp, err := openAny(held, keys)
	if err != nil {
		return 0, false, fmt.Errorf("the checkpoint this witness holds: %w", err)
	}
	return cp.Size, true, nil
}

// Held returns the checkpoint the witness holds for origin, nil when none.
func (w *Witness) Held(origin string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(w.state, url.PathEscape(origin), "latest.checkpoint"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// writeAtomic replaces path with data: a temporary file in the same folder, synced, renamed
// over path, and the folder synced.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// lock takes an exclusive lock on path (created if missing) and returns its release.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
