package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
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
