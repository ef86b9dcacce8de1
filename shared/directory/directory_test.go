package directory

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/directorytest"
)

func TestDirectoryConformance(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, cps []pipeline.Counterpart) pipeline.Directory {
		d, err := New(cps)
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// sampleKey derives a sample counterpart's public key as infra/counterparts.yaml says.
func sampleKey(t *testing.T, id string, p256 bool) any {
	t.Helper()
	seed := sha256.Sum256([]byte("evx sample counterpart " + id))
	if !p256 {
		return ed25519.NewKeyFromSeed(seed[:]).Public()
	}
	k, err := ecdh.P256().NewPrivateKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), k.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestLoadSampleDirectory(t *testing.T) {
	d, err := Load(filepath.Join("..", "..", "infra", "counterparts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cp := range d.Counterparts() {
		ids = append(ids, cp.ID)
	}
	if got, want := strings.Join(ids, " "), "co-fgn es-fge nl-om nl-pol pt-pj"; got != want {
		t.Errorf("Counterparts() ids = %s, want %s", got, want)
	}
	ctx := context.Background()
	pt, err := d.Counterpart(ctx, "pt-pj")
	if err != nil || pt.Active {
		t.Errorf("Counterpart(pt-pj) = {Active: %v}, %v; want inactive", pt.Active, err)
	}
	es, err := d.Counterpart(ctx, "es-fge")
	if err != nil || es.Country != "ES" || strings.Join(es.HandlingCodes, ",") != "H0,H1,H2" {
		t.Errorf("Counterpart(es-fge) = %+v, %v", es, err)
	}
	for _, tc := range []struct {
		id   string
		p256 bool
	}{{"nl-om", false}, {"es-fge", true}, {"co-fgn", false}, {"pt-pj", false}} {
		pub, err := d.PublicKey(tc.id)
		if err != nil {
			t.Fatalf("PublicKey(%s) = %v", tc.id, err)
		}
		got, _ := custody.KeyIDOf(pub)
		want, _ := custody.KeyIDOf(sampleKey(t, tc.id, tc.p256))
		if got != want {
			t.Errorf("PublicKey(%s) has key id %s, want %s (derived from its sample seed)", tc.id, got, want)
		}
	}
	if _, err := d.PublicKey("xx"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("PublicKey(unknown) = %v, want ErrNotFound", err)
	}
}

func pemOf(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n      ")
}

// indent10 indents a PEM block for a seal_keys entry's pem.
func indent10(s string) string {
	return "          " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n          ")
}

// entry is one valid YAML counterpart with field replaced (or removed, when value is "-").
func entry(id string, replace map[string]string) string {
	fields := []struct{ k, v string }{
		{"id", id},
		{"name", "Agency " + id},
		{"country", "NL"},
		{"legal_bases", "[EU-EIO]"},
		{"handling_codes", "[H0, H1]"},
		{"active", "true"},
	}
	var b strings.Builder
	for _, f := range fields {
		v := f.v
		if r, ok := replace[f.k]; ok {
			v = r
		}
		if v == "-" {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("  - ")
		} else {
			b.WriteString("    ")
		}
		b.WriteString(f.k + ": " + v + "\n")
	}
	for k, v := range replace {
		switch k {
		case "id", "name", "country", "legal_bases", "handling_codes", "active":
		default:
			b.WriteString("    " + k + ": " + v + "\n")
		}
	}
	return b.String()
}

func TestParseDirectoryRefuses(t *testing.T) {
	ed := pemOf(t, sampleKey(t, "x", false))
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		yaml string
		want string // in the error text
	}{
		{"empty-file", "", "empty file"},
		{"no-counterparts", "counterparts: []\n", "no counterparts"},
		{"unknown-top-field", "version: 2\ncounterparts:\n" + entry("a", nil), "field version not found"},
		{"unknown-field", "counterparts:\n" + entry("a", map[string]string{"email": "x@example.org"}), "field email not found"},
		{"misspelt-field", "counterparts:\n" + entry("a", map[string]string{"handling_code": "[H0]"}), "field handling_code not found"},
		{"duplicate-yaml-key", "counterparts:\n" + entry("a", nil) + "    active: false\n", "already defined"},
		{"two-documents", "counterparts:\n" + entry("a", nil) + "---\ncounterparts: []\n", "more than one YAML document"},
		{"duplicate-id", "counterparts:\n" + entry("a", nil) + entry("a", nil), "duplicate"},
		{"missing-id", "counterparts:\n" + entry("a", map[string]string{"id": "-"}), `id: missing`},
		{"missing-active", "counterparts:\n" + entry("a", map[string]string{"active": "-"}), "active: missing"},
		{"missing-country", "counterparts:\n" + entry("a", map[string]string{"country": "-"}), "country: missing"},
		{"active-not-bool", "counterparts:\n" + entry("a", map[string]string{"active": "yes please"}), "cannot unmarshal"},
		{"id-uppercase", "counterparts:\n" + entry("NL-OM", nil), "id: want"},
		{"id-traversal", "counterparts:\n" + entry("../x", nil), "id: want"},
		{"id-leading-dash", "counterparts:\n" + entry("-x", nil), "id: want"},
		{"id-too-long", "counterparts:\n" + entry(strings.Repeat("a", 64), nil), "id: want"},
		{"name-blank", "counterparts:\n" + entry("a", map[string]string{"name": `"  "`}), "name: want"},
		{"country-lowercase", "counterparts:\n" + entry("a", map[string]string{"country": "nl"}), "in capitals"},
		{"country-alpha3", "counterparts:\n" + entry("a", map[string]string{"country": "NLD"}), "alpha-2"},
		{"country-numeric", "counterparts:\n" + entry("a", map[string]string{"country": `"528"`}), "alpha-2"},
		{"country-EU", "counterparts:\n" + entry("a", map[string]string{"country": "EU"}), "not an ISO 3166-1 country code"},
		{"country-UK", "counterparts:\n" + entry("a", map[string]string{"country": "UK"}), "not an ISO 3166-1 country code"},
		{"country-withdrawn-SU", "counterparts:\n" + entry("a", map[string]string{"country": "SU"}), "not an ISO 3166-1 country code"},
		{"country-reserved-UN", "counterparts:\n" + entry("a", map[string]string{"country": "UN"}), "not an ISO 3166-1 country code"},
		{"country-ZZ", "counterparts:\n" + entry("a", map[string]string{"country": "ZZ"}), "not an ISO 3166-1 country code"},
		{"country-XX", "counterparts:\n" + entry("a", map[string]string{"country": "XX"}), "not an ISO 3166-1 country code"},
		{"handling-H4", "counterparts:\n" + entry("a", map[string]string{"handling_codes": "[H0, H4]"}), `"H4": want one of`},
		{"handling-lowercase", "counterparts:\n" + entry("a", map[string]string{"handling_codes": "[h1]"}), `"h1": want one of`},
		{"handling-twice", "counterparts:\n" + entry("a", map[string]string{"handling_codes": "[H1, H1]"}), "listed twice"},
		{"handling-none-active", "counterparts:\n" + entry("a", map[string]string{"handling_codes": "[]"}), "needs at least one"},
		{"legal-basis-none-active", "counterparts:\n" + entry("a", map[string]string{"legal_bases": "-"}), "needs at least one"},
		{"legal-basis-space", "counterparts:\n" + entry("a", map[string]string{"legal_bases": `["EU EIO"]`}), "legal_bases"},
		{"key-garbage", "counterparts:\n" + entry("a", map[string]string{"public_key": "not a key"}), "not PEM"},
		{"key-private-block", "counterparts:\n" + entry("a", map[string]string{"public_key": "|\n" + indent(strings.Replace(ed, "PUBLIC", "PRIVATE", 2))}), "want PUBLIC KEY"},
		{"key-trailing-text", "counterparts:\n" + entry("a", map[string]string{"public_key": "|\n" + indent(ed+"trailing")}), "text after the PEM block"},
		{"key-p384", "counterparts:\n" + entry("a", map[string]string{"public_key": "|\n" + indent(pemOf(t, &p384.PublicKey))}), "only P-256"},
		{"key-bad-der", "counterparts:\n" + entry("a", map[string]string{"public_key": "|\n" + indent("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")}), "public_key"},
		{"list-not-map", "counterparts:\n  - nl-om\n", "cannot unmarshal"},
		{"issuer-without-client", "counterparts:\n" + entry("a", map[string]string{"issuer": "https://idp.example.org"}), "both or neither"},
		{"client-without-issuer", "counterparts:\n" + entry("a", map[string]string{"client_id": "abc"}), "both or neither"},
		{"issuer-http", "counterparts:\n" + entry("a", map[string]string{"issuer": "http://idp.example.org", "client_id": "abc"}), "want an https URL"},
		{"issuer-query", "counterparts:\n" + entry("a", map[string]string{"issuer": "https://idp.example.org/?x=1", "client_id": "abc"}), "want an https URL"},
		{"client-id-space", "counterparts:\n" + entry("a", map[string]string{"issuer": "https://idp.example.org", "client_id": `"a b"`}), "client_id: want"},
		{"client-id-shared", "counterparts:\n" + entry("a", map[string]string{"issuer": "https://idp.example.org", "client_id": "abc"}) +
			entry("b", map[string]string{"issuer": "https://idp.example.org", "client_id": "abc"}), "same issuer and client id"},
		{"aws-account-short", "counterparts:\n" + entry("a", map[string]string{"aws_account": `"12345"`}), "aws_account"},
		{"aws-account-letters", "counterparts:\n" + entry("a", map[string]string{"aws_account": "12345678901x"}), "want 12 digits"},
		{"both-lists", "agencies:\n" + entry("a", nil) + "counterparts:\n" + entry("b", nil), "the list is called agencies now"},
		{"role-unknown", "agencies:\n" + entry("a", map[string]string{"role": "relay"}), "want send, receive or both"},
		{"seal-key-garbage", "agencies:\n" + entry("a", map[string]string{"seal_keys": "\n      - pem: nonsense"}), "seal_keys: key 1: not PEM"},
		{"seal-key-twice", "agencies:\n" + entry("a", map[string]string{"public_key": "|\n" + indent(ed), "seal_keys": "\n      - pem: |\n" + indent10(ed)}), "listed twice"},
		{"seal-key-bad-time", "agencies:\n" + entry("a", map[string]string{"seal_keys": "\n      - not_after: next year\n        pem: |\n" + indent10(ed)}), "want an RFC 3339 time"},
		{"seal-key-bounds-reversed", "agencies:\n" + entry("a", map[string]string{"seal_keys": "\n      - not_before: 2027-01-01T00:00:00Z\n        not_after: 2026-01-01T00:00:00Z\n        pem: |\n" + indent10(ed)}), "not_before is not before not_after"},
		{"seal-key-chain-garbage", "agencies:\n" + entry("a", map[string]string{"seal_keys": "\n      - x509_chain: [AAAA]\n        pem: |\n" + indent10(ed)}), "want a base64 DER certificate"},
		{"witness-not-ed25519", "agencies:\n" + entry("a", map[string]string{"witness_key": "|\n" + indent(pemOf(t, sampleKey(t, "x", true)))}), "a witness key is Ed25519"},
		{"require-seal-without-key", "agencies:\n" + entry("a", map[string]string{"require_seal": "true"}), "need at least one seal key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%s) = %v, want an error containing %q\n%s", tc.name, err, tc.want, tc.yaml)
			}
		})
	}
}

