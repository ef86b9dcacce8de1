package custody_test

import (
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

func TestMemLedger(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) custody.Ledger { return custody.NewMemLedger() })
}
