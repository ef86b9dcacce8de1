// Package dynamoledger keeps the custody ledger in DynamoDB tables, for evx on AWS.
//
// [Ledger] implements custody.Ledger and passes the same conformance suite (ledgertest) as
// the in-memory and SQLite ledgers. Events and tree nodes are never updated or deleted: every
// write of them is a conditional PutItem inside a transaction, and template.yaml denies
// UpdateItem and DeleteItem on the custody and log tables to every function.
//
// Two layouts share the tables. The single-transaction one ([New]) writes each event with its
// leaf in one transaction that also moves the one global log head: simple, but every append
// races every other for the head (25-36 events/s with 64 writers on DynamoDB Local). The
// sequenced one ([NewSequenced], what template.yaml deploys with SequencedLog) keeps the per-bundle chain
// synchronous and conditional and integrates the global log in batches, as Trillian's
// sequencer does: the head is written once per batch of up to some 30 leaves.
//
// Layout (a compatibility promise; template.yaml declares the keys):
//
//	custody table  key (bundle S, seq N)  event S (the event's JSON); leaf N in the
//	                                      single-transaction layout only (sequenced: no leaf,
//	                                      see the index)
//	log table      key id S               "head": size N, range L of B (the compact range
//	                                      [0, size) of the RFC 6962 tree, left to right),
//	                                      key S (the key id that signs the log: the latest
//	                                      event's, or the key its latest KeyRotation introduced)
//	                                      "n/<level>/<index>": hash B (a perfect subtree); the
//	                                      leaves (level 0) written by the sequencer also carry
//	                                      bundle S, seq N (the event of the leaf)
//	                                      "e/<bundle>/<seq>": leaf N (sequenced: the event's
//	                                      leaf; written once, attribute_not_exists)
//	pending table  key (shard S, id S)    shard "s0".."s3" (FNV-1a of the bundle mod
//	                                      PendingShards), id "<bundle>/<seq, 20 digits>":
//	                                      bundle S, seq N, leaf B (the event hash), key S (its
//	                                      signer), next S (custody.NextLogKey), t N (unix ns);
//	                                      and (shard "lease", id "sequencer"): holder S,
//	                                      until N (unix ms), the sequencer lease
//
// Single-transaction Append reads the bundle's last event and the log head, then writes in one
// transaction: the event (condition: its (bundle, seq) is free), the new head (condition: the
// size it read) and the tree nodes the leaf completes. Because events are immutable and the
// sequence has no gaps, "seq is free and seq-1 has hash prev" is exactly "e follows the
// bundle's last event". A lost race for the sequence is a *custody.ConflictError; a lost race
// for the head (another bundle appended meanwhile) is retried here.
//
// Sequenced Append reads event seq-1 and the head in one request, checks the chain and the
// key, and writes in one transaction the event (condition: (bundle, seq) free) and its pending
// item. The read is skipped when the same Ledger stored event seq-1 itself (or seq is 1) and
// read the head's key, the event's own, less than 250 ms before (stored events are immutable,
// so the write's condition is all that is left to check). Then it waits for its leaf. The
// writer that holds the sequencer lease (a conditional put; it expires after two seconds)
// integrates batches: it reads the head and every shard's pending items, orders each bundle's
// events by seq (seq n only after n-1 is in the log or earlier in the batch), and writes in
// ONE transaction (at most 100 items) the head (condition: the size and key it read), the tree
// nodes (attribute_not_exists) and each leaf's index item (attribute_not_exists, so no leaf is
// integrated twice), then deletes the pending items (a pending item whose index item exists
// is only deleted). While one batch's transaction is under way it plans the next on the head
// that one leaves; should that one fail, the plan is dropped, and were it written, the head's
// condition would refuse it. The others wait about as long as their recent leaves took, then
// look for their index item (with the head and the lease, in one request) every third of
// that, and take the lease when it is free. The lease only saves work; the head's condition is
// what keeps two sequencers from both writing. A writer that crashes after its event's
// transaction leaves a pending item, which the next batch integrates, or [Ledger.Integrate]
// (the audit function's every run). Events and Last never report an event without its leaf:
// one not yet integrated is integrated first (and one whose pending item is gone, put back
// pending). The items are those of the layout above, unchanged (ItemVersion 1).
//
// The head also names the key that signs the log, and an event signed by another key is
// refused (*KeyError), so that after a key rotation (custody.KeyRotation, which moves the head
// to the new key) no function still holding the retired key can append. In the sequenced
// layout the check is made against the head when the event is written, and a rotation is the
// last leaf of its batch, after the events its key signed that were pending with it. One gap
// remains: a writer that read the head just before a rotation's batch was written, and stores
// its event just after, has that event integrated after the rotation (the key it was checked
// against is in the log before it); the window is the time between its read and its write,
// up to 250 ms more for a writer that appends right after its previous append (checked
// against the key that append read).
//
// A log written in the single-transaction layout goes on in the sequenced one (the head is
// the same, and an event with a leaf attribute needs no index). The way back is closed: New
// refuses to read an event stored without a leaf, and must not append once NewSequenced has.
package dynamoledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/custody"
	"github.com/transparency-dev/merkle/compact"
)

