package dynamoledger

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
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
	// PendingShards is how many partitions (shard "s0".."s3") the pending table spreads over,
	// so that no partition takes every append. The sequencer queries them all.
	PendingShards = 4
	// maxTransactItems is DynamoDB's limit of items per TransactWriteItems.
	maxTransactItems = 100
	// pendingPage bounds the pending items read from each shard per batch.
	pendingPage = 128
)

// indexID is the key of the log item that maps (bundle, seq) to its leaf. The seq is the
// last '/'-separated part (digits only), so bundle ids holding '/' stay unambiguous.
func indexID(bundle string, seq uint64) string {
	return "e/" + bundle + "/" + strconv.FormatUint(seq, 10)
}

// shardOf is the pending shard of a bundle: FNV-1a (32 bits) of its id, mod PendingShards.
func shardOf(bundle string) string {
	h := uint32(2166136261)
	for i := 0; i < len(bundle); i++ {
		h = (h ^ uint32(bundle[i])) * 16777619
	}
	return "s" + strconv.Itoa(int(h%PendingShards))
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

// writePending stores evs in their bundle (condition: each (bundle, seq) is free) with no
// leaf, and their pending items, in one transaction. A taken sequence is a
// *custody.ConflictError; a lost race for the items is retried.
func (l *Ledger) writePending(ctx context.Context, evs []custody.Event, leaves [][]byte, bodies []string) error {
	e, last := evs[0], evs[len(evs)-1]
	attempts := l.attempts()
	for try := 0; ; try++ {
		key, ok := "", false
		if try == 0 {
			key, ok = l.remembered(e)
		}
		var err error
		if !ok {
			if key, err = l.check(ctx, e); err != nil {
				return err
			}
		}
		items := make([]types.TransactWriteItem, 0, 2*len(evs))
		for i, e := range evs {
			if key != "" && e.KeyID != key {
				return &KeyError{Bundle: e.BundleID, Seq: e.Seq, Want: key, Got: e.KeyID}
			}
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName: &l.custody,
				Item: withVersion(map[string]types.AttributeValue{
					"bundle": s(e.BundleID), "seq": n(e.Seq), "event": s(bodies[i]),
				}),
				ConditionExpression: aws.String("attribute_not_exists(bundle)"),
			}}, types.TransactWriteItem{Put: l.pendingPut(e, leaves[i])})
		}
		_, err = l.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			l.remember(last)
			return nil
		}
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) || !retryable(tc) {
			return fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
		if len(tc.CancellationReasons) > 0 && aws.ToString(tc.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
			l.forget(e.BundleID)
			// The sequence is taken: report what the bundle holds now, unless it is these very
			// events (a retry of a transaction that was written, by an emulator that does not
			// honor the SDK's ClientRequestToken).
			stored, ok, err := l.lastEvent(ctx, e.BundleID)
			if err != nil {
				return err
			}
			if ok && stored.Event.Seq == last.Seq && stored.Event.Hash == last.Hash {
				for _, e := range evs {
					if err := l.repend(ctx, e); err != nil {
						return err
					}
				}
				return nil
			}
			if err := custody.CheckNext(e, stored, ok); err != nil {
				return err
			}
		}
		if try+1 >= attempts {
			return fmt.Errorf("append %s/%d: still contended after %d attempts: %w", e.BundleID, e.Seq, attempts, err)
		}
		if err := sleep(ctx, try); err != nil {
			return fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
	}
}

// awaitLeaves waits until the last of evs has its leaf (a bundle's leaves are integrated in
// order, so the others have theirs by then) and returns the leaves of all.
func (l *Ledger) awaitLeaves(ctx context.Context, evs []custody.Event, written time.Time) ([]uint64, error) {
	last := evs[len(evs)-1]
	leaf, err := l.awaitLeaf(ctx, last, written)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(evs))
	out[len(evs)-1] = leaf
	if len(evs) == 1 {
		return out, nil
	}
	ids := make([]string, len(evs)-1)
	for i, e := range evs[:len(evs)-1] {
		ids[i] = indexID(e.BundleID, e.Seq)
	}
	got, err := l.indexed(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		lf, ok := got[id]
		if !ok {
			return nil, fmt.Errorf("append %s/%d: integrated after the batch's last event, but not in the leaf index", evs[i].BundleID, evs[i].Seq)
		}
		out[i] = lf
	}
	return out, nil
}

