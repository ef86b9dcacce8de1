package main

import (
	"bufio"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docCommand is one evx command line found in the docs, with where it was found.
type docCommand struct {
	where string   // file:line
	line  string   // the command as written (continuation lines joined)
	args  []string // the arguments after "evx"
}

// docFiles are the files whose evx command lines must parse: README.md and docs/*.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join("..", "..", "README.md")}
	more, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append(files, more...)
}

var inlineEvx = regexp.MustCompile("`(evx [^`]+)`")

// docCommands returns the evx command lines of one Markdown document: every command of a
// fenced sh, shell, bash or console block (in console blocks, the lines after "$ ") and
// every inline code span that starts with "evx ".
func docCommands(name string, r io.Reader) ([]docCommand, error) {
	var (
		cmds    []docCommand
		fence   string // the language of the open fence, "" outside one
		inFence bool
		heredoc string // the end word of an open here-document
		pending string // a command line continued with a trailing backslash
		start   int
	)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if inFence {
				inFence, fence, heredoc, pending = false, "", "", ""
			} else {
				inFence, fence = true, strings.TrimPrefix(trimmed, "```")
			}
			continue
		}
		if !inFence {
			for _, m := range inlineEvx.FindAllStringSubmatch(line, -1) {
				words := shellWords(m[1], true)
				for _, c := range splitCommands(words) {
					if args, ok := evxArgs(c); ok {
						cmds = append(cmds, docCommand{where: name + ":" + itoa(n), line: m[1], args: args})
					}
				}
			}
			continue
		}
		switch fence {
		case "sh", "shell", "bash", "console":
		default:
			continue
		}
		if heredoc != "" {
			if trimmed == heredoc {
				heredoc = ""
			}
			continue
		}
		if fence == "console" && pending == "" {
			if !strings.HasPrefix(line, "$ ") {
				continue // output
			}
			line = strings.TrimPrefix(line, "$ ")
		}
		if pending == "" {
			start = n
		}
		if strings.HasSuffix(line, "\\") && !strings.HasSuffix(line, "\\\\") {
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		full := pending + line
		pending = ""
		if i := strings.Index(full, "<<"); i >= 0 {
			heredoc = strings.Trim(strings.Fields(full[i+2:] + " x")[0], `'"-`)
		}
		for _, c := range splitCommands(shellWords(full, false)) {
			if args, ok := evxArgs(c); ok {
				cmds = append(cmds, docCommand{where: name + ":" + itoa(start), line: strings.TrimSpace(full), args: args})
			}
		}
	}
	return cmds, sc.Err()
}

func itoa(n int) string {
	var b []byte
	for ; n > 0 || len(b) == 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// shellWords splits a command line as sh would split it into words and operators, without
// expanding anything: quotes are removed, $VAR stays as written, a # starting a word begins
// a comment. Operators (&&, ||, ;, |, &, (, ), redirections) are words of their own,
// marked by a leading NUL. With synopsis set, the brackets of an optional part ([--json])
// and the bar between alternatives are dropped, so that every option of a synopsis parses.
func shellWords(s string, synopsis bool) []string {
	var (
		words []string
		cur   strings.Builder
		inTok bool
	)
	flush := func() {
		if inTok {
			words = append(words, cur.String())
			cur.Reset()
			inTok = false
		}
	}
	op := func(o string) { flush(); words = append(words, "\x00"+o) }
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			cur.WriteString(s[i+1 : i+1+j])
			inTok = true
			i += j + 1
		case c == '"':
			inTok = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inTok = true
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inTok:
			return words
		case synopsis && (c == '[' || c == ']'):
			flush()
		case synopsis && c == '|':
			flush()
		case c == '&' || c == '|':
			if i+1 < len(s) && s[i+1] == c {
				i++
			}
			op(string(c))
		case c == ';' || c == '(' || c == ')':
			op(string(c))
		case c == '>' || c == '<':
			// a redirection: drop it and its target (2>&1 included)
			if strings.HasSuffix(cur.String(), "2") && cur.Len() == 1 {
				cur.Reset()
				inTok = false
			}
			for i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '<' || s[i+1] == '&') {
				i++
			}
			op("redirect")
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	flush()
	return words
}

// splitCommands splits words at the operators between commands and drops redirections
// with their targets.
func splitCommands(words []string) [][]string {
	var cmds [][]string
	var cur []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "\x00redirect":
			i++ // its target
		case strings.HasPrefix(w, "\x00"):
			if len(cur) > 0 {
				cmds = append(cmds, cur)
			}
			cur = nil
		default:
			cur = append(cur, w)
		}
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	return cmds
}

