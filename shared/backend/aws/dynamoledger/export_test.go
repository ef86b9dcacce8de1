package dynamoledger

import (
	"context"
	"encoding/json"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/custody/ledgertest"
)

// TestKeyRule lets the integration tests run the key rule of rotation_test.go on the emulators.
var TestKeyRule = testKeyRule

// Crashable is a sequenced ledger with the crash points of ledgertest.Crasher.
type Crashable struct{ *HeadsLedger }

var _ ledgertest.Crasher = Crashable{}

// StoreOnly implements ledgertest.Crasher: the event's transaction, no integration.
func (c Crashable) StoreOnly(ctx context.Context, e custody.Event) error {
	if err := custody.CheckSealed(e); err != nil {
		return err
	}
	leaf, err := hexHash(e.Hash)
	if err != nil {
		return err
	}
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return c.writePending(ctx, []custody.Event{e}, [][]byte{leaf}, []string{string(body)})
}

// CrashIntegrate implements ledgertest.Crasher.
func (c Crashable) CrashIntegrate(ctx context.Context, afterCommit bool) error {
	at := crashBeforeCommit
	if afterCommit {
		at = crashAfterCommit
	}
	_, _, err := c.integrateOnce(ctx, at)
	return err
}

// API is the ledger's DynamoDB seam, for the benchmark's request counts.
type API = api

// NewWith returns a ledger over db (a counting wrapper of a client, say); pending "" is New.
func NewWith(db API, custodyTable, logTable, pendingTable string) *Ledger {
	return &Ledger{db: db, custody: custodyTable, log: logTable, pending: pendingTable}
}

// KeyFresh is how old a key read may be for an append checked without a read.
const KeyFresh = keyFresh

// CommitSecondOnly plans a batch, runs between, plans the next batch on the head the first
// would leave (as a sequencer does while it writes the first), and writes only the second:
// a sequencer whose first transaction failed. It returns the second's lost and how many
// leaves it integrated.
func (c Crashable) CommitSecondOnly(ctx context.Context, between func()) (lost bool, integrated int, err error) {
	first, err := c.planBatch(ctx, nil, nil, nil)
	if err != nil {
		return false, 0, err
	}
	between()
	skip, spec := first.skipSet(nil)
	second, err := c.planBatch(ctx, &first.after, spec, skip)
	if err != nil {
		return false, 0, err
	}
	done, lost, _, err := c.commitBatch(ctx, second, noCrash)
	return lost, len(done), err
}
