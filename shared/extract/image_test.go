package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/extract/internal/extracttest"
)

// TestEXIF compares the photo metadata of the images of gen_images.go with what exiftool,
// which wrote their EXIF, reads back (NAME.exiftool.json).
func TestEXIF(t *testing.T) {
	for _, tc := range []struct{ name, taken string }{
		{"photo.jpg", "2026-03-14T09:26:53+01:00"},
		{"photo.tiff", "2025-12-24T18:00:01"}, // no offset recorded: the camera's local time
		{"no-exif.jpg", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", "images", tc.name)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := os.ReadFile(path + ".exiftool.json")
			if err != nil {
				t.Fatal(err)
			}
			var want []struct {
				ImageWidth, ImageHeight              int
				Make, Model                          string
				GPSLatitude, GPSLongitude            *float64
				GPSAltitude                          *float64
				DateTimeOriginal, OffsetTimeOriginal string
			}
			if err := json.Unmarshal(ref, &want); err != nil || len(want) != 1 {
				t.Fatalf("%s.exiftool.json: %v", tc.name, err)
			}
			w := want[0]
			res, err := extractBytes(t, b, tc.name, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			m := res.Meta
			if m.Width != w.ImageWidth || m.Height != w.ImageHeight {
				t.Errorf("size %dx%d, want %dx%d", m.Width, m.Height, w.ImageWidth, w.ImageHeight)
			}
			device := w.Make + " " + w.Model
			if w.Make == "" || bytes.HasPrefix([]byte(w.Model), []byte(w.Make)) {
				device = w.Model
			}
			if m.Device != device {
				t.Errorf("Device = %q, want %q", m.Device, device)
			}
			if m.Taken != tc.taken {
				t.Errorf("Taken = %q, want %q (exiftool: %q %q)", m.Taken, tc.taken, w.DateTimeOriginal, w.OffsetTimeOriginal)
			}
			switch {
			case w.GPSLatitude == nil:
				if m.GPS != nil {
					t.Errorf("GPS = %+v, want none", m.GPS)
				}
			case m.GPS == nil:
				t.Errorf("GPS missing, want %v %v", *w.GPSLatitude, *w.GPSLongitude)
			default:
				if math.Abs(m.GPS.Latitude-*w.GPSLatitude) > 1e-6 || math.Abs(m.GPS.Longitude-*w.GPSLongitude) > 1e-6 {
					t.Errorf("GPS = %v %v, want %v %v", m.GPS.Latitude, m.GPS.Longitude, *w.GPSLatitude, *w.GPSLongitude)
				}
				if (m.GPS.Altitude == nil) != (w.GPSAltitude == nil) || (w.GPSAltitude != nil && math.Abs(*m.GPS.Altitude-*w.GPSAltitude) > 1e-6) {
					t.Errorf("GPS altitude = %v, want %v", m.GPS.Altitude, w.GPSAltitude)
				}
			}
			if len(res.PageErrors) > 0 {
				t.Errorf("page errors %v", res.PageErrorText)
			}
		})
	}
}

// TestEXIFDamaged: a cut or garbled EXIF block costs the photo fields, never the result.
func TestEXIFDamaged(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "images", "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("Exif\x00\x00"))
	for name, data := range map[string][]byte{
		"ifd-offset": append(append(bytes.Clone(b[:i+10]), 0xff, 0xff, 0xff, 0x7f), b[i+14:]...),
		"garbled":    append(append(bytes.Clone(b[:i+6]), bytes.Repeat([]byte{0xA5}, 200)...), b[i+206:]...),
		"cut":        b[:i+40],
	} {
		res, err := extractBytes(t, data, "photo.jpg", extracttest.FuzzLimits())
		if err == nil && res.Meta.GPS != nil && name != "cut" {
			t.Errorf("%s: GPS %+v from a damaged block", name, res.Meta.GPS)
		}
		_ = err // a cut JPEG may be unreadable; it must not panic
	}
}

// TestEXIFBounds: counts, offsets and IFD links that point past the block or loop are
// refused before a value is read (a reader that trusts the count allocates 2 GiB here, as
// go-exif did).
func TestEXIFBounds(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "images", "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jpegEXIF(bytes.NewReader(b))
	if err != nil || raw == nil {
		t.Fatalf("no EXIF in photo.jpg: %v", err)
	}
	if err := checkTIFF(raw); err != nil {
		t.Fatalf("checkTIFF(photo.jpg) = %v", err)
	}
	le := raw[0] == 'I'
	put32 := func(p []byte, v uint32) {
		if le {
			p[0], p[1], p[2], p[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		} else {
			p[0], p[1], p[2], p[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		}
	}
	ifd0 := int(raw[4]) | int(raw[5])<<8 | int(raw[6])<<16 | int(raw[7])<<24
	if !le {
		ifd0 = int(raw[4])<<24 | int(raw[5])<<16 | int(raw[6])<<8 | int(raw[7])
	}
	huge := bytes.Clone(raw)
	put32(huge[ifd0+2+4:], 0x7fffffff) // the first entry's count
	loop := bytes.Clone(raw)
	put32(loop[4:], 8)
	n := int(loop[8]) | int(loop[9])<<8
	if !le {
		n = int(loop[8])<<8 | int(loop[9])
	}
	put32(loop[8+2+12*n:], 8) // IFD0's next link points to itself
	for name, data := range map[string][]byte{"huge-count": huge, "ifd-loop": loop, "short": raw[:6]} {
		var me *MalformedEXIFError
		if _, err := flatEXIF(data); !errors.As(err, &me) {
			t.Errorf("flatEXIF(%s) error %v, want a *MalformedEXIFError", name, err)
		}
	}
}

// FuzzEXIF feeds EXIF blocks (TIFF structures) to the EXIF reader.
func FuzzEXIF(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "images", "photo.jpg"))
	if err != nil {
		f.Fatal(err)
	}
	if raw, _ := jpegEXIF(bytes.NewReader(b)); raw != nil {
		f.Add(raw)
	}
	if tb, err := os.ReadFile(filepath.Join("testdata", "images", "photo.tiff")); err == nil {
		f.Add(tb[:min(len(tb), 4096)])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tags, err := flatEXIF(raw)
		if err != nil {
			return
		}
		exifTime(tags)
		if g := exifGPS(tags); g != nil && (math.Abs(g.Latitude) > 90 || math.Abs(g.Longitude) > 180) {
			t.Fatalf("GPS out of range: %+v", g)
		}
	})
}
