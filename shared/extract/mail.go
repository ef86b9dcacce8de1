package extract

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
)

const maxMIMEDepth = 16

// mail reads an RFC 5322 message: the main headers, the text of text/plain and text/html
// parts (the plain one where a multipart/alternative offers both), and a list of the
// attachments with their SHA-256 and size.
func (j *job) mail() error {
	msg, err := mail.ReadMessage(bufio.NewReader(io.NewSectionReader(j.r, 0, j.size)))
	if err != nil {
		return err
	}
	dec := &mime.WordDecoder{CharsetReader: charset.NewReaderLabel}
	header := func(k string) string {
		v := msg.Header.Get(k)
		if d, err := dec.DecodeHeader(v); err == nil {
			v = d
		}
		return cleanMeta(v)
	}
	m := &j.res.Meta
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
	j.write(hb.String())
	return j.mimePart(textproto.MIMEHeader(msg.Header), msg.Body, 0)
}

func addressList(h mail.Header, key string, dec *mime.WordDecoder) []string {
	v := h.Get(key)
	if v == "" {
		return nil
	}
	list, err := (&mail.AddressParser{WordDecoder: dec}).ParseList(v)
	if err != nil {
		return []string{cleanMeta(v)}
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, a.String())
	}
	return out
}

// mimePart reads one MIME entity.
func (j *job) mimePart(h textproto.MIMEHeader, body io.Reader, depth int) error {
	if j.deadline() || j.full {
		return nil
	}
	if j.object() {
		return nil
	}
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || ct == "" {
		mt, params = "text/plain", map[string]string{}
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	if strings.HasPrefix(mt, "multipart/") && depth < maxMIMEDepth {
		return j.multipart(mt, params["boundary"], body, depth)
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
		j.res.Attach = append(j.res.Attach, Attachment{Name: cleanMeta(name), MediaType: mt, Size: n, SHA256: hex.EncodeToString(hash.Sum(nil))})
		return nil
	}
	raw, err := readCapped(decoded, j.lim.MaxStreamBytes)
	if err != nil && len(raw) == 0 {
		return err
	}
	if isLimit(err) {
		j.res.stop(err)
	}
	if mt == "text/html" {
		text, _ := htmlText(raw, ct)
		j.write(text)
	} else {
		j.write(charsetText(raw, params["charset"]))
	}
	if !strings.HasSuffix(j.text.String(), "\n") {
		j.write("\n")
	}
	return nil
}

func (j *job) multipart(mt, boundary string, body io.Reader, depth int) error {
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
			if j.text.Len() > 0 || len(j.res.Attach) > 0 {
				j.res.stop(fmt.Errorf("multipart: %w", err))
				return nil
			}
			return err
		}
		if mt == "multipart/alternative" {
			if j.object() {
				break
			}
			b, err := readCapped(p, j.lim.MaxStreamBytes)
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
		if err := j.mimePart(p.Header, p, depth+1); err != nil {
			return err
		}
	}
	if plain == nil {
		plain = last
	}
	if plain != nil {
		return j.mimePart(plain.h, bytes.NewReader(plain.body), depth+1)
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

func readCapped(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		max = 1 << 62
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(b)) > max {
		return b[:max], &LimitError{Limit: LimitStream, Max: max}
	}
	return b, err
}

func charsetText(b []byte, cs string) string {
	if cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		if r, err := charset.NewReaderLabel(cs, bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return string(out)
			}
		}
	}
	s, _ := decodeText(b)
	return s
}
