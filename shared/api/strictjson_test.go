package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evx-project/evx/shared/pipeline"
)

// What encoding/json lets through silently is refused, with the reason and where.
func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		reason     string // substring of the *BodyError's reason; "" means accepted
	}{
		{"plain", `{"accepted": true, "documents": []}`, ""},
		{"white space after", "{\"accepted\": true}\n\t ", ""},
		{"pair escape", `{"accepted": false, "reasons": ["\ud83d\ude00"]}`, ""},
		{"escaped backslash then u", `{"accepted": false, "reasons": ["\\ud800"]}`, ""},
		{"same name in sibling objects", `{"documents": [{"name": "a", "sha256": "x"}, {"name": "b", "sha256": "y"}]}`, ""},
		{"trailing object", `{"accepted": true}{"accepted": false}`, "data after the JSON value"},
		{"trailing garbage", `{"accepted": true} x`, "data after the JSON value"},
		{"duplicate key", `{"accepted": false, "accepted": true}`, `member "accepted" appears twice`},
		{"duplicate nested key", `{"documents": [{"name": "a", "name": "b", "sha256": "x"}]}`, `member "name" appears twice`},
		{"duplicate after nested", `{"documents": [], "reasons": ["x"], "documents": []}`, `member "documents" appears twice`},
		{"invalid utf-8", "{\"accepted\": false, \"reasons\": [\"\xff\xfe\"]}", "not valid UTF-8"},
		{"invalid utf-8 in a name", "{\"accepted\xc3\": true}", "not valid UTF-8"},
		{"lone high surrogate", `{"accepted": false, "reasons": ["\ud800x"]}`, "surrogate"},
		{"lone low surrogate", `{"accepted": false, "reasons": ["\udc00"]}`, "surrogate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req pipeline.ReceiptRequest
			err := decodeStrict([]byte(tc.body), &req)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("decodeStrict(%q) = %v, want nil", tc.body, err)
				}
				return
			}
			var be *BodyError
			if !errors.As(err, &be) || !strings.Contains(be.Reason, tc.reason) {
				t.Fatalf("decodeStrict(%q) = %v, want a *BodyError saying %q", tc.body, err, tc.reason)
			}
		})
	}
}

// FuzzDecodeStrict: never a panic; whatever is accepted is one JSON value that
// encoding/json reads the same way.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{`{"accepted": true}`, `{"a":1,"a":2}`, `{} {}`, "\"\xff\"", `"\ud800"`, `[{"x":[{"x":1}]}]`, `{"a":{"b":1},"b":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if err := decodeStrict(b, &v); err != nil {
			return
		}
		if !json.Valid(b) || !utf8.Valid(b) {
			t.Fatalf("decodeStrict accepted %q, which is not one JSON value of UTF-8 text", b)
		}
	})
}