func TestParseDirectoryAccepts(t *testing.T) {
	ed := pemOf(t, sampleKey(t, "x", false))
	yaml := "counterparts:\n" +
		entry("a", map[string]string{"public_key": "|\n" + indent(ed)}) +
		entry("xk-police", map[string]string{"country": "XK"}) + // Kosovo: CLDR's user-assigned code
		entry("b", map[string]string{"active": "false", "legal_bases": "-", "handling_codes": "-"})
	d, err := Parse(strings.NewReader(yaml))
	if err != nil {
		t.Fatalf("Parse = %v\n%s", err, yaml)
	}
	if got := len(d.Counterparts()); got != 3 {
		t.Errorf("len(Counterparts()) = %d, want 3", got)
	}
	if _, err := d.PublicKey("b"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("PublicKey(no key) = %v, want ErrNotFound", err)
	}
}

// TestAgencies: the list may be called agencies; an agency sends, receives or both; its seal
// keys (public_key first, then seal_keys) are found by key id with their bounds, written back
// in custody.TimeFormat, and judged at a time: before the bound valid, after it not.
func TestAgencies(t *testing.T) {
	ed := pemOf(t, sampleKey(t, "x", false))
	p256 := pemOf(t, sampleKey(t, "y", true))
	yaml := "agencies:\n" +
		entry("nl-pol", map[string]string{"role": "send", "public_key": "|\n" + indent(ed), "require_seal": "true",
			"seal_keys": "\n      - not_before: 2026-06-01T00:00:00Z\n        revoked: 2026-09-01T12:00:00+02:00\n        pem: |\n" + indent10(p256)}) +
		entry("nl-om", map[string]string{"witness_key": "|\n" + indent(ed)}) +
		entry("de-bka", map[string]string{"role": "both"})
	d, err := Parse(strings.NewReader(yaml))
	if err != nil {
		t.Fatalf("Parse = %v\n%s", err, yaml)
	}
	ctx := context.Background()
	for id, want := range map[string][2]bool{"nl-pol": {true, false}, "nl-om": {false, true}, "de-bka": {true, true}} {
		a, err := d.Counterpart(ctx, id)
		if err != nil || a.Sends() != want[0] || a.Receives() != want[1] {
			t.Errorf("%s: Sends %v Receives %v (%v), want %v", id, a.Sends(), a.Receives(), err, want)
		}
	}
	pol, _ := d.Counterpart(ctx, "nl-pol")
	if len(pol.AllSealKeys()) != 2 || !pol.RequireSeal {
		t.Fatalf("nl-pol seal keys %+v, require_seal %v; want 2 and true", pol.AllSealKeys(), pol.RequireSeal)
	}
	second := pol.AllSealKeys()[1]
	if second.Algorithm != "ecdsa-p256" || second.NotBefore != "2026-06-01T00:00:00.000000000Z" || second.Revoked != "2026-09-01T10:00:00.000000000Z" {
		t.Errorf("second seal key = %+v, want ecdsa-p256 with its bounds in UTC", second)
	}
	k, pub, err := d.SealKey("nl-pol", second.KeyID)
	if err != nil || pub == nil || k.KeyID != second.KeyID {
		t.Fatalf("SealKey(nl-pol, %s) = %+v, %v", second.KeyID, k, err)
	}
	for _, tc := range []struct {
		at     string
		reason string
	}{
		{"2026-05-31T23:59:59Z", "not yet valid"},
		{"2026-07-01T00:00:00Z", ""},
		{"2026-09-01T10:00:00Z", "revoked"},
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		err := k.CheckAt("nl-pol", at)
		var ve *custody.KeyValidityError
		if tc.reason == "" && err != nil || tc.reason != "" && (!errors.As(err, &ve) || ve.Reason != tc.reason) {
			t.Errorf("CheckAt(%s) = %v, want %q", tc.at, err, tc.reason)
		}
	}
	if _, _, err := d.SealKey("nl-pol", "sha256:00"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("SealKey(unknown key) = %v, want ErrNotFound", err)
	}
}

