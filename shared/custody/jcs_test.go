package custody

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"testing"
)

// The examples below are RFC 8785's own: section 3.2.2 (primitive data types), section 3.2.3
// (sorting of property names) and Appendix B (number serialization samples).

func TestCanonicalizeRFC8785Examples(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "section 3.2.2 primitives",
			in: `{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			name: "section 3.2.3 sorting",
			in: `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{name: "nested and empty", in: ` { "b" : [ {}, [] , { "z":1,"a":2 } ], "a": "" } `, want: `{"a":"","b":[{},[],{"a":2,"z":1}]}`},
		{name: "controls", in: `"\u0000\u001f\b\f\t"`, want: `"\u0000\u001f\b\f\t"`},
		{name: "no escaping of non-ascii or slash", in: `"\u2028/<>&é"`, want: "\"\u2028/<>&é\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("Canonicalize = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCanonicalNumberAppendixB(t *testing.T) {
	tests := []struct{ ieee, want string }{
		{"0000000000000000", "0"},
		{"8000000000000000", "0"},
		{"0000000000000001", "5e-324"},
		{"8000000000000001", "-5e-324"},
		{"7fefffffffffffff", "1.7976931348623157e+308"},
		{"ffefffffffffffff", "-1.7976931348623157e+308"},
		{"4340000000000000", "9007199254740992"},
		{"c340000000000000", "-9007199254740992"},
		{"4430000000000000", "295147905179352830000"},
		{"44b52d02c7e14af5", "9.999999999999997e+22"},
		{"44b52d02c7e14af6", "1e+23"},
		{"44b52d02c7e14af7", "1.0000000000000001e+23"},
		{"444b1ae4d6e2ef4e", "999999999999999700000"},
		{"444b1ae4d6e2ef4f", "999999999999999900000"},
		{"444b1ae4d6e2ef50", "1e+21"},
		{"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
		{"3eb0c6f7a0b5ed8d", "0.000001"},
		{"41b3de4355555553", "333333333.3333332"},
		{"41b3de4355555554", "333333333.33333325"},
		{"41b3de4355555555", "333333333.3333333"},
		{"41b3de4355555556", "333333333.3333334"},
		{"41b3de4355555557", "333333333.33333343"},
		{"becbf647612f3696", "-0.0000033333333333333333"},
		{"43143ff3c1cb0959", "1424953923781206.2"},
	}
	for _, tc := range tests {
		b, _ := hex.DecodeString(tc.ieee)
		f := math.Float64frombits(binary.BigEndian.Uint64(b))
		got, err := appendCanonicalNumber(nil, f)
		if err != nil {
			t.Errorf("appendCanonicalNumber(%s): %v", tc.ieee, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("appendCanonicalNumber(%s) = %s, want %s", tc.ieee, got, tc.want)
		}
	}
	for _, bad := range []string{"7fffffffffffffff", "7ff0000000000000"} {
		b, _ := hex.DecodeString(bad)
		if got, err := appendCanonicalNumber(nil, math.Float64frombits(binary.BigEndian.Uint64(b))); err == nil {
			t.Errorf("appendCanonicalNumber(%s) = %s, want error (NaN/Infinity)", bad, got)
		}
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"a":2}`, // duplicate names (I-JSON)
		`{"a":1} x`,     // trailing data
		"\"\xff\"",      // invalid UTF-8
		`1e400`,         // beyond a double
		`[`,
		`{"a"}`,
	} {
		if got, err := Canonicalize([]byte(in)); err == nil {
			t.Errorf("Canonicalize(%q) = %s, want error", in, got)
		}
	}
	deep := make([]byte, 0, 200)
	for i := 0; i < 100; i++ {
		deep = append(deep, '[')
	}
	if _, err := Canonicalize(deep); err == nil {
		t.Errorf("Canonicalize(100 nested arrays): want error")
	}
}
