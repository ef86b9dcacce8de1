//go:build ignore

// gen_testdata writes testdata/rtf and testdata/epub: RTF and EPUB files that pandoc, the
// reference writer, makes from texts in several languages (the UTF-8 samples of
// ../plain/testdata/encodings), each with NAME.txt, pandoc's plain-text rendering of the
// same source, to compare against.
//
// Run with: go generate ./shared/extract/office (needs pandoc).
package main

import (
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

var sources = []string{"ru-apt", "cs-apt", "pl-apt", "de-apt", "fr-candide", "el-apt", "ja-rashomon", "zh-sunzi", "ko-unsu"}

func main() {
	dir := filepath.Join("testdata", "rtf")
	epub := filepath.Join("testdata", "epub")
	for _, d := range []string{dir, epub} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	for _, name := range sources {
		src, err := os.ReadFile(filepath.Join("..", "plain", "testdata", "encodings", name+".utf-8"))
		if err != nil {
			log.Fatal(err)
		}
		// Blank lines between the source lines make each one a paragraph; angle brackets and
		// other markdown punctuation are escaped so that they stay text.
		text := strings.NewReplacer("<", "\\<", ">", "\\>", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]").Replace(strings.TrimSpace(string(src)))
		md := strings.ReplaceAll(text, "\n", "\n\n") + "\n"
		in := filepath.Join(os.TempDir(), name+".md")
		if err := os.WriteFile(in, []byte(md), 0o644); err != nil {
			log.Fatal(err)
		}
		run("pandoc", "-f", "markdown-smart", "-t", "rtf", "-s", in, "-o", filepath.Join(dir, name+".rtf"))
		run("pandoc", "-f", "markdown-smart", "-t", "plain", "--wrap=none", in, "-o", filepath.Join(dir, name+".txt"))
		run("pandoc", "-f", "markdown-smart", "-t", "epub3", "--metadata", "title="+name, "--metadata", "date=2026-01-02",
			in, "-o", filepath.Join(epub, name+".epub"))
		run("cp", filepath.Join(dir, name+".txt"), filepath.Join(epub, name+".txt"))
		os.Remove(in)
	}
}

func run(name string, args ...string) {
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		log.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}