func TestParseDirectoryReportsEveryProblem(t *testing.T) {
	yaml := "counterparts:\n" +
		entry("a", map[string]string{"country": "nl", "handling_codes": "[H7]"}) +
		entry("b", map[string]string{"active": "-"}) +
		entry("a", nil)
	_, err := Parse(strings.NewReader(yaml))
	var problems []*InvalidCounterpartError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			var ic *InvalidCounterpartError
			if errors.As(e, &ic) {
				problems = append(problems, ic)
			}
		}
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.ID+"."+p.Field)
	}
	// In file order.
	if want := "a.country a.handling_codes b.active a.id"; strings.Join(got, " ") != want {
		t.Errorf("problems = %q, want %q\n%v", got, want, err)
	}
}

func TestParseDirectoryLimits(t *testing.T) {
	big := "counterparts:\n" + strings.Repeat("# padding\n", MaxSize/10+1)
	if _, err := Parse(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Parse(%d bytes) = %v, want a size error", len(big), err)
	}
	// A billion laughs: the YAML decoder refuses the alias expansion.
	laughs := "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ncounterparts: [*h]\n"
	if _, err := Parse(strings.NewReader(laughs)); err == nil {
		t.Errorf("Parse(billion laughs) = nil, want an error")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(absent) = %v, want ErrNotExist", err)
	}
}

