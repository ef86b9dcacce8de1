package report

import "strings"

// ValuePhrases are the phrases of the recorded values the report puts in words (valuePrefixes),
// by key: what a test needs to look for English values in a report in another language.
func ValuePhrases() map[string][2]string {
	out := map[string][2]string{}
	for k, p := range phrases {
		switch k {
		case "p.accepted", "p.refused", "p.pending", "p.expired": // a counterpart's outcome
			out[k] = [2]string{p.en, p.es}
		}
		for _, pre := range valuePrefixes {
			if strings.HasPrefix(k, pre) {
				out[k] = [2]string{p.en, p.es}
			}
		}
	}
	return out
}

// ValuePrefixes are valuePrefixes.
var ValuePrefixes = valuePrefixes
