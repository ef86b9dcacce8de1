// Package mail reads e-mail messages (RFC 5322 with MIME) for package extract: the main
// headers as metadata and as the first lines of text, the text of text/plain and text/html
// parts, and the attachments with their size and SHA-256. Parts, depth and part sizes are
// bounded by the limits of the extractor.Job.
package mail

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"

	"github.com/evx-project/evx/shared/extract/html"
	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/plain"
)

const maxMIMEDepth = 16

// Read reads an RFC 5322 message: the main headers, the text of text/plain and text/html
// parts (the plain one where a multipart/alternative offers both), forwarded messages
// (message/rfc822) with their own headers and parts, and the attachments with their
// SHA-256 and size; the text of an attachment is read by the dispatcher (Job.Nested) and
// appended. A message saved with its mbox "From " envelope line reads as the message.
func Read(j *extractor.Job) error {
	br := bufio.NewReader(io.NewSectionReader(j.R, 0, j.Size))
	if line, err := br.Peek(5); err == nil && string(line) == "From " {
		br.ReadString('\n') // the envelope line of an mbox
	}
	return readMessage(j, br, 0, true)
}

// readMessage reads one message; top says it is the document itself (its headers are the
// metadata), not a forwarded one.
func readMessage(j *extractor.Job, r io.Reader, depth int, top bool) error {
	raw, err := extractor.ReadCapped(r, j.Lim.MaxStreamBytes)
	if err != nil && len(raw) == 0 {
		return err
	}
	h, body := splitHeader(raw)
	if len(h) == 0 {
		return errors.New("no header fields")
	}
	msg := &mail.Message{Header: mail.Header(h), Body: bytes.NewReader(body)}
	dec := &mime.WordDecoder{CharsetReader: charset.NewReaderLabel}
	header := func(k string) string {
		v := msg.Header.Get(k)
		if d, err := dec.DecodeHeader(v); err == nil {
			v = d
		}
		return extractor.CleanMeta(v)
	}
	if top {
		m := &j.Res.Meta
		m.From = header("From")
		m.Title = header("Subject")
		m.Date = header("Date")
		m.Message = header("Message-Id")
		if t, err := msg.Header.Date(); err == nil {
			m.Created = t.UTC()
		}
		m.To = addressList(msg.Header, "To", dec)
		m.Cc = addressList(msg.Header, "Cc", dec)
	}
	var hb strings.Builder
	if !top {
		hb.WriteString("--- forwarded message ---\n")
	}
	for _, k := range []string{"From", "To", "Cc", "Date", "Subject"} {
		if v := header(k); v != "" {
			fmt.Fprintf(&hb, "%s: %s\n", k, v)
		}
	}
	hb.WriteByte('\n')
	j.Write(hb.String())
	return mimePart(j, textproto.MIMEHeader(msg.Header), msg.Body, depth)
}

func addressList(h mail.Header, key string, dec *mime.WordDecoder) []string {
	v := h.Get(key)
	if v == "" {
		return nil
	}
	list, err := (&mail.AddressParser{WordDecoder: dec}).ParseList(v)
	if err != nil {
		return []string{extractor.CleanMeta(v)}
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, a.String())
	}
	return out
}

var (
	boundaryParam = regexp.MustCompile(`(?i)boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))`)
	charsetParam  = regexp.MustCompile(`(?i)charset\s*=\s*(?:"([^"]*)"|([^\s;]+))`)
	nameParam     = regexp.MustCompile(`(?i)(?:file)?name\s*=\s*(?:"([^"]*)"|([^\s;]+))`)
)

// mediaType parses a Content-Type or Content-Disposition value, leniently: where
// mime.ParseMediaType refuses it (duplicate or malformed parameters), the type is what
// comes before the first ';' and the parameters evx needs are found one by one. A bare
// "text" is text/plain.
func mediaType(v string) (string, map[string]string) {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		mt, _, _ = strings.Cut(v, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		params = map[string]string{}
		for k, re := range map[string]*regexp.Regexp{"boundary": boundaryParam, "charset": charsetParam, "name": nameParam} {
			if m := re.FindStringSubmatch(v); m != nil {
				params[k] = m[1] + m[2]
			}
		}
	}
	if mt == "text" {
		mt = "text/plain"
	}
	return mt, params
}

