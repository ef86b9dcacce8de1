package main

import (
	"bytes"
	"flag"
	"reflect"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		pos      []string
		json     bool
		key      string
		code     int
		ok       bool
		reported string // what the flag package reports, when it does
	}{
		{args: nil, pos: nil, ok: true},
		{args: []string{"a"}, pos: []string{"a"}, ok: true},
		{args: []string{"--json", "a", "b"}, pos: []string{"a", "b"}, json: true, ok: true},
		{args: []string{"a", "--json", "b", "--key", "k"}, pos: []string{"a", "b"}, json: true, key: "k", ok: true},
		{args: []string{"a", "--key=k", "b", "--json"}, pos: []string{"a", "b"}, json: true, key: "k", ok: true},
		// After "--" everything is positional, flags included.
		{args: []string{"--key", "k", "--", "a", "--json", "-"}, pos: []string{"a", "--json", "-"}, key: "k", ok: true},
		{args: []string{"a", "--", "--json"}, pos: []string{"a", "--json"}, ok: true},
		// "--" as a flag's value is no terminator.
		{args: []string{"--key", "--", "a", "--json"}, pos: []string{"a"}, json: true, key: "--", ok: true},
		{args: []string{"--json", "--key", "--", "a", "--", "--json"}, pos: []string{"a", "--json"}, json: true, key: "--", ok: true},
		{args: []string{"a", "-h"}, code: exitOK, reported: "Usage of t"},
		{args: []string{"a", "--bogus"}, code: exitUsage, reported: "flag provided but not defined: -bogus"},
		{args: []string{"a", "--key"}, code: exitUsage, reported: "flag needs an argument: -key"},
	} {
		var errb bytes.Buffer
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(&errb)
		asJSON := fs.Bool("json", false, "")
		key := fs.String("key", "", "")
		pos, code, ok := parseArgs(fs, tc.args)
		if ok != tc.ok || code != tc.code || !reflect.DeepEqual(pos, tc.pos) {
			t.Errorf("parseArgs(%q) = %q, %d, %v, want %q, %d, %v", tc.args, pos, code, ok, tc.pos, tc.code, tc.ok)
		}
		if ok && (*asJSON != tc.json || *key != tc.key) {
			t.Errorf("parseArgs(%q): --json %v, --key %q, want %v, %q", tc.args, *asJSON, *key, tc.json, tc.key)
		}
		if !strings.Contains(errb.String(), tc.reported) || (tc.reported == "" && errb.Len() > 0) {
			t.Errorf("parseArgs(%q) reported %q, want %q", tc.args, errb.String(), tc.reported)
		}
	}
}

// Every command answers -h with its usage and exit 0, and a flag it does not know with exit 2.
func TestCommandsHelpAndBadFlag(t *testing.T) {
	for _, c := range commands() {
		if c.name == "bag" {
			continue // its subcommands are checked in bag_test.go
		}
		var out, errb bytes.Buffer
		if code := run(t.Context(), []string{c.name, "-h"}, &out, &errb); code != exitOK || !strings.Contains(errb.String(), "Usage") {
			t.Errorf("evx %s -h = exit %d, stderr %q; want 0 and the usage", c.name, code, errb.String())
		}
		errb.Reset()
		if code := run(t.Context(), []string{c.name, "--no-such-flag"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "no-such-flag") {
			t.Errorf("evx %s --no-such-flag = exit %d, stderr %q; want 2 naming the flag", c.name, code, errb.String())
		}
	}
}

func TestBagInfo(t *testing.T) {
	info, err := bagInfo([]string{"nl-om", "es-fge"}, []string{"EVX-Legal-Basis = EU-EIO", "Note=a=b"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range info {
		got = append(got, f.Label+": "+f.Value)
	}
	want := []string{"EVX-Counterpart: nl-om", "EVX-Counterpart: es-fge", "EVX-Legal-Basis: EU-EIO", "Note: a=b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bagInfo = %q, want %q", got, want)
	}
	for _, bad := range []string{"nolabel", "=value", " =value"} {
		if _, err := bagInfo(nil, []string{bad}); err == nil || !strings.Contains(err.Error(), "Label=Value") {
			t.Errorf("bagInfo(--field %q) = %v, want an error asking for Label=Value", bad, err)
		}
	}
}
