package extract_test

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/evx-project/evx/shared/extract"
)

func ExampleExtract() {
	f, err := os.Open("pdf/testdata/helvetica.pdf")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fi, _ := f.Stat()
	res, err := extract.Extract(context.Background(), f, fi.Size(), "request.pdf", extract.DefaultLimits())
	if err != nil {
		fmt.Println("unreadable:", err)
		return
	}
	fmt.Println(res.MediaType, res.Meta.Pages, res.Meta.Title)
	fmt.Println(res.Partial)
	// Output:
	// application/pdf 2 Request for assistance
	// false
}

// A short Slovenian text in ISO-8859-2 reads as Windows-1250 on letter statistics alone
// (š is 0xB9 there, ą in Windows-1250); with the bundle's states as the hint, the reading
// whose letters are Slovenian wins, still flagged as a guess.
func ExampleWithStates() {
	b, err := os.ReadFile("plain/testdata/encodings/sl-apt-short.iso-8859-2")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ctx := range []context.Context{context.Background(), extract.WithStates(context.Background(), "SI", "NL")} {
		res, err := extract.Extract(ctx, bytes.NewReader(b), int64(len(b)), "note.txt", extract.DefaultLimits())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.Meta.Encoding, res.Meta.EncodingConfidence < 0.5, res.Meta.EncodingHint)
	}
	// Output:
	// windows-1250 true []
	// iso-8859-2 true [slv nld]
}
