package extract

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	_ "image/gif"  // register GIF for DecodeConfig
	_ "image/jpeg" // register JPEG for DecodeConfig
	_ "image/png"  // register PNG for DecodeConfig
	"io"
	"math"
	"strings"
	"time"

	_ "golang.org/x/image/bmp"  // register BMP for DecodeConfig
	_ "golang.org/x/image/tiff" // register TIFF for DecodeConfig
	_ "golang.org/x/image/webp" // register WebP for DecodeConfig

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// readImage reads the dimensions of PNG, JPEG, GIF, TIFF, WebP and BMP images, and the EXIF
// of JPEG and TIFF images (time taken, device, GPS position). Their text, if any, would
// need OCR: the result says so as an Unsupported outcome.
func readImage(j *extractor.Job) error {
	j.Res.Unsupported = &extractor.Unsupported{MediaType: j.Res.MediaType, Reason: "an image: its text would need OCR"}
	j.Res.NeedsOCR = true
	cfg, _, err := image.DecodeConfig(io.NewSectionReader(j.R, 0, j.Size))
	if err != nil {
		return err
	}
	j.Res.Meta.Width, j.Res.Meta.Height = cfg.Width, cfg.Height
	if j.Res.MediaType == TypeJPEG || j.Res.MediaType == extractor.TypeTIFF {
		if err := readEXIF(j); err != nil {
			j.Res.AddPageError(1, fmt.Errorf("exif: %w", err))
		}
	}
	return nil
}

// maxEXIF bounds the EXIF block read from a TIFF file (JPEG's is bounded by its segment
// length, 64 KiB).
const maxEXIF = 4 << 20

// readEXIF fills the photo fields of the metadata from the image's EXIF block; an image
// without one is not an error.
func readEXIF(j *extractor.Job) (err error) {
	var raw []byte
	if j.Res.MediaType == TypeJPEG {
		raw, err = jpegEXIF(io.NewSectionReader(j.R, 0, j.Size))
	} else {
		raw = make([]byte, min(j.Size, maxEXIF))
		n, rerr := j.R.ReadAt(raw, 0)
		raw = raw[:n]
		if n == 0 {
			err = rerr
		}
	}
	if err != nil || raw == nil {
		return err
	}
	tags, err := flatEXIF(raw)
	if err != nil {
		return err
	}
	m := &j.Res.Meta
	m.Taken = exifTime(tags)
	mk, model := tags["IFD/Make"], tags["IFD/Model"]
	if mk != "" && !strings.HasPrefix(strings.ToLower(model), strings.ToLower(mk)) {
		model = mk + " " + model
	}
	m.Device = extractor.CleanMeta(model)
	m.GPS = exifGPS(tags)
	return nil
}

// jpegEXIF returns the TIFF structure of a JPEG's APP1 "Exif" segment, or nil. Markers
// are walked up to the start of the scan.
func jpegEXIF(r io.ReaderAt) ([]byte, error) {
	off := int64(2) // after SOI
	var hdr [4]byte
	for range 256 {
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return nil, nil
		}
		if hdr[0] != 0xFF {
			return nil, nil
		}
		marker, n := hdr[1], int64(binary.BigEndian.Uint16(hdr[2:]))
		if marker == 0xDA || marker == 0xD9 || n < 2 { // start of scan, end of image
			return nil, nil
		}
		if marker == 0xE1 && n > 8 {
			seg := make([]byte, n-2)
			if _, err := r.ReadAt(seg, off+4); err != nil {
				return nil, fmt.Errorf("APP1 segment cut: %w", err)
			}
			if bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
				return seg[6:], nil
			}
		}
		off += 2 + n
	}
	return nil, nil
}

// exifTags are the tags read, by IFD and number, under the names exiftool and the EXIF
// standard give them (keys "IFD-PATH/Name").
var exifTags = map[string]map[uint16]string{
	"IFD":         {0x010F: "Make", 0x0110: "Model", 0x0132: "DateTime"},
	"IFD/Exif":    {0x9003: "DateTimeOriginal", 0x9010: "OffsetTime", 0x9011: "OffsetTimeOriginal"},
	"IFD/GPSInfo": {1: "GPSLatitudeRef", 2: "GPSLatitude", 3: "GPSLongitudeRef", 4: "GPSLongitude", 5: "GPSAltitudeRef", 6: "GPSAltitude"},
}

