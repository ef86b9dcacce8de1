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
	type frame struct {
		obj       bool
		expectKey bool
		names     [][]byte
	}
	var stack []frame
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, frame{obj: true, expectKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) == 0 {
				return nil
			}
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].obj {
				stack[n-1].expectKey = true
			}
		case '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(data) {
				return nil
			}
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
				f := &stack[n-1]
				name := data[i+1 : j]
				if !plainName(name) {
					return fmt.Errorf("member name %q: names are plain lowercase [a-z0-9_]", name)
				}
				for _, prev := range f.names {
					if bytes.Equal(prev, name) {
						return fmt.Errorf("member name %q repeated in one object", name)
					}
				}
				f.names = append(f.names, name)
				f.expectKey = false
			}
			i = j
		}
	}
	return nil
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
