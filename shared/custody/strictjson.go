package custody

import (
	"bytes"
	"errors"
	"fmt"
)

// checkMemberNames scans JSON text and refuses member names that are not plain lowercase
// ([a-z0-9_]+) and names repeated within one object. encoding/json matches names without
// regard to case (and Unicode folding: "\u212Aey_id" reads as "key_id") and lets a repeated
// name overwrite the first; a trail that a person's JSON viewer and the verifier would read
// differently must not verify. Every name in a trail is plain lowercase, so this loses nothing.
//
// The scan relies on encoding/json for validity; on malformed input it may return nil.
func checkMemberNames(data []byte) error {
	_, err := scanJSON(data)
	return err
}

// trailLayout locates, in a trail's text, the array of the top-level "events" member and each
// of its elements, so that the events can be decoded apart, on every core.
type trailLayout struct {
	events [2]int   // offsets of '[' and ']'; zero when there is no "events" member
	elems  [][2]int // each element's first and last byte
}

// scanJSON checks member names (see checkMemberNames) and returns the trail layout. Elements
// of "events" must be objects.
func scanJSON(data []byte) (trailLayout, error) {
	type frame struct {
		obj       bool
		expectKey bool
		names     int  // where the object's member names start in names
		events    bool // the top-level "events" array
		afterElem bool // in events: an element was read, a comma or ']' comes next
	}
	var lay trailLayout
	var stack []frame
	var names [][]byte // member names of the objects open on the stack, outermost first
	for i := 0; i < len(data); i++ {
		c := data[i]
		if n := len(stack); n > 0 && stack[n-1].events {
			// Directly inside the events array: objects separated by single commas.
			f := &stack[n-1]
			switch {
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			case c == ',' && f.afterElem:
				f.afterElem = false
			case c == '{' && !f.afterElem:
				f.afterElem = true // set before the element is scanned; checked when it closes
			case c == ']' && (f.afterElem || len(lay.elems) == 0):
			default:
				return lay, fmt.Errorf("events[%d]: want an object, then a comma or the end of the array", len(lay.elems))
			}
		}
		switch c {
		case '{':
			if n := len(stack); n > 0 && stack[n-1].events {
				lay.elems = append(lay.elems, [2]int{i, -1})
			}
			stack = append(stack, frame{obj: true, expectKey: true, names: len(names)})
		case '[':
			f := frame{names: len(names)}
			if n := len(stack); n == 1 && stack[0].obj && !stack[0].expectKey && len(names) > 0 &&
				string(names[len(names)-1]) == "events" {
				f.events = true
				lay.events[0] = i
			}
			stack = append(stack, f)
		case '}', ']':
			if len(stack) == 0 {
				return lay, nil
			}
			if stack[len(stack)-1].events {
				lay.events[1] = i
			}
			names = names[:stack[len(stack)-1].names]
			stack = stack[:len(stack)-1]
			if n := len(stack); n > 0 && stack[n-1].events && c == '}' {
				lay.elems[len(lay.elems)-1][1] = i
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].obj {
				stack[n-1].expectKey = true
			}
		case '"':
			j := i + 1
			// Most strings hold no escape: find the closing quote with IndexByte.
			if k := bytes.IndexByte(data[j:], '"'); k >= 0 && bytes.IndexByte(data[j:j+k], '\\') < 0 {
				j += k
			} else {
				for j < len(data) && data[j] != '"' {
					if data[j] == '\\' {
						j++
					}
					j++
				}
			}
			if j >= len(data) {
				return lay, nil
			}
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
				f := &stack[n-1]
				name := data[i+1 : j]
				if !plainName(name) {
					return lay, fmt.Errorf("member name %q: names are plain lowercase [a-z0-9_]", name)
				}
				for _, prev := range names[f.names:] {
					if bytes.Equal(prev, name) {
						return lay, fmt.Errorf("member name %q repeated in one object", name)
					}
				}
				names = append(names, name)
				f.expectKey = false
			}
			i = j
		}
	}
	return lay, nil
}

func plainName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

var errNoEvents = errors.New("trail has no events")
