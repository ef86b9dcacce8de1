package custody_test

import (
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

func TestMemLedger(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) custody.Ledger { return custody.NewMemLedger() })
}

// appendOnly hides MemLedger's AppendAll, to run the suite on the one-by-one path of RecordAll.
type appendOnly struct{ custody.Ledger }

func TestLedgerWithoutBatches(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) custody.Ledger { return appendOnly{custody.NewMemLedger()} })
}
