package custody

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoints are the transparency-dev checkpoint body ("<origin>\n<size>\n<base64 root>\n",
// github.com/transparency-dev/formats/log) signed as a note (golang.org/x/mod/sumdb/note).
// The note's key name is the origin. Two signature algorithms, both checked with the public
// key alone:
//
//   - Ed25519 (embedded mode): the note package's own scheme, algorithm byte 0x01; key hash =
//     first 4 bytes of SHA-256(origin || "\n" || 0x01 || 32-byte public key); the signature is
//     Ed25519 over the note text.
//   - ECDSA P-256 (KMS): algorithm byte 0x02, the scheme of transparency-dev/formats'
//     note.NewECDSAVerifier (also Sigstore Rekor's): the signature is ASN.1 DER over
//     SHA-256(note text), key hash = first 4 bytes of SHA-256(PKIX DER of the public key).
//     Its verifier key string is "<origin>+<keyhash hex>+<base64(0x02 || PKIX DER)>".
//
// Both match the [Signer] contract, so a Signer signs notes unchanged.

// Note signature algorithm identifiers (the first byte of a verifier key's key material).
const (
	NoteAlgEd25519   = 0x01
	NoteAlgECDSAP256 = 0x02
)

// NoteVerifierKey returns the note verifier key string for pub under the name origin.
func NoteVerifierKey(origin string, pub crypto.PublicKey) (string, error) {
	if err := checkOrigin(origin); err != nil {
		return "", err
	}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return note.NewEd25519VerifierKey(origin, k)
	case *ecdsa.PublicKey:
		if err := checkKeyType(k); err != nil {
			return "", err
		}
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s+%08x+%s", origin, ecdsaKeyHash(der),
			base64.StdEncoding.EncodeToString(append([]byte{NoteAlgECDSAP256}, der...))), nil
	default:
		return "", checkKeyType(pub)
	}
}

// NewNoteVerifier returns a note verifier for signatures by pub under the name origin.
func NewNoteVerifier(origin string, pub crypto.PublicKey) (note.Verifier, error) {
	if err := checkOrigin(origin); err != nil {
		return nil, err
	}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		vkey, err := note.NewEd25519VerifierKey(origin, k)
		if err != nil {
			return nil, err
		}
		return note.NewVerifier(vkey)
	case *ecdsa.PublicKey:
		if err := checkKeyType(k); err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, err
		}
		return &noteKey{name: origin, hash: ecdsaKeyHash(der), pub: k}, nil
	default:
		return nil, checkKeyType(pub)
	}
}

// NewNoteSigner adapts s to note.Signer under the name origin. ctx is used for every Sign.
func NewNoteSigner(ctx context.Context, origin string, s Signer) (note.Signer, error) {
	v, err := NewNoteVerifier(origin, s.Public())
	if err != nil {
		return nil, err
	}
	return &noteKey{name: origin, hash: v.KeyHash(), signer: s, ctx: ctx}, nil
}

// noteKey is the note.Signer of a custody Signer and the note.Verifier of an ECDSA P-256 key.
type noteKey struct {
	name   string
	hash   uint32
	pub    *ecdsa.PublicKey
	signer Signer
	ctx    context.Context
}

func (k *noteKey) Name() string    { return k.name }
func (k *noteKey) KeyHash() uint32 { return k.hash }
func (k *noteKey) Sign(msg []byte) ([]byte, error) {
	return k.signer.Sign(k.ctx, msg)
}
func (k *noteKey) Verify(msg, sig []byte) bool {
	return VerifySignature(k.pub, msg, sig) == nil
}

func ecdsaKeyHash(der []byte) uint32 {
	h := sha256.Sum256(der)
	return binary.BigEndian.Uint32(h[:4])
}

func checkOrigin(origin string) error {
	if origin == "" || strings.ContainsAny(origin, " +\n\t") || len(origin) > 256 {
		return fmt.Errorf("log origin %q: want 1-256 characters, no spaces or '+'", origin)
	}
	return nil
}

// SignCheckpoint returns the signed checkpoint note for a log of size leaves with root hash root.
func SignCheckpoint(ctx context.Context, s Signer, origin string, size uint64, root []byte) ([]byte, error) {
	ns, err := NewNoteSigner(ctx, origin, s)
	if err != nil {
		return nil, err
	}
	body := log.Checkpoint{Origin: origin, Size: size, Hash: root}.Marshal()
	return note.Sign(&note.Note{Text: string(body)}, ns)
}

// SignCheckpointAt is SignCheckpoint with the time of signing in an extension line of the
// checkpoint body, "time <TimeFormat>", so that it is signed with the rest: no event under
// the checkpoint can be stamped later ([CheckpointTime], [FutureEventError]). Readers of
// the checkpoint format that know no extensions skip the line.
func SignCheckpointAt(ctx context.Context, s Signer, origin string, size uint64, root []byte, at time.Time) ([]byte, error) {
	return signCheckpoint(ctx, s, origin, size, root, at, nil)
}

// SignCheckpointHeads is SignCheckpointAt with one more extension line, the heads line of
// heads (see HeadsTree): the checkpoint then also commits to every bundle's last event at size.
func SignCheckpointHeads(ctx context.Context, s Signer, origin string, size uint64, root []byte, at time.Time, heads *HeadsTree) ([]byte, error) {
	return signCheckpoint(ctx, s, origin, size, root, at, heads)
}

