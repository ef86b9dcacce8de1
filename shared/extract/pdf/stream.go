package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// Stream decoding for what the library refuses: LZW and run-length data, PNG predictors
// other than Up, deflate data with a damaged zlib header, a missing or wrong /Length.
// The raw bytes are read from the file at the offset the library reports for the stream
// (Value.String ends in "@offset"); encrypted documents are left to the library.

var errUnsupportedFilter = errors.New("unsupported filter")

func (d *pdfDoc) rawStream(v pdf.Value, max int64) ([]byte, error) {
	if d.src == nil || d.encrypted {
		return nil, errors.New("no raw access")
	}
	s := v.String()
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return nil, errors.New("no stream offset")
	}
	off, err := strconv.ParseInt(s[at+1:], 10, 64)
	if err != nil || off < 0 || off >= d.srcSize {
		return nil, errors.New("bad stream offset")
	}
	n := v.Key("Length").Int64()
	limit := min(d.srcSize-off, max*4+1<<20)
	if max <= 0 {
		limit = d.srcSize - off
	}
	buf := make([]byte, limit)
	k, _ := d.src.ReadAt(buf, off)
	buf = buf[:k]
	// Trust /Length only when "endstream" follows it.
	if n <= 0 || n > int64(len(buf)) || !bytes.HasPrefix(bytes.TrimLeft(buf[n:], "\r\n \t"), []byte("endstream")) {
		if e := bytes.Index(buf, []byte("endstream")); e >= 0 {
			n = int64(e)
			for n > 0 && (buf[n-1] == '\n' || buf[n-1] == '\r') {
				n--
			}
		} else {
			n = int64(len(buf))
		}
	}
	data := buf[:n]
	filters, parms := v.Key("Filter"), v.Key("DecodeParms")
	var names []string
	var ps []pdf.Value
	switch filters.Kind() {
	case pdf.Name:
		names, ps = []string{filters.Name()}, []pdf.Value{parms}
	case pdf.Array:
		for i := 0; i < filters.Len() && i < 8; i++ {
			names = append(names, filters.Index(i).Name())
			ps = append(ps, parms.Index(i))
		}
	}
	for i, name := range names {
		data, err = decodeFilter(name, ps[i], data, max)
		if err != nil && len(data) == 0 {
			return nil, err
		}
	}
	if max > 0 && int64(len(data)) > max {
		return data[:max], &extractor.LimitError{Limit: extractor.LimitStream, Max: max}
	}
	return data, nil
}

func decodeFilter(name string, parms pdf.Value, data []byte, max int64) ([]byte, error) {
	if max <= 0 {
		max = 1 << 62
	}
	var out []byte
	var err error
	switch name {
	case "FlateDecode", "Fl":
		out, err = inflate(data, max)
	case "LZWDecode", "LZW":
		early := 1
		if e := parms.Key("EarlyChange"); e.Kind() == pdf.Integer {
			early = int(e.Int64())
		}
		out, err = lzwDecode(data, early, max)
	case "ASCIIHexDecode", "AHx":
		out, err = asciiHex(data), nil
	case "ASCII85Decode", "A85":
		d := bytes.TrimPrefix(bytes.TrimSpace(data), []byte("<~"))
		if i := bytes.Index(d, []byte("~>")); i >= 0 {
			d = d[:i]
		}
		d = bytes.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' || r == '\f' {
				return -1
			}
			return r
		}, d)
		out, err = io.ReadAll(io.LimitReader(ascii85.NewDecoder(bytes.NewReader(d)), max+1))
	case "RunLengthDecode", "RL":
		out, err = runLength(data, max)
	default:
		return nil, fmt.Errorf("%w %s", errUnsupportedFilter, name)
	}
	if p := parms.Key("Predictor").Int64(); p >= 10 && len(out) > 0 {
		out = unpredictPNG(out, parms)
	}
	return out, err
}

