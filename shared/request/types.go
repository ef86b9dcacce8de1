package request

import (
	"fmt"
	"slices"

	"github.com/evx-project/evx/shared/custody"
)

// Type is the kind of a request, by the instrument it is made under.
type Type string

const (
	// MLA: a mutual legal assistance request (European Convention on Mutual Assistance in
	// Criminal Matters, Council of Europe, 1959, ETS No. 030; UN Convention against Illicit
	// Traffic in Narcotic Drugs and Psychotropic Substances, 1988, art. 7; bilateral treaties).
	MLA Type = "MLA"
	// EIO: a European Investigation Order (Directive 2014/41/EU), art. 12 deadlines.
	EIO Type = "EIO"
	// EPOC: a European Production Order Certificate (Regulation (EU) 2023/1543), art. 10.
	EPOC Type = "EPOC"
	// EPOCPR: a European Preservation Order Certificate (Regulation (EU) 2023/1543), art. 11.
	EPOCPR Type = "EPOC-PR"
	// JIT: an exchange within a joint investigation team (Convention of 29 May 2000 art. 13;
	// Council Framework Decision 2002/465/JHA), under an agreement with members and a period.
	JIT Type = "JIT"
)

// Types lists every request type.
var Types = []Type{MLA, EIO, EPOC, EPOCPR, JIT}

// Source is a legal instrument, and the article, a request type rests on.
type Source struct {
	Instrument string `json:"instrument"`
	Article    string `json:"article,omitempty"`
	URL        string `json:"url,omitempty"`
}

func (s Source) String() string {
	if s.Article == "" {
		return s.Instrument
	}
	return s.Instrument + ", " + s.Article
}

var sources = map[Type][]Source{
	MLA: {
		{"European Convention on Mutual Assistance in Criminal Matters (Council of Europe, 1959, ETS No. 030)", "", "https://rm.coe.int/16800656ce"},
		{"United Nations Convention against Illicit Traffic in Narcotic Drugs and Psychotropic Substances (1988)", "art. 7", "https://www.unodc.org/pdf/convention_1988_en.pdf"},
		{"bilateral mutual legal assistance treaty named in the request's legal basis", "", ""},
	},
	EIO: {
		{"Directive 2014/41/EU regarding the European Investigation Order in criminal matters", "art. 12", "https://eur-lex.europa.eu/eli/dir/2014/41/oj"},
	},
	EPOC: {
		{"Regulation (EU) 2023/1543 on European Production Orders and European Preservation Orders", "arts. 8, 10 and 12", "https://eur-lex.europa.eu/eli/reg/2023/1543/oj"},
	},
	EPOCPR: {
		{"Regulation (EU) 2023/1543 on European Production Orders and European Preservation Orders", "art. 11", "https://eur-lex.europa.eu/eli/reg/2023/1543/oj"},
	},
	JIT: {
		{"Convention on Mutual Assistance in Criminal Matters between the Member States of the EU (29 May 2000)", "art. 13", "https://eur-lex.europa.eu/eli/convention/2000/712/oj"},
		{"Council Framework Decision 2002/465/JHA on joint investigation teams", "art. 1", "https://eur-lex.europa.eu/eli/dec_framw/2002/465/oj"},
	},
}

// Sources returns the legal sources of t (nil for an unknown type).
func (t Type) Sources() []Source { return slices.Clone(sources[t]) }

// Valid reports whether t is one of Types.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// Urgency of a request.
const (
	Normal    = ""
	Urgent    = "urgent"    // EIO: the issuing authority states a shorter deadline (art. 12(2))
	Emergency = "emergency" // EPOC: 8 hours (Regulation (EU) 2023/1543 art. 10(4))
)

// EPOC data categories (Regulation (EU) 2023/1543 art. 3(9)-(12)).
var DataCategories = []string{"subscriber", "ip", "traffic", "content"}

// HandlingCodes are SIENA's handling codes, least to most restricted.
var HandlingCodes = []string{"H0", "H1", "H2", "H3"}

// Request is what RequestIssued records: the request's own fields.
type Request struct {
	ID           string `json:"id"`
	Type         Type   `json:"type"`
	Issuer       string `json:"issuer"`        // issuing agency
	IssuerPerson string `json:"issuer_person"` // its person who issued it
	IssuingState string `json:"issuing_state,omitempty"`
	// Addressee is the executing authority, or for EPOC and EPOC-PR the service provider's
	// designated establishment or legal representative.
	Addressee string `json:"addressee"`
	// Enforcing is the enforcing state's authority an EPOC is notified to (art. 8), if any.
	Enforcing     string `json:"enforcing,omitempty"`
	LegalBasis    string `json:"legal_basis"`
	CaseReference string `json:"case_reference,omitempty"`
	Urgency       string `json:"urgency,omitempty"`
	HandlingCode  string `json:"handling_code,omitempty"`
	DataCategory  string `json:"data_category,omitempty"`
	Residence     string `json:"residence,omitempty"`
	Subject       string `json:"subject,omitempty"`
	Members       string `json:"members,omitempty"`
	// Due is the issuer's stated time (see custody.LegalRequest.Due); TimeFormat or empty.
	Due string `json:"due,omitempty"`
	// Hit is the match reference (evx-hit-...) of an identifier hit the request follows up
	// (docs/identifiers.md): the issuer asked the index, and the addressee holds the
	// identifier. Issue checks that the hit was recorded.
	Hit string `json:"hit,omitempty"`
}

// MaxField bounds every string field of a request, in bytes.
const MaxField = 4096

// InvalidError is a request or an action that cannot be recorded as given.
type InvalidError struct {
	ID, Field, Reason string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("request %s: %s", e.ID, e.Reason)
	}
	return fmt.Sprintf("request %s: %s: %s", e.ID, e.Field, e.Reason)
}

// ValidID reports whether id can name a request: 1-100 of [A-Za-z0-9._-], the first a letter
// or a digit.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 100 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// Actions name the events a party records, as the command line and the API spell them.
// RequestAnswered is not among them: ingest records it for a bundle that names the request.
var Actions = map[string]custody.EventType{
	"ack": custody.RequestReceived, "notify": custody.RequestNotified, "accept": custody.RequestAccepted,
	"refuse": custody.RequestRefused, "suspend": custody.RequestSuspended, "resume": custody.RequestResumed,
	"extend": custody.RequestExtended, "confirm": custody.RequestConfirmed,
	"fulfil": custody.RequestFulfilled, "partly-fulfil": custody.RequestPartlyFulfilled, "withdraw": custody.RequestWithdrawn,
}
