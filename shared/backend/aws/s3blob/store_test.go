package s3blob

import (
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	good := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		sum  string
		want string // "" for an error
	}{
		{good, "evidence/" + good},
		{"", ""},
		{good[:63], ""},
		{good + "0", ""},
		{strings.ToUpper(good), ""},
		{"../../" + good[6:], ""},
		{good[:63] + "g", ""},
	} {
		got, err := Key(tc.sum)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Key(%q) = %q, want an error", tc.sum, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Key(%q) = %q, %v, want %q", tc.sum, got, err, tc.want)
		}
	}
}