// check reads, in one request, the event before e in its bundle and the log head: e must follow
// that event (a *custody.ConflictError otherwise; that e's seq is free, the write's condition
// checks). It returns the key that signs the log.
func (l *Ledger) check(ctx context.Context, e custody.Event) (string, error) {
	req := map[string]types.KeysAndAttributes{
		l.log: {Keys: []map[string]types.AttributeValue{{"id": s(headID)}}, ConsistentRead: aws.Bool(true)},
	}
	if e.Seq > 1 {
		req[l.custody] = types.KeysAndAttributes{Keys: []map[string]types.AttributeValue{{"bundle": s(e.BundleID), "seq": n(e.Seq - 1)}}, ConsistentRead: aws.Bool(true)}
	}
	var headItem, prevItem map[string]types.AttributeValue
	readAt := time.Now()
	for try := 0; len(req) > 0; try++ {
		out, err := l.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return "", fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
		for _, it := range out.Responses[l.log] {
			headItem = it
		}
		for _, it := range out.Responses[l.custody] {
			prevItem = it
		}
		req = out.UnprocessedKeys
		if len(req) > 0 {
			if err := sleep(ctx, try); err != nil {
				return "", fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
			}
		}
	}
	_, _, key, err := parseHead(headItem)
	if err != nil {
		return "", err
	}
	l.learnKey(key, readAt)
	var prev custody.Entry
	if prevItem != nil {
		if prev, _, err = entry(prevItem); err != nil {
			return "", fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
	}
	if e.Seq <= 1 || prevItem == nil || prev.Event.Hash != e.Prev {
		// A conflict (or a malformed seq): report it against the bundle's last event.
		last, ok, err := l.lastEvent(ctx, e.BundleID)
		if err != nil {
			return "", err
		}
		if err := custody.CheckNext(e, last, ok); err != nil {
			return "", err
		}
	}
	return key, nil
}

// pendingPut writes e's pending item, unless it exists.
func (l *Ledger) pendingPut(e custody.Event, leaf []byte) *types.Put {
	return &types.Put{
		TableName: &l.pending,
		Item: withVersion(map[string]types.AttributeValue{
			"shard": s(shardOf(e.BundleID)), "id": s(pendingID(e.BundleID, e.Seq)),
			"bundle": s(e.BundleID), "seq": n(e.Seq), "leaf": &types.AttributeValueMemberB{Value: leaf},
			"key": s(e.KeyID), "next": s(custody.NextLogKey(e)), "t": n(uint64(time.Now().UnixNano())),
		}),
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	}
}

// repend puts back the pending item of a stored event that is neither in the log nor
// pending (its pending item deleted by someone else than a sequencer). An event that is
// pending keeps its item; one integrated meanwhile gets a stale item, which the next batch
// deletes.
func (l *Ledger) repend(ctx context.Context, e custody.Event) error {
	leaf, err := hexHash(e.Hash)
	if err != nil {
		return err
	}
	p := l.pendingPut(e, leaf)
	_, err = l.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: p.TableName, Item: p.Item, ConditionExpression: p.ConditionExpression})
	var cf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cf) {
		return fmt.Errorf("pending leaf of %s/%d: %w", e.BundleID, e.Seq, err)
	}
	return nil
}

func (l *Ledger) attempts() int {
	if l.Attempts <= 0 {
		return 1000
	}
	return l.Attempts
}

