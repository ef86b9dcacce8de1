package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestLocalLegalReads: a trail or a report read from a data folder (evx trail/report
// --data) is recorded as a legal read, as the server records one: a LegalAccess event on
// reads:BUNDLE naming the reader, before the read; the bundle's own trail does not change.
func TestLocalLegalReads(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	first := filepath.Join(tmp, "first.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--reader", "nl-om/a.jansen", "--out", first, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runCmd(t, "report", "--data", data, "--directory", testDirectory, "--reader", "nl-om/a.jansen", "--out", filepath.Join(tmp, "report"), bundle); code != exitOK {
		t.Fatalf("report = %d\n%s\n%s", code, out, errs)
	}
	second := filepath.Join(tmp, "second.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--out", second, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	if a, b := readTrailFile(t, first), readTrailFile(t, second); len(a.Events) != len(b.Events) {
		t.Errorf("the bundle's trail grew from %d to %d events by being read", len(a.Events), len(b.Events))
	}
	reads := filepath.Join(tmp, "reads.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--reads", "--out", reads, bundle); code != exitOK {
		t.Fatalf("trail --reads = %d\n%s\n%s", code, out, errs)
	}
	raw, err := os.ReadFile(reads)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, te := range tr.Events {
		e := te.Event
		if e.Type != pipeline.LegalAccess || e.BundleID != pipeline.ReadsSubject(bundle) {
			t.Fatalf("event %+v on the reads subject, want LegalAccess", e)
		}
		got = append(got, e.Actor.Agency+"/"+e.Actor.Person+" "+strings.Join(e.Details.Reasons, ","))
	}
	// The --reads export is itself a read, recorded after the log state it exports.
	want := []string{"nl-om/a.jansen read=trail", "nl-om/a.jansen read=report", "/" + os.Getenv("USER") + " read=trail"}
	if !slices.Equal(got, want) {
		t.Errorf("reads recorded %q, want %q", got, want)
	}
}
