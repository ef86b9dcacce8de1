package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// BodyError is a request body refused before its fields are read: not one JSON object of
// valid UTF-8 with each member named once. Offset is the byte at which the body went wrong.
type BodyError struct {
	Reason string
	Offset int64
}

func (e *BodyError) Error() string {
	return fmt.Sprintf("request body, at byte %d: %s", e.Offset, e.Reason)
}

// decodeStrict decodes raw into v as encoding/json does with DisallowUnknownFields, and
// first refuses what encoding/json would let through silently: bytes that are not UTF-8
// (it would read them as U+FFFD), a \u escape of a lone surrogate (the same), a member
// name given twice in one object (the last would win), and anything but white space after
// the first value (it would be ignored).
func decodeStrict(raw []byte, v any) error {
	if !utf8.Valid(raw) {
		off := 0
		for off < len(raw) {
			r, n := utf8.DecodeRune(raw[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return &BodyError{Reason: "not valid UTF-8", Offset: int64(off)}
	}
	if off, ok := loneSurrogate(raw); ok {
		return &BodyError{Reason: "a \\u escape names half of a UTF-16 surrogate pair, which is no character", Offset: int64(off)}
	}
	if err := checkMembers(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return &BodyError{Reason: "data after the JSON value; send exactly one JSON object", Offset: dec.InputOffset()}
	}
	return nil
}

// checkMembers walks raw's tokens and refuses a member name repeated within an object.
// A syntax error is left to the decoder, which says where it is.
func checkMembers(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		object bool
		names  map[string]bool
		key    bool // the next string of this object is a member name
	}
	var stack []*frame
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // end of the first value's tokens or a syntax error: the decoder's to report
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &frame{object: t == '{', names: map[string]bool{}, key: t == '{'})
				continue
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return nil
				}
				continue
			}
		case string:
			if top != nil && top.object && top.key {
				if top.names[t] {
					return &BodyError{Reason: fmt.Sprintf("member %q appears twice in one object", t), Offset: off}
				}
				top.names[t] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true // a value ends; the next string names a member
		}
		if len(stack) == 0 {
			return nil
		}
	}
}

// loneSurrogate finds a \u escape inside a JSON string naming a UTF-16 surrogate that is
// not part of a high-low pair.
func loneSurrogate(raw []byte) (int, bool) {
	in := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !in {
			if c == '"' {
				in = true
			}
			continue
		}
		switch c {
		case '"':
			in = false
		case '\\':
			if i+1 < len(raw) && raw[i+1] == 'u' {
				u, ok := hex4(raw, i+2)
				switch {
				case ok && u >= 0xd800 && u < 0xdc00:
					lo, ok2 := uint16(0), false
					if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
						lo, ok2 = hex4(raw, i+8)
					}
					if !ok2 || lo < 0xdc00 || lo > 0xdfff {
						return i, true
					}
					i += 11
					continue
				case ok && u >= 0xdc00 && u <= 0xdfff:
					return i, true
				}
			}
			i++ // skip the escaped character
		}
	}
	return 0, false
}

func hex4(b []byte, at int) (uint16, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var v uint16
	for _, c := range b[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}
