package dynamoledger

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/evx-project/evx/shared/custody"
)

// The sequenced layout (NewSequenced): Append writes the event and a pending item, then
// integrates pending leaves into the log in batches, one transaction per batch.

const (
	// PendingShards is how many partitions (shard "s0".."s7") the pending table spreads over,
	// so that no partition takes every append. The sequencer queries them all.
	PendingShards = 8
	// maxTransactItems is DynamoDB's limit of items per TransactWriteItems.
	maxTransactItems = 100
	// maxBatchWrite is DynamoDB's limit of requests per BatchWriteItem.
	maxBatchWrite = 25
	// pendingPage bounds the pending items read from each shard per batch.
	pendingPage = 128
)

// indexID is the key of the log item that maps (bundle, seq) to its leaf. The seq is the
// last '/'-separated part (digits only), so bundle ids holding '/' stay unambiguous.
func indexID(bundle string, seq uint64) string {
	return "e/" + bundle + "/" + strconv.FormatUint(seq, 10)
}

func shardOf(bundle string) string {
	h := fnv.New32a()
	h.Write([]byte(bundle))
	return "s" + strconv.Itoa(int(h.Sum32()%PendingShards))
}

// pendingID sorts a bundle's pending items in seq order within their shard.
func pendingID(bundle string, seq uint64) string { return fmt.Sprintf("%s/%020d", bundle, seq) }

// pending is an event stored in its bundle whose leaf is not yet in the log.
type pending struct {
	shard, id   string
	bundle      string
	seq         uint64
	leaf        []byte // the event's hash
	key, next   string // the key that signed the event, the log's key once it is appended
	written     int64  // unix nanoseconds of the writer's clock, for fairness only
	indexedSeen bool   // its index item exists: integrated already, only the pending item is left
}

func (p pending) itemKey() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"shard": s(p.shard), "id": s(p.id)}
}

// crashPoint lets the tests stop integrateOnce where a crashed sequencer would.
type crashPoint int

const (
	noCrash           crashPoint = iota
	crashBeforeCommit            // the batch is chosen, nothing written
	crashAfterCommit             // the batch is in the log, its pending items not yet deleted
)

// writePending stores e in its bundle (condition: its (bundle, seq) is free) with no leaf,
// and its pending item, in one transaction. A failed condition or a lost race is retried: the
// next round's CheckNext reports a taken sequence as a *custody.ConflictError.
func (l *Ledger) writePending(ctx context.Context, e custody.Event, leaf []byte, body []byte) error {
	attempts := l.attempts()
	for try := 0; ; try++ {
		last, ok, err := l.lastEvent(ctx, e.BundleID)
		if err != nil {
			return err
		}
		if err := custody.CheckNext(e, last, ok); err != nil {
			return err
		}
		_, _, key, err := l.head(ctx)
		if err != nil {
			return err
		}
		if key != "" && e.KeyID != key {
			return &KeyError{Bundle: e.BundleID, Seq: e.Seq, Want: key, Got: e.KeyID}
		}
		_, err = l.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName: &l.custody,
				Item: withVersion(map[string]types.AttributeValue{
					"bundle": s(e.BundleID), "seq": n(e.Seq), "event": s(string(body)),
				}),
				ConditionExpression: aws.String("attribute_not_exists(bundle)"),
			}},
			{Put: &types.Put{
				TableName: &l.pending,
				Item: withVersion(map[string]types.AttributeValue{
					"shard": s(shardOf(e.BundleID)), "id": s(pendingID(e.BundleID, e.Seq)),
					"bundle": s(e.BundleID), "seq": n(e.Seq), "leaf": &types.AttributeValueMemberB{Value: leaf},
					"key": s(e.KeyID), "next": s(custody.NextLogKey(e)), "t": n(uint64(time.Now().UnixNano())),
				}),
				ConditionExpression: aws.String("attribute_not_exists(id)"),
			}},
		}})
		if err == nil {
			return nil
		}
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) || !retryable(tc) {
			return fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
		if try+1 >= attempts {
			return fmt.Errorf("append %s/%d: still contended after %d attempts: %w", e.BundleID, e.Seq, attempts, err)
		}
		if err := sleep(ctx, try); err != nil {
			return fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
	}
}

func (l *Ledger) attempts() int {
	if l.Attempts <= 0 {
		return 1000
	}
	return l.Attempts
}

