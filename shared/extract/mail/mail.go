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
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"

	"golang.org/x/net/html/charset"

	"github.com/evx-project/evx/shared/extract/html"
	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/plain"
)

const maxMIMEDepth = 16

// mail reads an RFC 5322 message: the main headers, the text of text/plain and text/html
// parts (the plain one where a multipart/alternative offers both), and a list of the
// attachments with their SHA-256 and size.
func Read(j *extractor.Job) error {
	msg, err := mail.ReadMessage(bufio.NewReader(io.NewSectionReader(j.R, 0, j.Size)))
	if err != nil {
		return err
	}
	dec := &mime.WordDecoder{CharsetReader: charset.NewReaderLabel}
	header := func(k string) string {
		v := msg.Header.Get(k)
		if d, err := dec.DecodeHeader(v); err == nil {
			v = d
		}
		return extractor.CleanMeta(v)
	}
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
	var hb strings.Builder
	for _, k := range []string{"From", "To", "Cc", "Date", "Subject"} {
		if v := header(k); v != "" {
			fmt.Fprintf(&hb, "%s: %s\n", k, v)
		}
	}
	hb.WriteByte('\n')
	j.Write(hb.String())
	return mimePart(j, textproto.MIMEHeader(msg.Header), msg.Body, 0)
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

// mimePart reads one MIME entity.
func mimePart(j *extractor.Job, h textproto.MIMEHeader, body io.Reader, depth int) error {
	if j.Deadline() || j.Full() {
		return nil
	}
	if j.Object() {
		return nil
	}
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || ct == "" {
		mt, params = "text/plain", map[string]string{}
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	if strings.HasPrefix(mt, "multipart/") && depth < maxMIMEDepth {
		return readMultipart(j, mt, params["boundary"], body, depth)
	}
	decoded := transferDecode(h.Get("Content-Transfer-Encoding"), body)
	if disp == "attachment" || (!strings.HasPrefix(mt, "text/plain") && !strings.HasPrefix(mt, "text/html")) {
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		if d, err := (&mime.WordDecoder{CharsetReader: charset.NewReaderLabel}).DecodeHeader(name); err == nil {
			name = d
		}
		hash := sha256.New()
		n, err := io.Copy(hash, decoded)
		if err != nil {
			return fmt.Errorf("attachment %q: %w", name, err)
		}
		j.Res.Attach = append(j.Res.Attach, extractor.Attachment{Name: extractor.CleanMeta(name), MediaType: mt, Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))})
		return nil
	}
	raw, err := extractor.ReadCapped(decoded, j.Lim.MaxStreamBytes)
	if err != nil && len(raw) == 0 {
		return err
	}
	if extractor.IsLimit(err) {
		j.Res.Halt(err)
	}
	if mt == "text/html" {
		text, _ := html.Text(raw, ct)
		j.Write(text)
	} else {
		j.Write(charsetText(raw, params["charset"]))
	}
	if !strings.HasSuffix(j.Text(), "\n") {
		j.Write("\n")
	}
	return nil
}

func readMultipart(j *extractor.Job, mt, boundary string, body io.Reader, depth int) error {
	if boundary == "" {
		return fmt.Errorf("%s without boundary", mt)
	}
	mr := multipart.NewReader(body, boundary)
	type alt struct {
		h    textproto.MIMEHeader
		body []byte
	}
	var plain, last *alt // of an alternative, only the plain part and the last one are kept
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if j.TextLen() > 0 || len(j.Res.Attach) > 0 {
				j.Res.Halt(fmt.Errorf("multipart: %w", err))
				return nil
			}
			return err
		}
		if mt == "multipart/alternative" {
			if j.Object() {
				break
			}
			b, err := extractor.ReadCapped(p, j.Lim.MaxStreamBytes)
			if err != nil && len(b) == 0 {
				return err
			}
			a := &alt{p.Header, b}
			if plain == nil && strings.HasPrefix(strings.ToLower(a.h.Get("Content-Type")), "text/plain") {
				plain = a
			} else {
				last = a
			}
			continue
		}
		if err := mimePart(j, p.Header, p, depth+1); err != nil {
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

func charsetText(b []byte, cs string) string {
	if cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		if r, err := charset.NewReaderLabel(cs, bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return string(out)
			}
		}
	}
	s, _ := plain.Decode(b)
	return s
}
