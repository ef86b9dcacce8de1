package identify

import (
	"regexp"
	"strings"
)

// phoneRE finds digit runs with the separators people write in phone numbers; the run
// must hold 7 to 15 digits (E.164's maximum).
var phoneRE = regexp.MustCompile(`(?:\+|\b00)?\(?[0-9][0-9 \x{00a0}().-]{5,22}[0-9]`)

// phoneLabel: a national-format number is read only after one of these (English, Spanish,
// Portuguese, French, Dutch, German, Italian, and the chat services).
var phoneLabel = labelRE(`tel`, `cel`, `celu`, `tél`, `telephone`, `téléphone`, `phone`, `mobile`, `mob`, `cell`,
	`cellphone`, `gsm`, `fax`, `call`, `called`, `whatsapp`, `signal`, `telegram`, `sms`, `número`,
	`numero`, `teléfono`, `telefono`, `telefone`, `tlf`, `tfno`, `celular`, `móvil`, `movil`, `telefoon`,
	`mobiel`, `handy`, `telefon`, `rufnummer`, `portable`, `contact`)

// phoneRegion is tried for "+" numbers, where the region does not matter.
const phoneRegion = "ZZ"

func scanPhone(text string, opt Options, n int) []Finding {
	if !phoneChecks {
		return nil
	}
	return each(text, phoneRE, n, func(m []int) (Finding, bool) {
		start, end := m[0], m[1]
		raw := text[start:end]
		if !phoneBoundary(text, start, end) {
			return Finding{}, false
		}
		// Unbalanced brackets belong to the text around, not to the number.
		if strings.Count(raw, "(") != strings.Count(raw, ")") {
			return Finding{}, false
		}
		digits := 0
		for i := 0; i < len(raw); i++ {
			if '0' <= raw[i] && raw[i] <= '9' {
				digits++
			}
		}
		if digits < 7 || digits > 15 {
			return Finding{}, false
		}
		international := strings.HasPrefix(raw, "+") || strings.HasPrefix(raw, "00")
		if !international && (len(opt.Regions) == 0 || !labelled(text, start, phoneLabel)) {
			return Finding{}, false
		}
		v, ok := checkPhone(raw, opt.Regions)
		if !ok {
			if !international {
				return Finding{}, false
			}
			return finding(Phone, text, start, end, squeeze(raw), CheckNone, "not a valid number in any numbering plan"), true
		}
		return finding(Phone, text, start, end, v, CheckNone, ""), true
	})
}

// phoneBoundary: no word, "+", "/" or digit-joining punctuation before the number (dates,
// decimals, references), and nothing after it that continues it with digits.
func phoneBoundary(text string, start, end int) bool {
	if !boundary(text, start, end, "") {
		return false
	}
	if start > 0 && strings.IndexByte("+./-,", text[start-1]) >= 0 {
		return false
	}
	if end+1 < len(text) && strings.IndexByte("./-,", text[end]) >= 0 && '0' <= text[end+1] && text[end+1] <= '9' {
		return false
	}
	return true
}