// api is the part of *dynamodb.Client the ledger uses; the signatures are the SDK's.
type api interface {
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, params *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, params *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(ctx context.Context, params *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	// PutItem only on the pending table (the sequencer lease, a pending item put back).
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

var _ api = (*dynamodb.Client)(nil)

// Ledger is a custody.Ledger on DynamoDB. It is safe for concurrent use, also across
// processes: every write is conditional.
type Ledger struct {
	db      api
	custody string // table names
	log     string
	pending string // "": the single-transaction layout (New)
	// Attempts bounds the tries of one Append that keeps losing the log head to other
	// bundles; 0 means 1000.
	Attempts int

	mu   sync.Mutex
	seen writerState // sequenced layout: what this ledger's own appends learned
}

var _ custody.Ledger = (*Ledger)(nil)

// New returns a Ledger over the custody and log tables that appends each leaf to the log in
// the event's own transaction (the single-transaction layout). It is kept for logs not yet
// moved to the sequenced layout: it refuses to read an event stored without a leaf.
func New(client *dynamodb.Client, custodyTable, logTable string) *Ledger {
	return &Ledger{db: client, custody: custodyTable, log: logTable}
}

// NewSequenced returns a Ledger over the custody, log and pending tables that integrates the
// log in batches (the sequenced layout). It reads and extends a log written by New.
func NewSequenced(client *dynamodb.Client, custodyTable, logTable, pendingTable string) *Ledger {
	return &Ledger{db: client, custody: custodyTable, log: logTable, pending: pendingTable}
}

// NewClient builds a DynamoDB client from the SDK's standard configuration (AWS_REGION,
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, the shared config files).
func NewClient(ctx context.Context, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, optFns...), nil
}

const headID = "head"

func nodeID(id compact.NodeID) string { return fmt.Sprintf("n/%d/%d", id.Level, id.Index) }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v uint64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatUint(v, 10)}
}

// head reads the log head: its size, compact range and the key that signs the log ("" in a
// head written before heads carried it).
func (l *Ledger) head(ctx context.Context) (uint64, [][]byte, string, error) {
	out, err := l.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &l.log, Key: map[string]types.AttributeValue{"id": s(headID)}, ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, nil, "", fmt.Errorf("log head: %w", err)
	}
	return parseHead(out.Item)
}

// parseHead decodes the head item (nil: the log is empty).
func parseHead(item map[string]types.AttributeValue) (uint64, [][]byte, string, error) {
	if item == nil {
		return 0, nil, "", nil
	}
	if _, err := itemVersion(item, "log head"); err != nil {
		return 0, nil, "", err
	}
	size, err := num(item["size"])
	if err != nil {
		return 0, nil, "", fmt.Errorf("log head: size: %w", err)
	}
	var rng [][]byte
	if l, ok := item["range"].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			b, ok := v.(*types.AttributeValueMemberB)
			if !ok {
				return 0, nil, "", errors.New("log head: range holds a non-binary value")
			}
			rng = append(rng, b.Value)
		}
	}
	if want := len(custody.RangeIDs(size)); len(rng) != want {
		return 0, nil, "", fmt.Errorf("log head: %d range hashes for size %d, want %d", len(rng), size, want)
	}
	key := ""
	if k, ok := item["key"].(*types.AttributeValueMemberS); ok {
		key = k.Value
	}
	return size, rng, key, nil
}

// KeyError is custody's *LogKeyError: an append signed by a key other than the log's.
type KeyError = custody.LogKeyError

func num(v types.AttributeValue) (uint64, error) {
	nv, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("not a number: %T", v)
	}
	return strconv.ParseUint(nv.Value, 10, 64)
}

