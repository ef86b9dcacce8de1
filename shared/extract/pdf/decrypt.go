package pdf

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strconv"
)

// Decryption of PDFs protected by the standard security handler (ISO 32000-2:2020, 7.6.4),
// with the empty password: RC4 of 40 to 128 bits (revisions 2-4), AES-128 (AESV2, revision
// 4) and AES-256 (AESV3, revisions 5 and 6). The library reads only some of these and
// derives RC4 object keys of the wrong length, so evx decrypts the file itself, object by
// object, into an unencrypted copy that the repair path then opens.

// ErrPasswordRequired is wrapped by the error for a document that the empty password does
// not open (as the user password nor as the owner password).
var ErrPasswordRequired = errors.New("a password is required")

// UnsupportedEncryptionError is a security handler or algorithm evx does not implement
// (public-key handlers, unknown crypt filters).
type UnsupportedEncryptionError struct{ What string }

func (e *UnsupportedEncryptionError) Error() string {
	return "unsupported encryption: " + e.What
}

// cryptMethod is how strings or streams are encrypted.
type cryptMethod uint8

const (
	cryptNone cryptMethod = iota // Identity
	cryptRC4
	cryptAESV2
	cryptAESV3
)

// security is the standard security handler of one document, once the key is known.
type security struct {
	r           int
	key         []byte // file encryption key
	str, stm    cryptMethod
	encryptMeta bool
	method      string // as shown in the metadata: "AES-256 (R6)"
}

// passwordPad is the padding string of Algorithm 2, step a.
var passwordPad = []byte{
	0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08,
	0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a,
}

// pdfName is a name object (without the slash); pdfRef an indirect reference.
type (
	pdfName string
	pdfRef  struct{ id, gen int }
)

