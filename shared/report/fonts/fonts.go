// Package fonts holds the DejaVu fonts evx's reports are set in (Bitstream Vera licence,
// LICENSE), embedded. It is a package of its own so that only the hosts that pass it to
// report.LoadFonts carry the 1.8 MB of font data: the CLI and evx serve do; the api Lambda
// function reads the same files from its deployment package instead.
package fonts

import "embed"

// FS holds DejaVuSans.ttf, DejaVuSans-Bold.ttf, DejaVuSansMono.ttf and LICENSE.
//
//go:embed *.ttf LICENSE
var FS embed.FS