// signCheckpoint writes the body "<origin>\n<size>\n<base64 root>\n", then the extension lines
// "time <TimeFormat>" (when at is not zero) and "heads <count> <base64 root>" (when heads is
// not nil), in that order, and signs it.
func signCheckpoint(ctx context.Context, s Signer, origin string, size uint64, root []byte, at time.Time, heads *HeadsTree) ([]byte, error) {
	ns, err := NewNoteSigner(ctx, origin, s)
	if err != nil {
		return nil, err
	}
	body := log.Checkpoint{Origin: origin, Size: size, Hash: root}.Marshal()
	if !at.IsZero() {
		body = append(body, checkpointTimePrefix+at.UTC().Format(TimeFormat)+"\n"...)
	}
	if heads != nil {
		body = append(body, heads.Line()+"\n"...)
	}
	return note.Sign(&note.Note{Text: string(body)}, ns)
}

const checkpointTimePrefix = "time "

// CheckpointTime returns the signing time a checkpoint's extension lines state, if any.
// ext is the extension data log.ParseCheckpoint returns (OpenCheckpointTime does both).
func CheckpointTime(ext []byte) (time.Time, bool, error) {
	for _, line := range strings.Split(string(ext), "\n") {
		v, ok := strings.CutPrefix(line, checkpointTimePrefix)
		if !ok {
			continue
		}
		t, err := time.Parse(TimeFormat, v)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("checkpoint time %q: want %s", v, TimeFormat)
		}
		return t, true, nil
	}
	return time.Time{}, false, nil
}

// Checkpoint returns a signed checkpoint of the log's current state, stating the time it was
// signed (the keeper's clock) and, when the ledger is a HeadLister, every bundle's head.
func (k *Keeper) Checkpoint(ctx context.Context) ([]byte, error) {
	size, err := k.Ledger.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	return k.CheckpointAt(ctx, size)
}

// CheckpointAt is Checkpoint of the log's first size leaves. Requires size <= LogSize.
func (k *Keeper) CheckpointAt(ctx context.Context, size uint64) ([]byte, error) {
	root, err := RootAt(ctx, k.Ledger, size)
	if err != nil {
		return nil, err
	}
	heads, err := headsAt(ctx, k.Ledger, size)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	return signCheckpoint(ctx, k.Signer, k.Origin, size, root, now(), heads)
}

// maxCheckpoint bounds a checkpoint note's size (the note package allows 1 MB).
const maxCheckpoint = 64 << 10

// OpenCheckpoint checks a signed checkpoint note against pub and returns its body. The origin
// is taken from the note's first line; the key, not the name, is what is trusted. A failure is
// a *CheckpointError.
func OpenCheckpoint(text []byte, pub crypto.PublicKey) (*log.Checkpoint, error) {
	cp, _, err := openCheckpoint(text, pub)
	return cp, err
}

// OpenCheckpointTime is OpenCheckpoint that also returns the signing time the checkpoint
// states (zero for a checkpoint without one, as SignCheckpoint writes).
func OpenCheckpointTime(text []byte, pub crypto.PublicKey) (*log.Checkpoint, time.Time, error) {
	cp, ext, err := openCheckpoint(text, pub)
	if err != nil {
		return nil, time.Time{}, err
	}
	at, _, err := CheckpointTime(ext)
	if err != nil {
		return nil, time.Time{}, &CheckpointError{Reason: err.Error()}
	}
	return cp, at, nil
}

func openCheckpoint(text []byte, pub crypto.PublicKey) (*log.Checkpoint, []byte, error) {
	if len(text) > maxCheckpoint {
		return nil, nil, &CheckpointError{Reason: fmt.Sprintf("checkpoint of %d bytes exceeds %d", len(text), maxCheckpoint)}
	}
	origin, _, _ := strings.Cut(string(text), "\n")
	v, err := NewNoteVerifier(origin, pub)
	if err != nil {
		return nil, nil, &CheckpointError{Reason: "origin line", Err: err}
	}
	cp, ext, _, err := log.ParseCheckpoint(text, origin, v)
	if err != nil {
		want := fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
		got := noteSigners(text)
		if got == "" {
			return nil, nil, &CheckpointError{Reason: "not a signed checkpoint note", Err: err}
		}
		reason := "not signed by the trusted key"
		if strings.Contains(got, want) {
			reason = "the trusted key's signature does not match the checkpoint text"
		}
		return nil, nil, &CheckpointError{Reason: reason, Want: want, Got: got, Err: err}
	}
	if len(cp.Hash) != sha256.Size {
		return nil, nil, &CheckpointError{Reason: fmt.Sprintf("root hash of %d bytes, want 32", len(cp.Hash))}
	}
	return cp, ext, nil
}

// noteSigners lists the "<name>+<key hash>" of every signature line of a note, for messages.
func noteSigners(text []byte) string {
	_, sigs, ok := strings.Cut(string(text), "\n\n")
	if !ok {
		return ""
	}
	var out []string
	for _, line := range strings.Split(sigs, "\n") {
		rest, ok := strings.CutPrefix(line, "\u2014 ")
		if !ok {
			continue
		}
		name, b64, ok := strings.Cut(rest, " ")
		if raw, err := base64.StdEncoding.DecodeString(b64); ok && err == nil && len(raw) >= 4 {
			out = append(out, fmt.Sprintf("%s+%08x", name, binary.BigEndian.Uint32(raw[:4])))
		}
	}
	return strings.Join(out, ", ")
}

// OpenCheckpointExtensions is OpenCheckpoint that also returns the extension lines of the
// checkpoint body (the time and heads lines; CheckpointTime, CheckpointHeads read them).
func OpenCheckpointExtensions(text []byte, pub crypto.PublicKey) (*log.Checkpoint, []byte, error) {
	return openCheckpoint(text, pub)
}
