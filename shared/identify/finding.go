package identify

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Type names a kind of identifier.
type Type string

// The identifier types Find recognises.
const (
	Container  Type = "container" // ISO 6346 freight container: owner code, category, serial, check digit
	IMO        Type = "imo"       // IMO ship identification number, with its check digit
	MMSI       Type = "mmsi"      // maritime mobile service identity: 9 digits, MID in range
	IBAN       Type = "iban"      // ISO 13616: country length and mod 97
	BIC        Type = "bic"       // ISO 9362 business identifier code (form only)
	Phone      Type = "phone"     // telephone number, valid per libphonenumber's metadata, E.164 out
	Email      Type = "email"     // e-mail address (form only)
	Bitcoin    Type = "bitcoin"   // base58check P2PKH/P2SH, bech32 (witness v0) or bech32m (v1+)
	Ethereum   Type = "ethereum"  // 0x + 40 hex digits; EIP-55 checksum when mixed case
	VIN        Type = "vin"       // ISO 3779 vehicle identification number, North American check digit
	AirWaybill Type = "awb"       // IATA air waybill: airline prefix, serial, mod 7 check digit
	IPv4       Type = "ipv4"
	IPv6       Type = "ipv6"
)

// Types lists every type, in the order the overlap rule prefers them (more specific first).
var Types = []Type{Email, Ethereum, Bitcoin, IBAN, Container, VIN, BIC, AirWaybill, IMO, MMSI, IPv6, IPv4, Phone}

// ParseType returns the type named s ("container", "iban", ...; case-insensitive).
func ParseType(s string) (Type, error) {
	for _, t := range Types {
		if strings.EqualFold(string(t), s) {
			return t, nil
		}
	}
	return "", &UnknownTypeError{Name: s}
}

// Check says whether a finding's check digit or checksum holds.
type Check string

// The outcomes of a check digit or checksum.
const (
	CheckHolds Check = "holds" // computed and equal
	CheckFails Check = "fails" // computed and different
	CheckNone  Check = "none"  // the type, or this value, has none (BIC, MMSI, e-mail, IP, all-lower Ethereum)
)

// Finding is one identifier or look-alike found in a text.
type Finding struct {
	Type Type `json:"type"`
	// Value is the normalised value (see the package documentation); for a look-alike, the
	// same normalisation of what was written.
	Value string `json:"value"`
	// Text is the identifier as written, Text == text[Offset:Offset+len(Text)], label included
	// for the labelled types ("IMO 9074729").
	Text string `json:"text"`
	// Offset is the byte offset of Text in the scanned text.
	Offset int `json:"offset"`
	// Part is Options.Part (the caller's name for the part of the document scanned).
	Part string `json:"part,omitempty"`
	// Page is 1 + the number of form feeds before Offset, when Options.Pages is set.
	Page  int   `json:"page,omitempty"`
	Check Check `json:"check"`
	// Valid is true for identifiers: the form holds and so does the check digit if any.
	Valid bool `json:"valid"`
	// Reason says why a look-alike is not an identifier.
	Reason string `json:"reason,omitempty"`
}

// Result is what Find found.
type Result struct {
	Identifiers []Finding `json:"identifiers"`
	LookAlikes  []Finding `json:"look_alikes"`
	// Partial is true when a limit stopped the scan; Stop names it.
	Partial bool   `json:"partial,omitempty"`
	Stop    string `json:"stop,omitempty"`
}

// Defaults for Options' limits.
const (
	DefaultMaxInput    = 16 << 20 // the extraction's own text cap
	DefaultMaxFindings = 10000
)

// Options steer a scan. The zero value is usable.
type Options struct {
	// Regions are ISO 3166-1 alpha-2 codes tried in order for phone numbers written in
	// national format (a bundle's requesting and requested states). Without one, only
	// numbers in international format (+ or 00) are read.
	Regions []string
	// Part is copied into every finding.
	Part string
	// Pages numbers findings by the form feeds in the text (extraction separates pages,
	// slides and sheets with \f).
	Pages bool
	// MaxInput caps the bytes scanned (DefaultMaxInput when zero); the rest is ignored.
	MaxInput int
	// MaxFindings caps identifiers plus look-alikes (DefaultMaxFindings when zero).
	MaxFindings int
}

func (o Options) maxInput() int {
	if o.MaxInput > 0 {
		return o.MaxInput
	}
	return DefaultMaxInput
}

