// Package html reads the visible text of HTML documents for package extract and for the
// HTML parts of e-mail: no scripts, styles, templates or markup; block elements end lines.
package html

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/plain"
)

// html reads the visible text of an HTML document: no scripts, styles, templates or
// markup; block elements end lines. The title goes to the metadata.
func Read(j *extractor.Job) error {
	raw, err := j.ReadAll(j.Lim.MaxStreamBytes)
	if err != nil {
		return err
	}
	text, title, enc := decodeText(raw, "", j.Languages())
	j.Res.Meta.Title = title
	j.Res.Meta.Encoding = enc.Encoding
	if enc.Confidence < 1 {
		j.Res.Meta.EncodingConfidence = enc.Confidence
		j.Res.Meta.EncodingOthers = enc.Others
		j.Res.Meta.EncodingHint = enc.Hint
	}
	j.Write(text)
	return nil
}

var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "tr": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "table": true, "ul": true, "ol": true, "section": true,
	"article": true, "header": true, "footer": true, "blockquote": true, "pre": true, "hr": true,
	"dt": true, "dd": true, "address": true, "figcaption": true, "nav": true, "aside": true, "main": true,
}

var hiddenTags = map[string]bool{
	"script": true, "style": true, "template": true, "noscript": true, "head": true,
	"svg": true, "object": true, "iframe": true, "select": true,
}

// Text returns the visible text and the title. contentType, when known (e-mail
// parts), names the character set.
func Text(raw []byte, contentType string) (string, string) {
	return TextHint(raw, contentType, nil)
}

// TextHint is Text for a document expected in one of langs (see plain.DecodeHint).
func TextHint(raw []byte, contentType string, langs []string) (string, string) {
	text, title, _ := decodeText(raw, contentType, langs)
	return text, title
}

// decodeText finds the character set as a browser does (byte order mark, the charset of
// contentType, a <meta> declaration); when none names it, the statistics of plain.Decode
// do, and the detection says how sure they are.
func decodeText(raw []byte, contentType string, langs []string) (string, string, plain.Detection) {
	var r io.Reader
	enc, name, certain := charset.DetermineEncoding(raw[:min(len(raw), 1024)], contentType)
	var d plain.Detection
	if certain || hasMetaCharset(raw) {
		r = enc.NewDecoder().Reader(bytes.NewReader(raw))
		d = plain.Detection{Encoding: name, Confidence: 1}
	} else {
		var s string
		s, d = plain.DecodeHint(raw, langs)
		r = strings.NewReader(s)
	}
	text, title := visibleText(r)
	return text, title, d
}

// hasMetaCharset reports a charset declared in the first KiB (DetermineEncoding reports
// a <meta> declaration as uncertain).
func hasMetaCharset(raw []byte) bool {
	head := bytes.ToLower(raw[:min(len(raw), 1024)])
	return bytes.Contains(head, []byte("charset="))
}

// visibleText tokenizes UTF-8 HTML into its visible text and its title.
func visibleText(r io.Reader) (string, string) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(8 << 20)
	var b strings.Builder
	var title strings.Builder
	hidden := 0
	inTitle := false
	depth := 0
	for depth < 1<<20 {
		depth++
		switch z.Next() {
		case html.ErrorToken:
			return tidyLines(b.String()), strings.TrimSpace(title.String())
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if tag == "title" {
				inTitle = true
			}
			if hiddenTags[tag] {
				hidden++
			}
			if blockTags[tag] || tag == "td" || tag == "th" {
				if tag == "td" || tag == "th" {
					b.WriteByte('\t')
				} else {
					b.WriteByte('\n')
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if tag == "title" {
				inTitle = false
			}
			if hiddenTags[tag] && hidden > 0 {
				hidden--
			}
			if blockTags[tag] {
				b.WriteByte('\n')
			}
		case html.TextToken:
			t := string(z.Text())
			if inTitle {
				title.WriteString(t)
			}
			if hidden == 0 {
				b.WriteString(t)
			}
		}
	}
	return tidyLines(b.String()), strings.TrimSpace(title.String())
}

// tidyLines collapses runs of blanks inside lines and drops empty lines.
func tidyLines(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		b.WriteString(strings.Join(f, " "))
		b.WriteByte('\n')
	}
	return b.String()
}
