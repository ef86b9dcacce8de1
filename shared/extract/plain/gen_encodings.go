//go:build ignore

// gen_encodings writes the encoding corpus in testdata/encodings: texts that translators
// and authors wrote (the message catalogues of Debian's apt and coreutils in
// /usr/share/locale, and the literary samples golang.org/x/text ships in
// encoding/testdata), each written in the legacy encodings of its language by iconv, the
// reference encoder. For each sample NAME it writes NAME.utf-8 (the text) and NAME.ENC for
// each encoding; samples named *-short are a single message, under 200 characters.
//
// Run with: go generate ./shared/extract/plain (needs iconv and the locale files).
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// iconvName maps the detector's encoding names to iconv's; check encodes with x/text to
// choose messages every encoding of a language can hold.
var iconvName = map[string]string{
	"windows-1250": "CP1250", "iso-8859-2": "ISO-8859-2", "windows-1251": "CP1251", "koi8-r": "KOI8-R",
	"ibm866": "CP866", "iso-8859-5": "ISO-8859-5", "windows-1252": "CP1252", "windows-1253": "CP1253",
	"iso-8859-7": "ISO-8859-7", "windows-1254": "CP1254", "shift_jis": "SHIFT_JIS", "euc-jp": "EUC-JP",
	"iso-2022-jp": "ISO-2022-JP", "gb18030": "GB18030", "euc-kr": "EUC-KR", "big5": "BIG5",
	"utf-16le": "UTF-16LE", "utf-16be": "UTF-16BE",
}

var check = map[string]encoding.Encoding{
	"windows-1250": charmap.Windows1250, "iso-8859-2": charmap.ISO8859_2, "windows-1251": charmap.Windows1251,
	"koi8-r": charmap.KOI8R, "ibm866": charmap.CodePage866, "iso-8859-5": charmap.ISO8859_5,
	"windows-1252": charmap.Windows1252, "windows-1253": charmap.Windows1253, "iso-8859-7": charmap.ISO8859_7,
	"windows-1254": charmap.Windows1254, "shift_jis": japanese.ShiftJIS, "euc-jp": japanese.EUCJP,
	"iso-2022-jp": japanese.ISO2022JP, "gb18030": simplifiedchinese.GB18030, "euc-kr": korean.EUCKR,
	"big5": traditionalchinese.Big5, "utf-16le": unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	"utf-16be": unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
}

type sample struct {
	name   string
	locale string // a folder of /usr/share/locale, or "" for a file of x/text's testdata
	file   string
	encs   []string
}

var samples = []sample{
	{"ru-apt", "ru", "", []string{"windows-1251", "koi8-r", "ibm866", "iso-8859-5", "utf-16le", "utf-16be"}},
	{"ru-coreutils", "ru", "coreutils.mo", []string{"windows-1251", "koi8-r", "ibm866"}},
	{"uk-apt", "uk", "", []string{"windows-1251"}},
	{"bg-apt", "bg", "", []string{"windows-1251"}},
	{"cs-apt", "cs", "", []string{"windows-1250", "iso-8859-2"}},
	{"pl-apt", "pl", "", []string{"windows-1250", "iso-8859-2"}},
	{"hu-apt", "hu", "", []string{"windows-1250", "iso-8859-2"}},
	{"sk-apt", "sk", "", []string{"windows-1250", "iso-8859-2"}},
	{"hr-coreutils", "hr", "coreutils.mo", []string{"windows-1250"}},
	{"sl-apt", "sl", "", []string{"windows-1250", "iso-8859-2"}},
	{"de-apt", "de", "", []string{"windows-1252", "utf-16le"}},
	{"fr-apt", "fr", "", []string{"windows-1252"}},
	{"es-apt", "es", "", []string{"windows-1252"}},
	{"pt-apt", "pt", "", []string{"windows-1252"}},
	{"it-apt", "it", "", []string{"windows-1252"}},
	{"el-apt", "el", "", []string{"windows-1253", "iso-8859-7"}},
	{"tr-apt", "tr", "", []string{"windows-1254"}},
	{"ja-apt", "ja", "", []string{"shift_jis", "euc-jp", "iso-2022-jp", "utf-16le"}},
	{"zh-apt", "zh_CN", "", []string{"gb18030", "utf-16le"}},
	{"zh-tw-apt", "zh_TW", "", []string{"big5"}},
	{"ko-apt", "ko", "", []string{"euc-kr", "utf-16be"}},
	{"ja-rashomon", "", "rashomon-utf-8.txt", []string{"shift_jis", "euc-jp", "iso-2022-jp"}},
	{"zh-sunzi", "", "sunzi-bingfa-simplified-utf-8.txt", []string{"gb18030"}},
	{"zh-tw-sunzi", "", "sunzi-bingfa-traditional-utf-8.txt", []string{"big5"}},
	{"ko-unsu", "", "unsu-joh-eun-nal-utf-8.txt", []string{"euc-kr"}},
	{"fr-candide", "", "candide-utf-8.txt", []string{"windows-1252"}},
}

