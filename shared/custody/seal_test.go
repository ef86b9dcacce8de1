package custody_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

func seededSigner(t *testing.T, name string) custody.Signer {
	t.Helper()
	seed := sha256.Sum256([]byte("evx seal vectors: " + name))
	s, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sealedScene is what a sealed exchange records: nl-pol's j.devries submits a sealed bag,
// es-fge's m.garcia refuses it with a sealed statement. change, when set, alters the events
// before evx (s) seals them and the log is built: an operator holding evx's key rewriting
// history and rebuilding everything.
type sealedScene struct {
	evx, sender, counterpart custody.Signer
	senderKey, cpKey         custody.AgencyKey
}

func newScene(t *testing.T) *sealedScene {
	sc := &sealedScene{evx: seededSigner(t, "evx"), sender: seededSigner(t, "nl-pol"), counterpart: seededSigner(t, "es-fge")}
	sc.senderKey, _ = custody.NewAgencyKey(sc.sender.Public())
	sc.cpKey, _ = custody.NewAgencyKey(sc.counterpart.Public())
	return sc
}

const sceneManifest = "" +
	"3b2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c  data/report.pdf\n" +
	"aa2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c  data/ledger.csv\n"

func (sc *sealedScene) trail(t *testing.T, change func(evs []custody.Event)) []byte {
	t.Helper()
	ctx := context.Background()
	files := map[string][]byte{"bag-info.txt": []byte("EVX-Counterpart: es-fge\nPayload-Oxum: 10.2\n"), "manifest-sha256.txt": []byte(sceneManifest)}
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	tagFile, err := custody.SealBag(ctx, sc.sender, "nl-pol", "j.devries", files, at)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := custody.ParseBagSealTag(tagFile)
	docs := []custody.Document{
		{Name: "data/ledger.csv", Size: 4, SHA256: "aa2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c"},
		{Name: "data/report.pdf", Size: 6, SHA256: "3b2c1f1b1f5c1b2d0e8c8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c"},
	}
	st := custody.ReceiptStatement{Agency: "es-fge", Person: "m.garcia", Delivery: "d-1", Bundle: "B-1", Outcome: custody.OutcomeRefused,
		ReasonCodes: []string{"not-competent"}, Note: "corresponde a otra fiscalía"}
	for _, d := range docs {
		st.Documents = append(st.Documents, custody.StatementDocument{Name: d.Name, SHA256: d.SHA256, Outcome: custody.OutcomeAccepted})
	}
	stmt, sig, err := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return sc.counterpart.Sign(ctx, m) }, sc.counterpart.KeyID(), &st, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	evs := []custody.Event{
		{Type: custody.SubmissionAcceptance, Actor: custody.Actor{Kind: custody.ActorUser, ID: "nl-pol/j.devries", Agency: "nl-pol", Person: "j.devries"},
			Details: custody.Details{Counterparts: []string{"es-fge"}, Documents: docs,
				Seal: &custody.SealRecord{KeyID: tag.KeyID, Statement: tag.Statement, Signature: tag.Signature, Key: sc.senderKey, Manifest: base64.StdEncoding.EncodeToString(files["manifest-sha256.txt"])}}},
		{Type: custody.ContentConsignment, Actor: custody.Actor{Kind: custody.ActorSystem, ID: "route"}, Details: custody.Details{Counterpart: "es-fge", Documents: docs}},
		{Type: custody.ConsignmentRejection, Actor: custody.Actor{Kind: custody.ActorCounterpart, ID: "es-fge", Agency: "es-fge", Person: "m.garcia"},
			Details: custody.Details{Counterpart: "es-fge", Documents: docs, Reasons: []string{"not-competent", "corresponde a otra fiscalía"},
				Receipt: &custody.ReceiptRecord{KeyID: sc.counterpart.KeyID(), Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig), Key: sc.cpKey}}},
	}
	if change != nil {
		change(evs)
	}
	l := custody.NewMemLedger()
	prev := ""
	for i := range evs {
		e := &evs[i]
		e.BundleID, e.Seq, e.Prev, e.Time = "B-1", uint64(i+1), prev, at.Add(time.Duration(i+1)*time.Hour)
		if err := custody.Seal(ctx, sc.evx, e); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(ctx, *e); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
	tr, err := custody.Export(ctx, l, sc.evx, "evx.example/custody", "B-1", custody.ExportOptions{Time: at.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSealTampering: the sealed trail verifies, with the key records it carries or with the
// agencies' keys pinned; every tampering, even by an operator who re-signs every event with
// evx's key and rebuilds the log, fails with its typed error.
func TestSealTampering(t *testing.T) {
	sc := newScene(t)
	pinned := map[string][]crypto.PublicKey{"nl-pol": {sc.sender.Public()}, "es-fge": {sc.counterpart.Public()}}
	rep, err := custody.VerifyTrail(sc.trail(t, nil), sc.evx.Public(), custody.VerifyOptions{})
	if err != nil || len(rep.Seals) != 2 || rep.Seals[0].KeySource != "trail" || rep.Seals[1].Outcome != custody.OutcomeRefused {
		t.Fatalf("VerifyTrail(good) = %+v, %v; want two seals checked with the trail's key records", rep, err)
	}
	rep, err = custody.VerifyTrail(sc.trail(t, nil), sc.evx.Public(), custody.VerifyOptions{AgencyKeys: pinned})
	if err != nil || rep.Seals[0].KeySource != "pinned" || rep.Seals[1].KeySource != "pinned" {
		t.Fatalf("VerifyTrail(good, pinned) = %+v, %v; want both seals checked with the pinned keys", rep, err)
	}
	intruder := seededSigner(t, "intruder")
	intruderKey, _ := custody.NewAgencyKey(intruder.Public())
	flip := func(b64 string) string {
		b, _ := base64.StdEncoding.DecodeString(b64)
		b[len(b)/2] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	editStatement := func(b64, old, new string) string {
		b, _ := base64.StdEncoding.DecodeString(b64)
		return base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(b), old, new, 1)))
	}
	vectors := []sealVector{{"good", false, "", sc.trail(t, nil)}}
	defer func() { checkSealVectors(t, sc, vectors) }()
	for _, tc := range []struct {
		name   string
		change func(evs []custody.Event)
		pin    bool
		want   string // error type
		field  string // SealMismatchError.What prefix
	}{
		{"forged-sender-seal", func(evs []custody.Event) { evs[0].Details.Seal.Signature = flip(evs[0].Details.Seal.Signature) }, false, "SealError", ""},
		{"seal-over-other-manifests", func(evs []custody.Event) {
			evs[0].Details.Seal.Manifest = base64.StdEncoding.EncodeToString([]byte(strings.Replace(sceneManifest, "3b2c", "3b2d", 1)))
		}, false, "SealMismatchError", "manifest-sha256.txt"},
		{"documents-other-than-sealed", func(evs []custody.Event) { evs[0].Details.Documents = evs[0].Details.Documents[:1] }, false, "SealMismatchError", "document data/report.pdf"},
		{"sender-renamed", func(evs []custody.Event) { evs[0].Actor.Person, evs[0].Actor.ID = "a.smit", "nl-pol/a.smit" }, false, "SealMismatchError", "submitting person"},
		{"receipt-altered-after-signing", func(evs []custody.Event) {
			evs[2].Details.Receipt.Statement = editStatement(evs[2].Details.Receipt.Statement, `"outcome":"refused","person"`, `"outcome":"accepted","person"`)
		}, false, "SealError", ""},
		{"refusal-rewritten-as-acceptance", func(evs []custody.Event) { evs[2].Type = custody.ConsignmentAcceptance }, false, "SealMismatchError", "outcome"},
		{"refusal-reasons-rewritten", func(evs []custody.Event) { evs[2].Details.Reasons = []string{"other"} }, false, "SealMismatchError", "reasons"},
		{"counterpart-seal-by-wrong-key", func(evs []custody.Event) {
			r := evs[2].Details.Receipt
			st, _ := base64.StdEncoding.DecodeString(r.Statement)
			var s custody.ReceiptStatement
			json.Unmarshal(st, &s)
			s.Time = ""
			stmt, sig, _ := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return intruder.Sign(context.Background(), m) }, intruder.KeyID(), &s, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
			evs[2].Details.Receipt = &custody.ReceiptRecord{KeyID: intruder.KeyID(), Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig), Key: intruderKey}
		}, true, "SealError", ""},
		{"receipt-seal-dropped", func(evs []custody.Event) { evs[2].Details.Receipt = nil }, true, "SealError", ""},
		{"sender-key-revoked-before", func(evs []custody.Event) { evs[0].Details.Seal.Key.Revoked = "2026-11-27T09:30:00.000000000Z" }, false, "KeyValidityError", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := custody.VerifyOptions{}
			if tc.pin {
				opt.AgencyKeys = pinned
			}
			raw := sc.trail(t, tc.change)
			vectors = append(vectors, sealVector{tc.name, tc.pin, tc.want, raw})
			_, err := custody.VerifyTrail(raw, sc.evx.Public(), opt)
			f, ok := custody.FailureOf(err)
			if !ok || f.Kind != tc.want {
				t.Fatalf("VerifyTrail = %v (%T), want *%s", err, err, tc.want)
			}
			var me *custody.SealMismatchError
			if tc.field != "" && (!errors.As(err, &me) || !strings.HasPrefix(me.What, tc.field)) {
				t.Errorf("VerifyTrail = %v, want a mismatch of %s", err, tc.field)
			}
		})
	}
	// A key revoked after the seal was recorded leaves it valid.
	later := sc.trail(t, func(evs []custody.Event) { evs[0].Details.Seal.Key.Revoked = "2026-12-01T00:00:00.000000000Z" })
	if _, err := custody.VerifyTrail(later, sc.evx.Public(), custody.VerifyOptions{}); err != nil {
		t.Errorf("VerifyTrail(key revoked after the seal) = %v, want valid", err)
	}
}

