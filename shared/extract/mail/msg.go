package mail

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"

	"github.com/evx-project/evx/shared/extract/html"
	"github.com/evx-project/evx/shared/extract/internal/extractor"
	"github.com/evx-project/evx/shared/extract/plain"
)

// MAPI property ids of an Outlook message ([MS-OXMSG], [MS-OXPROPS]).
const (
	propSubject      = 0x0037
	propBody         = 0x1000
	propHTML         = 0x1013
	propSenderName   = 0x0C1A
	propSenderEmail  = 0x0C1F
	propSenderSMTP   = 0x5D01
	propDisplayTo    = 0x0E04
	propDisplayCc    = 0x0E03
	propHeaders      = 0x007D
	propMessageID    = 0x1035
	propRecipName    = 0x3001
	propRecipEmail   = 0x3003
	propRecipSMTP    = 0x39FE
	propAttachData   = 0x3701
	propAttachName   = 0x3704
	propAttachLong   = 0x3707
	propAttachMime   = 0x370E
	propSubmitTime   = 0x0039
	propDeliveryTime = 0x0E06
)

// msgProps are the property streams of one object (the message, a recipient, an
// attachment), keyed by property id and type.
type msgProps map[uint32][]byte

func (p msgProps) str(id uint16) string {
	if b, ok := p[uint32(id)<<16|0x001F]; ok {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		return strings.TrimRight(string(utf16.Decode(u)), "\x00")
	}
	if b, ok := p[uint32(id)<<16|0x001E]; ok {
		s, _ := plain.Decode(bytes.TrimRight(b, "\x00"))
		return s
	}
	return ""
}

func (p msgProps) bin(id uint16) ([]byte, bool) {
	b, ok := p[uint32(id)<<16|0x0102]
	return b, ok
}

// ReadMSG reads an Outlook message (.msg, an OLE2 compound file): sender, recipients,
// subject, date, the plain body (or the HTML body's text), and the attachments, hashed
// and read through the dispatcher like e-mail attachments. Each stream is at most
// MaxStreamBytes; each stream and storage counts as an object.
func ReadMSG(j *extractor.Job) (err error) {
	defer func() {
		if v := recover(); v != nil { // the compound-file reader on a damaged directory
			err = &extractor.PanicError{Value: v}
		}
	}()
	doc, err := mscfb.New(io.NewSectionReader(j.R, 0, j.Size))
	if err != nil {
		return err
	}
	top := msgProps{}
	objects := map[string]msgProps{} // recipients and attachments by storage name
	var order []string
	var fixed []byte // the message's __properties_version1.0 stream
	for entry, err := doc.Next(); err == nil; entry, err = doc.Next() {
		if j.Object() || j.Deadline() {
			break
		}
		if len(entry.Path) > 1 { // inside an embedded message: not read
			continue
		}
		if entry.Name == "__properties_version1.0" && len(entry.Path) == 0 {
			fixed, _ = extractor.ReadCapped(entry, 1<<20)
			continue
		}
		if !strings.HasPrefix(entry.Name, "__substg1.0_") || len(entry.Name) != 20 {
			continue
		}
		tag, perr := strconv.ParseUint(entry.Name[12:], 16, 32)
		if perr != nil {
			continue
		}
		data, rerr := extractor.ReadCapped(entry, j.Lim.MaxStreamBytes)
		if rerr != nil {
			j.Res.Halt(rerr)
		}
		props := top
		if len(entry.Path) == 1 {
			owner := entry.Path[0]
			if objects[owner] == nil {
				objects[owner] = msgProps{}
				order = append(order, owner)
			}
			props = objects[owner]
		}
		props[uint32(tag)] = data
	}
	if len(top) == 0 {
		return errors.New("no message properties")
	}
	m := &j.Res.Meta
	m.Title = extractor.CleanMeta(top.str(propSubject))
	sender := top.str(propSenderName)
	addr := top.str(propSenderSMTP)
	if addr == "" {
		addr = top.str(propSenderEmail)
	}
	if addr != "" && addr != sender {
		sender = strings.TrimSpace(sender + " <" + addr + ">")
	}
	m.From = extractor.CleanMeta(sender)
	m.Message = extractor.CleanMeta(top.str(propMessageID))
	for _, o := range order {
		p := objects[o]
		if !strings.HasPrefix(o, "__recip_version1.0_") {
			continue
		}
		name, email := p.str(propRecipName), p.str(propRecipSMTP)
		if email == "" {
			email = p.str(propRecipEmail)
		}
		r := name
		if email != "" && email != name {
			r = strings.TrimSpace(name + " <" + email + ">")
		}
		if r != "" && len(m.To) < 10000 {
			m.To = append(m.To, extractor.CleanMeta(r))
		}
	}
	if t, ok := fixedTime(fixed, propSubmitTime); ok {
		m.Created = t
	} else if t, ok := fixedTime(fixed, propDeliveryTime); ok {
		m.Created = t
	}
	if !m.Created.IsZero() {
		m.Date = m.Created.Format(time.RFC1123Z)
	}
	var hb strings.Builder
	for _, f := range [][2]string{{"From", m.From}, {"To", extractor.CleanMeta(top.str(propDisplayTo))},
		{"Cc", extractor.CleanMeta(top.str(propDisplayCc))}, {"Date", m.Date}, {"Subject", m.Title}} {
		if f[1] != "" {
			fmt.Fprintf(&hb, "%s: %s\n", f[0], f[1])
		}
	}
	hb.WriteByte('\n')
	j.Write(hb.String())
	body := top.str(propBody)
	if strings.TrimSpace(body) == "" {
		if h, ok := top.bin(propHTML); ok {
			t, _ := html.Text(h, "")
			body = t
		} else if h := top.str(propHTML); h != "" {
			t, _ := html.Text([]byte(h), "text/html; charset=utf-8")
			body = t
		}
	}
	j.Write(strings.ReplaceAll(body, "\r\n", "\n"))
	if !strings.HasSuffix(j.Text(), "\n") {
		j.Write("\n")
	}
	for _, o := range order {
		p := objects[o]
		if !strings.HasPrefix(o, "__attach_version1.0_") {
			continue
		}
		name := p.str(propAttachLong)
		if name == "" {
			name = p.str(propAttachName)
		}
		mt := p.str(propAttachMime)
		if mt == "" {
			mt = extractor.TypeUnknown
		}
		data, ok := p.bin(propAttachData)
		if !ok {
			j.Res.Attach = append(j.Res.Attach, extractor.Attachment{Name: extractor.CleanMeta(name), MediaType: mt,
				Note: "not read: an embedded message or object"})
			continue
		}
		if err := attachment(j, extractor.CleanMeta(name), mt, bytes.NewReader(data)); err != nil {
			return err
		}
	}
	return nil
}

// fixedTime reads a PT_SYSTIME property of the message's fixed-length property stream:
// a 32-byte header, then 16-byte entries (tag, flags, value), the value a FILETIME.
func fixedTime(b []byte, id uint16) (time.Time, bool) {
	want := uint32(id)<<16 | 0x0040
	for off := 32; off+16 <= len(b); off += 16 {
		if binary.LittleEndian.Uint32(b[off:]) == want {
			ft := binary.LittleEndian.Uint64(b[off+8:])
			if ft == 0 || ft > 2650467743990000000 { // after 9999
				return time.Time{}, false
			}
			const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
			if ft < epochDiff {
				return time.Time{}, false
			}
			return time.Unix(0, int64(ft-epochDiff)*100).UTC(), true
		}
	}
	return time.Time{}, false
}
