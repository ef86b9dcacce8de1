package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/evx-project/evx/shared/bagit"
)

// parseArgs parses fs's flags from args, where flags may come before, between or after the
// positional arguments, and returns the positional ones. After "--" every argument is
// positional. When parsing ends the command (-h, or a bad flag, which the flag package has
// already reported on fs's output), ok is false and code is the exit code to return:
// exitOK for -h, exitUsage otherwise.
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	defer func() { pos, code, ok = parsedOnly(fs, pos, code, ok) }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if endedByDashes(fs, args[:len(args)-len(rest)]) {
			return append(pos, rest...), exitOK, true
		}
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// endedByDashes reports whether the flag package stopped parsing at a "--" among the
// arguments it consumed (rather than at a positional argument): it walks them as the flag
// package does, so that "--" given as a flag's value does not count.
func endedByDashes(fs *flag.FlagSet, consumed []string) bool {
	for i := 0; i < len(consumed); i++ {
		a := consumed[i]
		if a == "--" {
			return true
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
				i++ // the flag's value
			}
		}
	}
	return false
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// bagInfo is the bag-info.txt of a new bag from the --counterpart and --field flags of
// bag create and upload: one EVX-Counterpart field per counterpart, then each Label=Value.
func bagInfo(counterparts, fields []string) (bagit.Info, error) {
	var info bagit.Info
	for _, c := range counterparts {
		info = append(info, bagit.Field{Label: bagit.LabelCounterpart, Value: c})
	}
	for _, f := range fields {
		label, value, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(label) == "" {
			return nil, fmt.Errorf("--field %q: want Label=Value", f)
		}
		label = strings.TrimSpace(label)
		if l, err := checkEVXLabel(label); err != nil {
			return nil, err
		} else {
			label = l
		}
		info = append(info, bagit.Field{Label: label, Value: strings.TrimSpace(value)})
	}
	return info, nil
}

// evxLabels are the bag-info.txt labels of evx's own fields.
var evxLabels = []string{bagit.LabelCounterpart, bagit.LabelRequestReference, bagit.LabelRequestingState,
	bagit.LabelRequestedState, bagit.LabelLegalBasis, bagit.LabelHandlingCode}

// checkEVXLabel refuses an EVX-* label evx does not know, naming the nearest it knows: a
// mistyped EVX-Handlng-Code would otherwise travel as an inert field while the bundle goes out
// without its handling code. A known label in other letter case is given its own spelling.
func checkEVXLabel(label string) (string, error) {
	if len(label) < 4 || !strings.EqualFold(label[:4], "EVX-") {
		return label, nil
	}
	for _, l := range evxLabels {
		if strings.EqualFold(l, label) {
			return l, nil
		}
	}
	msg := fmt.Sprintf("--field %s: evx knows no field %s", label, label)
	if near := nearest(label, evxLabels, 4); near != "" {
		msg += fmt.Sprintf("; did you mean %s?", near)
	} else {
		msg += "; evx's fields are " + strings.Join(evxLabels, ", ")
	}
	return "", errors.New(msg)
}

// newFlagSet is the flag set of a command: it reports to stderr, and its usage is the text
// usage followed by the options.
func newFlagSet(name string, stderr io.Writer, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { io.WriteString(stderr, usage); fs.PrintDefaults() }
	return fs
}
