package identify

import (
	"testing"
)

// FuzzFind holds Find to its promises on any text: no panic, every finding's Text at its
// Offset, identifiers valid and look-alikes not, no two findings overlapping, and every
// identifier's value read back by Parse as the same valid value.
func FuzzFind(f *testing.F) {
	f.Add("container CSQU3054383 IMO 9074729 MMSI 244123456")
	f.Add("IBAN: DE89 3704 0044 0532 0130 00, BIC: DEUTDEFF500\nTel. 0612345678")
	f.Add("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")
	f.Add("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed VIN 1M8GDM9AXKP042788 AWB 020-12345675")
	f.Add("from 2001:db8::1 and 192.0.2.1\f+44 20 7946 0958 jane@example.org")
	f.Fuzz(func(t *testing.T, text string) {
		r := Find(text, Options{Regions: []string{"NL", "CO"}, Pages: true, MaxFindings: 200})
		all := append(append([]Finding(nil), r.Identifiers...), r.LookAlikes...)
		if len(all) > 200 {
			t.Fatalf("%d findings over MaxFindings 200", len(all))
		}
		for i, a := range all {
			if a.Offset < 0 || a.Offset+len(a.Text) > len(text) || text[a.Offset:a.Offset+len(a.Text)] != a.Text {
				t.Fatalf("finding %+v not at its offset", a)
			}
			if a.Valid != (i < len(r.Identifiers)) || a.Valid != (a.Reason == "") {
				t.Fatalf("finding %+v in the wrong list", a)
			}
			for _, b := range all[i+1:] {
				if a.Offset < b.Offset+len(b.Text) && b.Offset < a.Offset+len(a.Text) {
					t.Fatalf("findings overlap: %+v and %+v", a, b)
				}
			}
			if !a.Valid {
				continue
			}
			p, err := Parse(a.Type, a.Value, "NL", "CO")
			if err != nil || p.Value != a.Value {
				t.Fatalf("Parse(%s, %q) = %q, %v; want the value back", a.Type, a.Value, p.Value, err)
			}
		}
	})
}

// FuzzParse: no panic on any value of any type, and a valid value is a fixed point.
func FuzzParse(f *testing.F) {
	for _, tc := range published {
		f.Add(uint8(0), tc.in)
	}
	f.Add(uint8(5), "+31 6 1234 5678")
	f.Fuzz(func(t *testing.T, ti uint8, s string) {
		typ := Types[int(ti)%len(Types)]
		p, err := Parse(typ, s, "GB")
		if err != nil {
			return
		}
		q, err := Parse(typ, p.Value, "GB")
		if err != nil || q.Value != p.Value {
			t.Fatalf("Parse(%s, %q) = %q, but Parse of that = %q, %v", typ, s, p.Value, q.Value, err)
		}
	})
}
