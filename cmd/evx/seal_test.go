package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// writeSealKey writes a private seal key as openssl writes it and returns its path and the
// agency key record of its public half.
func writeSealKey(t *testing.T, p256 bool) (string, custody.AgencyKey) {
	t.Helper()
	var block *pem.Block
	var pub any
	if p256 {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalECPrivateKey(k)
		block, pub = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}, &k.PublicKey
	} else {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		block, pub = &pem.Block{Type: "PRIVATE KEY", Bytes: der}, k.Public()
	}
	p := filepath.Join(t.TempDir(), "seal.key")
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, err := custody.NewAgencyKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return p, rec
}

// TestBagCreateSealed: evx bag create --seal-key writes evx-seal.json, which verifies with
// the agency's key over the bag's bag-info.txt and manifests, in a bag any BagIt tool takes.
func TestBagCreateSealed(t *testing.T) {
	for _, p256 := range []bool{false, true} {
		key, rec := writeSealKey(t, p256)
		p := createSample(t, "sealed.zip", "--seal-key", key, "--agency", "nl-pol", "--person", "j.devries")
		if code, out, errOut := evx(t, "bag", "validate", "--spec", p); code != exitOK {
			t.Fatalf("bag validate --spec = %d %s %s", code, out, errOut)
		}
		b, err := bagit.Open(p, bagit.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		data, ok := b.TagFile(custody.BagSealFile)
		tag, err := custody.ParseBagSealTag(data)
		if !ok || err != nil {
			t.Fatalf("seal file %q: %v", data, err)
		}
		files := map[string][]byte{}
		for _, n := range custody.SealFileNames(b.TagFiles()) {
			files[n], _ = b.TagFile(n)
		}
		b.Close()
		st, err := custody.CheckBagSeal(tag.Statement, tag.Signature, rec, files, time.Now().Add(time.Minute))
		if err != nil || st.Agency != "nl-pol" || st.Person != "j.devries" || tag.KeyID != rec.KeyID {
			t.Errorf("p256 %v: CheckBagSeal = %+v, %v", p256, st, err)
		}
	}
	// --seal-key without the agency and person is a usage error; so is --person alone.
	key, _ := writeSealKey(t, false)
	for _, extra := range [][]string{{"--seal-key", key}, {"--person", "j.devries"}} {
		args := append([]string{"bag", "create", "--counterpart", "nl-om", "-o", filepath.Join(t.TempDir(), "x.zip")}, extra...)
		args = append(args, filepath.Join(sampleDir, "seizure-report.txt"))
		if code, _, errOut := evx(t, args...); code != exitUsage || !strings.Contains(errOut, "--seal-key") {
			t.Errorf("bag create %v = %d %q, want a usage error", extra, code, errOut)
		}
	}
}

// sampleSealKey writes the private key of a sample agency of infra/counterparts.yaml (derived
// from SHA-256("evx sample counterpart " + id), Ed25519) as openssl writes it.
func sampleSealKey(t *testing.T, id string) string {
	t.Helper()
	seed := sha256.Sum256([]byte("evx sample counterpart " + id))
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), id+".key")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSealedExchangeOnDataFolder: nl-pol's j.devries uploads a sealed bag; nl-om reviews it
// (evx pull --review answers nothing), then p.bakker refuses it with a reason code, sealed
// with nl-om's key (evx receipt reject); the trail carries both seals and verifies.
func TestSealedExchangeOnDataFolder(t *testing.T) {
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, "upload", "--data", data, "--directory", testDirectory, "--counterpart", "nl-om",
		"--field", "EVX-Legal-Basis=EU-EIO", "--field", "EVX-Handling-Code=H1", "--seal-key", sampleSealKey(t, "nl-pol"),
		"--agency", "nl-pol", "--person", "j.devries", "--json", filepath.Join(sampleDir, "seizure-report.txt"))
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	var st pipeline.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || !st.Ingest.Accepted || len(st.Deliveries) != 1 {
		t.Fatalf("upload result %s (%v)", out, err)
	}
	id := st.Deliveries[0].ID
	dl := t.TempDir()
	pull := []string{"pull", "--data", data, "--directory", testDirectory, "--counterpart", "nl-om", "--out", dl}
	if code, out, errs := runCmd(t, append(pull, "--review")...); code != exitOK || !strings.Contains(out, "reviewing") {
		t.Fatalf("pull --review = %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd(t, "receipt", "reject", id, "--reason", "legal-basis-insufficient", "--note", "EIO not validated by a judge",
		"--data", data, "--directory", testDirectory, "--counterpart", "nl-om", "--out", dl,
		"--seal-key", sampleSealKey(t, "nl-om"), "--person", "p.bakker")
	if code != exitOK || !strings.Contains(out, "rejected, sealed by sha256:") {
		t.Fatalf("receipt reject = %d\n%s\n%s", code, out, errs)
	}
	trail := filepath.Join(t.TempDir(), "trail.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", trail, st.Upload.BundleID); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	raw, err := os.ReadFile(trail)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	first, last := tr.Events[0].Event, tr.Events[len(tr.Events)-1].Event
	if first.Details.Seal == nil || first.Actor.Agency != "nl-pol" || first.Actor.Person != "j.devries" {
		t.Errorf("event 1 = %+v, want nl-pol's j.devries with the seal", first)
	}
	if last.Type != custody.ConsignmentRejection || last.Details.Receipt == nil || last.Actor.Person != "p.bakker" || !slices.Equal(last.Details.Reasons, []string{"legal-basis-insufficient", "EIO not validated by a judge"}) {
		t.Errorf("last event = %+v, want p.bakker's sealed rejection", last)
	}
}