// mimePart reads one MIME entity.
func mimePart(j *extractor.Job, h textproto.MIMEHeader, body io.Reader, depth int) error {
	if j.Deadline() || j.Full() {
		return nil
	}
	if j.Object() {
		return nil
	}
	ct := h.Get("Content-Type")
	mt, params := mediaType(ct)
	if ct == "" || mt == "" {
		mt = "text/plain"
	}
	disp, dparams := mediaType(h.Get("Content-Disposition"))
	if strings.HasPrefix(mt, "multipart/") && depth < maxMIMEDepth {
		return readMultipart(j, mt, params["boundary"], body, depth)
	}
	decoded := transferDecode(h.Get("Content-Transfer-Encoding"), body)
	if mt == "message/rfc822" && disp != "attachment" && depth < maxMIMEDepth {
		raw, err := extractor.ReadCapped(decoded, j.Lim.MaxStreamBytes)
		if err != nil && len(raw) == 0 {
			return err
		}
		if err := readMessage(j, bytes.NewReader(raw), depth+1, false); err != nil {
			j.Res.Halt(fmt.Errorf("forwarded message: %w", err))
		}
		return nil
	}
	if disp == "attachment" || (!strings.HasPrefix(mt, "text/plain") && !strings.HasPrefix(mt, "text/html")) {
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		if d, err := (&mime.WordDecoder{CharsetReader: charset.NewReaderLabel}).DecodeHeader(name); err == nil {
			name = d
		}
		return attachment(j, extractor.CleanMeta(name), mt, decoded)
	}
	raw, err := extractor.ReadCapped(decoded, j.Lim.MaxStreamBytes)
	if err != nil && len(raw) == 0 {
		return err
	}
	if extractor.IsLimit(err) {
		j.Res.Halt(err)
	}
	if mt == "text/html" {
		text, _ := html.TextHint(raw, ct, j.Languages())
		j.Write(text)
	} else {
		j.Write(charsetText(raw, params["charset"], j.Languages()))
	}
	if !strings.HasSuffix(j.Text(), "\n") {
		j.Write("\n")
	}
	return nil
}

// attachment hashes an attachment and, when it fits in MaxStreamBytes and the dispatcher
// allows one more level, appends its text.
func attachment(j *extractor.Job, name, mt string, body io.Reader) error {
	hash := sha256.New()
	var buf bytes.Buffer
	keep := j.Lim.MaxStreamBytes
	if keep <= 0 {
		keep = 1 << 62
	}
	n, err := io.Copy(io.MultiWriter(hash, &capWriter{w: &buf, left: keep}), body)
	if err != nil { // a damaged encoding: what was decoded is hashed, the message goes on
		j.Res.Halt(fmt.Errorf("attachment %q: %w", name, err))
	}
	a := extractor.Attachment{Name: name, MediaType: mt, Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))}
	switch {
	case j.Nested == nil:
		a.Note = "not read: nested too deep"
	case n > keep:
		a.Note = "not read: larger than the stream limit"
	default:
		res, err := j.Nested(j.Ctx, buf.Bytes(), name)
		switch {
		case err != nil:
			a.Note = err.Error()
		default:
			a.Detected = res.MediaType
			if res.Unsupported != nil {
				a.Note = res.Unsupported.Error()
			} else if res.Partial {
				a.Note = "partial text: " + res.StopReason
			}
			if t := strings.TrimSpace(res.Text); t != "" {
				before := j.TextLen()
				j.Write("--- attachment " + name + " ---\n" + t + "\n")
				a.TextBytes = j.TextLen() - before
			}
			j.Res.Attach = append(j.Res.Attach, a)
			for _, inner := range res.Attach { // a forwarded message's attachments, also hashed
				inner.Name = name + "/" + inner.Name
				j.Res.Attach = append(j.Res.Attach, inner)
			}
			return nil
		}
	}
	j.Res.Attach = append(j.Res.Attach, a)
	return nil
}

// capWriter keeps the first left bytes and drops the rest without failing.
type capWriter struct {
	w    io.Writer
	left int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.left > 0 {
		k := min(int64(len(p)), c.left)
		c.w.Write(p[:k])
		c.left -= k
	}
	return len(p), nil
}

// readMultipart reads the parts of a multipart entity. A missing boundary is taken from
// the first line that starts with "--".
func readMultipart(j *extractor.Job, mt, boundary string, body io.Reader, depth int) error {
	if boundary == "" {
		raw, err := extractor.ReadCapped(body, j.Lim.MaxStreamBytes)
		if err != nil && len(raw) == 0 {
			return err
		}
		boundary = findBoundary(raw)
		if boundary == "" { // no part at all: the body is the text
			j.Res.Halt(fmt.Errorf("%s without boundary: body read as text", mt))
			j.Write(charsetText(raw, "", j.Languages()))
			return nil
		}
		body = bytes.NewReader(raw)
	}
	raw, err := extractor.ReadCapped(body, j.Lim.MaxStreamBytes)
	if err != nil && len(raw) == 0 {
		return err
	}
	type alt struct {
		h    textproto.MIMEHeader
		body []byte
	}
	var plain, last *alt // of an alternative, only the plain part and the last one are kept
	for _, part := range splitParts(raw, boundary) {
		h, b := splitHeader(part)
		if mt == "multipart/alternative" {
			if j.Object() {
				break
			}
			a := &alt{h, b}
			if plain == nil && strings.HasPrefix(strings.ToLower(a.h.Get("Content-Type")), "text/plain") {
				plain = a
			} else {
				last = a
			}
			continue
		}
		if err := mimePart(j, h, bytes.NewReader(b), depth+1); err != nil {
			return err
		}
	}
	if plain == nil {
		plain = last
	}
	if plain != nil {
		return mimePart(j, plain.h, bytes.NewReader(plain.body), depth+1)
	}
	return nil
}