// awaitLeaf integrates pending leaves, or waits for another writer to, until (bundle, seq)
// has its leaf.
func (l *Ledger) awaitLeaf(ctx context.Context, bundle string, seq uint64) (uint64, error) {
	attempts := l.attempts()
	for try := 0; ; try++ {
		done, lost, err := l.integrateOnce(ctx, noCrash)
		if err != nil {
			return 0, fmt.Errorf("append %s/%d: %w", bundle, seq, err)
		}
		if leaf, ok := done[indexID(bundle, seq)]; ok {
			return leaf, nil
		}
		if lost {
			// Another writer's batch won the head: it may hold this leaf. Give it the time of
			// a transaction before reading.
			if err := sleep(ctx, min(try, 2)); err != nil {
				return 0, fmt.Errorf("append %s/%d: %w", bundle, seq, err)
			}
		}
		leaves, err := l.indexed(ctx, []string{indexID(bundle, seq)})
		if err != nil {
			return 0, fmt.Errorf("append %s/%d: %w", bundle, seq, err)
		}
		if leaf, ok := leaves[indexID(bundle, seq)]; ok {
			return leaf, nil
		}
		if try+1 >= attempts {
			return 0, fmt.Errorf("append %s/%d: stored, but its leaf not integrated after %d attempts (the next append or Integrate will)", bundle, seq, attempts)
		}
	}
}

// Integrate integrates every pending leaf into the log, batch by batch, and returns how many
// this call integrated (others may integrate some meanwhile). It finishes what writers that
// crashed after storing their event left pending; the audit function calls it on every run.
// Only a sequenced ledger (NewSequenced) has pending leaves; on another it does nothing.
func (l *Ledger) Integrate(ctx context.Context) (int, error) {
	if l.pending == "" {
		return 0, nil
	}
	total := 0
	for try := 0; ; {
		done, lost, err := l.integrateOnce(ctx, noCrash)
		if err != nil {
			return total, fmt.Errorf("integrate: %w", err)
		}
		total += len(done)
		if !lost && len(done) == 0 {
			return total, nil
		}
		if lost {
			if try++; try >= l.attempts() {
				return total, fmt.Errorf("integrate: log head still contended after %d attempts", try)
			}
			if err := sleep(ctx, min(try, 3)); err != nil {
				return total, fmt.Errorf("integrate: %w", err)
			}
		}
	}
}