// Append implements custody.Ledger.
func (l *Ledger) Append(ctx context.Context, e custody.Event) (uint64, error) {
	leaves, err := l.appendAll(ctx, []custody.Event{e})
	if err != nil {
		return 0, err
	}
	return leaves[0], nil
}

// AppendAll implements custody.BatchAppender: evs, consecutive events of one bundle, are
// written in one transaction, all or none, and their leaves appended to the log (in the
// single layout in the same transaction, in the sequenced one by the next batch). A batch
// over MaxBatch is refused, nothing written, with a *custody.BatchLimitError.
func (l *Ledger) AppendAll(ctx context.Context, evs []custody.Event) ([]uint64, error) {
	if err := custody.CheckBatch(evs); err != nil {
		return nil, err
	}
	return l.appendAll(ctx, evs)
}

// MaxBatch is the most events AppendAll takes in one call. The sequenced layout writes two
// items an event (so 30 always fit); the single one writes an item an event, the head, and
// the tree nodes the batch completes (about two an event, more when it completes a large
// subtree), and refuses, with the same error, a batch that would pass 100 items.
const MaxBatch = 30

func (l *Ledger) appendAll(ctx context.Context, evs []custody.Event) ([]uint64, error) {
	if len(evs) > MaxBatch {
		return nil, &custody.BatchLimitError{Events: len(evs), Limit: MaxBatch}
	}
	leaves, bodies := make([][]byte, len(evs)), make([]string, len(evs))
	for i, e := range evs {
		if err := custody.CheckSealed(e); err != nil {
			return nil, err
		}
		leaf, err := hexHash(e.Hash)
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
		leaves[i], bodies[i] = leaf, string(body)
	}
	if l.pending != "" {
		if err := l.writePending(ctx, evs, leaves, bodies); err != nil {
			return nil, err
		}
		return l.awaitLeaves(ctx, evs, time.Now())
	}
	return l.appendSingle(ctx, evs, leaves, bodies)
}

// appendSingle appends evs and their leaves in one transaction with the log's head.
func (l *Ledger) appendSingle(ctx context.Context, evs []custody.Event, leaves [][]byte, bodies []string) ([]uint64, error) {
	e, last := evs[0], evs[len(evs)-1]
	attempts := l.attempts()
	for try := 0; ; try++ {
		prev, ok, err := l.lastEvent(ctx, e.BundleID)
		if err != nil {
			return nil, err
		}
		if err := custody.CheckNext(e, prev, ok); err != nil {
			return nil, err
		}
		size, rng, key, err := l.head(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if key != "" && e.KeyID != key {
				return nil, &KeyError{Bundle: e.BundleID, Seq: e.Seq, Want: key, Got: e.KeyID}
			}
		}
		newRange, nodes, err := custody.AppendLeaves(size, rng, leaves)
		if err != nil {
			return nil, err
		}
		items := make([]types.TransactWriteItem, 0, len(evs)+1+len(nodes))
		out := make([]uint64, len(evs))
		for i, e := range evs {
			out[i] = size + uint64(i)
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName: &l.custody,
				Item: withVersion(map[string]types.AttributeValue{
					"bundle": s(e.BundleID), "seq": n(e.Seq), "event": s(bodies[i]), "leaf": n(out[i]),
				}),
				ConditionExpression: aws.String("attribute_not_exists(bundle)"),
			}})
		}
		items = append(items, types.TransactWriteItem{Put: l.headPut(size, size+uint64(len(evs)), newRange, key, custody.NextLogKey(last))})
		for _, nd := range nodes {
			// A tree node is written once, when the log grows past it: conditional like the
			// event, so no write can replace a node, whatever IAM allows.
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName:           &l.log,
				Item:                withVersion(map[string]types.AttributeValue{"id": s(nodeID(nd.ID)), "hash": &types.AttributeValueMemberB{Value: nd.Hash}}),
				ConditionExpression: aws.String("attribute_not_exists(id)"),
			}})
		}
		if len(items) > maxTransactItems {
			return nil, &custody.BatchLimitError{Events: len(evs), Limit: MaxBatch}
		}
		_, err = l.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return out, nil
		}
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) || !retryable(tc) {
			return nil, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
		// An event's own condition failed: the sequence is taken, which the next round's
		// CheckNext reports as a conflict. A lost head or a transaction conflict: try again.
		if try+1 >= attempts {
			return nil, fmt.Errorf("append %s/%d: log head still contended after %d attempts: %w", e.BundleID, e.Seq, attempts, err)
		}
		if err := sleep(ctx, try); err != nil {
			return nil, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
	}
}

