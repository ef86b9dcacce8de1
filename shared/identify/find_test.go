package identify

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

type want struct {
	typ   Type
	value string
	text  string
}

func TestFind(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		regions []string
		ids     []want
		looks   []want
	}{
		{"container-in-sentence", "Seized from container CSQU3054383, sealed.", nil,
			[]want{{Container, "CSQU3054383", "CSQU3054383"}}, nil},
		{"container-hyphen-form", "Ctr: CSQU 305438-3", nil,
			[]want{{Container, "CSQU3054383", "CSQU 305438-3"}}, nil},
		{"container-wrong-digit-apart", "container CSQU3054384 (OCR?)", nil,
			nil, []want{{Container, "CSQU3054384", "CSQU3054384"}}},
		{"container-glued-to-word", "refXCSQU3054383 and CSQU30543831", nil, nil, nil},
		{"container-lowercase-ignored", "csqu3054383", nil, nil, nil},
		{"imo-needs-label", "vessel 9074729 and IMO No. 9074729", nil,
			[]want{{IMO, "9074729", "IMO No. 9074729"}}, nil},
		{"mmsi-needs-label", "244123456 / MMSI 244123456 / MMSI 199123456", nil,
			[]want{{MMSI, "244123456", "MMSI 244123456"}}, []want{{MMSI, "199123456", "MMSI 199123456"}}},
		{"iban-paper-and-electronic", "IBAN DE89 3704 0044 0532 0130 00 EUR\nNL91ABNA0417164300.", nil,
			[]want{{IBAN, "DE89370400440532013000", "DE89 3704 0044 0532 0130 00"}, {IBAN, "NL91ABNA0417164300", "NL91ABNA0417164300"}}, nil},
		{"iban-bad-mod97", "IBAN: GB82 WEST 1234 5698 7654 33", nil,
			nil, []want{{IBAN, "GB82WEST12345698765433", "GB82 WEST 1234 5698 7654 33"}}},
		{"iban-too-long-labelled", "IBAN: DE893704004405320130001", nil,
			nil, []want{{IBAN, "DE893704004405320130001", "DE893704004405320130001"}}},
		{"iban-too-long-unlabelled", "ref DE893704004405320130001", nil, nil, nil},
		{"bic-needs-label", "DOCUMENTS DEUTDEFF; SWIFT/BIC: DEUTDEFF500", nil,
			[]want{{BIC, "DEUTDEFF500", "DEUTDEFF500"}}, nil},
		{"bic-label-vouches-once", "BIC: DEUTDEFF, Bank: COMMERZBANK", nil,
			[]want{{BIC, "DEUTDEFF", "DEUTDEFF"}}, nil},
		{"phone-international", "Call me on +44 20 7946 0958.", nil,
			[]want{{Phone, "+442079460958", "+44 20 7946 0958"}}, nil},
		{"phone-national-needs-label-and-region", "Tel. 020 7946 0958; ref 020 7946 0958", []string{"GB"},
			[]want{{Phone, "+442079460958", "020 7946 0958"}}, nil},
		{"phone-national-without-region", "Tel. 020 7946 0958", nil, nil, nil},
		{"phone-second-region", "mobile: 0612345678", []string{"GB", "NL"},
			[]want{{Phone, "+31612345678", "0612345678"}}, nil},
		{"phone-not-a-date", "Tel: 12.03.2024 and 12/03/2024", []string{"NL"}, nil, nil},
		{"email-sentence-end", "Write to Jane.Roe@Example.org.", nil,
			[]want{{Email, "jane.roe@example.org", "Jane.Roe@Example.org"}}, nil},
		{"email-bad-dots-apart", "from john..doe@example.com", nil,
			nil, []want{{Email, "john..doe@example.com", "john..doe@example.com"}}},
		{"bitcoin-both", "pay 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa or bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", nil,
			[]want{{Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ""}, {Bitcoin, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ""}}, nil},
		{"bitcoin-bad-checksum-apart", "to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", nil,
			nil, []want{{Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", ""}}},
		{"bitcoin-plain-word-ignored", "1Password is a product; 3DSecureAuthenticationProcess", nil, nil, nil},
		{"ethereum", "wallet 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed and 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", nil,
			[]want{{Ethereum, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}},
			[]want{{Ethereum, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"}}},
		{"ethereum-longer-hex-ignored", "hash 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00", nil, nil, nil},
		{"vin-north-american", "1M8GDM9AXKP042788 was seen", nil,
			[]want{{VIN, "1M8GDM9AXKP042788", "1M8GDM9AXKP042788"}}, nil},
		{"vin-european-needs-label", "WVWZZZ1JZXW000001; VIN: WVWZZZ1JZXW000001", nil,
			[]want{{VIN, "WVWZZZ1JZXW000001", "WVWZZZ1JZXW000001"}}, nil},
		{"vin-na-wrong-apart", "VIN 1M8GDM9A9KP042788", nil,
			nil, []want{{VIN, "1M8GDM9A9KP042788", "1M8GDM9A9KP042788"}}},
		{"awb-needs-label", "020-12345675; AWB 020-12345675; MAWB: 020-12345676", nil,
			[]want{{AirWaybill, "020-12345675", "020-12345675"}}, []want{{AirWaybill, "020-12345676", "020-12345676"}}},
		{"ipv4", "login from 203.0.113.7, version 1.2.3.4.5, 10.0.0.300", nil,
			[]want{{IPv4, "203.0.113.7", "203.0.113.7"}}, []want{{IPv4, "10.0.0.300", "10.0.0.300"}}},
		{"ipv6-not-times-or-macs", "at 12:30:45, MAC 00:1A:2B:3C:4D:5E, from 2001:DB8::7", nil,
			[]want{{IPv6, "2001:db8::7", "2001:DB8::7"}}, nil},
		{"overlap-valid-wins", "Tel +31 20 123 4567 IBAN NL91ABNA0417164300", []string{"NL"},
			[]want{{Phone, "+31201234567", "+31 20 123 4567"}, {IBAN, "NL91ABNA0417164300", "NL91ABNA0417164300"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Find(tc.text, Options{Regions: tc.regions})
			compare(t, "identifiers", tc.text, r.Identifiers, tc.ids)
			compare(t, "look-alikes", tc.text, r.LookAlikes, tc.looks)
			for _, f := range r.Identifiers {
				if !f.Valid || f.Reason != "" {
					t.Errorf("identifier %+v is not valid or has a reason", f)
				}
			}
			for _, f := range r.LookAlikes {
				if f.Valid || f.Reason == "" {
					t.Errorf("look-alike %+v is valid or has no reason", f)
				}
			}
		})
	}
}

func compare(t *testing.T, what, text string, got []Finding, want []want) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Find(%q) %s = %s, want %d: %v", text, what, show(got), len(want), want)
	}
	for i, w := range want {
		g := got[i]
		if g.Type != w.typ || g.Value != w.value || w.text != "" && g.Text != w.text {
			t.Errorf("Find(%q) %s[%d] = %s %q %q, want %s %q %q", text, what, i, g.Type, g.Value, g.Text, w.typ, w.value, w.text)
		}
		if text[g.Offset:g.Offset+len(g.Text)] != g.Text {
			t.Errorf("finding %+v: text at offset is %q", g, text[g.Offset:g.Offset+len(g.Text)])
		}
	}
}

func show(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "[%s %q %q %s] ", f.Type, f.Value, f.Text, f.Reason)
	}
	return b.String()
}

func TestFindPagesAndPart(t *testing.T) {
	text := "page one\fpage two CSQU3054383\f\fpage four IMO 9074729"
	r := Find(text, Options{Pages: true, Part: "data/report.pdf"})
	if len(r.Identifiers) != 2 {
		t.Fatalf("Find = %s, want 2 identifiers", show(r.Identifiers))
	}
	if p := r.Identifiers[0].Page; p != 2 {
		t.Errorf("container page = %d, want 2", p)
	}
	if p := r.Identifiers[1].Page; p != 4 {
		t.Errorf("IMO page = %d, want 4", p)
	}
	for _, f := range r.Identifiers {
		if f.Part != "data/report.pdf" {
			t.Errorf("part = %q, want data/report.pdf", f.Part)
		}
	}
	if r := Find(text, Options{}); r.Identifiers[0].Page != 0 {
		t.Errorf("page without Options.Pages = %d, want 0", r.Identifiers[0].Page)
	}
}

func TestFindLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 50; i++ {
		b.WriteString("CSQU3054383 ")
	}
	text := b.String()
	r := Find(text, Options{MaxFindings: 10})
	if len(r.Identifiers) != 10 || !r.Partial || !strings.Contains(r.Stop, "findings limit 10") {
		t.Fatalf("MaxFindings 10: %d identifiers, partial %v, stop %q", len(r.Identifiers), r.Partial, r.Stop)
	}
	r = Find(text, Options{MaxInput: 12*3 + 5})
	if len(r.Identifiers) != 3 || !r.Partial || !strings.Contains(r.Stop, "input limit") {
		t.Fatalf("MaxInput: %d identifiers, partial %v, stop %q", len(r.Identifiers), r.Partial, r.Stop)
	}
	// The cut never splits a rune.
	r = Find("ééé CSQU3054383", Options{MaxInput: 3})
	if !r.Partial || len(r.Identifiers) != 0 {
		t.Fatalf("MaxInput 3 in UTF-8: %+v", r)
	}
	if r := Find(text, Options{}); r.Partial || len(r.Identifiers) != 50 {
		t.Fatalf("defaults: %d identifiers, partial %v", len(r.Identifiers), r.Partial)
	}
}

func TestFindParts(t *testing.T) {
	parts := []Part{
		{Name: "text", Text: "CSQU3054383\fIMO 9074729", Pages: true},
		{Name: "from", Text: "Jane Roe <jane.roe@example.org>"},
	}
	r := FindParts(parts, Options{})
	if len(r.Identifiers) != 3 || r.Identifiers[2].Part != "from" || r.Identifiers[1].Page != 2 || r.Identifiers[2].Page != 0 {
		t.Fatalf("FindParts = %s", show(r.Identifiers))
	}
	r = FindParts(parts, Options{MaxFindings: 2})
	if len(r.Identifiers) != 2 || !r.Partial {
		t.Fatalf("FindParts MaxFindings 2 = %s partial %v", show(r.Identifiers), r.Partial)
	}
	r = FindParts(parts, Options{MaxInput: len(parts[0].Text)})
	if len(r.Identifiers) != 2 || !r.Partial {
		t.Fatalf("FindParts MaxInput = %s partial %v", show(r.Identifiers), r.Partial)
	}
}

func TestFromRecord(t *testing.T) {
	rec := []byte(`{"media_type":"message/rfc822","size":10,"meta":{"from":"Jane <jane.roe@example.org>","to":["a@example.com","b@example.com"]},"text":"Container CSQU3054383\fIBAN NL91ABNA0417164300"}`)
	r, err := FromRecord(rec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := show(r.Identifiers)
	for _, w := range []string{`"CSQU3054383"`, `"NL91ABNA0417164300"`, `"jane.roe@example.org"`, `"a@example.com"`, `"b@example.com"`} {
		if !strings.Contains(got, w) {
			t.Errorf("FromRecord = %s, missing %s", got, w)
		}
	}
	if r.Identifiers[1].Page != 2 {
		t.Errorf("IBAN page = %d, want 2", r.Identifiers[1].Page)
	}
	// The record of an unreadable document has no text.
	r, err = FromRecord([]byte(`{"media_type":"application/octet-stream","size":3,"error":"unreadable"}`), Options{})
	if err != nil || len(r.Identifiers)+len(r.LookAlikes) != 0 {
		t.Fatalf("FromRecord(unreadable) = %+v, %v", r, err)
	}
	var re *RecordError
	if _, err := FromRecord([]byte(`{"text":`), Options{}); !errors.As(err, &re) {
		t.Fatalf("FromRecord(truncated JSON) error = %v, want *RecordError", err)
	}
	var le *LimitError
	if _, err := FromRecord(make([]byte, 2<<20), Options{MaxInput: 10}); !errors.As(err, &le) {
		t.Fatalf("FromRecord(oversized) error = %v, want a *LimitError", err)
	}
}