// integrateOnce integrates one batch of pending leaves: it reads the head, the pending items
// and which of them (and of their predecessors) are indexed, then writes in one transaction
// the head (condition: the size and key it read), the tree nodes (attribute_not_exists) and
// each leaf's index item (attribute_not_exists: no leaf is integrated twice), and afterwards
// deletes the pending items. It returns the index ids it integrated with their leaves, and
// lost when another batch took the head first. A bundle's events are integrated in seq order:
// seq n only once seq n-1 is indexed or earlier in the same batch.
func (l *Ledger) integrateOnce(ctx context.Context, crash crashPoint) (map[string]uint64, bool, error) {
	size, rng, key, err := l.head(ctx)
	if err != nil {
		return nil, false, err
	}
	ps, err := l.pendingItems(ctx)
	if err != nil || len(ps) == 0 {
		return nil, false, err
	}
	// Which candidates are indexed already (their pending item outlived a crash or is being
	// deleted), and whether each bundle's predecessor is.
	byBundle := map[string][]*pending{}
	for i := range ps {
		byBundle[ps[i].bundle] = append(byBundle[ps[i].bundle], &ps[i])
	}
	var ids []string
	for b, g := range byBundle {
		slices.SortFunc(g, func(x, y *pending) int { return cmp.Compare(x.seq, y.seq) })
		if g[0].seq > 1 {
			ids = append(ids, indexID(b, g[0].seq-1))
		}
		for _, p := range g {
			ids = append(ids, indexID(b, p.seq))
		}
	}
	known, err := l.indexed(ctx, ids)
	if err != nil {
		return nil, false, err
	}
	var stale []pending
	type group struct {
		ready   []*pending
		written int64
	}
	var groups []group
	for b, g := range byBundle {
		var gr group
		for _, p := range g {
			if _, ok := known[indexID(b, p.seq)]; ok {
				p.indexedSeen = true
				stale = append(stale, *p)
				continue
			}
			_, prevIndexed := known[indexID(b, p.seq-1)]
			prevReady := len(gr.ready) > 0 && gr.ready[len(gr.ready)-1].seq == p.seq-1
			if p.seq != 1 && !prevIndexed && !prevReady {
				break // its predecessor is neither in the log nor in this batch
			}
			gr.ready = append(gr.ready, p)
			if gr.written == 0 || p.written < gr.written {
				gr.written = p.written
			}
		}
		if len(gr.ready) > 0 {
			groups = append(groups, gr)
		}
	}
	// Oldest bundles first; the key log last, so that a rotation ends its batch after every
	// event signed by the key it retires.
	slices.SortFunc(groups, func(x, y group) int {
		xk, yk := x.ready[0].bundle == custody.KeyLogSubject, y.ready[0].bundle == custody.KeyLogSubject
		if xk != yk {
			if xk {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(x.written, y.written), cmp.Compare(x.ready[0].bundle, y.ready[0].bundle))
	})
	var (
		batch    []*pending
		items    []types.TransactWriteItem
		curRange = rng
		curKey   = key
	)
fill:
	for _, g := range groups {
		for _, p := range g.ready {
			leaf := size + uint64(len(batch))
			newRange, nodes, err := custody.AppendLeaves(leaf, curRange, [][]byte{p.leaf})
			if err != nil {
				return nil, false, err
			}
			if 1+len(items)+1+len(nodes) > maxTransactItems {
				break fill
			}
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName:           &l.log,
				Item:                withVersion(map[string]types.AttributeValue{"id": s(indexID(p.bundle, p.seq)), "leaf": n(leaf)}),
				ConditionExpression: aws.String("attribute_not_exists(id)"),
			}})
			for _, nd := range nodes {
				it := map[string]types.AttributeValue{"id": s(nodeID(nd.ID)), "hash": &types.AttributeValueMemberB{Value: nd.Hash}}
				if nd.ID.Level == 0 {
					it["bundle"], it["seq"] = s(p.bundle), n(p.seq) // the leaf feed: leaf -> event
				}
				items = append(items, types.TransactWriteItem{Put: &types.Put{
					TableName: &l.log, Item: withVersion(it), ConditionExpression: aws.String("attribute_not_exists(id)"),
				}})
			}
			batch, curRange = append(batch, p), newRange
			// The head moves to the key a rotation introduces only when the rotation is signed
			// by the log's key (an event the head refused at append would not be stored).
			if curKey == "" || p.key == curKey {
				curKey = p.next
			}
			if p.next != p.key {
				break fill
			}
		}
	}
	if len(batch) == 0 {
		return nil, false, l.deletePending(ctx, stale)
	}
	if crash == crashBeforeCommit {
		return nil, false, nil
	}
	items = append(items, types.TransactWriteItem{Put: l.headPut(size, size+uint64(len(batch)), curRange, key, curKey)})
	_, err = l.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err != nil {
		var tc *types.TransactionCanceledException
		if errors.As(err, &tc) && retryable(tc) {
			return nil, true, nil
		}
		return nil, false, fmt.Errorf("integrate %d leaves at %d: %w", len(batch), size, err)
	}
	done := make(map[string]uint64, len(batch))
	for i, p := range batch {
		done[indexID(p.bundle, p.seq)] = size + uint64(i)
		stale = append(stale, *p)
	}
	if crash == crashAfterCommit {
		return done, false, nil
	}
	return done, false, l.deletePending(ctx, stale)
}

// pendingItems reads up to pendingPage pending items of every shard, the shards in parallel.
func (l *Ledger) pendingItems(ctx context.Context) ([]pending, error) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  []pending
		errs []error
	)
	for i := range PendingShards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			page, err := l.db.Query(ctx, &dynamodb.QueryInput{
				TableName:                 &l.pending,
				KeyConditionExpression:    aws.String("#shard = :s"),
				ExpressionAttributeNames:  map[string]string{"#shard": "shard"}, // a reserved word
				ExpressionAttributeValues: map[string]types.AttributeValue{":s": s("s" + strconv.Itoa(i))},
				ConsistentRead:            aws.Bool(true),
				Limit:                     aws.Int32(pendingPage),
			})
			var ps []pending
			if err == nil {
				for _, it := range page.Items {
					p, perr := pendingItem(it)
					if perr != nil {
						err = perr
						break
					}
					ps = append(ps, p)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("pending leaves of shard s%d: %w", i, err))
			}
			out = append(out, ps...)
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func pendingItem(it map[string]types.AttributeValue) (pending, error) {
	var p pending
	if _, err := itemVersion(it, "pending leaf"); err != nil {
		return p, err
	}
	str := func(name string) string {
		v, _ := it[name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	p.shard, p.id, p.bundle, p.key, p.next = str("shard"), str("id"), str("bundle"), str("key"), str("next")
	seq, err := num(it["seq"])
	if err != nil {
		return p, fmt.Errorf("pending leaf %s: seq: %w", p.id, err)
	}
	p.seq = seq
	if t, err := num(it["t"]); err == nil {
		p.written = int64(t)
	}
	leaf, _ := it["leaf"].(*types.AttributeValueMemberB)
	if leaf == nil || len(leaf.Value) != 32 || p.bundle == "" || p.seq == 0 {
		return p, fmt.Errorf("pending leaf %q: malformed item", p.id)
	}
	p.leaf = leaf.Value
	return p, nil
}

// deletePending deletes integrated pending items; deleting one already gone is a no-op.
func (l *Ledger) deletePending(ctx context.Context, ps []pending) error {
	for len(ps) > 0 {
		chunk := ps[:min(len(ps), maxBatchWrite)]
		ps = ps[len(chunk):]
		reqs := make([]types.WriteRequest, len(chunk))
		for i, p := range chunk {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: p.itemKey()}}
		}
		req := map[string][]types.WriteRequest{l.pending: reqs}
		for try := 0; len(req) > 0; try++ {
			out, err := l.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return fmt.Errorf("delete integrated pending leaves: %w", err)
			}
			req = out.UnprocessedItems
			if len(req) > 0 {
				if err := sleep(ctx, try); err != nil {
					return fmt.Errorf("delete integrated pending leaves: %w", err)
				}
			}
		}
	}
	return nil
}