// splitParts cuts a multipart body at its delimiter lines ("--boundary", the last one
// "--boundary--"), dropping the preamble and the epilogue. A body with no closing delimiter
// (a cut message) keeps its last part.
func splitParts(raw []byte, boundary string) [][]byte {
	delim := []byte("--" + boundary)
	var parts [][]byte
	var cur []byte
	in := false
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line = raw[:i+1]
		}
		raw = raw[len(line):]
		t := bytes.TrimRight(line, " \t\r\n")
		if bytes.HasPrefix(t, delim) {
			rest := t[len(delim):]
			if len(rest) == 0 || bytes.Equal(rest, []byte("--")) {
				if in {
					parts = append(parts, trimPartEnd(cur))
				}
				cur, in = nil, len(rest) == 0
				if !in {
					return parts
				}
				continue
			}
		}
		if in {
			cur = append(cur, line...)
		}
	}
	if in && len(cur) > 0 {
		parts = append(parts, trimPartEnd(cur))
	}
	return parts
}

// trimPartEnd drops the line break that belongs to the next delimiter.
func trimPartEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// splitHeader reads header fields up to the empty line, leniently: a line that is neither
// a field nor a continuation ends the header and starts the body (messages and parts that
// lack the empty line).
func splitHeader(raw []byte) (textproto.MIMEHeader, []byte) {
	h := textproto.MIMEHeader{}
	var key string
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line = raw[:i+1]
		}
		t := bytes.TrimRight(line, "\r\n")
		if len(t) == 0 {
			return h, raw[len(line):]
		}
		if (t[0] == ' ' || t[0] == '\t') && key != "" {
			v := h[key]
			v[len(v)-1] += " " + strings.TrimSpace(string(t))
			raw = raw[len(line):]
			continue
		}
		i := bytes.IndexByte(t, ':')
		if i <= 0 || bytes.ContainsAny(t[:i], " \t") {
			return h, raw
		}
		key = textproto.CanonicalMIMEHeaderKey(string(t[:i]))
		h[key] = append(h[key], strings.TrimSpace(string(t[i+1:])))
		raw = raw[len(line):]
		if len(h) > 1000 {
			return h, raw
		}
	}
	return h, nil
}

// findBoundary returns the delimiter of the first line "--X" (X without blanks), or "".
func findBoundary(raw []byte) string {
	for _, line := range bytes.SplitN(raw, []byte("\n"), 2000) {
		line = bytes.TrimRight(line, "\r")
		if len(line) > 3 && bytes.HasPrefix(line, []byte("--")) && !bytes.ContainsAny(line, " \t") {
			return string(bytes.TrimSuffix(line[2:], []byte("--")))
		}
	}
	return ""
}

func transferDecode(enc string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Clean{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// base64Clean drops the line breaks and blanks that e-mail puts into base64 bodies.
type base64Clean struct{ r io.Reader }

func (b *base64Clean) Read(p []byte) (int, error) {
	for {
		n, err := b.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// charsetText decodes a text part in its declared charset. The detector of package plain
// chooses instead when none is declared, when the declared one is UTF-8 or US-ASCII, when
// it leaves undefined bytes or control characters (a wrong label), or when it is a default
// that mail programs write without looking (ISO-8859-1, Windows-1252) and the detector is
// sure of another encoding.
func charsetText(b []byte, cs string, langs []string) string {
	if isDefaultLabel(cs) {
		if s, d := plain.DecodeHint(b, langs); d.Confidence >= 0.9 {
			return s
		}
	}
	if cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		if r, err := charset.NewReaderLabel(cs, bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(r); err == nil && !misread(string(out)) {
				return string(out)
			}
		}
	}
	s, _ := plain.DecodeHint(b, langs)
	return s
}

func isDefaultLabel(cs string) bool {
	switch strings.ToLower(cs) {
	case "iso-8859-1", "latin1", "iso_8859-1", "windows-1252", "cp1252":
		return true
	}
	return false
}

// misread reports U+FFFD or C1 control characters: bytes the declared charset does not
// define, so the label is wrong.
func misread(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r >= 0x80 && r < 0xa0 {
			return true
		}
	}
	return false
}