// parseObject reads one object from l (dictionaries as map[string]any, arrays as []any,
// strings as []byte, numbers as float64, names as pdfName, references as pdfRef).
// depth bounds nesting.
func parseObject(l *lexer, depth int) any {
	b := l.b
	for l.i < len(b) && (isSpace(b[l.i]) || b[l.i] == '%') {
		if b[l.i] == '%' {
			for l.i < len(b) && b[l.i] != '\n' && b[l.i] != '\r' {
				l.i++
			}
			continue
		}
		l.i++
	}
	if l.i >= len(b) || depth > 32 {
		return nil
	}
	switch c := b[l.i]; {
	case c == '<' && l.i+1 < len(b) && b[l.i+1] == '<':
		l.i += 2
		d := map[string]any{}
		for len(d) < 1<<12 {
			k := parseObject(l, depth+1)
			n, ok := k.(pdfName)
			if !ok {
				break // ">>", end of input or damage
			}
			d[string(n)] = parseObject(l, depth+1)
		}
		return d
	case c == '>' && l.i+1 < len(b) && b[l.i+1] == '>':
		l.i += 2
		return nil
	case c == '[':
		l.i++
		var a []any
		for len(a) < 1<<12 {
			save := l.i
			v := parseObject(l, depth+1)
			if v == nil {
				if l.i < len(b) && b[l.i] == ']' {
					l.i++
				} else if l.i == save {
					l.i++
				}
				break
			}
			a = append(a, v)
		}
		return a
	case c == ']':
		return nil
	case c == '(':
		return bytes.Clone(l.literal())
	case c == '<':
		return bytes.Clone(l.hex())
	case c == '/':
		l.i++
		st := l.i
		for l.i < len(b) && isRegular(b[l.i]) {
			l.i++
		}
		name := b[st:l.i]
		if bytes.IndexByte(name, '#') >= 0 {
			name = l.unescapeName(name)
		}
		return pdfName(name)
	}
	st := l.i
	for l.i < len(b) && isRegular(b[l.i]) {
		l.i++
	}
	if l.i == st {
		l.i++
		return nil
	}
	word := string(b[st:l.i])
	switch word {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	n, err := strconv.ParseFloat(word, 64)
	if err != nil {
		return nil
	}
	// "id gen R" is a reference.
	save := l.i
	if g, ok := parseObject(l, depth+1).(float64); ok {
		for l.i < len(b) && isSpace(b[l.i]) {
			l.i++
		}
		if l.i < len(b) && b[l.i] == 'R' && (l.i+1 == len(b) || !isRegular(b[l.i+1])) {
			l.i++
			return pdfRef{int(n), int(g)}
		}
	}
	l.i = save
	return n
}

func dictInt(d map[string]any, k string, def int) int {
	if v, ok := d[k].(float64); ok {
		return int(v)
	}
	return def
}

func dictBytes(d map[string]any, k string) []byte {
	v, _ := d[k].([]byte)
	return v
}

var (
	encryptRef  = regexp.MustCompile(`/Encrypt\s*(\d+)\s+(\d+)\s+R`)
	encryptDict = regexp.MustCompile(`/Encrypt\s*<<`)
	idEntry     = regexp.MustCompile(`/ID\s*\[`)
)

// encryption finds the encryption dictionary of data (the last trailer's) and the first
// file identifier. ok is false for an unencrypted document.
func encryption(data []byte, objs map[int]int) (enc map[string]any, id []byte, ok bool) {
	var at int = -1
	if ms := encryptRef.FindAllSubmatchIndex(data, -1); len(ms) > 0 {
		m := ms[len(ms)-1]
		n, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		if off, found := objs[n]; found {
			at = off
		}
	}
	if ms := encryptDict.FindAllIndex(data, -1); len(ms) > 0 && at < 0 {
		at = ms[len(ms)-1][1] - 2
	}
	if at < 0 {
		return nil, nil, false
	}
	enc, _ = parseObject(&lexer{b: data[at:]}, 0).(map[string]any)
	if enc == nil {
		return nil, nil, false
	}
	if ms := idEntry.FindAllIndex(data, -1); len(ms) > 0 {
		m := ms[len(ms)-1]
		if a, _ := parseObject(&lexer{b: data[m[1]-1:]}, 0).([]any); len(a) > 0 {
			id, _ = a[0].([]byte)
		}
	}
	return enc, id, true
}

// newSecurity derives the file key of the standard security handler from the empty
// password, tried as the user password and then as the owner password. When the password
// does not open the document, the error wraps ErrPasswordRequired and the security handler
// returned names the method only.
func newSecurity(enc map[string]any, id []byte) (*security, error) {
	if f, _ := enc["Filter"].(pdfName); f != "Standard" {
		return nil, &UnsupportedEncryptionError{What: fmt.Sprintf("security handler %q", string(f))}
	}
	v := dictInt(enc, "V", 0)
	r := dictInt(enc, "R", 0)
	s := &security{r: r, encryptMeta: true}
	if b, ok := enc["EncryptMetadata"].(bool); ok {
		s.encryptMeta = b
	}
	bits := dictInt(enc, "Length", 40)
	switch v {
	case 1:
		bits = 40
		s.str, s.stm = cryptRC4, cryptRC4
	case 2:
		s.str, s.stm = cryptRC4, cryptRC4
	case 4, 5:
		cf, _ := enc["CF"].(map[string]any)
		var err error
		var sbits, tbits int
		if s.str, sbits, err = cryptFilter(cf, enc["StrF"]); err != nil {
			return nil, err
		}
		if s.stm, tbits, err = cryptFilter(cf, enc["StmF"]); err != nil {
			return nil, err
		}
		bits = max(sbits, tbits, 40)
	default:
		return nil, &UnsupportedEncryptionError{What: fmt.Sprintf("standard handler V=%d", v)}
	}
	if bits%8 != 0 || bits < 40 || bits > 256 {
		return nil, &UnsupportedEncryptionError{What: fmt.Sprintf("%d-bit key", bits)}
	}
	o, u := dictBytes(enc, "O"), dictBytes(enc, "U")
	switch {
	case r >= 2 && r <= 4:
		if len(o) < 32 || len(u) < 32 {
			return nil, errors.New("encryption dictionary without O or U")
		}
		n := bits / 8
		if r == 2 {
			n = 5
		}
		if s.str == cryptAESV2 || s.stm == cryptAESV2 {
			s.method = fmt.Sprintf("AES-128 (R%d)", r)
		} else {
			s.method = fmt.Sprintf("RC4 %d-bit (R%d)", n*8, r)
		}
		p := uint32(int32(dictInt(enc, "P", 0)))
		key := s.legacyKey(passwordPad, o[:32], p, id, n)
		if !s.legacyUser(key, u, id) {
			// The empty owner password: RC4 of O with its key gives the padded user password.
			user := s.ownerToUser(o[:32], n)
			key = s.legacyKey(user, o[:32], p, id, n)
			if !s.legacyUser(key, u, id) {
				return s, fmt.Errorf("%w (%s)", ErrPasswordRequired, s.method)
			}
		}
		s.key = key
	case r == 5 || r == 6:
		oe, ue := dictBytes(enc, "OE"), dictBytes(enc, "UE")
		if len(o) < 48 || len(u) < 48 || len(oe) < 32 || len(ue) < 32 {
			return nil, errors.New("encryption dictionary without O, U, OE or UE")
		}
		s.method = fmt.Sprintf("AES-256 (R%d)", r)
		var wrapped, k []byte
		if h := hash2B(nil, u[32:40], nil, r); bytes.Equal(h, u[:32]) {
			k, wrapped = hash2B(nil, u[40:48], nil, r), ue[:32]
		} else if h := hash2B(nil, o[32:40], u[:48], r); bytes.Equal(h, o[:32]) {
			k, wrapped = hash2B(nil, o[40:48], u[:48], r), oe[:32]
		} else {
			return s, fmt.Errorf("%w (%s)", ErrPasswordRequired, s.method)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		s.key = make([]byte, 32)
		cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(s.key, wrapped)
	default:
		return nil, &UnsupportedEncryptionError{What: fmt.Sprintf("standard handler R=%d", r)}
	}
	return s, nil
}

// cryptFilter reads the named crypt filter of a V4 or V5 dictionary.
func cryptFilter(cf map[string]any, name any) (cryptMethod, int, error) {
	n, _ := name.(pdfName)
	if n == "" || n == "Identity" {
		return cryptNone, 0, nil
	}
	f, _ := cf[string(n)].(map[string]any)
	if f == nil {
		return 0, 0, &UnsupportedEncryptionError{What: fmt.Sprintf("crypt filter %q not defined", string(n))}
	}
	m, _ := f["CFM"].(pdfName)
	switch m {
	case "None":
		return cryptNone, 0, nil
	case "V2":
		bits := dictInt(f, "Length", 128)
		if bits <= 16 { // some writers give bytes
			bits *= 8
		}
		return cryptRC4, bits, nil
	case "AESV2":
		return cryptAESV2, 128, nil
	case "AESV3":
		return cryptAESV3, 256, nil
	}
	return 0, 0, &UnsupportedEncryptionError{What: fmt.Sprintf("crypt filter method %q", string(m))}
}

// legacyKey is Algorithm 2 for revisions 2-4; padded is the password padded to 32 bytes.
func (s *security) legacyKey(padded, o []byte, p uint32, id []byte, n int) []byte {
	h := md5.New()
	h.Write(padded)
	h.Write(o)
	h.Write([]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)})
	h.Write(id)
	if s.r >= 4 && !s.encryptMeta {
		h.Write([]byte{0xff, 0xff, 0xff, 0xff})
	}
	key := h.Sum(nil)
	if s.r >= 3 {
		for range 50 {
			sum := md5.Sum(key[:n])
			key = sum[:]
		}
	}
	return key[:n]
}

