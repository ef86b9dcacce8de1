package directory

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// MaxSize is the largest counterpart directory file Load reads.
const MaxSize = 1 << 20

// HandlingCodes are the handling codes a counterpart may be allowed, least to most
// restricted.
var HandlingCodes = []string{"H0", "H1", "H2", "H3"}

// Directory is the counterpart directory ([pipeline.Directory]) read from a YAML file such
// as infra/counterparts.yaml:
//
//	counterparts:
//	  - id: nl-om                    # lowercase letters, digits, '-'; at most 63
//	    name: Openbaar Ministerie
//	    country: NL                  # ISO 3166-1 alpha-2
//	    legal_bases: [EU-EIO, UN-1988-Art7]
//	    handling_codes: [H0, H1, H2]  # of H0..H3
//	    public_key: |                 # optional: PEM, PKIX, Ed25519 or ECDSA P-256
//	      -----BEGIN PUBLIC KEY-----
//	      ...
//	    active: true                  # required
//
// Decoding is strict: an unknown field, a missing id, name, country or active, a duplicate
// id or an invalid value is an error, and every problem found is reported at once.
type Directory struct {
	byID map[string]pipeline.Counterpart
	keys map[string]crypto.PublicKey
	ids  []string // sorted
	// byClient maps "issuer client-id" to the counterpart id that API identity belongs to.
	byClient map[string]string
}

var _ pipeline.Directory = (*Directory)(nil)

// InvalidCounterpartError is one problem with one entry of a counterpart directory.
type InvalidCounterpartError struct {
	Index  int    // position in the list, from 0
	ID     string // as written, possibly empty
	Field  string // the YAML field
	Reason string
}

func (e *InvalidCounterpartError) Error() string {
	return fmt.Sprintf("counterpart #%d (%q): %s: %s", e.Index+1, e.ID, e.Field, e.Reason)
}

// directoryFile is the YAML document; pointers tell a missing field from a zero one.
type directoryFile struct {
	// Agencies is the list's name since agencies may send as well as receive; Counterparts,
	// its earlier name, still loads (every entry of it receives unless its role says otherwise).
	Agencies     []counterpartEntry `yaml:"agencies"`
	Counterparts []counterpartEntry `yaml:"counterparts"`
}

// keyEntry is one seal key in the file.
type keyEntry struct {
	PEM string `yaml:"pem"`
	// RotatedFrom names the earlier key (its id) this one replaces; RotationSignature is the
	// earlier key's signature over custody.RotationStatement, base64.
	RotatedFrom       string   `yaml:"rotated_from"`
	RotationSignature string   `yaml:"rotation_signature"`
	NotBefore         string   `yaml:"not_before"`
	NotAfter          string   `yaml:"not_after"`
	Revoked           string   `yaml:"revoked"`
	X509Chain         []string `yaml:"x509_chain"`
}

type counterpartEntry struct {
	ID            *string    `yaml:"id"`
	Name          *string    `yaml:"name"`
	Country       *string    `yaml:"country"`
	LegalBases    []string   `yaml:"legal_bases"`
	HandlingCodes []string   `yaml:"handling_codes"`
	PublicKey     string     `yaml:"public_key"`
	Active        *bool      `yaml:"active"`
	Matching      bool       `yaml:"matching"` // may ask the identifier index (hit/no-hit); default false
	Issuer        string     `yaml:"issuer"`
	ClientID      string     `yaml:"client_id"`
	AWSAccount    string     `yaml:"aws_account"`
	Role          string     `yaml:"role"`
	SealKeys      []keyEntry `yaml:"seal_keys"`
	WitnessKey    string     `yaml:"witness_key"`
	RequireSeal   bool       `yaml:"require_seal"`
	RequireSigned bool       `yaml:"require_signed_receipts"`
	// ServiceProvider and Representation: the agency is a service provider's designated
	// establishment or legal representative (pipeline.Counterpart).
	ServiceProvider string `yaml:"service_provider"`
	Representation  string `yaml:"representation"`
	// ReviewAfterDays: the retention review period of the bundles the agency sends.
	ReviewAfterDays int `yaml:"review_after_days"`
	// EvidenceMatching: whether the evidence the agency sends may be hit by other agencies'
	// queries (pipeline.Counterpart.EvidenceMatching).
	EvidenceMatching string `yaml:"evidence_matching"`
}

// MaxReviewAfterDays bounds an agency's retention review period (review_after_days): 100 years.
const MaxReviewAfterDays = 36500

// Load reads the counterpart directory at path.
func Load(path string) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("counterpart directory: %w", err)
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("counterpart directory %s: %w", path, err)
	}
	return d, nil
}