// retryable reports whether a canceled transaction lost only a race (a failed condition,
// a concurrent transaction, throttling); anything else (an item over 400 KB, say) will not
// change on retry.
func retryable(tc *types.TransactionCanceledException) bool {
	for _, r := range tc.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "", "None", "ConditionalCheckFailed", "TransactionConflict", "ThrottlingError",
			"ProvisionedThroughputExceeded", "RequestLimitExceeded":
		default:
			return false
		}
	}
	return true
}

// headPut writes the head for the log grown from size to newSize, signed from then on by
// next, on condition that the stored head still says size and key (no key: a head written
// before heads carried one).
func (l *Ledger) headPut(size, newSize uint64, rng [][]byte, key, next string) *types.Put {
	hs := make([]types.AttributeValue, len(rng))
	for i, h := range rng {
		hs[i] = &types.AttributeValueMemberB{Value: h}
	}
	p := &types.Put{
		TableName: &l.log,
		Item:      withVersion(map[string]types.AttributeValue{"id": s(headID), "size": n(newSize), "range": &types.AttributeValueMemberL{Value: hs}, "key": s(next)}),
	}
	switch {
	case size == 0:
		p.ConditionExpression = aws.String("attribute_not_exists(id)")
	case key == "":
		p.ConditionExpression = aws.String("#size = :size AND attribute_not_exists(#key)")
		p.ExpressionAttributeNames = map[string]string{"#size": "size", "#key": "key"}
		p.ExpressionAttributeValues = map[string]types.AttributeValue{":size": n(size)}
	default:
		p.ConditionExpression = aws.String("#size = :size AND #key = :key")
		p.ExpressionAttributeNames = map[string]string{"#size": "size", "#key": "key"}
		p.ExpressionAttributeValues = map[string]types.AttributeValue{":size": n(size), ":key": s(key)}
	}
	return p
}

// sleep backs off with jitter, a few milliseconds growing to about 100.
func sleep(ctx context.Context, try int) error {
	d := time.Duration(1+rand.IntN(4<<min(try, 5))) * time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Events implements custody.Ledger, reading every page. Events stored but not yet in the log
// (a writer that crashed before its leaf was integrated) are integrated first.
func (l *Ledger) Events(ctx context.Context, bundleID string) ([]custody.Entry, error) {
	var out []custody.Entry
	var noLeaf []bool
	var start map[string]types.AttributeValue
	for {
		page, err := l.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &l.custody,
			KeyConditionExpression:    aws.String("bundle = :b"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":b": s(bundleID)},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("events of %s: %w", bundleID, err)
		}
		for _, it := range page.Items {
			en, has, err := entry(it)
			if err != nil {
				return nil, fmt.Errorf("events of %s: %w", bundleID, err)
			}
			out, noLeaf = append(out, en), append(noLeaf, !has)
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		start = page.LastEvaluatedKey
	}
	out, err := l.withLeaves(ctx, out, noLeaf, true)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", bundleID, err)
	}
	return out, nil
}

