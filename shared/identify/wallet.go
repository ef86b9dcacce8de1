package identify

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"golang.org/x/crypto/sha3"
)

// Bitcoin mainnet addresses: base58check P2PKH ("1...", version 0x00) and P2SH ("3...",
// version 0x05), 25 bytes with a 4-byte double-SHA-256 checksum; segwit addresses "bc1"
// in bech32 (BIP 173, witness version 0) or bech32m (BIP 350, versions 1-16).
var (
	base58RE = regexp.MustCompile(`[13][1-9A-HJ-NP-Za-km-z]{25,34}`)
	bech32RE = regexp.MustCompile(`(?i:bc1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{8,87})`)
)

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Decode decodes s; ok is false for a character outside the alphabet or a result
// longer than max bytes.
func base58Decode(s string, max int) ([]byte, bool) {
	out := make([]byte, 0, max+1)
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base58Alphabet, s[i])
		if d < 0 {
			return nil, false
		}
		carry := d
		// out holds the number little-endian, base 256.
		for j := range out {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			if len(out) == max {
				return nil, false
			}
			out = append(out, byte(carry))
			carry >>= 8
		}
	}
	for i := 0; i < len(s) && s[i] == '1'; i++ {
		if len(out) == max {
			return nil, false
		}
		out = append(out, 0)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, true
}

func checkBase58(s string) (verdict, bool) {
	if !base58RE.MatchString(s) || base58RE.FindString(s) != s {
		return verdict{}, false
	}
	b, ok := base58Decode(s, 25)
	if !ok || len(b) != 25 {
		return verdict{value: s, check: CheckNone, reason: "does not decode to 25 bytes"}, true
	}
	switch {
	case b[0] == 0x00 && s[0] == '1', b[0] == 0x05 && s[0] == '3':
	default:
		return verdict{value: s, check: CheckNone, reason: "version byte is not P2PKH (0x00) or P2SH (0x05)"}, true
	}
	h := sha256.Sum256(b[:21])
	h = sha256.Sum256(h[:])
	if string(h[:4]) != string(b[21:]) {
		return verdict{value: s, check: CheckFails, reason: "base58check checksum fails"}, true
	}
	return verdict{value: s, check: CheckHolds}, true
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// The constants the BIP 173 and BIP 350 checksums must leave.
const (
	bech32Const  = 1
	bech32mConst = 0x2bc830a3
)

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		b := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (b>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// checkBech32 checks a segwit address per BIP 173 and BIP 350. The value is lower case.
func checkBech32(s string) (verdict, bool) {
	if !bech32RE.MatchString(s) || bech32RE.FindString(s) != s {
		return verdict{}, false
	}
	low := strings.ToLower(s)
	bad := func(c Check, r string) (verdict, bool) { return verdict{value: low, check: c, reason: r}, true }
	if low != s && strings.ToUpper(s) != s {
		return bad(CheckNone, "mixed case")
	}
	if len(s) > 90 {
		return bad(CheckNone, "longer than 90 characters")
	}
	data := make([]byte, 0, len(low))
	for i := 3; i < len(low); i++ {
		data = append(data, byte(strings.IndexByte(bech32Charset, low[i])))
	}
	// hrp "bc" expanded: high bits, 0, low bits.
	values := append([]byte{'b' >> 5, 'c' >> 5, 0, 'b' & 31, 'c' & 31}, data...)
	pm := bech32Polymod(values)
	if pm != bech32Const && pm != bech32mConst {
		return bad(CheckFails, "bech32 checksum fails")
	}
	if len(data) < 7 {
		return bad(CheckHolds, "no witness program")
	}
	version, prog5 := data[0], data[1:len(data)-6]
	prog, ok := convertBits(prog5)
	switch {
	case version > 16:
		return bad(CheckHolds, "witness version above 16")
	case !ok || len(prog) < 2 || len(prog) > 40:
		return bad(CheckHolds, "witness program of the wrong length")
	case version == 0 && len(prog) != 20 && len(prog) != 32:
		return bad(CheckHolds, "version 0 program is neither 20 nor 32 bytes")
	case version == 0 && pm != bech32Const:
		return bad(CheckHolds, "version 0 address in bech32m")
	case version != 0 && pm != bech32mConst:
		return bad(CheckHolds, "version 1+ address in bech32, not bech32m")
	}
	return verdict{value: low, check: CheckHolds}, true
}

// convertBits regroups 5-bit groups into bytes; the padding must be under 5 zero bits.
func convertBits(in []byte) ([]byte, bool) {
	acc, bits := 0, 0
	var out []byte
	for _, v := range in {
		acc = acc<<5 | int(v)
		bits += 5
		for bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
		acc &= (1 << bits) - 1
	}
	if bits >= 5 || acc != 0 {
		return nil, false
	}
	return out, true
}

func scanBitcoin(text string, _ Options, n int) []Finding {
	out := each(text, base58RE, n, func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") {
			return Finding{}, false
		}
		vd, ok := checkBase58(text[m[0]:m[1]])
		if !ok || vd.check == CheckNone {
			// Not decoding to an address at all: a word that happens to be base58.
			return Finding{}, false
		}
		return finding(Bitcoin, text, m[0], m[1], vd.value, vd.check, vd.reason), true
	})
	return append(out, each(text, bech32RE, n-len(out), func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") {
			return Finding{}, false
		}
		vd, ok := checkBech32(text[m[0]:m[1]])
		if !ok {
			return Finding{}, false
		}
		return finding(Bitcoin, text, m[0], m[1], vd.value, vd.check, vd.reason), true
	})...)
}

var ethereumRE = regexp.MustCompile(`0x[0-9a-fA-F]{40}`)

// checkEthereum checks an address; in mixed case, EIP-55: a letter is upper case exactly
// when the matching nibble of Keccak-256 of the lower-case hex is 8 or more. The value is
// "0x" and lower case.
func checkEthereum(s string) (verdict, bool) {
	if len(s) != 42 || !ethereumRE.MatchString(s) || s[1] != 'x' {
		return verdict{}, false
	}
	hexpart := s[2:]
	low := strings.ToLower(hexpart)
	v := "0x" + low
	if hexpart == low || hexpart == strings.ToUpper(hexpart) {
		return verdict{value: v, check: CheckNone}, true
	}
	k := sha3.NewLegacyKeccak256()
	k.Write([]byte(low))
	sum := hex.EncodeToString(k.Sum(nil))
	for i := 0; i < 40; i++ {
		c := hexpart[i]
		if c <= '9' {
			continue
		}
		upper := c <= 'F'
		if upper != (sum[i] >= '8') {
			return verdict{value: v, check: CheckFails, reason: "EIP-55 checksum fails"}, true
		}
	}
	return verdict{value: v, check: CheckHolds}, true
}

func scanEthereum(text string, _ Options, n int) []Finding {
	return each(text, ethereumRE, n, func(m []int) (Finding, bool) {
		if !boundary(text, m[0], m[1], "") {
			return Finding{}, false
		}
		vd, ok := checkEthereum(text[m[0]:m[1]])
		if !ok {
			return Finding{}, false
		}
		return finding(Ethereum, text, m[0], m[1], vd.value, vd.check, vd.reason), true
	})
}