func (o Options) maxFindings() int {
	if o.MaxFindings > 0 {
		return o.MaxFindings
	}
	return DefaultMaxFindings
}

// LimitError names the limit that stopped a scan.
type LimitError struct {
	Limit string // "input" or "findings"
	Max   int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("identify: %s limit %d reached", e.Limit, e.Max)
}

// UnknownTypeError is returned by ParseType for a name that is no type.
type UnknownTypeError struct{ Name string }

func (e *UnknownTypeError) Error() string {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return fmt.Sprintf("identify: unknown identifier type %q (one of %s)", e.Name, strings.Join(names, ", "))
}

// Part is one named text of a document, for FindParts.
type Part struct {
	Name string
	Text string
	// Pages: see Options.Pages.
	Pages bool
}

// Find scans text and returns its identifiers and look-alikes in text order.
func Find(text string, opt Options) *Result {
	r := &Result{Identifiers: []Finding{}, LookAlikes: []Finding{}}
	r.add(text, opt, opt.maxInput(), opt.maxFindings(), opt.maxFindings())
	return r
}

// FindParts scans each part with opt (Part and Pages taken from the part) under one
// MaxInput and one MaxFindings for the whole document.
func FindParts(parts []Part, opt Options) *Result {
	r := &Result{Identifiers: []Finding{}, LookAlikes: []Finding{}}
	inputLeft, findingsLeft := opt.maxInput(), opt.maxFindings()
	for _, p := range parts {
		if r.Partial {
			break
		}
		if inputLeft <= 0 && p.Text != "" {
			r.stop(&LimitError{Limit: "input", Max: opt.maxInput()})
			break
		}
		o := opt
		o.Part, o.Pages = p.Name, p.Pages
		before := len(r.Identifiers) + len(r.LookAlikes)
		r.add(p.Text, o, inputLeft, findingsLeft, opt.maxFindings())
		inputLeft -= len(p.Text)
		findingsLeft -= len(r.Identifiers) + len(r.LookAlikes) - before
	}
	return r
}

func (r *Result) stop(err error) {
	if !r.Partial {
		r.Partial, r.Stop = true, err.Error()
	}
}

// candidate is a finding before the overlap rule, with its rank.
type candidate struct {
	Finding
	end  int
	rank int
}

// add scans text, reading at most maxInput bytes and keeping at most left findings;
// total is the caller's MaxFindings, for the LimitError.
func (r *Result) add(text string, opt Options, maxInput, left, total int) {
	if max := maxInput; len(text) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
		r.stop(&LimitError{Limit: "input", Max: opt.maxInput()})
	}
	maxF := left
	var cands []candidate
	for rank, t := range Types {
		found := scanners[t](text, opt, 4*maxF+16)
		if len(found) >= 4*maxF+16 {
			r.stop(&LimitError{Limit: "findings", Max: total})
		}
		for _, f := range found {
			f.Part = opt.Part
			cands = append(cands, candidate{Finding: f, end: f.Offset + len(f.Text), rank: rank})
		}
	}
	// Overlap rule: valid before invalid, then the more specific type, then the earlier.
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.Valid != b.Valid {
			return a.Valid
		}
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		return a.Offset < b.Offset
	})
	// kept stays sorted by offset and free of overlaps, so one binary search per candidate
	// finds its neighbours.
	var kept []candidate
	for _, c := range cands {
		i := sort.Search(len(kept), func(i int) bool { return kept[i].Offset >= c.Offset })
		if i < len(kept) && kept[i].Offset < c.end || i > 0 && kept[i-1].end > c.Offset {
			continue
		}
		kept = append(kept, candidate{})
		copy(kept[i+1:], kept[i:])
		kept[i] = c
	}
	var feeds []int
	if opt.Pages {
		for i := 0; i < len(text); i++ {
			if text[i] == '\f' {
				feeds = append(feeds, i)
			}
		}
	}
	for _, c := range kept {
		if left == 0 {
			r.stop(&LimitError{Limit: "findings", Max: total})
			break
		}
		left--
		f := c.Finding
		if opt.Pages {
			f.Page = 1 + sort.SearchInts(feeds, f.Offset)
		}
		if f.Valid {
			r.Identifiers = append(r.Identifiers, f)
		} else {
			r.LookAlikes = append(r.LookAlikes, f)
		}
	}
}
