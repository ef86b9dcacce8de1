package custody_test

import (
	"encoding/base64"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors from testdata/tamper/good.json")

// goodTrail reads the good trail of the tamper vectors.
func goodTrail(t testing.TB) *custody.Trail {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "tamper", "good.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := custody.ParseTrail(data)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestKnownAnswers pins the byte layouts: canonical form, leaf hash, signature. The vectors are
// event 1 of testdata/tamper/good.json and its canonical form in
// testdata/vectors/event-1.canonical.json (no trailing newline).
func TestKnownAnswers(t *testing.T) {
	// RFC 6962 leaf hash of the empty string:
	//	printf '\0' | sha256sum
	if got := custody.LeafHash(nil); hex.EncodeToString(got[:]) != "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" {
		t.Errorf("LeafHash(empty) = %x", got)
	}
	e := goodTrail(t).Events[0].Event
	canon, err := e.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "vectors", "event-1.canonical.json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, canon, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(canon) != string(want) {
		t.Errorf("CanonicalJSON(event 1) = %s\nwant %s", canon, want)
	}
	// Event hash = SHA-256(0x00 || canonical form):
	//	(printf '\0'; cat testdata/vectors/event-1.canonical.json) | sha256sum
	const wantHash = "10131ce90b5170cece26ca20f415248e1269102232c76c1e1133ade8d2dec8a4"
	h, err := e.ComputeHash()
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(h[:]); got != wantHash || e.Hash != wantHash {
		t.Errorf("ComputeHash(event 1) = %s (trail states %s), want %s", got, e.Hash, wantHash)
	}
	// Ed25519 signature over the 32 hash bytes, with testdata/tamper/key.pem:
	//	echo 10131ce90b5170cece26ca20f415248e1269102232c76c1e1133ade8d2dec8a4 | xxd -r -p > msg.bin
	//	echo 'kkn3GBrZ7TQsGXClhVAu+NuuPGibPB8nV8yAza4UquZBFaebVIy1H/jPFPhdsw40vymuJ+Y9vlVVF/uUkGbBBw==' | openssl base64 -d -A > sig.bin
	//	openssl pkeyutl -verify -pubin -inkey testdata/tamper/key.pem -rawin -in msg.bin -sigfile sig.bin
	const wantSig = "kkn3GBrZ7TQsGXClhVAu+NuuPGibPB8nV8yAza4UquZBFaebVIy1H/jPFPhdsw40vymuJ+Y9vlVVF/uUkGbBBw=="
	if e.Signature != wantSig {
		t.Errorf("signature of event 1 = %s, want %s", e.Signature, wantSig)
	}
	// Key id: SHA-256 of the PKIX DER form of the key:
	//	openssl pkey -pubin -in testdata/tamper/key.pem -outform DER | sha256sum
	if e.KeyID != "sha256:80eddafd8ba1f4a3a4be5a79800e0d52116329a7482c78c223d0ebc23317ce66" {
		t.Errorf("key id = %s", e.KeyID)
	}
}

// TestKnownAnswersDocumentManifest pins the document manifest's layouts: the canonical form of
// event 1 of testdata/tamper/manifest-good.json (its documents in a manifest), in
// testdata/vectors/manifest-event-1.canonical.json, and the manifest's bytes, in
// testdata/vectors/manifest-1.json (no trailing newline).
func TestKnownAnswersDocumentManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "tamper", "manifest-good.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := custody.ParseTrail(data)
	if err != nil {
		t.Fatal(err)
	}
	e := tr.Events[0].Event
	canon, err := e.CanonicalJSON()
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := base64.StdEncoding.DecodeString(tr.DocumentManifests[0].Manifest)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"manifest-event-1.canonical.json": canon, "manifest-1.json": manifest} {
		path := filepath.Join("testdata", "vectors", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s = %s\nwant %s", name, got, want)
		}
	}
	// The event names the manifest by its SHA-256 and size:
	//	sha256sum testdata/vectors/manifest-1.json; wc -c testdata/vectors/manifest-1.json
	if m := e.Details.DocumentManifest; m == nil || m.SHA256 != "8119dfc7af3a08f7033fb03329ab289f611c81dd35a3548dcfbe4391eecbb081" || m.Size != 407 || m.Count != 3 {
		t.Errorf("document_manifest = %+v", m)
	}
	// Event hash = SHA-256(0x00 || canonical form):
	//	(printf '\0'; cat testdata/vectors/manifest-event-1.canonical.json) | sha256sum
	h, err := e.ComputeHash()
	if err != nil || hex.EncodeToString(h[:]) != e.Hash {
		t.Errorf("ComputeHash = %x, %v; trail states %s", h, err, e.Hash)
	}
}
