package extract

import (
	"image"
	_ "image/gif"  // register GIF for DecodeConfig
	_ "image/jpeg" // register JPEG for DecodeConfig
	_ "image/png"  // register PNG for DecodeConfig
	"io"

	_ "golang.org/x/image/bmp"  // register BMP for DecodeConfig
	_ "golang.org/x/image/tiff" // register TIFF for DecodeConfig
	_ "golang.org/x/image/webp" // register WebP for DecodeConfig

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// readImage reads the dimensions of PNG, JPEG, GIF, TIFF, WebP and BMP images. Their text, if any, would
// need OCR: the result says so as an Unsupported outcome.
func readImage(j *extractor.Job) error {
	j.Res.Unsupported = &extractor.Unsupported{MediaType: j.Res.MediaType, Reason: "an image: its text would need OCR"}
	j.Res.NeedsOCR = true
	cfg, _, err := image.DecodeConfig(io.NewSectionReader(j.R, 0, j.Size))
	if err != nil {
		return err
	}
	j.Res.Meta.Width, j.Res.Meta.Height = cfg.Width, cfg.Height
	return nil
}
