package digest_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/evx-project/evx/shared/digest"
)

func ExampleNew() {
	w, err := digest.New("md5")
	if err != nil {
		panic(err)
	}
	io.Copy(w, strings.NewReader("abc"))
	sums := w.Sums()
	fmt.Println(sums["md5"])
	fmt.Println(sums["sha256"])
	// Output:
	// 900150983cd24fb0d6963f7d28e17f72
	// ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}