func main() {
	dir := filepath.Join("testdata", "encodings")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	xtext := moduleDir("golang.org/x/text")
	for _, s := range samples {
		var msgs []string
		if s.locale != "" {
			file := s.file
			if file == "" {
				file = "apt.mo"
			}
			msgs = moMessages(filepath.Join("/usr/share/locale", s.locale, "LC_MESSAGES", file))
		} else {
			b, err := os.ReadFile(filepath.Join(xtext, "encoding", "testdata", s.file))
			if err != nil {
				log.Fatal(err)
			}
			msgs = strings.Split(string(b), "\n")
		}
		long := pick(msgs, s.encs, 30, 900)
		write(dir, s.name, long, s.encs)
		if s.locale != "" {
			write(dir, s.name+"-short", pick(msgs, s.encs, 40, 1), s.encs)
		}
	}
}

// pick joins messages that every encoding can hold, each at least minLen bytes and with
// a non-ASCII letter, until the text has total characters.
func pick(msgs, encs []string, minLen, total int) string {
	var b strings.Builder
	for _, m := range msgs {
		m = strings.TrimSpace(m)
		if len(m) < minLen || strings.ContainsAny(m, "\t\x00\\~") || !hasNonASCII(m) || !encodable(m, encs) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m)
		if utf8.RuneCountInString(b.String()) >= total {
			break
		}
	}
	return b.String() + "\n"
}

func hasNonASCII(s string) bool {
	for _, r := range s {
		if r >= 0x80 {
			return true
		}
	}
	return false
}

func encodable(s string, encs []string) bool {
	for _, e := range encs {
		if _, err := check[e].NewEncoder().String(s); err != nil {
			return false
		}
	}
	return true
}

func write(dir, name, text string, encs []string) {
	if strings.TrimSpace(text) == "" {
		log.Printf("%s: no message fits", name)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".utf-8"), []byte(text), 0o644); err != nil {
		log.Fatal(err)
	}
	for _, e := range encs {
		out, err := iconv("UTF-8", iconvName[e], []byte(text))
		if err != nil {
			log.Fatalf("%s %s: %v", name, e, err)
		}
		back, err := iconv(iconvName[e], "UTF-8", out)
		if err != nil || !bytes.Equal(back, []byte(text)) {
			log.Printf("%s %s: iconv does not read back its own output; skipped", name, e)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name+"."+e), out, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func iconv(from, to string, in []byte) ([]byte, error) {
	cmd := exec.Command("iconv", "-f", from, "-t", to)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("iconv -f %s -t %s: %v: %s", from, to, err, stderr.String())
	}
	return out, nil
}

// moMessages reads the translations of a GNU gettext .mo catalogue.
func moMessages(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(b) == 0x950412de {
		bo = binary.BigEndian
	}
	n := int(bo.Uint32(b[8:]))
	trans := int(bo.Uint32(b[16:]))
	var out []string
	for i := 1; i < n; i++ { // entry 0 is the header
		l := int(bo.Uint32(b[trans+8*i:]))
		off := int(bo.Uint32(b[trans+8*i+4:]))
		if off+l > len(b) {
			continue
		}
		for _, m := range strings.Split(string(b[off:off+l]), "\x00") { // plural forms
			for _, line := range strings.Split(m, "\n") {
				if utf8.ValidString(line) {
					out = append(out, line)
				}
			}
		}
	}
	return out
}

func moduleDir(path string) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		log.Fatalf("go list %s: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}