// awaitLeaf waits until e has its leaf. The writer holding the sequencer lease integrates
// batches; the others look for their leaf, and take the lease when nobody holds it (or its
// holder let it expire: crashed). So under load one writer integrates for many, and a writer
// alone integrates at once. The lease only saves work: the head's condition keeps two
// sequencers from both writing, should a lease holder outlive its lease.
//
// A writer whose leaves others integrate does not look at once: it waits about as long as its
// recent leaves took (writerState.wait), then looks every third of that, so that under load a
// writer makes one or two reads per event rather than one every few milliseconds.
func (l *Ledger) awaitLeaf(ctx context.Context, e custody.Event, written time.Time) (uint64, error) {
	id := indexID(e.BundleID, e.Seq)
	attempts := l.attempts()
	first, every := l.waits()
	if err := pause(ctx, first); err != nil {
		return 0, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
	}
	for try := 0; ; try++ {
		var (
			leaf     uint64
			ok, held bool
			err      error
		)
		if try > 0 || first > 0 {
			leaf, ok, held, err = l.look(ctx, id)
		} // else the last leaf was this ledger's to integrate: try the lease before looking
		if err != nil {
			return 0, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
		if ok {
			l.waited(time.Since(written), try == 0 && first > 0, false)
			return leaf, nil
		}
		if !held {
			me, got, err := l.takeLease(ctx)
			if err != nil {
				return 0, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
			}
			if got {
				leaf, err := l.sequence(ctx, id, me)
				if err != nil {
					return 0, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
				}
				l.waited(0, false, true)
				return leaf, nil
			}
		}
		if try+1 >= attempts {
			return 0, fmt.Errorf("append %s/%d: stored, but its leaf not integrated after %d attempts (the next append or Integrate will)", e.BundleID, e.Seq, attempts)
		}
		if err := pause(ctx, every); err != nil {
			return 0, fmt.Errorf("append %s/%d: %w", e.BundleID, e.Seq, err)
		}
	}
}

// sequence integrates batches, holding the lease me, until id is integrated and then while
// batches keep coming, for at most half the lease; then it lets the lease go. A writer that
// takes the lease under load so stays the sequencer a while, sparing the lease's handover.
func (l *Ledger) sequence(ctx context.Context, id, me string) (uint64, error) {
	defer l.dropLease(context.WithoutCancel(ctx), me)
	// The pending items of a batch are deleted while the next batches are read and written
	// (a delete takes longer than a batch on DynamoDB Local: up to maxDeleting at once). A
	// failed delete leaves stale pending items, which the next batch that reads them deletes:
	// it fails no append.
	var deleting sync.WaitGroup
	defer deleting.Wait()
	slots := make(chan struct{}, maxDeleting)
	start := time.Now()
	attempts := l.attempts()
	var leaf uint64
	mine := false
	var recent map[string]uint64 // nil: check every candidate against the index
	var next *batchPlan          // planned while the batch before it was written
	for try := 0; ; try++ {
		pl := next
		next = nil
		var err error
		if pl == nil {
			pl, err = l.planBatch(ctx, nil, recent, nil)
		}
		var (
			done    map[string]uint64
			lost    bool
			cleanup []pending
		)
		if err == nil {
			// The next batch is planned while this one is written, on the head this one
			// leaves: should this one fail, the plan is dropped (and were it used, the
			// head's condition would refuse it).
			var planned sync.WaitGroup
			var np *batchPlan
			var nerr error
			if len(pl.batch) > 0 && !(mine || pl.holds(id)) || len(pl.batch) >= 2 && time.Since(start) <= leaseTime/2 {
				// (not when this batch will be the last: see the return below)
				skip, spec := pl.skipSet(recent)
				planned.Add(1)
				go func() {
					defer planned.Done()
					np, nerr = l.planBatch(ctx, &pl.after, spec, skip)
				}()
			}
			done, lost, cleanup, err = l.commitBatch(ctx, pl, noCrash)
			planned.Wait()
			if err == nil && !lost && nerr == nil {
				next = np
			}
		}
		if lost || err != nil {
			recent = nil
		} else if len(done) > 0 {
			if recent == nil {
				recent = map[string]uint64{}
			}
			for id, lf := range done {
				recent[id] = lf
			}
		}
		if err != nil {
			if mine {
				return leaf, nil // this leaf is in; the next sequencer meets the error
			}
			return 0, err
		}
		if len(cleanup) > 0 {
			slots <- struct{}{}
			deleting.Add(1)
			go func() {
				defer func() { <-slots; deleting.Done() }()
				l.deletePending(context.WithoutCancel(ctx), cleanup)
			}()
		}
		if lf, ok := done[id]; ok {
			leaf, mine = lf, true
		}
		if mine && (len(done) < 2 || time.Since(start) > leaseTime/2) {
			return leaf, nil // little else pending, or long enough
		}
		if !lost && len(done) == 0 { // nothing pending: integrated by a sequencer before
			got, err := l.indexed(ctx, []string{id})
			if err != nil {
				return 0, err
			}
			if lf, ok := got[id]; ok {
				return lf, nil
			}
		}
		if try+1 >= attempts {
			if mine {
				return leaf, nil
			}
			return 0, fmt.Errorf("leaf not integrated after %d batches", attempts)
		}
		if lost {
			if err := sleep(ctx, min(try, 2)); err != nil {
				return 0, err
			}
		}
	}
}

// writerState is what a sequenced ledger remembers of its own appends, to spare requests.
type writerState struct {
	// last holds, per bundle, the last event this ledger stored (at most rememberBundles).
	// Events are immutable, so an event that follows it needs no read of the bundle: its
	// write's condition ((bundle, seq) free) is all that is left to check.
	last map[string]storedEvent
	// key is the key that signs the log, as the head said at keyAt (a check, a look, or a
	// batch this ledger wrote).
	key   string
	keyAt time.Time
	// wait estimates how long a leaf of this ledger takes from its write to its integration
	// by another writer's batch; self is true when the last was integrated by this ledger
	// (the lease was free: the next append looks at once).
	wait time.Duration
	self bool
	init bool
}

type storedEvent struct {
	seq  uint64
	hash string
}

const (
	// rememberBundles bounds writerState.last; past it the map starts over.
	rememberBundles = 1024
	// keyFresh is how old a head read may be for an append to be checked against its key
	// without reading the head again.
	keyFresh = 250 * time.Millisecond
	// pollInterval is the first wait estimate: about the time one batch takes on DynamoDB.
	pollInterval = 25 * time.Millisecond
	// minPoll and maxPoll bound the wait estimate.
	minPoll, maxPoll = 4 * time.Millisecond, 500 * time.Millisecond
)

// remembered returns the log's key for e without a read, if this ledger stored e's
// predecessor (or e is a bundle's first event) and read the head's key less than keyFresh ago,
// and that key is e's: a key that differs may be stale, and is checked against the head.
func (l *Ledger) remembered(e custody.Event) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := &l.seen
	if st.key == "" || st.key != e.KeyID || time.Since(st.keyAt) > keyFresh {
		return "", false
	}
	if e.Seq == 1 {
		return st.key, true // seq 1 free is exactly "first in its bundle"
	}
	last, ok := st.last[e.BundleID]
	if !ok || last.seq+1 != e.Seq || last.hash != e.Prev {
		return "", false
	}
	return st.key, true
}