// flatEXIF reads the photo tags of raw (a TIFF header and its IFDs: IFD0, its EXIF and GPS
// IFDs), keyed "IFD-PATH/Name": ASCII values as text, rationals as "num/den" lists, bytes
// and shorts as numbers. The structure is checked first (checkTIFF), so every read below is
// in bounds. (evx reads these few tags itself: go-exif, the library once used, brings
// text/template into the ingest function and its size past Lambda's budget.)
func flatEXIF(raw []byte) (tags map[string]string, err error) {
	defer func() {
		if v := recover(); v != nil {
			tags, err = nil, &extractor.PanicError{Value: v}
		}
	}()
	if err := checkTIFF(raw); err != nil {
		return nil, err
	}
	bo := binary.ByteOrder(binary.LittleEndian)
	if raw[0] == 'M' {
		bo = binary.BigEndian
	}
	tags = map[string]string{}
	var walk func(path string, off uint32, depth int)
	walk = func(path string, off uint32, depth int) {
		if off == 0 || depth > 2 {
			return
		}
		n := uint32(bo.Uint16(raw[off:]))
		for i := uint32(0); i < n; i++ {
			e := raw[off+2+12*i:]
			tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), bo.Uint32(e[4:])
			switch {
			case path == "IFD" && tag == 0x8769:
				walk("IFD/Exif", bo.Uint32(e[8:]), depth+1)
				continue
			case path == "IFD" && tag == 0x8825:
				walk("IFD/GPSInfo", bo.Uint32(e[8:]), depth+1)
				continue
			}
			name := exifTags[path][tag]
			if name == "" || int(typ) >= len(tiffTypeSize) || tiffTypeSize[typ] == 0 {
				continue
			}
			size := int64(count) * tiffTypeSize[typ]
			val := e[8:12]
			if size > 4 {
				at := bo.Uint32(e[8:])
				val = raw[at : int64(at)+size]
			} else {
				val = val[:size]
			}
			key := path + "/" + name
			if _, seen := tags[key]; seen {
				continue
			}
			switch typ {
			case 2: // ASCII
				s, _, _ := strings.Cut(string(val), "\x00")
				tags[key] = strings.TrimSpace(s)
			case 5: // RATIONAL
				parts := make([]string, 0, count)
				for k := uint32(0); k < count && k < 8; k++ {
					parts = append(parts, fmt.Sprintf("%d/%d", bo.Uint32(val[8*k:]), bo.Uint32(val[8*k+4:])))
				}
				tags[key] = strings.Join(parts, " ")
			case 1, 7: // BYTE, UNDEFINED
				if count > 0 {
					tags[key] = fmt.Sprint(val[0])
				}
			case 3: // SHORT
				if count > 0 {
					tags[key] = fmt.Sprint(bo.Uint16(val))
				}
			}
		}
	}
	walk("IFD", bo.Uint32(raw[4:8]), 0)
	return tags, nil
}

// exifTime is DateTimeOriginal (else DateTime) as RFC 3339, with OffsetTimeOriginal
// (else OffsetTime) when recorded.
func exifTime(tags map[string]string) string {
	s, zone := tags["IFD/Exif/DateTimeOriginal"], tags["IFD/Exif/OffsetTimeOriginal"]
	if s == "" {
		s, zone = tags["IFD/DateTime"], tags["IFD/Exif/OffsetTime"]
	}
	t, err := time.Parse("2006:01:02 15:04:05", strings.TrimSpace(s))
	if err != nil || t.Year() < 1800 {
		return ""
	}
	if z, err := time.Parse("-07:00", strings.TrimSpace(zone)); err == nil {
		_, off := z.Zone()
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.FixedZone("", off)).Format(time.RFC3339)
	}
	return t.Format("2006-01-02T15:04:05")
}

