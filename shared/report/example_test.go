package report_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
	"github.com/evx-project/evx/shared/report/fonts"
)

// A court report from an exported trail and the sending service's public key (here the
// sample trail of testdata/sample-trail).
func Example() {
	raw, err := os.ReadFile("../../testdata/sample-trail/trail.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	keyPEM, err := os.ReadFile("../../testdata/sample-trail/evx-public.pem")
	if err != nil {
		fmt.Println(err)
		return
	}
	pub, err := custody.ParsePublicKeyPEM(keyPEM)
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, v, err := report.CheckFile(raw, pub, custody.VerifyOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "court-report")
	defer os.RemoveAll(dir)
	fnt, err := report.LoadFonts(fonts.FS) // or os.DirFS of a folder holding the .ttf files
	if err != nil {
		fmt.Println(err)
		return
	}
	files, err := report.Write(dir, raw, tr, v, report.Options{Fonts: fnt})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.BundleID, v.Verified, filepath.Base(files.PDF), filepath.Base(files.Trail), filepath.Base(files.JSONLD))
	// Output: EVX-2026-0114 true report.pdf trail.json trail.jsonld
}
