package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// topLevel is what the repository root may hold: the layout the project was asked for
// (functions/ infra/ shared/ testdata/ go.mod template.yaml README.md) plus cmd/ and docs/,
// the module's checksums, the build and the SAM deployment defaults. A built binary committed
// by mistake, or a package added beside them, fails here.
var topLevel = []string{
	".ci", ".gitattributes", ".gitignore", "Makefile", "README.md", "cmd", "docs", "functions", "go.mod", "go.sum",
	"infra", "samconfig.toml", "shared", "template.yaml", "testdata",
}

func TestTopLevelLayout(t *testing.T) {
	out, err := exec.Command("git", "-C", "../..", "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		seen[strings.SplitN(f, "/", 2)[0]] = true
	}
	for name := range seen {
		if !slices.Contains(topLevel, name) {
			t.Errorf("%s at the top of the repository: the top level holds only %s", name, strings.Join(topLevel, " "))
		}
	}
	for _, want := range []string{"functions", "infra", "shared", "testdata", "go.mod", "template.yaml", "README.md"} {
		if !seen[want] {
			t.Errorf("%s missing from the top of the repository", want)
		}
	}
}
