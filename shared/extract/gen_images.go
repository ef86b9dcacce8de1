//go:build ignore

// gen_images writes testdata/images: photos whose EXIF was written by exiftool (Phil
// Harvey's Image::ExifTool, Debian's libimage-exiftool-perl), the reference writer, into
// pictures drawn here, and NAME.exiftool.json, what exiftool reads back (-n: numbers as
// numbers), which the tests compare evx's metadata with:
//
//	photo.jpg        taken 2026-03-14 09:26:53 +01:00 by a "Fairphone FP5", at 51.9225 N,
//	                 4.4792 E (Rotterdam), 12.5 m above sea level
//	photo.tiff       the same picture as TIFF, taken at 19 S 43 W without a time zone
//	no-exif.jpg      a JPEG without EXIF
//
// Run with: go generate ./shared/extract (needs exiftool).
package main

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/image/tiff"
)

func main() {
	dir := filepath.Join("testdata", "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var j, t bytes.Buffer
	if err := jpeg.Encode(&j, img, &jpeg.Options{Quality: 80}); err != nil {
		log.Fatal(err)
	}
	if err := tiff.Encode(&t, img, nil); err != nil {
		log.Fatal(err)
	}
	write(filepath.Join(dir, "no-exif.jpg"), j.Bytes())
	write(filepath.Join(dir, "photo.jpg"), j.Bytes())
	write(filepath.Join(dir, "photo.tiff"), t.Bytes())
	exiftool(filepath.Join(dir, "photo.jpg"),
		"-Make=Fairphone", "-Model=FP5", "-DateTimeOriginal=2026:03:14 09:26:53", "-OffsetTimeOriginal=+01:00",
		"-GPSLatitude=51.9225", "-GPSLatitudeRef=N", "-GPSLongitude=4.4792", "-GPSLongitudeRef=E",
		"-GPSAltitude=12.5", "-GPSAltitudeRef=0")
	exiftool(filepath.Join(dir, "photo.tiff"),
		"-Make=Canon", "-Model=Canon EOS R6", "-DateTimeOriginal=2025:12:24 18:00:01",
		"-GPSLatitude=19.0", "-GPSLatitudeRef=S", "-GPSLongitude=43.0", "-GPSLongitudeRef=W")
	for _, name := range []string{"photo.jpg", "photo.tiff", "no-exif.jpg"} {
		p := filepath.Join(dir, name)
		out, err := exec.Command("exiftool", "-json", "-n", "-ImageWidth", "-ImageHeight", "-Make", "-Model",
			"-DateTimeOriginal", "-OffsetTimeOriginal", "-GPSLatitude", "-GPSLongitude", "-GPSAltitude", p).Output()
		if err != nil {
			log.Fatalf("exiftool %s: %v", p, err)
		}
		// exiftool names the file it read; keep the base name so the output does not depend
		// on where the tree is.
		out = bytes.ReplaceAll(out, []byte(`"SourceFile": "`+p+`"`), []byte(`"SourceFile": "`+name+`"`))
		write(p+".exiftool.json", out)
	}
}

func exiftool(path string, args ...string) {
	args = append(append([]string{"-overwrite_original"}, args...), path)
	if out, err := exec.Command("exiftool", args...).CombinedOutput(); err != nil {
		log.Fatalf("exiftool %v: %v: %s", args, err, out)
	}
}

func write(path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
}
