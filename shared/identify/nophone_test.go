//go:build evx.nophone

package identify

import (
	"errors"
	"testing"
)

// Built as the Lambda functions are (go test -tags evx.nophone ./shared/identify), phone
// numbers are neither found nor parsed, and nothing else changes.
func TestNoPhoneBuild(t *testing.T) {
	text := "Tel. +31 20 794 1234, container MSCU1234566"
	res := Find(text, Options{Regions: []string{"NL"}})
	var types []Type
	for _, f := range append(res.Identifiers, res.LookAlikes...) {
		types = append(types, f.Type)
	}
	if len(types) != 1 || types[0] != Container {
		t.Errorf("Find(%q) types = %v, want only the container", text, types)
	}
	var fe *FormError
	if _, err := Parse(Phone, "+31 20 794 1234"); !errors.As(err, &fe) {
		t.Errorf("Parse(Phone) = %v, want a *FormError in a build without numbering plans", err)
	}
	if _, err := Parse(Container, "MSCU1234566"); err != nil {
		t.Errorf("Parse(Container) = %v", err)
	}
}
