package pipeline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/identify"
)

// The custody events of the identifier index. They use only fields every trail reader
// knows (actor, counterpart, reference, reasons), so adding them changes no event's
// canonical form; Reasons hold "name=value" members, listed in docs/identifiers.md.
const (
	// IdentifiersIndexed, on a bundle's trail: its identifiers entered the index; reasons
	// identifiers=N, look_alikes=N, matching=allowed|none, matching_source=bag-info|handling-code|agency|bag-unavailable.
	IdentifiersIndexed custody.EventType = "IdentifiersIndexed"
	// IdentifierQuery, on the asking agency's matching subject: one identifier asked for;
	// reasons type=, keyed_hash=, outcome=hit|no-hit, holders=N.
	IdentifierQuery custody.EventType = "IdentifierQuery"
	// IdentifierMatched, on the holding agency's matching subject: another agency's query hit
	// one of its identifiers; Counterpart names the asker, Reference the match reference.
	IdentifierMatched custody.EventType = "IdentifierMatched"
)

// BagInfoMatching is the bag-info.txt field by which the sending agency allows its
// evidence to be matched: "allowed" or "none".
const BagInfoMatching = "EVX-Matching"

// MatchingDefault is what a bundle without EVX-Matching gets: allowed for handling codes H0
// and H1, none for H2, H3 and a bundle without a handling code.
func MatchingDefault(handlingCode string) bool { return handlingCode == "H0" || handlingCode == "H1" }

// IndexedBundle is the index's record of one bundle.
type IndexedBundle struct {
	BundleID string
	// Agency holds the bundle's evidence: the agency that sent it (the submitting uploader's
	// agency, else the deployment's own).
	Agency string
	// Matching: other agencies' queries may hit it (EVX-Matching, or its default).
	Matching    bool
	Identifiers int
}

// IndexEntry is one identifier of a bundle as the index stores it: no value, only its
// keyed hash (identify.Key) and type.
type IndexEntry struct {
	Key  [32]byte
	Type identify.Type
}

// Holding is one bundle holding a keyed hash.
type Holding struct {
	BundleID string
	Agency   string
	Matching bool
}

// IdentifierIndex is the keyed hit/no-hit index.
//
// AddBundle records b and its entries (each key once per bundle) in one transaction;
// adding a bundle already there changes nothing and returns nil. Lookup returns at most max
// holdings of key, in no order. Bundle returns the record of a bundle or an error wrapping
// ErrNotFound.
type IdentifierIndex interface {
	AddBundle(ctx context.Context, b IndexedBundle, entries []IndexEntry) error
	Lookup(ctx context.Context, key [32]byte, max int) ([]Holding, error)
	Bundle(ctx context.Context, bundleID string) (IndexedBundle, error)
}

// MatchLimits bound matching. Zero fields take the defaults.
type MatchLimits struct {
	PerHour  int // queries of one agency per hour; default 100
	PerDay   int // queries of one agency per UTC day; default 500
	MaxBatch int // identifiers in one Match call; default 50
	// MaxRecord caps an extraction record read for indexing; default 17 MiB.
	MaxRecord int64
}

func (l MatchLimits) withDefaults() MatchLimits {
	if l.PerHour <= 0 {
		l.PerHour = 100
	}
	if l.PerDay <= 0 {
		l.PerDay = 500
	}
	if l.MaxBatch <= 0 {
		l.MaxBatch = 50
	}
	if l.MaxRecord <= 0 {
		l.MaxRecord = 17 << 20
	}
	return l
}

// IndexKeyer computes the index's keyed hashes: HMAC-SHA-256 of msg under the deployment's
// index key. SecretKeyer holds the key in memory (one machine: index.secret); on AWS a KMS
// HMAC key computes it and the key never leaves KMS.
type IndexKeyer interface {
	MAC(ctx context.Context, msg []byte) ([32]byte, error)
}

// SecretKeyer is the IndexKeyer of a secret held in memory (at least identify.MinSecret bytes).
type SecretKeyer []byte

// MAC implements IndexKeyer.
func (s SecretKeyer) MAC(_ context.Context, msg []byte) ([32]byte, error) {
	m := hmac.New(sha256.New, s)
	m.Write(msg)
	var k [32]byte
	m.Sum(k[:0])
	return k, nil
}

