package report_test

import (
	"crypto"
	"fmt"
	"os"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// A legal officer's report from an exported trail and the sending service's public key.
func Example() {
	raw, _ := os.ReadFile("trail.json")
	keyPEM, _ := os.ReadFile("evx-public.pem")
	pub, err := custody.ParsePublicKeyPEM(keyPEM)
	if err != nil {
		fmt.Println(err)
		return
	}
	report1(raw, pub)
}

func report1(raw []byte, pub crypto.PublicKey) {
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := report.Check(tr, pub, custody.VerifyOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	files, err := report.Write("court-report", raw, tr, v, report.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Verified, files.PDF)
}
