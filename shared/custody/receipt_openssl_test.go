package custody_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// sealRecipe returns the sh block under "Checking a counterpart's seal by hand" in
// docs/seals.md.
func sealRecipe(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "seals.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n### Checking a counterpart's seal by hand")
	if !ok {
		t.Fatal(`docs/seals.md has no section "### Checking a counterpart's seal by hand"`)
	}
	_, block, ok := strings.Cut(section, "\n```sh\n")
	if !ok {
		t.Fatal("docs/seals.md: no ```sh block in the by-hand section")
	}
	block, _, _ = strings.Cut(block, "\n```")
	return block + "\n"
}

// TestReceiptSealByHand runs the openssl recipe of docs/seals.md on receipt statements sealed
// with an Ed25519 and a P-256 key: it verifies them and prints the key id; a statement altered
// after signing, or checked with another agency's key, fails.
func TestReceiptSealByHand(t *testing.T) {
	recipe := sealRecipe(t)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ed, _ := custody.NewEd25519Signer(edKey)
	ec, _ := custody.NewECDSASigner(p256)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := custody.NewEd25519Signer(otherKey)
	for _, s := range []custody.Signer{ed, ec} {
		st := custody.ReceiptStatement{Agency: "es-fge", Person: "m.garcia", Delivery: "d-1", Bundle: "b-1", Outcome: custody.OutcomeRefused,
			ReasonCodes: []string{"not-competent"}, Note: "pertenece a otra fiscalía",
			Documents: []custody.StatementDocument{{Name: "data/a.pdf", SHA256: strings.Repeat("ab", 32), Outcome: custody.OutcomeRefused, Reason: "not-competent"}}}
		stmt, sig, err := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return s.Sign(t.Context(), m) }, s.KeyID(), &st, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			stmt   []byte
			key    custody.Signer
			wantOK bool
		}{
			{"good", stmt, s, true},
			{"altered", []byte(strings.Replace(string(stmt), `"outcome":"refused","person"`, `"outcome":"accepted","person"`, 1)), s, false},
			{"other agency's key", stmt, other, false},
		} {
			dir := t.TempDir()
			pk, _ := custody.PublicKeyOf(tc.key.Public())
			os.WriteFile(filepath.Join(dir, "statement.b64"), []byte(base64.StdEncoding.EncodeToString(tc.stmt)), 0o644)
			os.WriteFile(filepath.Join(dir, "signature.b64"), []byte(base64.StdEncoding.EncodeToString(sig)), 0o644)
			os.WriteFile(filepath.Join(dir, "agency.pem"), []byte(pk.PEM), 0o644)
			out, err := posixShell(t, dir, recipe)
			if ok := err == nil; ok != tc.wantOK {
				t.Fatalf("%s %s: recipe = %v, want ok %v\n%s", pk.Algorithm, tc.name, err, tc.wantOK, out)
			}
			if tc.wantOK && (!strings.Contains(out, "key id: "+s.KeyID()) || !strings.Contains(out, `"reason_codes":["not-competent"]`)) {
				t.Errorf("%s: recipe printed\n%s\nwant the key id %s and the statement", pk.Algorithm, out, s.KeyID())
			}
		}
	}
}