// evxArgs returns the arguments of an evx invocation: evx, bin/evx, ./bin/evx or
// go run ./cmd/evx, after any VAR=value assignments.
func evxArgs(words []string) ([]string, bool) {
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		words = words[1:]
	}
	switch {
	case len(words) >= 1 && (words[0] == "evx" || words[0] == "bin/evx" || words[0] == "./bin/evx"):
		return words[1:], true
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/evx":
		return words[3:], true
	}
	return nil, false
}

// TestDocsCommandLines parses every evx command line of README.md and docs/ with the flag
// sets of the commands themselves (nothing is run: parseOnly ends each command once its
// flags are parsed), so that the docs cannot name a command or a flag evx does not have.
func TestDocsCommandLines(t *testing.T) {
	var all []docCommand
	for _, f := range docFiles(t) {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		cmds, err := docCommands(strings.TrimPrefix(filepath.ToSlash(f), "../../"), r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, cmds...)
	}
	if len(all) < 30 {
		t.Fatalf("found %d evx command lines in README.md and docs/, want at least 30: is the extraction broken?", len(all))
	}
	t.Logf("%d evx command lines in README.md and docs/", len(all))
	var parsed *flag.FlagSet
	parseOnly = func(fs *flag.FlagSet, pos []string) { parsed = fs }
	t.Cleanup(func() { parseOnly = nil })
	for _, c := range all {
		args := c.args
		if len(args) == 0 {
			t.Errorf("%s: %q: evx without a command", c.where, c.line)
			continue
		}
		if args[0] == "help" || args[0] == "COMMAND" {
			continue // evx help prints the list; evx COMMAND -h is a pattern
		}
		parsed = nil
		var stdout, stderr strings.Builder
		code := run(t.Context(), args, &stdout, &stderr)
		if code == exitUsage && parsed == nil && flagWithoutValue(args, &stderr) {
			// Prose names a flag that takes a value without giving one (`evx verify
			// --checkpoint`): give it one and parse again.
			stderr.Reset()
			code = run(t.Context(), append(append([]string(nil), args...), "VALUE"), &stdout, &stderr)
		}
		if code != exitOK || parsed == nil {
			t.Errorf("%s: %q does not parse with evx's flags (exit %d):\n%s", c.where, c.line, code, stderr.String())
		}
	}
}

// flagWithoutValue reports whether the flag package refused args only because their last
// argument is a flag that needs a value.
func flagWithoutValue(args []string, stderr *strings.Builder) bool {
	last := args[len(args)-1]
	return strings.HasPrefix(last, "-") && strings.Contains(stderr.String(), "flag needs an argument: -"+strings.TrimLeft(last, "-"))
}

// TestDocCommandsExtraction pins the extraction itself on a small document.
func TestDocCommandsExtraction(t *testing.T) {
	doc := "Run `evx verify --key K.pem T.json` or `evx trail [--out T.json] [--server URL | --data DIR] B`.\n" +
		"```sh\n" +
		"evx upload --counterpart nl-om \\\n" +
		"    --field 'EVX-Legal-Basis=EU-EIO' ./evidence/   # a comment --nope\n" +
		"curl -s http://x/key > evx.pem && evx verify --key evx.pem trail.json 2>&1 | tee log\n" +
		"cat > tokens <<'T'\n" +
		"evx not-a-command-inside-a-heredoc\n" +
		"T\n" +
		"go run ./cmd/evx report --key \"$KEY\" t.json\n" +
		"```\n" +
		"```console\n" +
		"$ evx extract --json a.pdf\n" +
		"evx output line, not a command\n" +
		"```\n" +
		"```\n" +
		"evx in a block of output\n" +
		"```\n"
	cmds, err := docCommands("doc.md", strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"doc.md:1 verify --key K.pem T.json",
		"doc.md:1 trail --out T.json --server URL --data DIR B",
		"doc.md:3 upload --counterpart nl-om --field EVX-Legal-Basis=EU-EIO ./evidence/",
		"doc.md:5 verify --key evx.pem trail.json",
		"doc.md:9 report --key $KEY t.json",
		"doc.md:12 extract --json a.pdf",
	}
	var got []string
	for _, c := range cmds {
		got = append(got, c.where+" "+strings.Join(c.args, " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("docCommands =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
