package extract

import (
	"strings"

	"github.com/evx-project/evx/shared/identify"
)

// Document is one document's extraction as evx stores it (the extraction record, whose
// hash the custody trail carries) and as `evx extract --json` prints it: the Result's
// fields and, in "findings", the identifiers found in its text and e-mail headers
// (docs/identifiers.md).
type Document struct {
	*Result
	// Findings: the identifiers whose form and check hold, and apart from them the
	// look-alikes whose check fails; nil (absent) in records written before findings were
	// recorded.
	Findings *identify.Result `json:"findings,omitempty"`
}

// Findings scans res's text (by page) and e-mail headers for identifiers. states are the
// ISO 3166-1 alpha-2 codes of the bundle's requesting and requested states, tried in order
// for phone numbers in national form; without them only international numbers are read.
func Findings(res *Result, states ...string) *identify.Result {
	var regions []string
	for _, s := range states {
		if len(s) == 2 {
			regions = append(regions, strings.ToUpper(s))
		}
	}
	parts := identify.DocumentParts(res.Text, res.Meta.From, res.Meta.To, res.Meta.Cc)
	return identify.FindParts(parts, identify.Options{Regions: regions})
}