// TestVerifySealVectors: evx verify passes the sealed trail of shared/custody/testdata/seals
// and says whose seals it checked with which key, and fails each tampered one with the typed
// error custody names (exit 1), with the agencies' keys pinned where the case says so.
func TestVerifySealVectors(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "custody", "testdata", "seals")
	tsv, err := os.ReadFile(filepath.Join(dir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(tsv), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		name, pinned, want := f[0], f[1] == "true", f[2]
		args := []string{"verify", "--json", "--key", filepath.Join(dir, "evx.pem"), filepath.Join(dir, name+".json")}
		if pinned {
			args = append(args, "--agency-key", "nl-pol="+filepath.Join(dir, "nl-pol.pem"), "--agency-key", "es-fge="+filepath.Join(dir, "es-fge.pem"))
		}
		code, out, errOut := runCmd(t, args...)
		var res struct {
			Verified bool `json:"verified"`
			Failure  struct {
				Type string `json:"type"`
			} `json:"failure"`
			Report struct {
				Seals []custody.SealCheck `json:"seals"`
			} `json:"report"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%s: %v\n%s\n%s", name, err, out, errOut)
		}
		switch {
		case want == "" && (code != exitOK || len(res.Report.Seals) != 2):
			t.Errorf("%s: evx verify = %d %s, want verified with two seals", name, code, out)
		case want != "" && (code != exitInvalid || res.Failure.Type != want):
			t.Errorf("%s: evx verify = %d, failure %q, want exit 1 with %s\n%s", name, code, res.Failure.Type, want, out)
		}
	}
	if n < 8 {
		t.Fatalf("cases.tsv has %d cases", n)
	}
	// In words: the seals and where their keys came from.
	_, out, _ := runCmd(t, "verify", "--key", filepath.Join(dir, "evx.pem"), filepath.Join(dir, "good.json"), "--agency-key", "nl-pol="+filepath.Join(dir, "nl-pol.pem"))
	if !strings.Contains(out, "sender's seal by j.devries of nl-pol") || !strings.Contains(out, "with the agency's key you pinned") ||
		!strings.Contains(out, "receipt sealed (refused) by m.garcia of es-fge") || !strings.Contains(out, "with the agency's key history the trail carries") ||
		!strings.Contains(out, "only as trustworthy as evx's own log") || !strings.Contains(out, "(valid, unbounded)") {
		t.Errorf("evx verify says:\n%s\nwant both seals, nl-pol's pinned, es-fge's from the log's key history, with the key's window", out)
	}
	// A key the log revoked after the seal: the seal stands, and evx verify says when.
	code, out, _ := runCmd(t, "verify", "--key", filepath.Join(dir, "evx.pem"), filepath.Join(dir, "sender-key-revoked-after-seal.json"))
	if code != exitOK || !strings.Contains(out, "revoked 2026-11-27T20:00:00.000000000Z, after this seal") {
		t.Errorf("evx verify (key revoked after the seal) = %d:\n%s\nwant verified, naming the revocation", code, out)
	}
	// One revoked before: exit 1, naming the key and its revocation.
	code, out, errOut := runCmd(t, "verify", "--key", filepath.Join(dir, "evx.pem"), filepath.Join(dir, "sender-key-revoked-in-log.json"))
	if code != exitInvalid || !strings.Contains(out+errOut, "revoked since 2026-11-27T09:30:00.000000000Z") {
		t.Errorf("evx verify (key revoked before the seal) = %d:\n%s%s\nwant exit 1 naming the revocation", code, out, errOut)
	}
}
