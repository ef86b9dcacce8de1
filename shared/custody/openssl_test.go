package custody_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// shell runs a bash script in dir and returns its combined output.
func shell(t *testing.T, dir, script string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestOpensslChecksEvent runs the README's commands for a person with only openssl and
// sha256sum: one event's signature, one document's hash.
func TestOpensslChecksEvent(t *testing.T) {
	tr := goodTrail(t)
	e := tr.Events[0].Event
	dir, _ := filepath.Abs(filepath.Join("testdata", "tamper"))
	script := `
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# README, step 1: the signed message is the 32 bytes of the event hash.
printf "$(echo HASH | sed 's/../\\x&/g')" > "$tmp/msg.bin"
echo HASH | xxd -r -p | cmp - "$tmp/msg.bin"
echo 'SIG' | openssl base64 -d -A > "$tmp/sig.bin"
openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in "$tmp/msg.bin" -sigfile "$tmp/sig.bin"
# step 2: the document's hash.
sha256sum documents/data/statement.txt
`
	script = strings.NewReplacer("HASH", e.Hash, "SIG", e.Signature).Replace(script)
	out, err := shell(t, dir, script)
	if err != nil || !strings.Contains(out, "Signature Verified Successfully") {
		t.Fatalf("openssl verification failed: %v\n%s", err, out)
	}
	if want := e.Details.Documents[0].SHA256 + "  documents/data/statement.txt"; !strings.Contains(out, want) {
		t.Errorf("sha256sum output %q, want %q", out, want)
	}
	// The same commands reject another event's signature.
	bad := strings.Replace(script, e.Signature, tr.Events[1].Event.Signature, 1)
	if out, err := shell(t, dir, bad); err == nil || strings.Contains(out, "Verified Successfully") {
		t.Errorf("openssl accepted event 2's signature on event 1: %s", out)
	}
}

// ecdsaSigner is a P-256 signer following the KMS contract (ASN.1 DER over SHA-256(message)).
type ecdsaSigner struct {
	key *ecdsa.PrivateKey
	id  string
}

func newECDSASigner(t *testing.T) *ecdsaSigner {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := custody.KeyIDOf(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &ecdsaSigner{key: k, id: id}
}

func (s *ecdsaSigner) KeyID() string            { return s.id }
func (s *ecdsaSigner) Public() crypto.PublicKey { return &s.key.PublicKey }
func (s *ecdsaSigner) Sign(_ context.Context, m []byte) ([]byte, error) {
	h := sha256.Sum256(m)
	return ecdsa.SignASN1(rand.Reader, s.key, h[:])
}

// TestECDSA runs the whole path with a P-256 signer: events, checkpoints (with the note
// adapter, checked by transparency-dev/formats' own ECDSA verifier), Verify, and openssl.
func TestECDSA(t *testing.T) {
	ctx := context.Background()
	s := newECDSASigner(t)
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: "evx.example/kms"}
	for i := 0; i < 3; i++ {
		if _, err := k.Record(ctx, "B1", custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}, custody.Details{}); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := k.Export(ctx, "B1", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, s.Public(), custody.VerifyOptions{}); err != nil {
		t.Fatalf("Verify(ECDSA trail) = %v, want nil", err)
	}
	// The checkpoint note verifies with a verifier built independently from the key string,
	// following the scheme of transparency-dev/formats' note.NewECDSAVerifier (0x02 || PKIX DER,
	// key hash = first 4 bytes of SHA-256(DER), DER signature over SHA-256(text)).
	vkey, err := custody.NoteVerifierKey("evx.example/kms", s.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := log.ParseCheckpoint([]byte(tr.Checkpoint), "evx.example/kms", parseECDSAVerifierKey(t, vkey)); err != nil {
		t.Errorf("independent ECDSA note verifier rejects our checkpoint: %v", err)
	}
	// A trail of another ECDSA key fails.
	if _, err := custody.Verify(tr, newECDSASigner(t).Public(), custody.VerifyOptions{}); err == nil {
		t.Errorf("Verify(other ECDSA key) = nil, want error")
	}

	// openssl: the signature is DER over SHA-256(hash bytes).
	dir := t.TempDir()
	der, _ := x509.MarshalPKIXPublicKey(s.Public())
	os.WriteFile(filepath.Join(dir, "pub.pem"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
	e := tr.Events[2].Event
	out, err := shell(t, dir, strings.NewReplacer("HASH", e.Hash, "SIG", e.Signature).Replace(`
echo HASH | xxd -r -p > msg.bin
echo 'SIG' | openssl base64 -d -A > sig.bin
openssl dgst -sha256 -verify pub.pem -signature sig.bin msg.bin`))
	if err != nil || !strings.Contains(out, "Verified OK") {
		t.Errorf("openssl dgst -verify: %v\n%s", err, out)
	}
}

// TestEd25519CheckpointInterop: our Ed25519 checkpoint verifies with a verifier built by the
// note package from its standard key string.
func TestEd25519CheckpointInterop(t *testing.T) {
	tr := goodTrail(t)
	pub := fixtureKey(t, "key.pem")
	vkey, err := custody.NoteVerifierKey("evx.example/custody", pub)
	if err != nil {
		t.Fatal(err)
	}
	{
		v, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		cp, _, _, err := log.ParseCheckpoint([]byte(tr.Checkpoint), "evx.example/custody", v)
		if err != nil {
			t.Fatalf("ParseCheckpoint: %v", err)
		}
		if cp.Size != 10 {
			t.Errorf("checkpoint size = %d, want 10", cp.Size)
		}
	}
}

// ecdsaNoteVerifier is a note.Verifier written from the ECDSA note scheme's description.
type ecdsaNoteVerifier struct {
	name string
	hash uint32
	pub  *ecdsa.PublicKey
}

func (v ecdsaNoteVerifier) Name() string    { return v.name }
func (v ecdsaNoteVerifier) KeyHash() uint32 { return v.hash }
func (v ecdsaNoteVerifier) Verify(msg, sig []byte) bool {
	h := sha256.Sum256(msg)
	return ecdsa.VerifyASN1(v.pub, h[:], sig)
}

func parseECDSAVerifierKey(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		t.Fatalf("verifier key %q: want name+hash+key", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < 2 || raw[0] != 0x02 {
		t.Fatalf("verifier key %q: want base64 of 0x02 || DER", vkey)
	}
	pub, err := x509.ParsePKIXPublicKey(raw[1:])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw[1:])
	h, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || uint32(h) != binary.BigEndian.Uint32(sum[:4]) {
		t.Fatalf("verifier key hash %s, want %x", parts[1], sum[:4])
	}
	return ecdsaNoteVerifier{name: parts[0], hash: uint32(h), pub: pub.(*ecdsa.PublicKey)}
}
