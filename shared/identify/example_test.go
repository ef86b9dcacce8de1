package identify_test

import (
	"fmt"

	"github.com/evx-project/evx/shared/identify"
)

func ExampleFind() {
	text := "Seizure report. Container MSCU 123456 7 was not opened; container CSQU 305438 3 held 40 kg.\n" +
		"Payment to IBAN NL91 ABNA 0417 1643 00, tel. 06 1234 5678."
	r := identify.Find(text, identify.Options{Regions: []string{"NL", "CO"}})
	for _, f := range r.Identifiers {
		fmt.Printf("%s %s (check %s)\n", f.Type, f.Value, f.Check)
	}
	for _, f := range r.LookAlikes {
		fmt.Printf("look-alike %s %q: %s\n", f.Type, f.Text, f.Reason)
	}
	// Output:
	// container CSQU3054383 (check holds)
	// iban NL91ABNA0417164300 (check holds)
	// phone +31612345678 (check none)
	// look-alike container "MSCU 123456 7": ISO 6346 check digit is 6
}

func ExampleParse() {
	f, err := identify.Parse(identify.Container, "cSQU 305438-3")
	fmt.Println(f.Value, err)
	_, err = identify.Parse(identify.IMO, "IMO 9074728")
	fmt.Println(err)
	// Output:
	// CSQU3054383 <nil>
	// identify: imo "IMO 9074728" is not valid: IMO check digit is 9
}
