package report

import "github.com/evx-project/evx/shared/pipeline"

// IdentifiersOf is the valid identifiers of each document as the pipeline lists them
// (pipeline.Service.DocumentIdentifiers), for Options.Identifiers: each value once per
// document, where it is first found (the text before the e-mail headers); look-alikes are
// left out.
func IdentifiersOf(ds []pipeline.DocumentIdentifiers) []DocumentIdentifiers {
	out := make([]DocumentIdentifiers, 0, len(ds))
	for _, d := range ds {
		di := DocumentIdentifiers{Name: d.Name, SHA256: d.SHA256, Identifiers: []Identifier{}}
		seen := map[[2]string]bool{}
		for _, f := range d.Identifiers {
			k := [2]string{string(f.Type), f.Value}
			if f.Valid && !seen[k] {
				seen[k] = true
				di.Identifiers = append(di.Identifiers, Identifier{Type: string(f.Type), Value: f.Value, Page: f.Page, Part: f.Part})
			}
		}
		out = append(out, di)
	}
	return out
}