// Parse reads a counterpart directory from r (at most [MaxSize] bytes).
func Parse(r io.Reader) (*Directory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var file directoryFile
	if err := dec.Decode(&file); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: want a counterparts list")
		}
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	if len(file.Agencies) > 0 && len(file.Counterparts) > 0 {
		return nil, errors.New("both agencies and counterparts: the list is called agencies now; move the counterparts entries under it")
	}
	if len(file.Agencies) > 0 {
		file.Counterparts = file.Agencies
	}
	if len(file.Counterparts) == 0 {
		return nil, errors.New("no counterparts and no agencies: want an agencies list (or, as before, a counterparts list)")
	}
	var problems []error
	type key struct {
		index int
		field string
	}
	reported := map[key]bool{}
	cps := make([]pipeline.Counterpart, 0, len(file.Counterparts))
	for i, e := range file.Counterparts {
		cp := pipeline.Counterpart{LegalBases: e.LegalBases, HandlingCodes: e.HandlingCodes, PublicKey: e.PublicKey, Matching: e.Matching,
			Issuer: e.Issuer, ClientID: e.ClientID, AWSAccount: e.AWSAccount, Role: e.Role, WitnessKey: e.WitnessKey,
			RequireSeal: e.RequireSeal, RequireSignedReceipts: e.RequireSigned,
			ServiceProvider: e.ServiceProvider, Representation: e.Representation, ReviewAfterDays: e.ReviewAfterDays,
			EvidenceMatching: e.EvidenceMatching}
		for _, k := range e.SealKeys {
			cp.SealKeys = append(cp.SealKeys, custody.AgencyKey{PEM: k.PEM, NotBefore: k.NotBefore, NotAfter: k.NotAfter, Revoked: k.Revoked, X509Chain: k.X509Chain,
				RotatedFrom: k.RotatedFrom, RotationSignature: k.RotationSignature})
		}
		missing := func(field string) {
			reported[key{i, field}] = true
			problems = append(problems, &InvalidCounterpartError{Index: i, ID: deref(e.ID), Field: field, Reason: "missing"})
		}
		if e.ID == nil {
			missing("id")
		} else {
			cp.ID = *e.ID
		}
		if e.Name == nil {
			missing("name")
		} else {
			cp.Name = *e.Name
		}
		if e.Country == nil {
			missing("country")
		} else {
			cp.Country = *e.Country
		}
		if e.Active == nil {
			missing("active")
		} else {
			cp.Active = *e.Active
		}
		cps = append(cps, cp)
	}
	d, more := newDirectory(cps)
	for _, p := range more {
		var ic *InvalidCounterpartError
		if errors.As(p, &ic) && reported[key{ic.Index, ic.Field}] {
			continue // already reported as missing
		}
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b error) int { return problemIndex(a) - problemIndex(b) })
		return nil, errors.Join(problems...)
	}
	return d, nil
}

