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

// posixShell runs script with dash (Debian's /bin/sh, a strict POSIX shell) in dir and
// returns its combined output. The recipes in docs/trail.md promise to run under any POSIX
// sh, so they are not run with bash.
func posixShell(t *testing.T, dir, script string) (string, error) {
	t.Helper()
	for _, tool := range []string{"dash", "openssl", "awk", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the recipe of docs/trail.md needs it (apt-get install dash openssl mawk coreutils)", tool)
		}
	}
	cmd := exec.Command("dash", "-e", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// byHandRecipe returns the first sh block under "Checking by hand" in docs/trail.md.
func byHandRecipe(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "trail.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Checking by hand")
	if !ok {
		t.Fatal(`docs/trail.md has no section "## Checking by hand"`)
	}
	_, block, ok := strings.Cut(section, "\n```sh\n")
	if !ok {
		t.Fatal("docs/trail.md, Checking by hand: no ```sh block")
	}
	block, _, ok = strings.Cut(block, "\n```")
	if !ok {
		t.Fatal("docs/trail.md, Checking by hand: the ```sh block is not closed")
	}
	return block + "\n"
}

// copyTree copies the files under src (a folder or a file) to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// recipeTree lays out, in a temporary folder, the parts of the source tree the recipe reads,
// so that it runs unchanged from the "root" it expects and writes nothing into testdata/.
func recipeTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	base := filepath.Join(root, "shared", "custody", "testdata")
	copyTree(t, filepath.Join("testdata", "tamper", "key.pem"), filepath.Join(base, "tamper", "key.pem"))
	copyTree(t, filepath.Join("testdata", "tamper", "documents"), filepath.Join(base, "tamper", "documents"))
	copyTree(t, filepath.Join("testdata", "vectors", "event-1.canonical.json"), filepath.Join(base, "vectors", "event-1.canonical.json"))
	return root
}

// TestOpensslChecksEvent runs the commands of docs/trail.md for a person with only openssl,
// sha256sum and a POSIX shell, with dash: one event's signature, one document's hash, the
// event's hash from its canonical form.
func TestOpensslChecksEvent(t *testing.T) {
	tr := goodTrail(t)
	e := tr.Events[0].Event
	script := byHandRecipe(t)
	for _, want := range []string{e.Hash, e.Signature, e.Details.Documents[0].SHA256} {
		if !strings.Contains(script, want) {
			t.Fatalf("docs/trail.md recipe does not use %q from event 1 of testdata/tamper/good.json", want)
		}
	}
	out, err := posixShell(t, recipeTree(t), script)
	if err != nil || !strings.Contains(out, "Signature Verified Successfully") {
		t.Fatalf("recipe under dash: %v\n%s", err, out)
	}
	for _, want := range []string{
		e.Details.Documents[0].SHA256 + "  documents/data/statement.txt",
		e.Hash + "  -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("recipe output %q, want a line %q", out, want)
		}
	}
	// The same commands reject another event's signature.
	bad := strings.Replace(script, e.Signature, tr.Events[1].Event.Signature, 1)
	if out, err := posixShell(t, recipeTree(t), bad); err == nil || strings.Contains(out, "Verified Successfully") {
		t.Errorf("recipe accepted event 2's signature on event 1: %v\n%s", err, out)
	}
}

// ecdsaRecipe is the recipe of docs/trail.md for a P-256 key: its steps 1 and 2 (hash and
// signature to files) for the given values, then the openssl dgst command it names for ECDSA.
func ecdsaRecipe(t *testing.T, hash, sig string) string {
	t.Helper()
	doc := byHandRecipe(t)
	steps, _, ok := strings.Cut(doc, "# 3.")
	if !ok {
		t.Fatal("docs/trail.md recipe has no step 3")
	}
	_, steps, _ = strings.Cut(steps, "\n") // drop the cd: the test runs in the key's folder
	e := goodTrail(t).Events[0].Event
	steps = strings.NewReplacer(e.Hash, hash, e.Signature, sig).Replace(steps)
	_, dgst, ok := strings.Cut(doc, "openssl dgst ")
	if !ok {
		t.Fatal("docs/trail.md recipe names no openssl dgst command for ECDSA keys")
	}
	dgst, _, _ = strings.Cut(dgst, "->")
	return steps + "openssl dgst " + strings.TrimSpace(dgst) + "\n"
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

	// openssl, as docs/trail.md says: the signature is DER over SHA-256(hash bytes).
	dir := t.TempDir()
	der, _ := x509.MarshalPKIXPublicKey(s.Public())
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
	e := tr.Events[2].Event
	out, err := posixShell(t, dir, ecdsaRecipe(t, e.Hash, e.Signature))
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
