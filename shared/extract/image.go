package extract

import (
	"image"
	_ "image/gif"  // register GIF for DecodeConfig
	_ "image/jpeg" // register JPEG for DecodeConfig
	_ "image/png"  // register PNG for DecodeConfig
	"io"
)

// image reads the dimensions of PNG, JPEG and GIF images; images carry no text.
func (j *job) image() error {
	cfg, _, err := image.DecodeConfig(io.NewSectionReader(j.r, 0, j.size))
	if err != nil {
		return err
	}
	j.res.Meta.Width, j.res.Meta.Height = cfg.Width, cfg.Height
	return nil
}