// remember notes e as its bundle's last event, stored by this ledger.
func (l *Ledger) remember(e custody.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen.last == nil || len(l.seen.last) >= rememberBundles {
		l.seen.last = map[string]storedEvent{}
	}
	l.seen.last[e.BundleID] = storedEvent{e.Seq, e.Hash}
}

// forget drops what this ledger remembers of bundle (another writer took a sequence of it).
func (l *Ledger) forget(bundle string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen.last, bundle)
}

// learnKey notes the log's key as the head said at a time at.
func (l *Ledger) learnKey(key string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at.After(l.seen.keyAt) {
		l.seen.key, l.seen.keyAt = key, at
	}
}

// waits returns how long an append waits before it first looks for its leaf, and between
// looks.
func (l *Ledger) waits() (first, every time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := &l.seen
	if !st.init {
		st.init, st.self, st.wait = true, true, pollInterval
	}
	every = max(st.wait/3, minPoll)
	if st.self {
		return 0, every
	}
	return st.wait, every
}

// waited updates the wait estimate with a leaf found d after its write (at the first look
// after waiting the estimate: it was too long, perhaps, so shorten it a little), or that this
// ledger integrated (self).
func (l *Ledger) waited(d time.Duration, firstLook, self bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := &l.seen
	st.self = self
	if self {
		return
	}
	if firstLook {
		st.wait = st.wait * 7 / 8
	} else {
		st.wait = (3*st.wait + d) / 4
	}
	st.wait = min(max(st.wait, minPoll), maxPoll)
}

// maxDeleting bounds the deletes of pending items one sequencer has under way.
const maxDeleting = 4

// leaseTime is how long a sequencer lease lasts unless dropped: longer than a batch takes.
const leaseTime = 2 * time.Second

var leaseKey = map[string]types.AttributeValue{"shard": s("lease"), "id": s("sequencer")}

