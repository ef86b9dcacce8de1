package pipeline_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/pipeline"
)

// sealSigner derives a test seal key from a name.
func sealSigner(t testing.TB, name string) custody.Signer {
	t.Helper()
	seed := sha256.Sum256([]byte("evx seal test " + name))
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func p256Signer(t testing.TB) custody.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), strings.NewReader(strings.Repeat("evx seal test p256 ", 10)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := custody.NewECDSASigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pemKey(t testing.TB, s custody.Signer) string {
	t.Helper()
	pk, err := custody.PublicKeyOf(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pk.PEM
}

// sealNode is a node whose directory has a sending agency nl-pol (seal key sender, and a
// P-256 key revoked in 2026-11-01) requiring seals, and de-bka, sending without a key.
func sealNode(t testing.TB, sender, revoked custody.Signer) *local.Node {
	t.Helper()
	cps := []pipeline.Counterpart{
		{ID: "nl-om", Name: "Openbaar Ministerie", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"}, Active: true},
		{ID: "nl-pol", Name: "Politie, Landelijke Eenheid", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"}, Active: true,
			Role: pipeline.RoleSend, RequireSeal: true, PublicKey: pemKey(t, sender),
			SealKeys: []custody.AgencyKey{{PEM: pemKey(t, revoked), Revoked: "2026-11-01T00:00:00Z"}}},
		{ID: "de-bka", Name: "Bundeskriminalamt", Country: "DE", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"}, Active: true, Role: pipeline.RoleSend},
	}
	d, err := directory.New(cps)
	if err != nil {
		t.Fatal(err)
	}
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Counterparts: d, Clock: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// sealedBag makes a zip bag sealed by s as agency's person; edit, when set, rewrites the
// tag files before the seal is made (the seal is then over what edit returns).
func sealedBag(t testing.TB, s custody.Signer, agency, person string, edit func(map[string][]byte)) []byte {
	t.Helper()
	sealed.Add(1) // each bag sealed at its own time: distinct bytes, distinct bundles
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC).Add(time.Duration(sealed.Load()) * time.Second)
	return hookedBag(t, func(tags map[string][]byte) (string, []byte, error) {
		if edit != nil {
			edit(tags)
		}
		b, err := custody.SealBag(context.Background(), s, agency, person, tags, at)
		return custody.BagSealFile, b, err
	})
}

var sealed atomic.Int64

// hookedBag makes a zip bag whose seal tag file hook makes (listed in the tag manifests).
func hookedBag(t testing.TB, hook func(map[string][]byte) (string, []byte, error)) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.zip")
	_, err := bagit.Create(out, evidence(t), bagit.CreateOptions{Info: info("nl-om"), Seal: hook})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func submitAs(t testing.TB, n *local.Node, bag []byte, uploader string) (*pipeline.Status, custody.Event) {
	t.Helper()
	ctx := context.Background()
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(bag))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: uploader, Size: size}); err != nil {
		t.Fatal(err)
	}
	st, err := n.Service.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	es, err := n.Service.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return st, es[0].Event
}

// TestSenderSeal: a bag sealed by its sending agency is accepted and the acceptance carries
// the seal unchanged, checkable with the agency's key alone; every bad seal, and a missing
// one where the agency requires it, is a SubmissionRejection naming why.
func TestSenderSeal(t *testing.T) {
	sender, revoked, other := sealSigner(t, "nl-pol"), p256Signer(t), sealSigner(t, "intruder")
	n := sealNode(t, sender, revoked)

	st, first := submitAs(t, n, sealedBag(t, sender, "nl-pol", "j.devries", nil), "nl-pol/j.devries")
	if !st.Ingest.Accepted || first.Details.Seal == nil {
		t.Fatalf("sealed bag: accepted %v, seal %+v, reasons %v; want accepted with the seal", st.Ingest.Accepted, first.Details.Seal, st.Ingest.Reasons)
	}
	seal := first.Details.Seal
	if first.Version != custody.Version2 || first.Actor.Agency != "nl-pol" || first.Actor.Person != "j.devries" || seal.KeyID != sender.KeyID() || seal.Manifest == "" {
		t.Errorf("acceptance = %+v, want version 2 by nl-pol/j.devries with seal key %s and the manifest", first, sender.KeyID())
	}
	stmt, _, err := custody.BagStatementOf(seal.Statement, seal.KeyID)
	if err != nil || stmt.Agency != "nl-pol" || stmt.Person != "j.devries" || len(stmt.Covers) != 3 {
		t.Errorf("recorded statement = %+v, %v; want nl-pol's, covering bag-info.txt and two manifests", stmt, err)
	}
	verifyTrail(t, n, st.Upload.BundleID)

	// A forger rewrites the seal file and the tag manifests with it (the bag stays valid).
	forged := hookedBag(t, func(tags map[string][]byte) (string, []byte, error) {
		b, err := custody.SealBag(context.Background(), sender, "nl-pol", "j.devries", tags, time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC))
		if err != nil {
			return "", nil, err
		}
		tag, err := custody.ParseBagSealTag(b)
		if err != nil {
			return "", nil, err
		}
		sig, _ := base64.StdEncoding.DecodeString(tag.Signature)
		sig[0] ^= 1
		tag.Signature = base64.StdEncoding.EncodeToString(sig)
		b, err = json.Marshal(tag)
		return custody.BagSealFile, b, err
	})
	garbage := hookedBag(t, func(map[string][]byte) (string, []byte, error) { return custody.BagSealFile, []byte("not json"), nil })

	for _, tc := range []struct {
		name, uploader string
		bag            []byte
		want           string
	}{
		{"unsealed where required", "nl-pol/j.devries", makeBag(t, evidence(t), info("nl-om")), "requires its seal"},
		{"forged signature", "nl-pol/j.devries", forged, "signature does not verify"},
		{"seal over other manifests", "nl-pol/j.devries", sealedBag(t, sender, "nl-pol", "j.devries", func(tags map[string][]byte) {
			tags["manifest-sha256.txt"] = append([]byte(strings.Repeat("0", 64)+"  data/planted.txt\n"), tags["manifest-sha256.txt"]...)
		}), "over other manifests"},
		{"key not the agency's", "nl-pol/j.devries", sealedBag(t, other, "nl-pol", "j.devries", nil), "not one of the agency's seal keys"},
		{"revoked key", "nl-pol/j.devries", sealedBag(t, revoked, "nl-pol", "j.devries", nil), "revoked since 2026-11-01"},
		{"other person", "nl-pol/a.smit", sealedBag(t, sender, "nl-pol", "j.devries", nil), "submitted by a.smit"},
		{"other agency", "de-bka/k.muller", sealedBag(t, sender, "nl-pol", "j.devries", nil), "submitted by a person of de-bka"},
		{"garbage seal file", "nl-pol/j.devries", garbage, "is not a seal file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, first := submitAs(t, n, tc.bag, tc.uploader)
			if st.Ingest.Accepted || first.Type != custody.SubmissionRejection || !strings.Contains(strings.Join(first.Details.Reasons, "; "), tc.want) {
				t.Errorf("%s: accepted %v, %s reasons %q; want a rejection naming %q", tc.name, st.Ingest.Accepted, first.Type, first.Details.Reasons, tc.want)
			}
		})
	}
	// The conformance suite's rules: a sealed bag is a plain BagIt bag (the seal is a tag
	// file the tag manifests list).
	p := filepath.Join(t.TempDir(), "sealed.zip")
	os.WriteFile(p, sealedBag(t, sender, "nl-pol", "j.devries", nil), 0o644)
	bag, err := bagit.Open(p, bagit.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer bag.Close()
	rep, err := bag.Validate(bagit.Options{Mode: bagit.ModeSpec})
	if err != nil || !rep.Valid() {
		t.Errorf("sealed bag under RFC 8493 alone: %v, %v", rep.Err(), err)
	}
}