// exifGPS converts the GPS IFD's degrees, minutes and seconds; nil without a valid
// latitude and longitude.
func exifGPS(tags map[string]string) *extractor.GPS {
	lat, ok1 := degrees(tags["IFD/GPSInfo/GPSLatitude"], tags["IFD/GPSInfo/GPSLatitudeRef"], 90)
	lon, ok2 := degrees(tags["IFD/GPSInfo/GPSLongitude"], tags["IFD/GPSInfo/GPSLongitudeRef"], 180)
	if !ok1 || !ok2 {
		return nil
	}
	g := &extractor.GPS{Latitude: lat, Longitude: lon}
	if alt, ok := rationals(tags["IFD/GPSInfo/GPSAltitude"]); ok && len(alt) == 1 {
		a := alt[0]
		if tags["IFD/GPSInfo/GPSAltitudeRef"] == "1" {
			a = -a
		}
		g.Altitude = &a
	}
	return g
}

func degrees(dms, ref string, limit float64) (float64, bool) {
	v, ok := rationals(dms)
	if !ok || len(v) != 3 {
		return 0, false
	}
	d := v[0] + v[1]/60 + v[2]/3600
	if r := strings.ToUpper(strings.TrimSpace(ref)); r == "S" || r == "W" {
		d = -d
	}
	d = math.Round(d*1e7) / 1e7 // about 1 cm
	return d, math.Abs(d) <= limit
}

// rationals parses "num/den num/den ..."; a zero denominator makes it invalid.
func rationals(s string) ([]float64, bool) {
	if s == "" {
		return nil, false
	}
	var out []float64
	for _, f := range strings.Fields(s) {
		var n, d uint64
		if _, err := fmt.Sscanf(f, "%d/%d", &n, &d); err != nil || d == 0 {
			return nil, false
		}
		out = append(out, float64(n)/float64(d))
	}
	return out, true
}

// MalformedEXIFError is an EXIF block whose structure points outside itself, loops, or
// claims more entries or bytes than it holds.
type MalformedEXIFError struct{ Reason string }

func (e *MalformedEXIFError) Error() string { return "malformed EXIF: " + e.Reason }

// tiffTypeSize is the byte size of a TIFF field type's unit (TIFF 6.0 and EXIF 2.3).
var tiffTypeSize = [...]int64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}

// checkTIFF walks the IFD chain of a TIFF structure and the EXIF, GPS and interoperability
// IFDs it points to, checking that every value lies inside b, that no IFD is visited
// twice, and that there are at most 32 IFDs of at most 1,024 entries.
func checkTIFF(b []byte) error {
	if len(b) < 8 {
		return &MalformedEXIFError{"shorter than its header"}
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return &MalformedEXIFError{"no byte order mark"}
	}
	size := int64(len(b))
	seen := map[uint32]bool{}
	queue := []uint32{bo.Uint32(b[4:8])}
	for len(queue) > 0 {
		off := queue[0]
		queue = queue[1:]
		if off == 0 {
			continue
		}
		if seen[off] {
			return &MalformedEXIFError{"an IFD link loops"}
		}
		if seen[off] = true; len(seen) > 32 {
			return &MalformedEXIFError{"more than 32 IFDs"}
		}
		if int64(off)+2 > size {
			return &MalformedEXIFError{fmt.Sprintf("IFD at %d past the end (%d)", off, size)}
		}
		n := int64(bo.Uint16(b[off:]))
		if n > 1024 || int64(off)+2+12*n+4 > size {
			return &MalformedEXIFError{fmt.Sprintf("IFD at %d: %d entries do not fit", off, n)}
		}
		for i := int64(0); i < n; i++ {
			e := b[int64(off)+2+12*i:]
			tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), int64(bo.Uint32(e[4:]))
			unit := int64(1)
			if int(typ) < len(tiffTypeSize) && tiffTypeSize[typ] > 0 {
				unit = tiffTypeSize[typ]
			}
			if count > size || count*unit > size {
				return &MalformedEXIFError{fmt.Sprintf("tag 0x%04x claims %d values", tag, count)}
			}
			if count*unit > 4 {
				if v := int64(bo.Uint32(e[8:])); v+count*unit > size {
					return &MalformedEXIFError{fmt.Sprintf("tag 0x%04x: value past the end", tag)}
				}
			}
			switch tag {
			case 0x8769, 0x8825, 0xA005: // EXIF, GPS, interoperability IFDs
				queue = append(queue, bo.Uint32(e[8:]))
			}
		}
		queue = append(queue, bo.Uint32(b[int64(off)+2+12*n:]))
	}
	return nil
}