func FuzzParse(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join("..", "..", "infra", "counterparts.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte("counterparts:\n" + entry("a", nil)))
	f.Add([]byte("counterparts: [{id: a, name: b, country: NL, active: false}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		// Whatever was accepted holds the promised invariants.
		seen := map[string]bool{}
		for _, cp := range d.Counterparts() {
			if !validCounterpartID(cp.ID) || seen[cp.ID] || checkCountry(cp.Country) != nil {
				t.Fatalf("accepted invalid counterpart %+v", cp)
			}
			seen[cp.ID] = true
			for _, hc := range cp.HandlingCodes {
				if len(hc) != 2 || hc[0] != 'H' || hc[1] < '0' || hc[1] > '3' {
					t.Fatalf("accepted handling code %q", hc)
				}
			}
			if cp.PublicKey != "" {
				if _, err := d.PublicKey(cp.ID); err != nil {
					t.Fatalf("accepted a key it cannot return: %v", err)
				}
			}
		}
	})
}

// A counterpart's API identity is the pair (issuer, client id) the directory names.
func TestByClient(t *testing.T) {
	src := "counterparts:\n" + entry("a", map[string]string{"issuer": "https://idp.example.org/a", "client_id": "client-a", "aws_account": `"123456789012"`}) +
		entry("b", map[string]string{"issuer": "https://idp.example.org/a", "client_id": "client-b"}) + entry("c", nil)
	d, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ issuer, client, want string }{
		{"https://idp.example.org/a", "client-a", "a"},
		{"https://idp.example.org/a", "client-b", "b"},
		{"https://idp.example.org/b", "client-a", ""}, // right client, wrong issuer
		{"https://idp.example.org/a", "client-c", ""},
		{"", "", ""}, // c has no API identity
	} {
		cp, ok := d.ByClient(tc.issuer, tc.client)
		if got := cp.ID; got != tc.want || ok != (tc.want != "") {
			t.Errorf("ByClient(%q, %q) = %q, %v, want %q", tc.issuer, tc.client, got, ok, tc.want)
		}
	}
	if cp, _ := d.ByClient("https://idp.example.org/a", "client-a"); cp.AWSAccount != "123456789012" {
		t.Errorf("a's AWSAccount = %q, want 123456789012", cp.AWSAccount)
	}
}
