package extract

import (
	"image"
	_ "image/gif"  // register GIF for DecodeConfig
	_ "image/jpeg" // register JPEG for DecodeConfig
	_ "image/png"  // register PNG for DecodeConfig
	"io"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// readImage reads the dimensions of PNG, JPEG and GIF images; images carry no text.
func readImage(j *extractor.Job) error {
	cfg, _, err := image.DecodeConfig(io.NewSectionReader(j.R, 0, j.Size))
	if err != nil {
		return err
	}
	j.Res.Meta.Width, j.Res.Meta.Height = cfg.Width, cfg.Height
	return nil
}