// look reads, in one request, the index item id, the log head and the sequencer lease: the
// leaf, whether it is integrated, and whether a sequencer holds an unexpired lease. The head's
// key is remembered for the next append (remembered).
func (l *Ledger) look(ctx context.Context, id string) (leaf uint64, ok, held bool, err error) {
	req := map[string]types.KeysAndAttributes{
		l.log:     {Keys: []map[string]types.AttributeValue{{"id": s(id)}, {"id": s(headID)}}, ConsistentRead: aws.Bool(true)},
		l.pending: {Keys: []map[string]types.AttributeValue{leaseKey}, ConsistentRead: aws.Bool(true)},
	}
	readAt := time.Now()
	for try := 0; len(req) > 0; try++ {
		out, err := l.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return 0, false, false, fmt.Errorf("leaf index: %w", err)
		}
		for _, it := range out.Responses[l.log] {
			if v, _ := it["id"].(*types.AttributeValueMemberS); v != nil && v.Value == headID {
				_, _, key, err := parseHead(it)
				if err != nil {
					return 0, false, false, err
				}
				l.learnKey(key, readAt)
				continue
			}
			if leaf, err = num(it["leaf"]); err != nil {
				return 0, false, false, fmt.Errorf("leaf index %s: %w", id, err)
			}
			ok = true
		}
		for _, it := range out.Responses[l.pending] {
			until, _ := num(it["until"])
			held = int64(until) > time.Now().UnixMilli()
		}
		req = out.UnprocessedKeys
		if len(req) > 0 {
			if err := sleep(ctx, try); err != nil {
				return 0, false, false, err
			}
		}
	}
	return leaf, ok, held, nil
}

// takeLease takes the sequencer lease if nobody holds it unexpired.
func (l *Ledger) takeLease(ctx context.Context) (me string, got bool, err error) {
	me = strconv.FormatUint(rand.Uint64(), 36)
	now := time.Now()
	_, err = l.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &l.pending,
		Item: withVersion(map[string]types.AttributeValue{"shard": s("lease"), "id": s("sequencer"),
			"holder": s(me), "until": n(uint64(now.Add(leaseTime).UnixMilli()))}),
		ConditionExpression:       aws.String("attribute_not_exists(id) OR #until < :now"),
		ExpressionAttributeNames:  map[string]string{"#until": "until"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": n(uint64(now.UnixMilli()))},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sequencer lease: %w", err)
	}
	return me, true, nil
}

// dropLease lets the lease go, if it is still me's, by writing it expired (a PutItem, not a
// DeleteItem: the ledger's client code stays that of the operations it has anyway); failing,
// it expires.
func (l *Ledger) dropLease(ctx context.Context, me string) {
	l.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &l.pending,
		Item: withVersion(map[string]types.AttributeValue{"shard": s("lease"), "id": s("sequencer"),
			"holder": s(""), "until": n(0)}),
		ConditionExpression:       aws.String("holder = :me"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":me": s(me)},
	})
}

// pause waits about d (half to one and a half times, so that writers spread out).
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d/2 + rand.N(d))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
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
	done, lost, cleanup, err := l.integrateBatch(ctx, crash, nil)
	if err != nil {
		return nil, false, err
	}
	return done, lost, l.deletePending(ctx, cleanup)
}

// integrateBatch is integrateOnce but for the deletion of the pending items it returns
// (cleanup), for the caller to delete while it reads the next batch. With recent (the leaves
// this sequencer integrated, by index id) it is optimistic: it reads the index only for
// predecessors not in recent, taking every other candidate for not integrated; should one be,
// the transaction fails on its index item (lost), and the caller retries without recent.
func (l *Ledger) integrateBatch(ctx context.Context, crash crashPoint, recent map[string]uint64) (done map[string]uint64, lost bool, cleanup []pending, err error) {
	pl, err := l.planBatch(ctx, nil, recent, nil)
	if err != nil {
		return nil, false, nil, err
	}
	return l.commitBatch(ctx, pl, crash)
}

// logHead is the log head as a batch finds it (or as the batch before it leaves it).
type logHead struct {
	size uint64
	rng  [][]byte
	key  string
}

