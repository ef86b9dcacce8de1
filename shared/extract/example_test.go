package extract_test

import (
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