// scanner is the part of *dynamodb.Client Subjects uses, asserted where it is needed so that
// the ledger's own seam stays as small as its appends and reads.
type scanner interface {
	Scan(ctx context.Context, params *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ scanner = (*dynamodb.Client)(nil)

// Subjects returns the ids of the subjects (bundles, requests) that start with prefix, in
// order. The custody table has no index on a prefix of its key, so this scans the table for
// first events (seq 1) and reads only their ids: a cost that grows with the table, paid by the
// scheduled sweep of the request clocks (the audit function), never on a request's path.
func (l *Ledger) Subjects(ctx context.Context, prefix string) ([]string, error) {
	sc, ok := l.db.(scanner)
	if !ok {
		return nil, errors.New("subjects: this DynamoDB client cannot scan")
	}
	var out []string
	var start map[string]types.AttributeValue
	for {
		page, err := sc.Scan(ctx, &dynamodb.ScanInput{
			TableName:                &l.custody,
			FilterExpression:         aws.String("begins_with(#b, :p) AND seq = :one"),
			ProjectionExpression:     aws.String("#b"),
			ExpressionAttributeNames: map[string]string{"#b": "bundle"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":p": s(prefix), ":one": n(1),
			},
			ConsistentRead:    aws.Bool(true),
			ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, fmt.Errorf("subjects %q: %w", prefix, err)
		}
		for _, it := range page.Items {
			if v, ok := it["bundle"].(*types.AttributeValueMemberS); ok {
				out = append(out, v.Value)
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			break
		}
		start = page.LastEvaluatedKey
	}
	slices.Sort(out)
	return out, nil
}

// Last implements custody.Ledger. An event stored but not yet in the log is integrated first.
func (l *Ledger) Last(ctx context.Context, bundleID string) (custody.Entry, bool, error) {
	en, has, ok, err := l.lastStored(ctx, bundleID)
	if err != nil || !ok {
		return custody.Entry{}, false, err
	}
	es, err := l.withLeaves(ctx, []custody.Entry{en}, []bool{!has}, true)
	if err != nil {
		return custody.Entry{}, false, fmt.Errorf("last event of %s: %w", bundleID, err)
	}
	return es[0], true, nil
}

// entry decodes a stored event; hasLeaf is false for an event stored in the sequenced layout,
// whose leaf is in the log table's index.
func entry(it map[string]types.AttributeValue) (en custody.Entry, hasLeaf bool, err error) {
	if _, err := itemVersion(it, "stored event"); err != nil {
		return en, false, err
	}
	body, ok := it["event"].(*types.AttributeValueMemberS)
	if !ok {
		return en, false, errors.New("stored event has no event attribute")
	}
	if err := json.Unmarshal([]byte(body.Value), &en.Event); err != nil {
		return en, false, fmt.Errorf("stored event: %w", err)
	}
	lv, ok := it["leaf"]
	if !ok {
		return en, false, nil
	}
	leaf, err := num(lv)
	if err != nil {
		return en, false, fmt.Errorf("stored event: leaf: %w", err)
	}
	en.Leaf = leaf
	return en, true, nil
}

// LogSize implements custody.LogReader.
func (l *Ledger) LogSize(ctx context.Context) (uint64, error) {
	size, _, _, err := l.head(ctx)
	return size, err
}

// maxBatchGet is DynamoDB's limit of keys per BatchGetItem.
const maxBatchGet = 100

// Nodes implements custody.LogReader with consistent batch reads.
func (l *Ledger) Nodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = nodeID(id)
	}
	found := map[string][]byte{}
	err := l.logItems(ctx, keys, "log nodes", func(id string, it map[string]types.AttributeValue) error {
		h, _ := it["hash"].(*types.AttributeValueMemberB)
		if h == nil {
			return errors.New("log nodes: malformed node item")
		}
		if _, err := itemVersion(it, "log node "+id); err != nil {
			return err
		}
		found[id] = h.Value
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := found[keys[i]]
		if !ok {
			return nil, fmt.Errorf("log node %d/%d not stored", id.Level, id.Index)
		}
		out[i] = h
	}
	return out, nil
}

// logItems reads the log table's items of ids consistently, maxBatchGet at a time (each id
// once), retrying unprocessed keys, and hands each item found to each with its id; what names
// the read in errors.
func (l *Ledger) logItems(ctx context.Context, ids []string, what string, each func(id string, it map[string]types.AttributeValue) error) error {
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, map[string]types.AttributeValue{"id": s(id)})
		}
	}
	for len(keys) > 0 {
		batch := keys[:min(len(keys), maxBatchGet)]
		keys = keys[len(batch):]
		req := map[string]types.KeysAndAttributes{l.log: {Keys: batch, ConsistentRead: aws.Bool(true)}}
		for try := 0; len(req) > 0; try++ {
			out, err := l.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			for _, it := range out.Responses[l.log] {
				id, _ := it["id"].(*types.AttributeValueMemberS)
				if id == nil {
					return fmt.Errorf("%s: item without id", what)
				}
				if err := each(id.Value, it); err != nil {
					return err
				}
			}
			req = out.UnprocessedKeys
			if len(req) > 0 {
				if err := sleep(ctx, try); err != nil {
					return fmt.Errorf("%s: %w", what, err)
				}
			}
		}
	}
	return nil
}

func hexHash(h string) ([]byte, error) {
	if len(h) != 64 {
		return nil, fmt.Errorf("event hash %q: want 64 lowercase hex digits", h)
	}
	b := make([]byte, 32)
	for i := range b {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil || h[2*i] >= 'A' && h[2*i] <= 'F' || h[2*i+1] >= 'A' && h[2*i+1] <= 'F' {
			return nil, fmt.Errorf("event hash %q: want 64 lowercase hex digits", h)
		}
		b[i] = byte(v)
	}
	return b, nil
}