// batchPlan is a batch chosen and not yet written: the transaction that integrates batch
// into the log at the head it was planned on, and the pending items found integrated already
// (stale).
type batchPlan struct {
	at    logHead
	after logHead // the head the transaction writes
	items []types.TransactWriteItem
	batch []*pending
	stale []pending
}

// planBatch reads the pending items and chooses a batch, on the head at (nil: read it), among
// the pending items not in skip (by shard and id: those of a batch being written, which recent
// then holds).
func (l *Ledger) planBatch(ctx context.Context, at *logHead, recent map[string]uint64, skip map[string]bool) (*batchPlan, error) {
	// The head and the pending items in one round trip: their order does not matter, since
	// the index read below finds what was integrated meanwhile and the head's condition
	// refuses the batch if the head moved.
	var (
		hd   logHead
		herr error
		wg   sync.WaitGroup
	)
	if at != nil {
		hd = *at
	} else {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hd.size, hd.rng, hd.key, herr = l.head(ctx)
		}()
	}
	all, err := l.pendingItems(ctx)
	wg.Wait()
	if err := errors.Join(err, herr); err != nil {
		return nil, err
	}
	size, rng, key := hd.size, hd.rng, hd.key
	var ps []pending
	for _, p := range all {
		if !skip[p.shard+"/"+p.id] {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return &batchPlan{at: hd, after: hd}, nil
	}
	// Which candidates are indexed already (their pending item outlived a crash or is being
	// deleted), and whether each bundle's predecessor is.
	byBundle := map[string][]*pending{}
	for i := range ps {
		byBundle[ps[i].bundle] = append(byBundle[ps[i].bundle], &ps[i])
	}
	var ids []string
	for b, g := range byBundle {
		sort.Slice(g, func(i, j int) bool { return g[i].seq < g[j].seq })
		if _, ok := recent[indexID(b, g[0].seq-1)]; g[0].seq > 1 && !ok {
			ids = append(ids, indexID(b, g[0].seq-1))
		}
		for _, p := range g {
			if recent == nil {
				ids = append(ids, indexID(b, p.seq))
			}
		}
	}
	known := map[string]uint64{}
	if len(ids) > 0 {
		if known, err = l.indexed(ctx, ids); err != nil {
			return nil, err
		}
	}
	for id, leaf := range recent {
		known[id] = leaf
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
	// (sort.Slice, not slices.SortFunc: one sort for every element type keeps the bootstraps
	// small.)
	sort.Slice(groups, func(i, j int) bool {
		x, y := groups[i], groups[j]
		xk, yk := x.ready[0].bundle == custody.KeyLogSubject, y.ready[0].bundle == custody.KeyLogSubject
		if xk != yk {
			return yk
		}
		if x.written != y.written {
			return x.written < y.written
		}
		return x.ready[0].bundle < y.ready[0].bundle
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
				return nil, err
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
	pl := &batchPlan{at: hd, after: hd, batch: batch, stale: stale}
	if len(batch) == 0 {
		return pl, nil
	}
	pl.after = logHead{size: size + uint64(len(batch)), rng: curRange, key: curKey}
	pl.items = append(items, types.TransactWriteItem{Put: l.headPut(size, pl.after.size, curRange, key, curKey)})
	return pl, nil
}

// commitBatch writes pl's transaction; see integrateBatch.
func (l *Ledger) commitBatch(ctx context.Context, pl *batchPlan, crash crashPoint) (done map[string]uint64, lost bool, cleanup []pending, err error) {
	if len(pl.batch) == 0 {
		return nil, false, pl.stale, nil
	}
	if crash == crashBeforeCommit {
		return nil, false, nil, nil
	}
	sentAt := time.Now()
	_, err = l.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: pl.items})
	if err != nil {
		var tc *types.TransactionCanceledException
		if errors.As(err, &tc) && retryable(tc) {
			return nil, true, nil, nil
		}
		return nil, false, nil, fmt.Errorf("integrate %d leaves at %d: %w", len(pl.batch), pl.at.size, err)
	}
	l.learnKey(pl.after.key, sentAt)
	done = make(map[string]uint64, len(pl.batch))
	stale := pl.stale
	for i, p := range pl.batch {
		done[indexID(p.bundle, p.seq)] = pl.at.size + uint64(i)
		stale = append(stale, *p)
	}
	if crash == crashAfterCommit {
		return done, false, nil, nil
	}
	return done, false, stale, nil
}

// holds reports whether pl integrates the leaf of index id.
func (pl *batchPlan) holds(id string) bool {
	for _, p := range pl.batch {
		if indexID(p.bundle, p.seq) == id {
			return true
		}
	}
	return false
}

// skipSet is the pending items of pl (its batch and stale ones), by shard and id, and
// recent with pl's batch at the leaves it takes: for planning the next batch while pl is
// written.
func (pl *batchPlan) skipSet(recent map[string]uint64) (map[string]bool, map[string]uint64) {
	skip := make(map[string]bool, len(pl.batch)+len(pl.stale))
	next := make(map[string]uint64, len(recent)+len(pl.batch))
	for id, lf := range recent {
		next[id] = lf
	}
	for i, p := range pl.batch {
		skip[p.shard+"/"+p.id] = true
		next[indexID(p.bundle, p.seq)] = pl.at.size + uint64(i)
	}
	for _, p := range pl.stale {
		skip[p.shard+"/"+p.id] = true
	}
	return skip, next
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

// deletePending deletes integrated pending items; deleting one already gone is a no-op. It
// writes deletes in transactions of up to 100 (TransactWriteItems, which the ledger uses
// anyway, rather than BatchWriteItem, whose client code would weigh on every bootstrap).
func (l *Ledger) deletePending(ctx context.Context, ps []pending) error {
	for len(ps) > 0 {
		chunk := ps[:min(len(ps), maxTransactItems)]
		ps = ps[len(chunk):]
		items := make([]types.TransactWriteItem, len(chunk))
		for i, p := range chunk {
			items[i] = types.TransactWriteItem{Delete: &types.Delete{TableName: &l.pending, Key: p.itemKey()}}
		}
		if _, err := l.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
			return fmt.Errorf("delete integrated pending leaves: %w", err)
		}
	}
	return nil
}

// indexed reads the index items of ids (consistently) and returns the leaves of those stored;
// headID among ids reads the log's size (0 when the log is empty).
func (l *Ledger) indexed(ctx context.Context, ids []string) (map[string]uint64, error) {
	found := map[string]uint64{}
	err := l.logItems(ctx, ids, "leaf index", func(id string, it map[string]types.AttributeValue) error {
		if _, err := itemVersion(it, "leaf index "+id); err != nil {
			return err
		}
		attr := "leaf"
		if id == headID {
			attr = "size"
		}
		leaf, err := num(it[attr])
		if err != nil {
			return fmt.Errorf("leaf index %s: %w", id, err)
		}
		found[id] = leaf
		return nil
	})
	if err != nil {
		return nil, err
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
		if round == 1 { // still not in the log after an Integrate: is each still pending?
			for i, missing := range noLeaf {
				if missing {
					if err := l.repend(ctx, es[i].Event); err != nil {
						return nil, err
					}
				}
			}
		}
		if _, err := l.Integrate(ctx); err != nil {
			return nil, err
		}
	}
}

// lastEvent returns the bundle's last stored event without its leaf (which Append does not
// need and a pending event does not have yet).
func (l *Ledger) lastEvent(ctx context.Context, bundleID string) (custody.Entry, bool, error) {
	en, _, ok, err := l.lastStored(ctx, bundleID)
	return en, ok, err
}

// lastStored reads the bundle's last stored event; hasLeaf is false for one stored in the
// sequenced layout, whose leaf is in the log table's index.
func (l *Ledger) lastStored(ctx context.Context, bundleID string) (en custody.Entry, hasLeaf, ok bool, err error) {
	page, err := l.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &l.custody,
		KeyConditionExpression:    aws.String("bundle = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": s(bundleID)},
		ConsistentRead:            aws.Bool(true),
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
	})
	if err != nil {
		return custody.Entry{}, false, false, fmt.Errorf("last event of %s: %w", bundleID, err)
	}
	if len(page.Items) == 0 {
		return custody.Entry{}, false, false, nil
	}
	en, hasLeaf, err = entry(page.Items[0])
	if err != nil {
		return custody.Entry{}, false, false, fmt.Errorf("last event of %s: %w", bundleID, err)
	}
	return en, hasLeaf, true, nil
}
