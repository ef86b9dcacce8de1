//go:build ignore

// gen_testdata writes testdata/rtf and testdata/epub: RTF and EPUB files that pandoc, the
// reference writer, makes from texts in several languages (the UTF-8 samples of
// ../plain/testdata/encodings), each with NAME.txt, pandoc's plain-text rendering of the
// same source, to compare against; and testdata/mscfb-novpapplan.doc.txt, the text catdoc
// (Debian's catdoc package, the reference reader) reads from that Word 97-2003 file, and
// testdata/mscfb-test.xls.csv, what xls2csv (same package) reads from the Excel 97-2003 one.
//
// pandoc's EPUBs are made reproducible: a fixed identifier, SOURCE_DATE_EPOCH for the
// modification date, and the zip entries rewritten in their order with a fixed time (pandoc
// 2.17 stamps them with the current one); the entries' bytes are pandoc's.
//
// Run with: go generate ./shared/extract/office (needs pandoc and catdoc).
package main

import (
	"archive/zip"
	"bytes"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// when is the time recorded in the generated files.
var when = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

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
		book := filepath.Join(epub, name+".epub")
		run("pandoc", "-f", "markdown-smart", "-t", "epub3", "--metadata", "title="+name, "--metadata", "date=2026-01-02",
			"--metadata", "identifier=urn:evx:testdata:"+name, in, "-o", book)
		restamp(book)
		run("cp", filepath.Join(dir, name+".txt"), filepath.Join(epub, name+".txt"))
		os.Remove(in)
	}
	out, err := exec.Command("catdoc", "-w", "-d", "utf-8", filepath.Join("testdata", "mscfb-novpapplan.doc")).Output()
	if err != nil {
		log.Fatalf("catdoc: %v", err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "mscfb-novpapplan.doc.txt"), out, 0o644); err != nil {
		log.Fatal(err)
	}
	out, err = exec.Command("xls2csv", "-d", "utf-8", filepath.Join("testdata", "mscfb-test.xls")).Output()
	if err != nil {
		log.Fatalf("xls2csv: %v", err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "mscfb-test.xls.csv"), out, 0o644); err != nil {
		log.Fatal(err)
	}
}

// restamp rewrites the zip at path with every entry dated when, in the same order, the
// "mimetype" entry stored as EPUB requires, the others deflated.
func restamp(path string) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: when}
		if f.Name == "mimetype" {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			log.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			log.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			log.Fatal(err)
		}
		rc.Close()
	}
	zr.Close()
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(when.Unix(), 10))
	if out, err := cmd.CombinedOutput(); err != nil {
		log.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}
