package extract

import (
	"io"

	"github.com/richardlehane/mscfb"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// oleMagic starts every OLE2 compound file (Word, Excel and PowerPoint 97-2003, Outlook .msg).
var oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")

// oleType names the kind of compound file from the streams it holds.
func oleType(r io.ReaderAt) (mt string) {
	defer func() {
		if recover() != nil {
			mt = extractor.TypeOLE
		}
	}()
	doc, err := mscfb.New(r)
	if err != nil {
		return extractor.TypeOLE
	}
	for i, f := range doc.File {
		if i > 10000 {
			break
		}
		switch {
		case f.Name == "WordDocument":
			return extractor.TypeDOC
		case f.Name == "Workbook" || f.Name == "Book":
			return extractor.TypeXLS
		case f.Name == "PowerPoint Document":
			return extractor.TypePPT
		case f.Name == "__properties_version1.0" || len(f.Name) > 12 && f.Name[:12] == "__substg1.0_":
			return extractor.TypeMSG
		}
	}
	return extractor.TypeOLE
}