// sealVector is one trail of testdata/seals, for evx verify's and the report's tests.
type sealVector struct {
	name string
	pin  bool   // verified with the agencies' keys pinned
	want string // the failure's type; "" for a valid trail
	raw  []byte
}

const sealVectorsDir = "testdata/seals"

// checkSealVectors holds testdata/seals to the trails built here (rewritten with -update):
// NAME.json, cases.tsv (name, pinned, expected failure), and the keys: evx.pem, nl-pol.pem,
// es-fge.pem.
func checkSealVectors(t *testing.T, sc *sealedScene, vs []sealVector) {
	t.Helper()
	files := map[string][]byte{}
	var tsv strings.Builder
	tsv.WriteString("# name\tpinned\tfailure (go test ./shared/custody -run TestSealTampering -update rewrites this folder)\n")
	for _, v := range vs {
		files[v.name+".json"] = v.raw
		fmt.Fprintf(&tsv, "%s\t%v\t%s\n", v.name, v.pin, v.want)
	}
	files["cases.tsv"] = []byte(tsv.String())
	for name, s := range map[string]custody.Signer{"evx.pem": sc.evx, "nl-pol.pem": sc.sender, "es-fge.pem": sc.counterpart} {
		pk, _ := custody.PublicKeyOf(s.Public())
		files[name] = []byte(pk.PEM)
	}
	for name, want := range files {
		p := filepath.Join(sealVectorsDir, name)
		if *update {
			os.MkdirAll(sealVectorsDir, 0o755)
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not current (%v): go test ./shared/custody -run TestSealTampering -update", p, err)
		}
	}
}
