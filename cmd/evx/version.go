package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildInfo is what evx knows of its own build.
type buildInfo struct {
	Module   string `json:"module"`
	Version  string `json:"version"`          // module version: v1.2.3 with go install, (devel) from a checkout
	Commit   string `json:"commit,omitempty"` // vcs.revision, when built from a checkout
	Time     string `json:"commit_time,omitempty"`
	Modified bool   `json:"modified,omitempty"` // the checkout had uncommitted changes
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Module: "github.com/evx-project/evx", Version: "(unknown)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if bi.Main.Path != "" {
		b.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	b.Go = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx version", stderr, "Usage: evx version [--json]   (also: evx --version)\n"+
		"Prints evx's module version, the commit it was built from and the Go version.\n")
	asJSON := fs.Bool("json", false, "print the version as JSON")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "evx version: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	b := readBuildInfo()
	if *asJSON {
		return writeJSON(stdout, b)
	}
	fmt.Fprintf(stdout, "evx %s (%s)\n", b.Version, b.Module)
	if b.Commit != "" {
		mod := ""
		if b.Modified {
			mod = ", with uncommitted changes"
		}
		fmt.Fprintf(stdout, "commit %s (%s%s)\n", b.Commit, b.Time, mod)
	} else {
		fmt.Fprintln(stdout, "commit unknown (the build recorded none: built outside a checkout, or with -buildvcs=false)")
	}
	fmt.Fprintf(stdout, "%s %s\n", b.Go, b.Platform)
	return exitOK
}

// writeJSON prints v as indented JSON, the form of every --json output.
func writeJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return exitInvalid
	}
	return exitOK
}