// indexed reads the index items of ids (consistently) and returns the leaves of those stored.
func (l *Ledger) indexed(ctx context.Context, ids []string) (map[string]uint64, error) {
	found := map[string]uint64{}
	seen := map[string]bool{}
	var keys []map[string]types.AttributeValue
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
				return nil, fmt.Errorf("leaf index: %w", err)
			}
			for _, it := range out.Responses[l.log] {
				id, _ := it["id"].(*types.AttributeValueMemberS)
				if id == nil {
					return nil, errors.New("leaf index: item without id")
				}
				if _, err := itemVersion(it, "leaf index "+id.Value); err != nil {
					return nil, err
				}
				leaf, err := num(it["leaf"])
				if err != nil {
					return nil, fmt.Errorf("leaf index %s: %w", id.Value, err)
				}
				found[id.Value] = leaf
			}
			req = out.UnprocessedKeys
			if len(req) > 0 {
				if err := sleep(ctx, try); err != nil {
					return nil, fmt.Errorf("leaf index: %w", err)
				}
			}
		}
	}
	return found, nil
}

// withLeaves fills in the leaf of every entry stored without one (the sequenced layout) from
// the leaf index. An entry whose leaf is not yet integrated is integrated first (integrate
// true) or dropped from the result (integrate false: Heads, which only wants leaves below a
// size the log had reached, and a pending leaf will be at or beyond it).
func (l *Ledger) withLeaves(ctx context.Context, es []custody.Entry, noLeaf []bool, integrate bool) ([]custody.Entry, error) {
	for round := 0; ; round++ {
		var ids []string
		for i, missing := range noLeaf {
			if missing {
				ids = append(ids, indexID(es[i].Event.BundleID, es[i].Event.Seq))
			}
		}
		if len(ids) == 0 {
			return es, nil
		}
		leaves, err := l.indexed(ctx, ids)
		if err != nil {
			return nil, err
		}
		left := 0
		for i, missing := range noLeaf {
			if !missing {
				continue
			}
			if leaf, ok := leaves[indexID(es[i].Event.BundleID, es[i].Event.Seq)]; ok {
				es[i].Leaf, noLeaf[i] = leaf, false
			} else {
				left++
			}
		}
		if left == 0 {
			return es, nil
		}
		if !integrate {
			out := es[:0]
			for i, en := range es {
				if !noLeaf[i] {
					out = append(out, en)
				}
			}
			return out, nil
		}
		if l.pending == "" {
			return nil, fmt.Errorf("%d events stored without a leaf: the log is sequenced (NewSequenced), this ledger is not", left)
		}
		if round >= l.attempts() {
			return nil, fmt.Errorf("%d events stored, their leaves still not integrated after %d attempts", left, round)
		}
		if _, err := l.Integrate(ctx); err != nil {
			return nil, err
		}
	}
}

// lastEvent returns the bundle's last stored event without its leaf (which Append does not
// need and a pending event does not have yet).
func (l *Ledger) lastEvent(ctx context.Context, bundleID string) (custody.Entry, bool, error) {
	page, err := l.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &l.custody,
		KeyConditionExpression:    aws.String("bundle = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": s(bundleID)},
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
	})
	if err != nil {
		return custody.Entry{}, false, fmt.Errorf("last event of %s: %w", bundleID, err)
	}
	if len(page.Items) == 0 {
		return custody.Entry{}, false, nil
	}
	en, _, err := entry(page.Items[0])
	if err != nil {
		return custody.Entry{}, false, fmt.Errorf("last event of %s: %w", bundleID, err)
	}
	return en, true, nil
}
