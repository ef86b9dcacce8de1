package dynamoledger

import (
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// An append is checked without a read only when this ledger stored its predecessor (or it
// is a bundle's first event) and read the log's key, the event's own, less than keyFresh ago.
func TestRemembered(t *testing.T) {
	prev := custody.Event{BundleID: "b", Seq: 4, Hash: "h4", KeyID: "ka"}
	next := func(mod func(*custody.Event)) custody.Event {
		e := custody.Event{BundleID: "b", Seq: 5, Prev: "h4", KeyID: "ka"}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	for _, tc := range []struct {
		name   string
		keyAge time.Duration // -1: no key read
		key    string
		forget bool
		e      custody.Event
		want   bool
	}{
		{"follows-the-remembered-event", 0, "ka", false, next(nil), true},
		{"first-of-a-bundle", 0, "ka", false, next(func(e *custody.Event) { e.BundleID, e.Seq, e.Prev = "other", 1, "" }), true},
		{"key-never-read", -1, "", false, next(nil), false},
		{"key-stale", 2 * keyFresh, "ka", false, next(nil), false},
		{"key-differs", 0, "kb", false, next(nil), false},
		{"log-without-key", 0, "", false, next(nil), false},
		{"other-prev", 0, "ka", false, next(func(e *custody.Event) { e.Prev = "h3" }), false},
		{"gap", 0, "ka", false, next(func(e *custody.Event) { e.Seq = 6 }), false},
		{"same-seq", 0, "ka", false, next(func(e *custody.Event) { e.Seq = 4 }), false},
		{"bundle-not-remembered", 0, "ka", false, next(func(e *custody.Event) { e.BundleID = "other" }), false},
		{"forgotten", 0, "ka", true, next(nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &Ledger{}
			l.remember(prev)
			if tc.keyAge >= 0 {
				l.learnKey(tc.key, time.Now().Add(-tc.keyAge))
			}
			if tc.forget {
				l.forget("b")
			}
			key, ok := l.remembered(tc.e)
			if ok != tc.want || ok && key != tc.e.KeyID {
				t.Errorf("remembered(%s/%d) = %q, %v, want %v", tc.e.BundleID, tc.e.Seq, key, ok, tc.want)
			}
		})
	}
}

// A key read earlier does not replace one read later.
func TestLearnKeyKeepsTheLatest(t *testing.T) {
	l := &Ledger{}
	now := time.Now()
	l.learnKey("new", now)
	l.learnKey("old", now.Add(-time.Second))
	if l.seen.key != "new" {
		t.Errorf("key = %q after an older read, want new", l.seen.key)
	}
}

// The wait before the first look follows how long this ledger's leaves took: none after a leaf
// it integrated itself, shorter after a leaf found at the first look, longer after one found
// late, within [minPoll, maxPoll].
func TestWaits(t *testing.T) {
	l := &Ledger{}
	if first, every := l.waits(); first != 0 || every != max(pollInterval/3, minPoll) {
		t.Errorf("first waits() = %v, %v, want 0, %v (look at once: the lease may be free)", first, every, pollInterval/3)
	}
	steps := []struct {
		name      string
		d         time.Duration
		firstLook bool
		self      bool
		want      time.Duration // the first wait after it
	}{
		{"found-late", 105 * time.Millisecond, false, false, 45 * time.Millisecond},
		{"found-at-first-look", 0, true, false, 45 * time.Millisecond * 7 / 8},
		{"integrated-itself", 0, false, true, 0},
		{"found-late-again", 45 * time.Millisecond * 7 / 8, false, false, 45 * time.Millisecond * 7 / 8},
		{"found-very-late", 10 * time.Second, false, false, maxPoll},
	}
	for _, st := range steps {
		l.waited(st.d, st.firstLook, st.self)
		if first, _ := l.waits(); first != st.want {
			t.Errorf("after %s: first wait %v, want %v", st.name, first, st.want)
		}
	}
	for range 100 {
		l.waited(0, true, false)
	}
	if first, every := l.waits(); first != minPoll || every != minPoll {
		t.Errorf("after many first-look finds: waits() = %v, %v, want %v, %v", first, every, minPoll, minPoll)
	}
}
