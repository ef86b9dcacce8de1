package identify

import (
	"errors"
	"fmt"
	"testing"
)

// Published examples, each with its source. A value changed in one character must fail
// where the type has a check digit; that half is generated in TestParseOneCharacterOff.
var published = []struct {
	name  string
	typ   Type
	in    string
	value string
	check Check
	valid bool
}{
	// ISO 6346 annex A example, as given by Wikipedia's "ISO 6346" article (check digit 3).
	{"iso6346-csqu", Container, "CSQU3054383", "CSQU3054383", CheckHolds, true},
	{"iso6346-csqu-spaced", Container, "CSQU 305438 3", "CSQU3054383", CheckHolds, true},
	{"iso6346-csqu-wrong", Container, "CSQU3054384", "CSQU3054384", CheckFails, false},
	// Wikipedia "IMO number": IMO 9074729, 9x7+0x6+7x5+4x4+7x3+2x2 = 139, check digit 9.
	// echo $(( (9*7+0*6+7*5+4*4+7*3+2*2) % 10 ))
	{"imo-wikipedia", IMO, "IMO 9074729", "9074729", CheckHolds, true},
	{"imo-wikipedia-wrong", IMO, "9074728", "9074728", CheckFails, false},
	// ITU-R M.585 annex 1: MID 244 is the Netherlands, 366 the United States; coast
	// station 00MIDxxxx, SAR aircraft 111MIDxxx; 199 is no allocated MID.
	{"mmsi-ship-nl", MMSI, "244123456", "244123456", CheckNone, true},
	{"mmsi-coast-us", MMSI, "003669999", "003669999", CheckNone, true},
	{"mmsi-sar", MMSI, "111232506", "111232506", CheckNone, true},
	{"mmsi-mid-out-of-range", MMSI, "199123456", "199123456", CheckNone, false},
	// SWIFT IBAN Registry (ISO 13616), the example IBAN of each country's entry.
	{"iban-gb", IBAN, "GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819", CheckHolds, true},
	{"iban-de", IBAN, "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", CheckHolds, true},
	{"iban-nl", IBAN, "NL91ABNA0417164300", "NL91ABNA0417164300", CheckHolds, true},
	{"iban-be", IBAN, "BE68539007547034", "BE68539007547034", CheckHolds, true},
	{"iban-fr", IBAN, "FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606", CheckHolds, true},
	{"iban-no", IBAN, "NO9386011117947", "NO9386011117947", CheckHolds, true},
	{"iban-ch", IBAN, "CH9300762011623852957", "CH9300762011623852957", CheckHolds, true},
	// ECBS TR201 / Wikipedia "International Bank Account Number": GB82 WEST 1234 5698 7654 32.
	{"iban-ecbs", IBAN, "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", CheckHolds, true},
	{"iban-ecbs-wrong", IBAN, "GB82 WEST 1234 5698 7654 33", "GB82WEST12345698765433", CheckFails, false},
	{"iban-short", IBAN, "DE89 3704 0044 0532 0130 0", "DE8937040044053201300", CheckNone, false},
	// ISO 9362 examples: Deutsche Bank Frankfurt; Wikipedia "ISO 9362": NEDSZAJJXXX.
	{"bic-8", BIC, "DEUTDEFF", "DEUTDEFF", CheckNone, true},
	{"bic-11-primary", BIC, "NEDSZAJJXXX", "NEDSZAJJ", CheckNone, true},
	{"bic-11-branch", BIC, "DEUTDEFF500", "DEUTDEFF500", CheckNone, true},
	{"bic-no-country", BIC, "DEUTQQFF", "DEUTQQFF", CheckNone, false},
	// Ofcom's numbers for drama: 020 7946 0000-0999 (London); libphonenumber metadata.
	{"phone-uk-drama", Phone, "+44 20 7946 0958", "+442079460958", CheckNone, true},
	{"phone-00", Phone, "0044 20 7946 0958", "+442079460958", CheckNone, true},
	{"phone-not-a-number", Phone, "+44 12", "", CheckNone, false},
	{"email", Email, "John.Doe@Example.COM", "john.doe@example.com", CheckNone, true},
	{"email-double-dot", Email, "john..doe@example.com", "john..doe@example.com", CheckNone, false},
	// The address of the genesis block's coinbase; the P2SH example of BIP 13's discussion
	// on the Bitcoin wiki ("Address"); BIP 173 and BIP 350 test vectors.
	{"btc-p2pkh-genesis", Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", CheckHolds, true},
	{"btc-p2sh", Bitcoin, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", CheckHolds, true},
	{"btc-p2pkh-wrong", Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", CheckFails, false},
	{"bip173-v0-upper", Bitcoin, "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", CheckHolds, true},
	{"bip350-v1-taproot", Bitcoin, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", CheckHolds, true},
	{"bip350-v1-40", Bitcoin, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", CheckHolds, true},
	{"bip350-v16", Bitcoin, "BC1SW50QGDZ25J", "bc1sw50qgdz25j", CheckHolds, true},
	{"bip350-v2", Bitcoin, "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", CheckHolds, true},
	{"bip350-v1-in-bech32", Bitcoin, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", CheckHolds, false},
	{"bip350-v0-in-bech32m", Bitcoin, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", CheckHolds, false},
	{"bip350-v0-length", Bitcoin, "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "bc1qr508d6qejxtdg4y5r3zarvaryv98gj9p", CheckHolds, false},
	{"bip350-one-byte", Bitcoin, "bc1pw5dgrnzv", "bc1pw5dgrnzv", CheckHolds, false},
	{"bip350-padding", Bitcoin, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", CheckHolds, false},
	// EIP-55's test cases (mixed case, all caps, all lower).
	{"eip55-1", Ethereum, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", CheckHolds, true},
	{"eip55-2", Ethereum, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", CheckHolds, true},
	{"eip55-3", Ethereum, "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb", CheckHolds, true},
	{"eip55-4", Ethereum, "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", "0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb", CheckHolds, true},
	{"eip55-caps", Ethereum, "0x52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886e0f7030069857d2e4169ee7", CheckNone, true},
	{"eip55-lower", Ethereum, "0xde709f2102306220921060314715629080e2fb77", "0xde709f2102306220921060314715629080e2fb77", CheckNone, true},
	{"eip55-wrong-case", Ethereum, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", CheckFails, false},
	// Wikipedia "Vehicle identification number", check digit calculation: 1M8GDM9AXKP042788
	// (weighted sum 351, 351 mod 11 = 10, written X).
	{"vin-wikipedia", VIN, "1M8GDM9AXKP042788", "1M8GDM9AXKP042788", CheckHolds, true},
	{"vin-wikipedia-wrong", VIN, "1M8GDM9A9KP042788", "1M8GDM9A9KP042788", CheckFails, false},
	{"vin-european-no-check", VIN, "WVWZZZ1JZXW000001", "WVWZZZ1JZXW000001", CheckNone, true},
	// IATA Resolution 600a: the check digit of an air waybill serial is its first seven
	// digits modulo 7: echo $(( 1234567 % 7 ))  # 5
	{"awb", AirWaybill, "020-12345675", "020-12345675", CheckHolds, true},
	{"awb-spaced", AirWaybill, "020 1234 5675", "020-12345675", CheckHolds, true},
	{"awb-wrong", AirWaybill, "020-12345676", "020-12345676", CheckFails, false},
	// RFC 5737 documentation range; RFC 5952 section 4 (the canonical text form).
	{"ipv4-doc", IPv4, "192.0.2.1", "192.0.2.1", CheckNone, true},
	{"ipv4-octet", IPv4, "192.0.2.256", "192.0.2.256", CheckNone, false},
	{"ipv6-rfc5952", IPv6, "2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1", CheckNone, true},
	{"ipv6-loopback", IPv6, "::1", "::1", CheckNone, true},
}

func TestParsePublished(t *testing.T) {
	for _, tc := range published {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.typ, tc.in, "GB")
			if f.Valid != tc.valid || (err == nil) != tc.valid {
				t.Fatalf("Parse(%s, %q) = valid %v, %v; want valid %v", tc.typ, tc.in, f.Valid, err, tc.valid)
			}
			if !tc.valid && tc.value == "" {
				var fe *FormError
				var ie *InvalidError
				if !errors.As(err, &fe) && !errors.As(err, &ie) {
					t.Fatalf("Parse(%s, %q) error %T, want *FormError or *InvalidError", tc.typ, tc.in, err)
				}
				return
			}
			if f.Value != tc.value || f.Check != tc.check {
				t.Fatalf("Parse(%s, %q) = %q check %s, want %q check %s", tc.typ, tc.in, f.Value, f.Check, tc.value, tc.check)
			}
			if !tc.valid {
				var ie *InvalidError
				if !errors.As(err, &ie) || ie.Value != tc.value || ie.Reason == "" {
					t.Fatalf("Parse(%s, %q) error %v, want *InvalidError with value %q and a reason", tc.typ, tc.in, err, tc.value)
				}
			}
		})
	}
}

// TestParseOneCharacterOff changes each digit of the published valid values that carry a
// check digit (to the next digit) and wants every change caught: ISO 6346, IMO, IBAN and
// the air waybill check digit catch every single-digit substitution; base58check,
// bech32 and EIP-55 catch them with overwhelming probability, and these cases are fixed.
func TestParseOneCharacterOff(t *testing.T) {
	for _, tc := range published {
		if !tc.valid || tc.check != CheckHolds {
			continue
		}
		in := squeezeKeepCase(tc.in)
		if tc.typ == IMO {
			in = tc.value
		}
		for i := 0; i < len(in); i++ {
			c := in[i]
			if c < '0' || c > '9' {
				continue
			}
			// The airline prefix carries no check; nor do the "0x" and "bc1" prefixes.
			if tc.typ == Ethereum && i < 2 || tc.typ == Bitcoin && i < 3 || tc.typ == AirWaybill && i < 4 {
				continue
			}
			repl := byte('0' + (c-'0'+1)%10)
			if tc.typ == Bitcoin && c == '9' {
				repl = '8' // '0' is not in either alphabet
			}
			if tc.typ == Bitcoin && repl == '1' && in[0] == 'b' {
				repl = '2' // '1' is not in the bech32 alphabet
			}
			mut := in[:i] + string(repl) + in[i+1:]
			if tc.typ == AirWaybill {
			}
			f, err := Parse(tc.typ, mut, "GB")
			if err == nil || f.Valid {
				t.Errorf("Parse(%s, %q) (from %q, character %d changed) = valid, want a check failure", tc.typ, mut, tc.in, i)
			}
		}
	}
}

func squeezeKeepCase(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		typ  Type
		in   string
	}{
		{"container-category", Container, "CSQA3054383"},
		{"container-short", Container, "CSQU305438"},
		{"iban-unknown-country", IBAN, "QQ89370400440532013000"},
		{"imo-letters", IMO, "IMO 90747X9"},
		{"vin-has-o", VIN, "1M8GDM9AXKPO42788"},
		{"eth-short", Ethereum, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe"},
		{"email-no-at", Email, "john.example.com"},
		{"too-long", Email, string(make([]byte, MaxValue+10))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.typ, tc.in)
			var fe *FormError
			if !errors.As(err, &fe) || fe.Type != tc.typ {
				t.Fatalf("Parse(%s, %q) error = %v, want *FormError", tc.typ, tc.in, err)
			}
		})
	}
	if _, err := Parse("passport", "X"); err == nil {
		t.Fatalf("Parse(passport) error = nil, want *UnknownTypeError")
	} else if _, ok := err.(*UnknownTypeError); !ok {
		t.Fatalf("Parse(passport) error = %T, want *UnknownTypeError", err)
	}
}

func TestParseType(t *testing.T) {
	for _, ty := range Types {
		if got, err := ParseType(string(ty)); err != nil || got != ty {
			t.Errorf("ParseType(%q) = %q, %v", ty, got, err)
		}
	}
	if _, err := ParseType("CONTAINER"); err != nil {
		t.Errorf("ParseType(CONTAINER) = %v, want case-insensitive", err)
	}
}

// TestKey pins the keyed hash: a change of layout would orphan every index built before.
// printf 'evx identifier index v1\0container\0CSQU3054383' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf '%064d' 0 | tr 0 1)
func TestKey(t *testing.T) {
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = 0x11
	}
	k := Key(secret, Container, "CSQU3054383")
	if k == Key(secret, IMO, "CSQU3054383") || k == Key(append([]byte{1}, secret[1:]...), Container, "CSQU3054383") {
		t.Fatal("Key ignores the type or the secret")
	}
	if got := fmt.Sprintf("%x", k); got != keyVector {
		t.Fatalf("Key = %s, want %s", got, keyVector)
	}
}

const keyVector = "a5c129650f80beda2b947dc174a8f6230c84c3d41caf1d9e61f1a7ea0c926231"
