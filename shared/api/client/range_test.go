package client

import (
	"fmt"
	"testing"
)

func TestRangeFromOffset(t *testing.T) {
	for _, tc := range []struct {
		cr     string
		offset int64
		want   bool
	}{
		{"bytes 10-99/100", 10, true},
		{"bytes 99-99/100", 99, true},
		{"bytes 10-98/100", 10, false},  // ends early
		{"bytes 11-99/100", 10, false},  // another offset
		{"bytes 0-99/100", 0, false},    // no offset asked
		{"bytes 10-99/*", 10, false},    // size unknown
		{"bytes 010-99/100", 10, false}, // not written exactly
		{"bytes 10-99/100 ", 10, false},
		{"items 10-99/100", 10, false},
		{"", 10, false},
		{"bytes 100-99/100", 100, false},
	} {
		if got := rangeFromOffset(tc.cr, tc.offset); got != tc.want {
			t.Errorf("rangeFromOffset(%q, %d) = %v, want %v", tc.cr, tc.offset, got, tc.want)
		}
	}
}

// FuzzRangeFromOffset: a server's Content-Range never panics the client, and one accepted is
// the exact form for the offset.
func FuzzRangeFromOffset(f *testing.F) {
	f.Add("bytes 10-99/100", int64(10))
	f.Add("bytes -1--1/0", int64(-1))
	f.Add("bytes 9223372036854775807-9223372036854775806/9223372036854775807", int64(9223372036854775807))
	f.Fuzz(func(t *testing.T, cr string, offset int64) {
		if !rangeFromOffset(cr, offset) {
			return
		}
		var to, total int64
		if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", new(int64), &to, &total); err != nil || offset <= 0 || to != total-1 || offset > to {
			t.Fatalf("accepted %q for offset %d", cr, offset)
		}
	})
}
