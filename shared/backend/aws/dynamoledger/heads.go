package dynamoledger

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/custody"
)

// Heads uses the same scanner seam as Subjects (ledger.go).
var _ custody.HeadLister = (*HeadsLedger)(nil)

// HeadsLedger is the ledger with custody.HeadLister, so that the checkpoints signed over it
// commit to every bundle's head. It needs dynamodb:Scan on the custody table, which only the
// audit function's role has (awsenv.WithHeadsRecorded).
type HeadsLedger struct{ *Ledger }

// WithHeads returns l as a HeadsLedger.
func (l *Ledger) WithHeads() *HeadsLedger { return &HeadsLedger{l} }

// Heads implements custody.HeadLister with a consistent Scan of the custody table (every
// event's bundle, seq and leaf), keeping each bundle's last event below size. It reads the
// whole table: one checkpoint's heads cost a read of every stored event (docs/witnesses.md).
func (l *HeadsLedger) Heads(ctx context.Context, size uint64) ([]custody.Head, error) {
	sc, ok := l.db.(scanner)
	if !ok {
		return nil, fmt.Errorf("heads: the DynamoDB client cannot scan")
	}
	var all []custody.Entry
	var noLeaf []bool
	var start map[string]types.AttributeValue
	for {
		page, err := sc.Scan(ctx, &dynamodb.ScanInput{
			TableName:         &l.custody,
			ConsistentRead:    aws.Bool(true),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, fmt.Errorf("heads at %d: %w", size, err)
		}
		for _, it := range page.Items {
			en, has, err := entry(it)
			if err != nil {
				return nil, fmt.Errorf("heads at %d: %w", size, err)
			}
			all, noLeaf = append(all, en), append(noLeaf, !has)
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		start = page.LastEvaluatedKey
	}
	// Events of the sequenced layout take their leaves from the index; one not integrated yet
	// will have a leaf at or beyond the size read before the scan, so it is dropped.
	all, err := l.withLeaves(ctx, all, noLeaf, false)
	if err != nil {
		return nil, fmt.Errorf("heads at %d: %w", size, err)
	}
	last := map[string]custody.Entry{}
	for _, en := range all {
		if en.Leaf >= size {
			continue
		}
		if cur, ok := last[en.Event.BundleID]; !ok || en.Event.Seq > cur.Event.Seq {
			last[en.Event.BundleID] = en
		}
	}
	out := make([]custody.Head, 0, len(last))
	for id, en := range last {
		out = append(out, custody.Head{BundleID: id, Seq: en.Event.Seq, Hash: en.Event.Hash, Leaf: en.Leaf})
	}
	return out, nil
}