// legacyUser is Algorithms 4 and 5: whether key is the one of the user password.
func (s *security) legacyUser(key, u, id []byte) bool {
	if s.r == 2 {
		out := make([]byte, 32)
		c, _ := rc4.NewCipher(key)
		c.XORKeyStream(out, passwordPad)
		return bytes.Equal(out, u[:32])
	}
	h := md5.New()
	h.Write(passwordPad)
	h.Write(id)
	x := h.Sum(nil)
	rc4Rounds(key, x, false)
	return bytes.Equal(x, u[:16])
}

// ownerToUser is Algorithm 7 with the empty owner password: the padded user password.
func (s *security) ownerToUser(o []byte, n int) []byte {
	sum := md5.Sum(passwordPad)
	key := sum[:]
	if s.r >= 3 {
		for range 50 {
			sum = md5.Sum(key)
			key = sum[:]
		}
	}
	key = key[:n]
	user := bytes.Clone(o)
	if s.r == 2 {
		c, _ := rc4.NewCipher(key)
		c.XORKeyStream(user, user)
		return user
	}
	rc4Rounds(key, user, true)
	return user
}

// rc4Rounds encrypts x in place with key XOR i for i = 0..19 (down from 19 when reverse).
func rc4Rounds(key, x []byte, reverse bool) {
	k := make([]byte, len(key))
	for step := range 20 {
		i := step
		if reverse {
			i = 19 - step
		}
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		c, _ := rc4.NewCipher(k)
		c.XORKeyStream(x, x)
	}
}

