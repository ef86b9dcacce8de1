// Package directorytest is the conformance suite for [pipeline.Directory]: the YAML
// directory of package local and any other backend run [Run], so that routing can rely on
// one behaviour for unknown, inactive and look-alike ids.
package directorytest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/evx-project/evx/shared/pipeline"
)

// Counterparts is what Run hands to newDirectory: valid entries, one of them inactive.
// The key is a sample Ed25519 key (seed: SHA-256("evx sample counterpart nl-om")).
var Counterparts = []pipeline.Counterpart{
	{
		ID: "nl-om", Name: "Openbaar Ministerie, Landelijk Parket", Country: "NL",
		LegalBases: []string{"EU-EIO", "UN-1988-Art7"}, HandlingCodes: []string{"H0", "H1", "H2"},
		PublicKey: "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAOrnaIH4mUcEAVJWWOZiHJNSL0lgppOsSKJD16oLhTaA=\n-----END PUBLIC KEY-----\n",
		Active:    true,
	},
	{
		ID: "co-fgn", Name: "Fiscalía General de la Nación", Country: "CO",
		LegalBases: []string{"UN-1988-Art7"}, HandlingCodes: []string{"H0"},
		Active: true,
	},
	{
		ID: "pt-pj", Name: "Polícia Judiciária", Country: "PT",
		LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1"},
		Active: false,
	},
}

// Run checks the Directory contract. newDirectory returns a directory holding exactly cps.
func Run(t *testing.T, newDirectory func(t *testing.T, cps []pipeline.Counterpart) pipeline.Directory) {
	ctx := context.Background()
	t.Run("Lookup", func(t *testing.T) {
		d := newDirectory(t, Counterparts)
		for _, want := range Counterparts {
			got, err := d.Counterpart(ctx, want.ID)
			if err != nil {
				t.Fatalf("Counterpart(%s) = %v, want nil", want.ID, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Counterpart(%s) = %+v, want %+v", want.ID, got, want)
			}
		}
	})
	t.Run("InactiveIsReturned", func(t *testing.T) {
		d := newDirectory(t, Counterparts)
		got, err := d.Counterpart(ctx, "pt-pj")
		if err != nil || got.Active {
			t.Fatalf("Counterpart(pt-pj) = {Active: %v}, %v; want {Active: false}, nil", got.Active, err)
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		d := newDirectory(t, Counterparts)
		for _, id := range []string{"", "xx-unknown", "NL-OM", "nl-om ", " nl-om", "nl-om\x00", "../nl-om", "nl", "nl-om-x", "pt-pj\n"} {
			_, err := d.Counterpart(ctx, id)
			if !errors.Is(err, pipeline.ErrNotFound) {
				t.Errorf("Counterpart(%q) = %v, want an error wrapping ErrNotFound", id, err)
			}
		}
	})
	t.Run("ResultIsACopy", func(t *testing.T) {
		d := newDirectory(t, Counterparts)
		got, err := d.Counterpart(ctx, "nl-om")
		if err != nil {
			t.Fatal(err)
		}
		got.LegalBases[0] = "TAMPERED"
		got.HandlingCodes[0] = "H9"
		again, err := d.Counterpart(ctx, "nl-om")
		if err != nil {
			t.Fatal(err)
		}
		if again.LegalBases[0] != "EU-EIO" || again.HandlingCodes[0] != "H0" {
			t.Errorf("changing a returned Counterpart changed the directory: %v %v", again.LegalBases, again.HandlingCodes)
		}
	})
	t.Run("InputIsCopied", func(t *testing.T) {
		cps := make([]pipeline.Counterpart, len(Counterparts))
		for i, cp := range Counterparts {
			cp.LegalBases = append([]string(nil), cp.LegalBases...)
			cp.HandlingCodes = append([]string(nil), cp.HandlingCodes...)
			cps[i] = cp
		}
		d := newDirectory(t, cps)
		cps[0].LegalBases[0] = "TAMPERED"
		got, err := d.Counterpart(ctx, "nl-om")
		if err != nil {
			t.Fatal(err)
		}
		if got.LegalBases[0] != "EU-EIO" {
			t.Errorf("changing the input after building the directory changed it: %v", got.LegalBases)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		d := newDirectory(t, Counterparts)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := d.Counterpart(cctx, "nl-om"); !errors.Is(err, context.Canceled) {
			t.Errorf("Counterpart(canceled context) = %v, want an error wrapping context.Canceled", err)
		}
	})
}