// inflate reads zlib data, or raw deflate data when the zlib header is damaged, keeping
// what was decoded before an error.
func inflate(data []byte, max int64) ([]byte, error) {
	var r io.Reader
	if zr, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
		r = zr
	} else if len(data) > 2 {
		r = flate.NewReader(bytes.NewReader(data[2:]))
	} else {
		return nil, err
	}
	var buf bytes.Buffer
	_, err := io.Copy(&buf, io.LimitReader(r, max+1))
	if buf.Len() == 0 && len(data) > 0 {
		buf.Reset()
		_, err = io.Copy(&buf, io.LimitReader(flate.NewReader(bytes.NewReader(data)), max+1))
	}
	return buf.Bytes(), err
}

func lzwDecode(src []byte, early int, max int64) ([]byte, error) {
	var out []byte
	var dict [4096][]byte
	for i := 0; i < 256; i++ {
		dict[i] = []byte{byte(i)}
	}
	var acc uint32
	var bits uint
	width, next := 9, 258
	var prev []byte
	pos := 0
	for {
		for bits < uint(width) {
			if pos >= len(src) {
				return out, nil
			}
			acc = acc<<8 | uint32(src[pos])
			pos++
			bits += 8
		}
		code := int(acc>>(bits-uint(width))) & (1<<width - 1)
		bits -= uint(width)
		switch code {
		case 256:
			width, next, prev = 9, 258, nil
			continue
		case 257:
			return out, nil
		}
		var entry []byte
		switch {
		case code < next && dict[code] != nil:
			entry = dict[code]
		case code == next && prev != nil:
			entry = append(append(make([]byte, 0, len(prev)+1), prev...), prev[0])
		default:
			return out, errors.New("lzw: bad code")
		}
		out = append(out, entry...)
		if int64(len(out)) > max {
			return out, nil
		}
		if prev != nil && next < 4096 {
			dict[next] = append(append(make([]byte, 0, len(prev)+1), prev...), entry[0])
			next++
		}
		prev = entry
		if next+early >= 1<<width && width < 12 {
			width++
		}
	}
}

func asciiHex(data []byte) []byte {
	out := make([]byte, 0, len(data)/2)
	var hi byte
	half := false
	for _, c := range data {
		if c == '>' {
			break
		}
		v, ok := unhex(c)
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out
}

func runLength(data []byte, max int64) ([]byte, error) {
	var out []byte
	for i := 0; i < len(data); {
		n := int(data[i])
		i++
		switch {
		case n < 128:
			end := min(i+n+1, len(data))
			out = append(out, data[i:end]...)
			i = end
		case n > 128:
			if i < len(data) {
				out = append(out, bytes.Repeat(data[i:i+1], 257-n)...)
			}
			i++
		default:
			return out, nil
		}
		if int64(len(out)) > max {
			return out, nil
		}
	}
	return out, nil
}

// unpredictPNG undoes PNG row filters (predictors 10-15).
func unpredictPNG(data []byte, parms pdf.Value) []byte {
	colors, bpc, columns := int64(1), int64(8), int64(1)
	if c := parms.Key("Colors").Int64(); c > 0 && c < 64 {
		colors = c
	}
	if b := parms.Key("BitsPerComponent").Int64(); b > 0 && b <= 16 {
		bpc = b
	}
	if c := parms.Key("Columns").Int64(); c > 0 && c < 1<<20 {
		columns = c
	}
	bpp := int(max(1, (colors*bpc+7)/8))
	rowLen := int((colors*bpc*columns + 7) / 8)
	prev := make([]byte, rowLen)
	out := make([]byte, 0, len(data))
	for i := 0; i+1 <= len(data); i += rowLen + 1 {
		ft := data[i]
		row := data[i+1 : min(i+1+rowLen, len(data))]
		cur := make([]byte, len(row))
		for k := range row {
			var a, b, c byte
			if k >= bpp {
				a, c = cur[k-bpp], prev[k-bpp]
			}
			b = prev[k]
			switch ft {
			case 1:
				cur[k] = row[k] + a
			case 2:
				cur[k] = row[k] + b
			case 3:
				cur[k] = row[k] + byte((int(a)+int(b))/2)
			case 4:
				cur[k] = row[k] + paeth(a, b, c)
			default:
				cur[k] = row[k]
			}
		}
		out = append(out, cur...)
		copy(prev, cur)
	}
	return out
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