// hash2B is Algorithm 2.B (revision 6; revision 5 is its first SHA-256 alone).
func hash2B(pw, salt, udata []byte, r int) []byte {
	h := sha256.New()
	h.Write(pw)
	h.Write(salt)
	h.Write(udata)
	k := h.Sum(nil)
	if r == 5 {
		return k
	}
	for round := 1; ; round++ {
		unit := make([]byte, 0, len(pw)+len(k)+len(udata))
		unit = append(append(append(unit, pw...), k...), udata...)
		k1 := bytes.Repeat(unit, 64)
		block, _ := aes.NewCipher(k[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(block, k[16:32]).CryptBlocks(e, k1)
		sum := 0
		for _, c := range e[:16] {
			sum += int(c)
		}
		var hf hash.Hash
		switch sum % 3 {
		case 0:
			hf = sha256.New()
		case 1:
			hf = sha512.New384()
		default:
			hf = sha512.New()
		}
		hf.Write(e)
		k = hf.Sum(nil)
		if round >= 64 && int(e[len(e)-1]) <= round-32 {
			break
		}
	}
	return k[:32]
}

// decrypt decrypts data, a string or stream of object id gen, with method m.
func (s *security) decrypt(m cryptMethod, id, gen int, data []byte) []byte {
	if m == cryptNone {
		return data
	}
	key := s.key
	if s.r < 5 {
		h := md5.New()
		h.Write(s.key)
		h.Write([]byte{byte(id), byte(id >> 8), byte(id >> 16), byte(gen), byte(gen >> 8)})
		if m == cryptAESV2 {
			h.Write([]byte("sAlT"))
		}
		key = h.Sum(nil)[:min(len(s.key)+5, 16)]
	}
	if m == cryptRC4 {
		out := make([]byte, len(data))
		c, _ := rc4.NewCipher(key)
		c.XORKeyStream(out, data)
		return out
	}
	if len(data) < 2*aes.BlockSize {
		return nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil
	}
	body := data[aes.BlockSize:]
	body = bytes.Clone(body[:len(body)/aes.BlockSize*aes.BlockSize])
	cipher.NewCBCDecrypter(block, data[:aes.BlockSize]).CryptBlocks(body, body)
	if p := int(body[len(body)-1]); p >= 1 && p <= aes.BlockSize && bytes.Count(body[len(body)-p:], body[len(body)-1:]) == p {
		body = body[:len(body)-p]
	}
	return body
}

// decryptFile returns an unencrypted copy of data made of its objects (strings and streams
// decrypted, cross-reference streams and the encryption dictionary left out) followed by
// the trailer entries the repair reads, or nil when data is not encrypted. method names
// the encryption. maxObjs bounds the objects copied.
func decryptFile(data []byte, maxObjs int) (out []byte, method string, err error) {
	if !bytes.Contains(data, []byte("/Encrypt")) {
		return nil, "", nil
	}
	heads := objHeader.FindAllSubmatchIndex(data, -1)
	objs := make(map[int]int, len(heads)) // object number: offset after "obj"
	for _, m := range heads {
		if id, err := strconv.Atoi(string(data[m[2]:m[3]])); err == nil {
			objs[id] = m[1]
		}
	}
	enc, id, ok := encryption(data, objs)
	if !ok {
		return nil, "", nil
	}
	s, err := newSecurity(enc, id)
	if err != nil {
		if s != nil {
			method = s.method
		}
		return nil, method, err
	}
	encID := -1
	if m := encryptRef.FindAllSubmatch(data, -1); len(m) > 0 {
		encID, _ = strconv.Atoi(string(m[len(m)-1][1]))
	}
	w := &bytes.Buffer{}
	w.Grow(len(data) + 1024)
	w.WriteString("%PDF-1.7\n")
	count := 0
	for pos := 0; pos < len(data); {
		m := objHeader.FindSubmatchIndex(data[pos:])
		if m == nil {
			break
		}
		oid, _ := strconv.Atoi(string(data[pos+m[2] : pos+m[3]]))
		gen, _ := strconv.Atoi(string(data[pos+m[4] : pos+m[5]]))
		start := pos + m[1]
		body, end, drop := s.object(data, start, oid, gen, objs)
		pos = max(end, start)
		if drop || oid == encID {
			continue
		}
		if count++; maxObjs > 0 && count > maxObjs {
			break
		}
		fmt.Fprintf(w, "%d %d obj\n", oid, gen)
		w.Write(body)
		w.WriteString("\nendobj\n")
	}
	// The trailer entries the repair looks for, as comments that no object can contain.
	for _, key := range []string{"Root", "Info"} {
		re := regexp.MustCompile(`/` + key + `\s*(\d+)\s+(\d+)\s+R`)
		if ms := re.FindAllSubmatch(data, -1); len(ms) > 0 {
			fmt.Fprintf(w, "%%/%s %s %s R\n", key, ms[len(ms)-1][1], ms[len(ms)-1][2])
		}
	}
	if len(id) > 0 {
		fmt.Fprintf(w, "%%/ID[<%s><%s>]\n", hex.EncodeToString(id), hex.EncodeToString(id))
	}
	return w.Bytes(), s.method, nil
}

var (
	typeXRef     = regexp.MustCompile(`/Type\s*/XRef\b`)
	typeMetadata = regexp.MustCompile(`/Type\s*/Metadata\b`)
)

// object copies the object whose body starts at data[start:], strings and stream data
// decrypted (strings rewritten in hex, the stream's /Length replaced). end is the offset
// after "endobj" (or where the object was cut off); drop reports a cross-reference stream.
func (s *security) object(data []byte, start, oid, gen int, objs map[int]int) (body []byte, end int, drop bool) {
	var out []byte
	l := &lexer{b: data}
	i := start
	depth := 0
	streamLen := -1
	// Starts of the last two tokens in data and in out, for an object cut off by the next
	// one's "id gen obj"; where the stream's /Length entry was copied to in out.
	var prev, prevOut [2]int
	mark := func(at int) { prev[0], prev[1], prevOut[0], prevOut[1] = prev[1], at, prevOut[1], len(out) }
	lenAt := [2]int{-1, -1}
	for i < len(data) {
		c := data[i]
		switch {
		case isSpace(c):
			out = append(out, c)
			i++
		case c == '%':
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				i++
			}
		case c == '(' || (c == '<' && (i+1 >= len(data) || data[i+1] != '<')):
			mark(i)
			l.i, l.arena = i, l.arena[:0]
			var raw []byte
			if c == '(' {
				raw = l.literal()
			} else {
				raw = l.hex()
			}
			i = l.i
			plain := s.decrypt(s.str, oid, gen, bytes.Clone(raw))
			out = append(out, '<')
			out = hex.AppendEncode(out, plain)
			out = append(out, '>')
		case c == '<' || (c == '>' && i+1 < len(data) && data[i+1] == '>'):
			mark(i)
			if c == '<' {
				depth++
			} else {
				depth--
			}
			out = append(out, data[i:i+2]...)
			i += 2
		case c == '/':
			mark(i)
			st := i
			i++
			for i < len(data) && isRegular(data[i]) {
				i++
			}
			if depth == 1 && string(data[st:i]) == "/Length" {
				l.i = i
				v := parseObject(l, 0)
				lenAt[0] = len(out)
				out = append(out, data[st:l.i]...)
				lenAt[1] = len(out)
				switch v := v.(type) {
				case float64:
					streamLen = int(v)
				case pdfRef:
					if off, ok := objs[v.id]; ok {
						if n, ok := parseObject(&lexer{b: data[off:]}, 0).(float64); ok {
							streamLen = int(n)
						}
					}
				}
				i = l.i
				continue
			}
			out = append(out, data[st:i]...)
		case isRegular(c):
			st := i
			for i < len(data) && isRegular(data[i]) {
				i++
			}
			word := string(data[st:i])
			switch word {
			case "endobj":
				return out, i, false
			case "obj", "xref", "trailer", "startxref":
				if word == "obj" && prev[0] > start {
					return out[:prevOut[0]], prev[0], false
				}
				return out, st, false
			case "stream":
				dict := out
				if typeXRef.Match(dict) {
					return nil, s.skipStream(data, i, streamLen), true
				}
				payload, after := streamData(data, i, streamLen)
				plain := payload
				if s.stm != cryptNone && (s.encryptMeta || !typeMetadata.Match(dict)) {
					plain = s.decrypt(s.stm, oid, gen, payload)
				}
				if lenAt[0] >= 0 {
					out = append(out[:lenAt[0]:lenAt[0]], out[lenAt[1]:]...)
				}
				if k := bytes.LastIndex(out, []byte(">>")); k >= 0 {
					out = append(out[:k:k], fmt.Sprintf("/Length %d>>", len(plain))...)
				}
				out = append(out, "\nstream\n"...)
				out = append(out, plain...)
				out = append(out, "\nendstream"...)
				i = after
				continue
			}
			mark(st)
			out = append(out, word...)
		default:
			mark(i)
			out = append(out, c)
			i++
		}
	}
	return out, len(data), false
}

// streamData returns the data of a stream whose keyword "stream" ends at i and the offset
// after "endstream". n is the /Length when known (-1 otherwise); a length that does not
// end at "endstream" is replaced by the distance to the next one.
func streamData(data []byte, i, n int) ([]byte, int) {
	if i < len(data) && data[i] == '\r' {
		i++
	}
	if i < len(data) && data[i] == '\n' {
		i++
	}
	if n >= 0 && i+n <= len(data) {
		j := i + n
		for j < len(data) && isSpace(data[j]) {
			j++
		}
		if bytes.HasPrefix(data[j:], []byte("endstream")) {
			return data[i : i+n], j + len("endstream")
		}
	}
	k := bytes.Index(data[i:], []byte("endstream"))
	if k < 0 {
		return data[i:], len(data)
	}
	e := i + k
	if e > i && data[e-1] == '\n' {
		e--
	}
	if e > i && data[e-1] == '\r' {
		e--
	}
	return data[i:e], i + k + len("endstream")
}

func (s *security) skipStream(data []byte, i, n int) int {
	_, after := streamData(data, i, n)
	if k := bytes.Index(data[after:], []byte("endobj")); k >= 0 && k < 64 {
		return after + k + len("endobj")
	}
	return after
}
