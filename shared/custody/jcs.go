package custody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting Canonicalize accepts, so hostile input cannot exhaust the stack.
const maxJSONDepth = 64

// Canonicalize returns the RFC 8785 (JSON Canonicalization Scheme) form of the JSON text in:
// no insignificant whitespace, object members sorted by the UTF-16 code units of their names,
// strings escaped as ECMAScript's JSON.stringify escapes them, and numbers written as
// ECMAScript writes an IEEE 754 double. Input must be I-JSON: valid UTF-8, no duplicate member
// names, no number beyond the range of a double.
func Canonicalize(in []byte) ([]byte, error) {
	if !utf8.Valid(in) {
		return nil, errors.New("canonical json: input is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	var out []byte
	out, err := canonValue(dec, out, 0)
	if err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("canonical json: data after the top-level value")
	}
	return out, nil
}

func canonValue(dec *json.Decoder, out []byte, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("nesting deeper than %d", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case nil:
		return append(out, "null"...), nil
	case bool:
		return strconv.AppendBool(out, v), nil
	case string:
		return appendCanonicalString(out, v), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", v, err)
		}
		return appendCanonicalNumber(out, f)
	case json.Delim:
		switch v {
		case '[':
			out = append(out, '[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out = append(out, ',')
				}
				if out, err = canonValue(dec, out, depth+1); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return append(out, ']'), nil
		case '{':
			type member struct {
				key   []uint16
				value []byte
			}
			var members []member
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				m := member{key: utf16.Encode([]rune(k))}
				m.value = appendCanonicalString(nil, k)
				m.value = append(m.value, ':')
				if m.value, err = canonValue(dec, m.value, depth+1); err != nil {
					return nil, err
				}
				members = append(members, m)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			slices.SortFunc(members, func(a, b member) int { return slices.Compare(a.key, b.key) })
			out = append(out, '{')
			for i, m := range members {
				if i > 0 {
					if slices.Equal(members[i-1].key, m.key) {
						return nil, fmt.Errorf("duplicate member name %q", string(utf16.Decode(m.key)))
					}
					out = append(out, ',')
				}
				out = append(out, m.value...)
			}
			return append(out, '}'), nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// appendCanonicalString writes s as a JSON string the way RFC 8785 section 3.2.2.2 (and
// ECMAScript's JSON.stringify) does: '"' and '\' escaped, the controls U+0008, U+0009, U+000A,
// U+000C, U+000D as \b \t \n \f \r, other controls below U+0020 as \u00xx (lowercase hex),
// everything else as its UTF-8 bytes. s must be valid UTF-8.
func appendCanonicalString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c == '\b':
			out = append(out, '\\', 'b')
		case c == '\t':
			out = append(out, '\\', 't')
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\f':
			out = append(out, '\\', 'f')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}

// appendCanonicalNumber writes f as ECMAScript's Number.prototype.toString does (RFC 8785
// section 3.2.2.3): the shortest digits that round-trip; plain notation for 1e-7 <= |f| < 1e21,
// exponent notation ("1e+21", "1e-7") outside; negative zero as 0. NaN and infinities are errors.
func appendCanonicalNumber(out []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %v has no JSON form", f)
	}
	if f == 0 {
		return append(out, '0'), nil
	}
	if f < 0 {
		out = append(out, '-')
		f = -f
	}
	// 'e' with precision -1 gives the shortest round-tripping digits: d.ddde±xx.
	e := strconv.AppendFloat(nil, f, 'e', -1, 64)
	mant, exp, _ := bytes.Cut(e, []byte("e"))
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	x, _ := strconv.Atoi(string(exp))
	k, n := len(digits), x+1 // ECMAScript: value = digits × 10^(n-k)
	switch {
	case k <= n && n <= 21:
		out = append(out, digits...)
		for i := 0; i < n-k; i++ {
			out = append(out, '0')
		}
	case 0 < n && n <= 21:
		out = append(out, digits[:n]...)
		out = append(out, '.')
		out = append(out, digits[n:]...)
	case -6 < n && n <= 0:
		out = append(out, '0', '.')
		for i := 0; i < -n; i++ {
			out = append(out, '0')
		}
		out = append(out, digits...)
	default:
		out = append(out, digits[0])
		if k > 1 {
			out = append(out, '.')
			out = append(out, digits[1:]...)
		}
		out = append(out, 'e')
		if n-1 >= 0 {
			out = append(out, '+')
		}
		out = strconv.AppendInt(out, int64(n-1), 10)
	}
	return out, nil
}
