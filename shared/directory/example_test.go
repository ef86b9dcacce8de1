package directory_test

import (
	"fmt"

	"github.com/evx-project/evx/shared/directory"
)

func ExampleLoad() {
	d, err := directory.Load("../../infra/counterparts.yaml")
	if err != nil {
		panic(err)
	}
	for _, cp := range d.Counterparts() {
		fmt.Println(cp.ID, cp.Country, cp.Active, cp.HandlingCodes)
	}
	// Output:
	// co-fgn CO true [H0 H1]
	// es-fge ES true [H0 H1 H2]
	// nl-om NL true [H0 H1 H2 H3]
	// nl-pol NL true [H0 H1 H2 H3]
	// pt-pj PT false [H0 H1]
}