// MatchConfig holds the ports of a Matcher.
type MatchConfig struct {
	Index     IdentifierIndex
	Ledger    custody.Ledger
	Signer    custody.Signer
	Blobs     BlobStore
	Bags      Bags
	Queue     Queue
	Directory Directory
	// Keyer computes the index's keyed hashes (identify.KeyMessage) and match references;
	// when nil, Secret does, in memory.
	Keyer IndexKeyer
	// Secret keys the index (identify.Key) when Keyer is nil; at least identify.MinSecret
	// bytes, kept like the signing key.
	Secret []byte
	// Agency is the deployment's own agency: the holder of the bundles its uploaders send.
	Agency string
	Origin string
	Clock  Clock
	Limits MatchLimits
}

// Matcher indexes accepted bundles' identifiers and answers hit/no-hit queries.
type Matcher struct {
	c      MatchConfig
	keeper *custody.Keeper
}

// NewMatcher checks c and returns the Matcher.
func NewMatcher(c MatchConfig) (*Matcher, error) {
	switch {
	case c.Index == nil || c.Ledger == nil || c.Signer == nil || c.Blobs == nil || c.Bags == nil || c.Queue == nil || c.Directory == nil:
		return nil, errors.New("match config: every port is required")
	case c.Keyer == nil && len(c.Secret) < identify.MinSecret:
		return nil, fmt.Errorf("match config: index secret of %d bytes, want at least %d", len(c.Secret), identify.MinSecret)
	case c.Agency == "" || c.Origin == "":
		return nil, errors.New("match config: Agency and Origin are required")
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Keyer == nil {
		c.Keyer = SecretKeyer(c.Secret)
	}
	c.Limits = c.Limits.withDefaults()
	return &Matcher{c: c, keeper: &custody.Keeper{Ledger: c.Ledger, Signer: c.Signer, Origin: c.Origin, Now: c.Clock}}, nil
}

// NotAcceptedError: only accepted bundles are indexed.
type NotAcceptedError struct{ BundleID string }

func (e *NotAcceptedError) Error() string {
	return fmt.Sprintf("bundle %s is not accepted: nothing to index", e.BundleID)
}

// IndexBundle puts the identifiers of an accepted bundle's documents into the index and
// records IdentifiersIndexed on its trail; a bundle whose trail already records it is left
// as it is. It reads each document's stored extraction record (identify.FromRecord, phone
// regions from the requesting and requested states) and the bag's EVX-Matching field.
// Running it again after a crash completes what the first run began.
func (m *Matcher) IndexBundle(ctx context.Context, bundleID string) (IndexedBundle, error) {
	trail, err := m.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return IndexedBundle{}, fmt.Errorf("read trail of %s: %w", bundleID, err)
	}
	acc, ok := find(trail, ofType(custody.SubmissionAcceptance))
	if !ok {
		return IndexedBundle{}, &NotAcceptedError{BundleID: bundleID}
	}
	if _, done := find(trail, ofType(IdentifiersIndexed)); done {
		return m.c.Index.Bundle(ctx, bundleID)
	}
	req := acc.Event.Details.Request
	if req == nil {
		req = &custody.Request{}
	}
	// The holder is the sending agency: the agency of the uploader who submitted the bundle,
	// else (an uploader named without an agency) the deployment's own.
	holder := acc.Event.Actor.Agency
	if holder == "" {
		holder = m.c.Agency
	}
	matching, source, err := m.matching(ctx, bundleID, holder, req.HandlingCode)
	if err != nil {
		return IndexedBundle{}, err
	}
	regions := phoneRegions(req)
	type tv struct {
		t identify.Type
		v string
	}
	seen := map[tv]bool{}
	var values []tv
	looks := 0
	docs, err := eventDocuments(ctx, m.c.Blobs, acc.Event)
	if err != nil {
		return IndexedBundle{}, fmt.Errorf("index %s: %w", bundleID, err)
	}
	for _, d := range docs {
		if d.Extraction == "" {
			continue
		}
		res, err := m.scanRecord(ctx, d.Extraction, regions)
		if err != nil {
			return IndexedBundle{}, fmt.Errorf("index %s: %s: %w", bundleID, d.Name, err)
		}
		looks += len(res.LookAlikes)
		for _, f := range res.Identifiers {
			if k := (tv{f.Type, f.Value}); !seen[k] {
				seen[k] = true
				values = append(values, k)
			}
		}
	}
	entries := make([]IndexEntry, len(values))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(keyers)
	for i, v := range values {
		g.Go(func() error {
			k, err := m.c.Keyer.MAC(gctx, identify.KeyMessage(v.t, v.v))
			entries[i] = IndexEntry{Key: k, Type: v.t}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return IndexedBundle{}, fmt.Errorf("index %s: keyed hash: %w", bundleID, err)
	}
	b := IndexedBundle{BundleID: bundleID, Agency: holder, Matching: matching, Identifiers: len(entries)}
	if err := m.c.Index.AddBundle(ctx, b, entries); err != nil {
		return IndexedBundle{}, fmt.Errorf("index %s: %w", bundleID, err)
	}
	allowed := "none"
	if matching {
		allowed = "allowed"
	}
	_, err = m.keeper.Record(ctx, bundleID, IdentifiersIndexed, system("index"), custody.Details{Reasons: []string{
		"identifiers=" + strconv.Itoa(len(entries)), "look_alikes=" + strconv.Itoa(looks),
		"matching=" + allowed, "matching_source=" + source,
	}})
	if err != nil {
		return IndexedBundle{}, err
	}
	return b, nil
}

// evidenceMatching is the sending agency's setting (Counterpart.EvidenceMatching);
// EvidenceMatchingByBundle for an agency the directory does not list, such as a
// deployment's own agency without an entry.
func (m *Matcher) evidenceMatching(ctx context.Context, agency string) (string, error) {
	cp, err := m.c.Directory.Counterpart(ctx, agency)
	switch {
	case errors.Is(err, ErrNotFound):
		return EvidenceMatchingByBundle, nil
	case err != nil:
		return "", err
	case cp.EvidenceMatching == "":
		return EvidenceMatchingByBundle, nil
	}
	return cp.EvidenceMatching, nil
}

// matching decides whether others may match a bundle: the sending agency's setting
// (none: never; source "agency"), then EVX-Matching from the stored bag, then the agency's
// setting again (allowed: yes; source "agency") or the handling code. A bag no longer stored
// allows nothing (source "bag-unavailable").
func (m *Matcher) matching(ctx context.Context, bundleID, holder, handlingCode string) (bool, string, error) {
	setting, err := m.evidenceMatching(ctx, holder)
	if err != nil {
		return false, "", fmt.Errorf("matching setting of %s: %w", holder, err)
	}
	if setting == EvidenceMatchingNone {
		return false, "agency", nil
	}
	bag, err := m.c.Bags.OpenBag(ctx, bundleID, bagit.Limits{})
	if errors.Is(err, ErrNotFound) {
		// The bag is no longer stored (on AWS the uploads bucket keeps it UploadExpiryDays):
		// what it said of matching cannot be read, so nothing is assumed to allow it.
		return false, "bag-unavailable", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("open bag of %s: %w", bundleID, err)
	}
	defer bag.Close()
	rep, err := bag.Validate(bagit.Options{Mode: bagit.ModeEVX})
	if err != nil {
		return false, "", fmt.Errorf("read bag of %s: %w", bundleID, err)
	}
	switch v := strings.ToLower(strings.TrimSpace(rep.Info.First(BagInfoMatching))); v {
	case "allowed":
		return true, "bag-info", nil
	case "none":
		return false, "bag-info", nil
	case "":
		if setting == EvidenceMatchingAllowed {
			return true, "agency", nil
		}
		return MatchingDefault(handlingCode), "handling-code", nil
	default:
		// A value evx does not know allows nothing.
		return false, "bag-info", nil
	}
}

func (m *Matcher) scanRecord(ctx context.Context, sum string, regions []string) (*identify.Result, error) {
	return readIdentifiers(ctx, m.c.Blobs, sum, regions, m.c.Limits.MaxRecord)
}

// Asker is who asks the index.
type Asker struct {
	// Agency asking: a counterpart's directory id, or the deployment's own Agency.
	Agency string
	// Person: the user or counterpart identity that sent the query.
	Person string
}

// Query is one identifier asked for.
type Query struct {
	Type  identify.Type `json:"type"`
	Value string        `json:"value"`
}

// Outcome is the answer to one query.
type Outcome struct {
	Type identify.Type `json:"type"`
	// Value is the normalised value asked for; empty when it is no identifier.
	Value string `json:"value,omitempty"`
	// Result is "hit", "no-hit" or "invalid" (Reason says why; nothing is looked up).
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
	// Holders: for a hit, which agency holds the identifier and the reference to request it
	// under (never a bundle id or a document).
	Holders []MatchHolder `json:"holders,omitempty"`
	// Own lists the asker's own bundles holding it: shown to the agency's legal staff and
	// uploaders only.
	Own []string `json:"own_bundles,omitempty"`
}

// MatchHolder is an agency that holds a queried identifier.
type MatchHolder struct {
	Agency    string `json:"agency"`
	Reference string `json:"reference"`
}

// MatchRefusedError: the agency may not match (unknown, inactive, or without the
// directory's matching flag).
type MatchRefusedError struct {
	Agency string
	Reason string
}

func (e *MatchRefusedError) Error() string {
	return fmt.Sprintf("agency %q may not match identifiers: %s", e.Agency, e.Reason)
}

// RateLimitError: the agency asked more than its limit allows.
type RateLimitError struct {
	Agency string
	Window string // "hour" or "day"
	Limit  int
	Used   int
	// RetryAfter is when the window has room again.
	RetryAfter time.Time
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("agency %q has used %d of its %d identifier queries per %s; try again after %s",
		e.Agency, e.Used, e.Limit, e.Window, e.RetryAfter.UTC().Format(time.RFC3339))
}

// BatchError: more identifiers in one call than MatchLimits.MaxBatch.
type BatchError struct{ Got, Max int }

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d identifiers in one query, at most %d", e.Got, e.Max)
}

// MatchSubject is the custody subject of an agency's matching on one UTC day: its queries
// and the hits on its identifiers are events there, not on any bundle, and one day's trail
// is bounded by the daily limit.
func MatchSubject(agency string, day time.Time) string {
	return "match:" + agency + ":" + day.UTC().Format("2006-01-02")
}

// NoticeQueue is the queue on which the holding agency is told of a hit: a counterpart's
// own queue, or "match-notices" for the deployment's agency.
func (m *Matcher) NoticeQueue(agency string) string {
	if agency == m.c.Agency {
		return "match-notices"
	}
	return QueueName(agency)
}

// Match answers queries for asker: hit or no hit, and for a hit the holding agencies with
// a reference to request under; the asker's own bundles only when the asker is the
// deployment's own agency. Each identifier asked is an IdentifierQuery event on the asker's
// matching subject; each hit an IdentifierMatched event on the holder's and a notice on its
// queue. Invalid identifiers are answered "invalid" and neither looked up nor counted.
// Errors: *MatchRefusedError, *RateLimitError, *BatchError, or a port's.
func (m *Matcher) Match(ctx context.Context, asker Asker, queries []Query) ([]Outcome, error) {
	if len(queries) > m.c.Limits.MaxBatch {
		return nil, &BatchError{Got: len(queries), Max: m.c.Limits.MaxBatch}
	}
	home := asker.Agency == m.c.Agency
	kind := custody.ActorUser
	if !home {
		kind = custody.ActorCounterpart
		cp, err := m.c.Directory.Counterpart(ctx, asker.Agency)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, &MatchRefusedError{Agency: asker.Agency, Reason: "not in the directory"}
		case err != nil:
			return nil, err
		case !cp.Active:
			return nil, &MatchRefusedError{Agency: asker.Agency, Reason: "inactive in the directory"}
		case !cp.Matching:
			return nil, &MatchRefusedError{Agency: asker.Agency, Reason: "the directory does not allow it to match (matching: true)"}
		}
	}
	outcomes := make([]Outcome, len(queries))
	var valid []int
	for i, q := range queries {
		f, err := identify.Parse(q.Type, q.Value)
		outcomes[i] = Outcome{Type: q.Type}
		if err != nil {
			outcomes[i].Result, outcomes[i].Reason = "invalid", err.Error()
			continue
		}
		outcomes[i].Value = f.Value
		valid = append(valid, i)
	}
	if len(valid) == 0 {
		return outcomes, nil
	}
	now := m.c.Clock().UTC()
	subject := MatchSubject(asker.Agency, now)
	if err := m.checkRate(ctx, asker.Agency, subject, now, len(valid)); err != nil {
		return nil, err
	}
	actor := custody.Actor{Kind: kind, ID: asker.Person}
	withdrawn := map[string]bool{}
	for _, i := range valid {
		o := &outcomes[i]
		key, err := m.c.Keyer.MAC(ctx, identify.KeyMessage(o.Type, o.Value))
		if err != nil {
			return nil, fmt.Errorf("keyed hash: %w", err)
		}
		hs, err := m.c.Index.Lookup(ctx, key, 1000)
		if err != nil {
			return nil, fmt.Errorf("look up: %w", err)
		}
		holders := map[string]bool{}
		for _, h := range hs {
			switch {
			case home && h.Agency == m.c.Agency:
				o.Own = append(o.Own, h.BundleID)
			case h.Matching && h.Agency != asker.Agency:
				// An agency that has since withdrawn its evidence from matching
				// (evidence_matching: none) is no holder, whatever the index says.
				setting, ok := withdrawn[h.Agency]
				if !ok {
					s, err := m.evidenceMatching(ctx, h.Agency)
					if err != nil {
						return nil, fmt.Errorf("matching setting of %s: %w", h.Agency, err)
					}
					setting = s == EvidenceMatchingNone
					withdrawn[h.Agency] = setting
				}
				if !setting {
					holders[h.Agency] = true
				}
			}
		}
		for _, a := range slices.Sorted(mapsKeys(holders)) {
			ref, err := m.reference(ctx, a, key)
			if err != nil {
				return nil, err
			}
			o.Holders = append(o.Holders, MatchHolder{Agency: a, Reference: ref})
		}
		slices.Sort(o.Own)
		o.Result = "no-hit"
		if len(o.Holders) > 0 {
			o.Result = "hit"
		}
		hash := hex.EncodeToString(key[:])
		_, err = m.keeper.Record(ctx, subject, IdentifierQuery, actor, custody.Details{
			Counterpart: asker.Agency,
			Reasons: []string{"type=" + string(o.Type), "keyed_hash=" + hash, "outcome=" + o.Result,
				"holders=" + strconv.Itoa(len(o.Holders))},
		})
		if err != nil {
			return nil, err
		}
		for _, h := range o.Holders {
			if err := m.notify(ctx, asker, actor, h, o.Type, hash, now); err != nil {
				return nil, err
			}
		}
	}
	return outcomes, nil
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// reference is what the asker quotes to request a hit: per holder and identifier, opaque
// to anyone without the secret; the holder finds its bundles by asking for the identifier.
func (m *Matcher) reference(ctx context.Context, agency string, key [32]byte) (string, error) {
	sum, err := m.c.Keyer.MAC(ctx, append([]byte("evx match reference v1\x00"+agency+"\x00"), key[:]...))
	if err != nil {
		return "", fmt.Errorf("match reference: %w", err)
	}
	return "evx-hit-" + hex.EncodeToString(sum[:10]), nil
}

// keyers bounds the keyed hashes IndexBundle computes at once: a remote key (KMS) answers
// each in milliseconds, and a bundle may hold thousands of identifiers.
const keyers = 8

// MatchNotice is the message a holding agency receives on a hit.
type MatchNotice struct {
	Type      string        `json:"type"` // "identifier-matched"
	Asker     string        `json:"asking_agency"`
	Person    string        `json:"asked_by"`
	Kind      identify.Type `json:"identifier_type"`
	KeyedHash string        `json:"keyed_hash"`
	Reference string        `json:"reference"`
	Time      string        `json:"time"`
	Event     string        `json:"event"` // hash of the IdentifierMatched event
}

func (m *Matcher) notify(ctx context.Context, asker Asker, actor custody.Actor, h MatchHolder, t identify.Type, hash string, now time.Time) error {
	en, err := m.keeper.Record(ctx, MatchSubject(h.Agency, now), IdentifierMatched, actor, custody.Details{
		Counterpart: asker.Agency, Reference: h.Reference,
		Reasons: []string{"type=" + string(t), "keyed_hash=" + hash, "outcome=hit"},
	})
	if err != nil {
		return err
	}
	body, err := json.Marshal(MatchNotice{Type: "identifier-matched", Asker: asker.Agency, Person: asker.Person, Kind: t,
		KeyedHash: hash, Reference: h.Reference, Time: en.Event.Time.Format(custody.TimeFormat), Event: en.Event.Hash})
	if err != nil {
		return err
	}
	if err := m.c.Queue.Send(ctx, m.NoticeQueue(h.Agency), en.Event.Hash, body); err != nil {
		return fmt.Errorf("notify %s: %w", h.Agency, err)
	}
	return nil
}

// checkRate counts the agency's queries today (its matching subject's trail) and in the
// last hour (today's and, before 01:00, yesterday's) against the limits.
func (m *Matcher) checkRate(ctx context.Context, agency, subject string, now time.Time, n int) error {
	lim := m.c.Limits
	// count counts the queries of es since a time and returns the time of the first.
	count := func(es []custody.Entry, since time.Time) (int, time.Time) {
		c := 0
		var oldest time.Time
		for _, e := range es {
			if e.Event.Type == IdentifierQuery && !e.Event.Time.Before(since) {
				if c == 0 {
					oldest = e.Event.Time
				}
				c++
			}
		}
		return c, oldest
	}
	es, err := m.c.Ledger.Events(ctx, subject) // today's: one read for both windows
	if err != nil {
		return err
	}
	day := now.Truncate(24 * time.Hour)
	if today, _ := count(es, day); today+n > lim.PerDay {
		return &RateLimitError{Agency: agency, Window: "day", Limit: lim.PerDay, Used: today, RetryAfter: day.Add(24 * time.Hour)}
	}
	hourAgo := now.Add(-time.Hour)
	hour, oldest := count(es, hourAgo)
	if hourAgo.Before(day) {
		ys, err := m.c.Ledger.Events(ctx, MatchSubject(agency, hourAgo))
		if err != nil {
			return err
		}
		y, yo := count(ys, hourAgo)
		if y > 0 {
			oldest = yo
		}
		hour += y
	}
	if hour+n > lim.PerHour {
		return &RateLimitError{Agency: agency, Window: "hour", Limit: lim.PerHour, Used: hour, RetryAfter: oldest.Add(time.Hour)}
	}
	return nil
}

// Backfill indexes every bundle of ids not yet indexed (bundles accepted before the index
// existed, or accepted since the last run) and returns how many it indexed; bundles that are
// not accepted are skipped. A bundle that fails does not hold up the others: Backfill goes on
// and returns the failures joined (each naming its bundle), to be tried again on the next run.
func (m *Matcher) Backfill(ctx context.Context, ids []string) (int, error) {
	n := 0
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			return n, errors.Join(append(errs, ctx.Err())...)
		}
		trail, err := m.c.Ledger.Events(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("trail of %s: %w", id, err))
			continue
		}
		if _, done := find(trail, ofType(IdentifiersIndexed)); done {
			continue
		}
		if _, err := m.IndexBundle(ctx, id); err != nil {
			var na *NotAcceptedError
			if !errors.As(err, &na) {
				errs = append(errs, err)
			}
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Notices returns the hits on agency's identifiers recorded on the given UTC day: the
// IdentifierMatched events of its matching subject.
func (m *Matcher) Notices(ctx context.Context, agency string, day time.Time) ([]custody.Event, error) {
	es, err := m.c.Ledger.Events(ctx, MatchSubject(agency, day))
	if err != nil {
		return nil, err
	}
	var out []custody.Event
	for _, e := range es {
		if e.Event.Type == IdentifierMatched {
			out = append(out, e.Event)
		}
	}
	return out, nil
}

// Agency is the deployment's own agency.
func (m *Matcher) Agency() string { return m.c.Agency }