// problemIndex orders problems by the entry they are about.
func problemIndex(err error) int {
	var ic *InvalidCounterpartError
	if errors.As(err, &ic) {
		return ic.Index
	}
	return -1
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// New checks cps (the same rules as the YAML file) and returns a directory of them.
func New(cps []pipeline.Counterpart) (*Directory, error) {
	d, problems := newDirectory(cps)
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return d, nil
}

func newDirectory(cps []pipeline.Counterpart) (*Directory, []error) {
	d := &Directory{byID: map[string]pipeline.Counterpart{}, keys: map[string]crypto.PublicKey{}, byClient: map[string]string{}}
	var problems []error
	bad := func(i int, cp pipeline.Counterpart, field, format string, args ...any) {
		problems = append(problems, &InvalidCounterpartError{Index: i, ID: cp.ID, Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	for i, cp := range cps {
		if !validCounterpartID(cp.ID) {
			bad(i, cp, "id", "want 1 to 63 lowercase letters, digits and '-', starting with a letter or digit")
		} else if _, dup := d.byID[cp.ID]; dup {
			bad(i, cp, "id", "duplicate: another counterpart has this id")
		}
		if strings.TrimSpace(cp.Name) == "" || len(cp.Name) > 200 {
			bad(i, cp, "name", "want 1 to 200 characters")
		}
		if err := checkCountry(cp.Country); err != nil {
			bad(i, cp, "country", "%v", err)
		}
		if cp.Active && len(cp.LegalBases) == 0 {
			bad(i, cp, "legal_bases", "an active counterpart needs at least one")
		}
		for j, lb := range cp.LegalBases {
			if !validLegalBasis(lb) {
				bad(i, cp, "legal_bases", "%q: want 1 to 64 letters, digits and . _ : / -", lb)
			} else if slices.Contains(cp.LegalBases[:j], lb) {
				bad(i, cp, "legal_bases", "%q listed twice", lb)
			}
		}
		if cp.Active && len(cp.HandlingCodes) == 0 {
			bad(i, cp, "handling_codes", "an active counterpart needs at least one")
		}
		for j, hc := range cp.HandlingCodes {
			if !slices.Contains(HandlingCodes, hc) {
				bad(i, cp, "handling_codes", "%q: want one of H0, H1, H2, H3", hc)
			} else if slices.Contains(cp.HandlingCodes[:j], hc) {
				bad(i, cp, "handling_codes", "%q listed twice", hc)
			}
		}
		if cp.PublicKey != "" {
			pub, err := parsePublicKey(cp.PublicKey)
			if err != nil {
				bad(i, cp, "public_key", "%v", err)
			} else {
				d.keys[cp.ID] = pub
			}
		}
		switch cp.Role {
		case "", pipeline.RoleReceive, pipeline.RoleSend, pipeline.RoleBoth:
		default:
			bad(i, cp, "role", "%q: want send, receive or both (default receive)", cp.Role)
		}
		keys, problems := checkSealKeys(cp.SealKeys, d.keys[cp.ID])
		for _, p := range problems {
			bad(i, cp, "seal_keys", "%v", p)
		}
		cp.SealKeys = keys
		for _, p := range checkRotations(cp) {
			bad(i, cp, "seal_keys", "%v", p)
		}
		if _, ok := d.keys[cp.ID]; !ok && len(keys) > 0 {
			if pub, err := keys[0].Public(); err == nil {
				d.keys[cp.ID] = pub
			}
		}
		if cp.WitnessKey != "" {
			pub, err := parsePublicKey(cp.WitnessKey)
			if _, ed := pub.(ed25519.PublicKey); err == nil && !ed {
				err = errors.New("a witness key is Ed25519 (C2SP cosignatures are)")
			}
			if err != nil {
				bad(i, cp, "witness_key", "%v", err)
			}
		}
		if (cp.RequireSeal || cp.RequireSignedReceipts) && len(cp.AllSealKeys()) == 0 {
			bad(i, cp, "seal_keys", "require_seal and require_signed_receipts need at least one seal key")
		}
		if (cp.Issuer == "") != (cp.ClientID == "") {
			bad(i, cp, "issuer", "issuer and client_id go together: both or neither")
		} else if cp.Issuer != "" {
			if err := checkIssuer(cp.Issuer); err != nil {
				bad(i, cp, "issuer", "%v", err)
			}
			if !validClientID(cp.ClientID) {
				bad(i, cp, "client_id", "want 1 to 128 printable ASCII characters without spaces")
			} else if other, dup := d.byClient[cp.Issuer+" "+cp.ClientID]; dup {
				bad(i, cp, "client_id", "counterpart %s has the same issuer and client id", other)
			} else {
				d.byClient[cp.Issuer+" "+cp.ClientID] = cp.ID
			}
		}
		if cp.AWSAccount != "" && !validAccount(cp.AWSAccount) {
			bad(i, cp, "aws_account", "%q: want 12 digits", cp.AWSAccount)
		}
		switch {
		case cp.ServiceProvider == "" && cp.Representation != "":
			bad(i, cp, "representation", "only with service_provider")
		case cp.ServiceProvider != "" && !slices.Contains(pipeline.Representations, cp.Representation):
			bad(i, cp, "representation", "%q: want one of %v (Directive (EU) 2023/1544 arts. 3 and 4)", cp.Representation, pipeline.Representations)
		case len(cp.ServiceProvider) > 200 || strings.ContainsFunc(cp.ServiceProvider, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			bad(i, cp, "service_provider", "want at most 200 printable characters")
		}
		switch cp.EvidenceMatching {
		case "", pipeline.EvidenceMatchingByBundle, pipeline.EvidenceMatchingNone, pipeline.EvidenceMatchingAllowed:
		default:
			bad(i, cp, "evidence_matching", "%q: want by-bundle (the default), none or allowed", cp.EvidenceMatching)
		}
		if cp.ReviewAfterDays < 0 || cp.ReviewAfterDays > MaxReviewAfterDays {
			bad(i, cp, "review_after_days", "%d: want 1 to %d days (0 or absent: three years)", cp.ReviewAfterDays, MaxReviewAfterDays)
		}
		if _, dup := d.byID[cp.ID]; !dup {
			cp.LegalBases = slices.Clone(cp.LegalBases)
			cp.HandlingCodes = slices.Clone(cp.HandlingCodes)
			cp.SealKeys = slices.Clone(cp.SealKeys)
			d.byID[cp.ID] = cp
			d.ids = append(d.ids, cp.ID)
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	slices.Sort(d.ids)
	return d, nil
}

func validCounterpartID(id string) bool {
	if len(id) == 0 || len(id) > 63 || id[0] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// checkIssuer accepts an https URL without query or fragment, as OpenID Connect issuers are.
func checkIssuer(s string) error {
	if len(s) > 512 {
		return errors.New("longer than 512 characters")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q: want an https URL without query, fragment or user", s)
	}
	return nil
}

func validClientID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ByClient returns the counterpart whose API identity is issuer and clientID; ok is false
// when none is (an inactive counterpart is returned, with Active false).
func (d *Directory) ByClient(issuer, clientID string) (pipeline.Counterpart, bool) {
	id, ok := d.byClient[issuer+" "+clientID]
	if !ok || issuer == "" || clientID == "" {
		return pipeline.Counterpart{}, false
	}
	return d.byID[id], true
}

func validLegalBasis(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && !strings.ContainsRune("._:/-", rune(c)) {
			return false
		}
	}
	return true
}

// countryCodes are the ISO 3166-1 alpha-2 codes assigned to countries and territories (249),
// from Debian's iso-codes 4.15.0:
//
//	jq -r '."3166-1"[].alpha_2' /usr/share/iso-codes/json/iso_3166-1.json | sort | tr '\n' ' '
//
// plus XK, the user-assigned code the European Commission and Interpol use for Kosovo.
const countryCodes = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ " +
	"BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM " +
	"DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS " +
	"GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN " +
	"KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ " +
	"MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM " +
	"PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV " +
	"SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI " +
	"VN VU WF WS YE YT ZA ZM ZW " +
	"XK"

// checkCountry accepts an ISO 3166-1 alpha-2 code of a country or territory, in capitals.
// Withdrawn (SU, YU, AN), exceptionally reserved (UK, EU, UN) and other codes are refused.
func checkCountry(c string) error {
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return fmt.Errorf("%q: want an ISO 3166-1 alpha-2 code in capitals, like NL", c)
	}
	for i := 0; i+2 <= len(countryCodes); i += 3 {
		if countryCodes[i:i+2] == c {
			return nil
		}
	}
	return fmt.Errorf("%q is not an ISO 3166-1 country code", c)
}

// parsePublicKey reads one PEM "PUBLIC KEY" block (PKIX) holding a key custody accepts:
// Ed25519 or ECDSA P-256.
func parsePublicKey(s string) (crypto.PublicKey, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not PEM: want a -----BEGIN PUBLIC KEY----- block")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block %q: want PUBLIC KEY", block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("text after the PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	if _, err := custody.KeyIDOf(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// checkSealKeys completes and checks seal keys: each a PEM key custody accepts, its bounds
// RFC 3339 times (written back as custody.TimeFormat), not_before before not_after, no key
// twice, and each certificate of its x509_chain a DER certificate (base64), the first
// holding the key itself. legacy is the agency's public_key (nil when none), its first seal
// key, which the list must not repeat.
func checkSealKeys(keys []custody.AgencyKey, legacy crypto.PublicKey) ([]custody.AgencyKey, []error) {
	var problems []error
	var out []custody.AgencyKey
	seen := map[string]bool{}
	if legacy != nil {
		id, _ := custody.KeyIDOf(legacy)
		seen[id] = true
	}
	for j, k := range keys {
		n := j + 1
		pub, err := parsePublicKey(k.PEM)
		if err != nil {
			problems = append(problems, fmt.Errorf("key %d: %v", n, err))
			continue
		}
		rec, _ := custody.NewAgencyKey(pub)
		if seen[rec.KeyID] {
			problems = append(problems, fmt.Errorf("key %d (%s) listed twice (public_key is the first seal key)", n, rec.KeyID))
			continue
		}
		seen[rec.KeyID] = true
		var nb, na time.Time
		for _, b := range []struct {
			name string
			v    *string
			t    *time.Time
		}{{"not_before", &k.NotBefore, &nb}, {"not_after", &k.NotAfter, &na}, {"revoked", &k.Revoked, new(time.Time)}} {
			if *b.v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, *b.v)
			if err != nil {
				problems = append(problems, fmt.Errorf("key %d %s %q: want an RFC 3339 time like 2027-01-01T00:00:00Z", n, b.name, *b.v))
				continue
			}
			*b.t, *b.v = t, t.UTC().Format(custody.TimeFormat)
		}
		if !nb.IsZero() && !na.IsZero() && !nb.Before(na) {
			problems = append(problems, fmt.Errorf("key %d: not_before is not before not_after", n))
		}
		for c, b64 := range k.X509Chain {
			der, err := base64.StdEncoding.DecodeString(b64)
			var cert *x509.Certificate
			if err == nil {
				cert, err = x509.ParseCertificate(der)
			}
			if err != nil {
				problems = append(problems, fmt.Errorf("key %d x509_chain[%d]: want a base64 DER certificate: %v", n, c, err))
				continue
			}
			if c == 0 {
				if id, err := custody.KeyIDOf(cert.PublicKey); err != nil || id != rec.KeyID {
					problems = append(problems, fmt.Errorf("key %d x509_chain[0]: the certificate is not for this key", n))
				}
			}
		}
		rec.NotBefore, rec.NotAfter, rec.Revoked, rec.X509Chain = k.NotBefore, k.NotAfter, k.Revoked, slices.Clone(k.X509Chain)
		rec.RotatedFrom, rec.RotationSignature = k.RotatedFrom, k.RotationSignature
		out = append(out, rec)
	}
	return out, problems
}

// checkRotations holds each rotated key to its rotation: rotated_from names an earlier key
// of the agency, and rotation_signature is that key's signature introducing this one.
func checkRotations(cp pipeline.Counterpart) []error {
	var problems []error
	all := cp.AllSealKeys()
	for j, k := range all {
		if k.RotatedFrom == "" && k.RotationSignature == "" {
			continue
		}
		i := slices.IndexFunc(all[:j], func(p custody.AgencyKey) bool { return p.KeyID == k.RotatedFrom })
		if i < 0 {
			problems = append(problems, fmt.Errorf("key %s: rotated_from %q is not an earlier seal key of the agency", k.KeyID, k.RotatedFrom))
			continue
		}
		if err := custody.CheckRotation(cp.ID, all[i], k, k.RotationSignature); err != nil {
			problems = append(problems, err)
		}
	}
	return problems
}

// SealKey returns agency's seal key with id keyID and the key itself, or an error wrapping
// pipeline.ErrNotFound when the agency is unknown or has no such key.
func (d *Directory) SealKey(agency, keyID string) (custody.AgencyKey, crypto.PublicKey, error) {
	cp, ok := d.byID[agency]
	if !ok {
		return custody.AgencyKey{}, nil, fmt.Errorf("agency %.80q: %w", agency, pipeline.ErrNotFound)
	}
	k, ok := cp.SealKey(keyID)
	if !ok || k.PEM == "" {
		return custody.AgencyKey{}, nil, fmt.Errorf("seal key %.80s of agency %s: %w", keyID, agency, pipeline.ErrNotFound)
	}
	pub, err := k.Public()
	if err != nil {
		return custody.AgencyKey{}, nil, err
	}
	return k, pub, nil
}

// Counterpart returns the counterpart with id, active or not; see [pipeline.Directory].
func (d *Directory) Counterpart(ctx context.Context, id string) (pipeline.Counterpart, error) {
	if err := ctx.Err(); err != nil {
		return pipeline.Counterpart{}, err
	}
	cp, ok := d.byID[id]
	if !ok {
		return pipeline.Counterpart{}, fmt.Errorf("counterpart %.80q: %w", id, pipeline.ErrNotFound)
	}
	cp.LegalBases = slices.Clone(cp.LegalBases)
	cp.HandlingCodes = slices.Clone(cp.HandlingCodes)
	cp.SealKeys = slices.Clone(cp.SealKeys)
	return cp, nil
}

// Counterparts returns every counterpart, active or not, by id.
func (d *Directory) Counterparts() []pipeline.Counterpart {
	out := make([]pipeline.Counterpart, 0, len(d.ids))
	for _, id := range d.ids {
		cp, _ := d.Counterpart(context.Background(), id)
		out = append(out, cp)
	}
	return out
}

// PublicKey returns the parsed public key of counterpart id (an ed25519.PublicKey or a
// *ecdsa.PublicKey on P-256), or an error wrapping [pipeline.ErrNotFound] when the id is
// unknown or has no key.
func (d *Directory) PublicKey(id string) (crypto.PublicKey, error) {
	if _, ok := d.byID[id]; !ok {
		return nil, fmt.Errorf("counterpart %.80q: %w", id, pipeline.ErrNotFound)
	}
	pub, ok := d.keys[id]
	if !ok {
		return nil, fmt.Errorf("public key of counterpart %s: %w", id, pipeline.ErrNotFound)
	}
	return pub, nil
}
