package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
)

// The ingest of a large bag, in chunks.
//
// Ingest reads a bag in one run. With Config.Members it records each payload file once it is
// stored and verified against the bag's manifests (a MemberRecord, with the digests computed
// from its bytes, then its extraction), and a run again takes those files' digests from the
// records instead of reading them (bagit.Options.Known): a run cut off resumes where it was.
//
// A bag too large for one run (FanOut) is split by Plan into chunks of its members in the
// order the container stores them. IngestChunk stores, verifies, records and extracts the
// members of one chunk, several at once, and stops before its deadline; the host runs the
// chunks apart (on AWS each is a message on the ingest queue, for its own invocation) and
// runs a chunk again until it says it is done. Once every chunk is done (Members.ChunkDone)
// the host runs Ingest, which then reads none of the recorded members: it validates the bag
// as always, with the recorded digests in place of the bytes, so that a bag's outcome and
// reasons are the same however it was read. A member whose bytes differ from the manifest is
// never recorded, so the final Ingest reads it and names it as it would have.

// FanOut says when and how Plan splits a bag and IngestChunk runs a chunk.
type FanOut struct {
	// A bag whose payload passes MinBytes bytes or MinMembers files is split; smaller bags
	// (and bags whose container does not list its members before reading them: tar) are
	// ingested whole.
	MinBytes   int64
	MinMembers int
	// A chunk holds at most ChunkMembers members and ChunkBytes bytes (or one larger member).
	ChunkBytes   int64
	ChunkMembers int
	// Parallel members are read at once in a chunk, each stream through its own opening of
	// the bag.
	Parallel int
	// IngestChunk starts no member and no extraction with less than Margin left before its
	// ctx's deadline.
	Margin time.Duration
}

// DefaultFanOut is the fan-out of evx on AWS (docs/volumes.md): a chunk of at most 1 GiB and
// 500 members takes a few minutes of a 15-minute invocation.
func DefaultFanOut() FanOut {
	return FanOut{
		MinBytes: 2 << 30, MinMembers: 1000,
		ChunkBytes: 1 << 30, ChunkMembers: 500,
		Parallel: 8, Margin: 3 * time.Minute,
	}
}

// MaxChunks bounds the chunks of one bag, so that the set of chunks done fits one record of
// any host's bookkeeping (about 60 KB in DynamoDB's 400 KB item). At DefaultFanOut's 500
// members a chunk it allows bags of 5 million files.
const MaxChunks = 10_000

// Chunk is a run of a bag's payload members, by their index in bagit.Bag.Members:
// [First, Last). Chunk K of Of.
type Chunk struct {
	Bundle string `json:"bundle"`
	K      int    `json:"chunk"`
	Of     int    `json:"of"`
	First  int    `json:"first"`
	Last   int    `json:"last"`
}

// Plan splits the ingest of bundleID into chunks under f, or returns none when the bag is
// to be ingested whole by Ingest: it is small, its container does not list its members, it
// cannot be opened (Ingest rejects it), its outcome is already recorded, or the Service has
// no Config.Members.
func (s *Service) Plan(ctx context.Context, bundleID string, f FanOut) ([]Chunk, error) {
	if err := checkBundleID(bundleID); err != nil {
		return nil, err
	}
	if s.c.Members == nil || s.c.Intake == nil || s.c.Intake.members == nil {
		return nil, nil
	}
	trail, err := s.c.Ledger.Events(ctx, bundleID)
	if err != nil {
		return nil, fmt.Errorf("read trail of %s: %w", bundleID, err)
	}
	if _, ok := find(trail, isSubmission); ok {
		return nil, nil
	}
	ms, ok, err := s.c.Intake.members(s, ctx, bundleID)
	if err != nil || !ok {
		return nil, err
	}
	return split(bundleID, ms, f), nil
}

// split cuts ms into chunks under f; none when the bag is below f's thresholds.
func split(bundleID string, ms []bagit.Member, f FanOut) []Chunk {
	var total int64
	for _, m := range ms {
		total += m.Size
	}
	if total <= f.MinBytes && len(ms) <= f.MinMembers {
		return nil
	}
	var out []Chunk
	first, bytes := 0, int64(0)
	for i, m := range ms {
		if i > first && (i-first >= f.ChunkMembers || bytes+m.Size > f.ChunkBytes) {
			out = append(out, Chunk{Bundle: bundleID, First: first, Last: i})
			first, bytes = i, 0
		}
		bytes += m.Size
	}
	out = append(out, Chunk{Bundle: bundleID, First: first, Last: len(ms)})
	if len(out) > MaxChunks {
		return nil // no host could count them: ingested whole, as before
	}
	for i := range out {
		out[i].K, out[i].Of = i, len(out)
	}
	return out
}

// IngestChunk stores, verifies against the bag's manifests, records and extracts each member
// of c not yet recorded, f.Parallel at a time, and reports whether the chunk is done. It is
// not done when it stopped before ctx's deadline (f.Margin): the host runs it again, and the
// members recorded are then skipped. A member whose bytes differ from the manifest is left
// unrecorded (the final Ingest names it). An error leaves what was recorded recorded; the
// chunk can be run again. A bundle whose outcome is recorded has nothing left to do.
func (s *Service) IngestChunk(ctx context.Context, c Chunk, f FanOut) (bool, error) {
	if err := checkBundleID(c.Bundle); err != nil {
		return false, err
	}
	if s.c.Intake == nil || s.c.Intake.chunk == nil {
		return false, fmt.Errorf("ingest %s: %w", c.Bundle, ErrNoIntake)
	}
	if s.c.Members == nil {
		return false, fmt.Errorf("ingest chunk of %s: no member records (Config.Members)", c.Bundle)
	}
	trail, err := s.c.Ledger.Events(ctx, c.Bundle)
	if err != nil {
		return false, fmt.Errorf("read trail of %s: %w", c.Bundle, err)
	}
	if _, ok := find(trail, isSubmission); ok {
		return true, nil
	}
	s.stored.RLock() // as Ingest: shared with ingests, exclusive of a disposal
	defer s.stored.RUnlock()
	return s.c.Intake.chunk(s, ctx, c, f)
}

// ingestChunk is IngestChunk with evx's intake.
func (s *Service) ingestChunk(ctx context.Context, c Chunk, f FanOut, extract Extractor, lim bagit.Limits) (bool, error) {
	prog, err := s.progress(ctx, c.Bundle)
	if err != nil {
		return false, err
	}
	bag, err := s.c.Bags.OpenBag(ctx, c.Bundle, lim)
	if err != nil {
		return false, fmt.Errorf("open bag of %s: %w", c.Bundle, err)
	}
	ms, ok := bag.Members()
	if !ok || c.First < 0 || c.First > c.Last || c.Last > len(ms) {
		bag.Close()
		return false, fmt.Errorf("ingest chunk of %s: members [%d,%d) of a bag of %d", c.Bundle, c.First, c.Last, len(ms))
	}
	index := make(map[string]int, c.Last-c.First)
	for i := c.First; i < c.Last; i++ {
		index[ms[i].Path] = i
	}
	var mu sync.Mutex
	paused := false
	late := func() bool {
		d, ok := ctx.Deadline()
		if ok && time.Until(d) < f.Margin {
			mu.Lock()
			paused = true
			mu.Unlock()
			return true
		}
		return false
	}
	stripes := max(1, min(f.Parallel, c.Last-c.First))
	errs := make([]error, stripes)
	var wg sync.WaitGroup
	for j := range stripes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := bag // stripe 0 reads the bag opened above; each other its own opening
			if j > 0 {
				if b, errs[j] = s.c.Bags.OpenBag(ctx, c.Bundle, lim); errs[j] != nil {
					errs[j] = fmt.Errorf("open bag of %s: %w", c.Bundle, errs[j])
					return
				}
			}
			defer b.Close()
			errs[j] = s.chunkStripe(ctx, c, b, j, stripes, index, prog, late, extract)
		}()
	}
	wg.Wait()
	if err := errors.Join(append(errs, prog.failed())...); err != nil {
		return false, err
	}
	return !paused, nil
}

// chunkStripe walks the bag for stripe j of n of c's members (a contiguous run, so that the
// bag's reader reads ahead what the stripe reads next): each not recorded is stored and
// verified (recorded by prog), then each recorded but not extracted is extracted.
func (s *Service) chunkStripe(ctx context.Context, c Chunk, bag *bagit.Bag, j, n int, index map[string]int, prog *progress,
	late func() bool, extract Extractor) error {
	var mine []string
	size := c.Last - c.First
	lo, hi := c.First+j*size/n, c.First+(j+1)*size/n
	sel := func(p string) bool {
		i, ok := index[p]
		if !ok || i < lo || i >= hi {
			return false
		}
		mine = append(mine, p)
		if _, done := prog.record(p); done || late() {
			return false
		}
		return true
	}
	consume := func(f bagit.File, r io.Reader) error {
		if err := prog.failed(); err != nil {
			return err
		}
		return s.storeMember(ctx, c.Bundle, f, r)
	}
	rep, err := bag.Validate(bagit.Options{Mode: bagit.ModeEVX, Select: sel, Consume: consume, Verified: prog.verified})
	if err != nil {
		return err
	}
	fields := bagit.Fields{}
	if rep.Fields != nil {
		fields = *rep.Fields
	}
	xctx := withBundleStates(ctx, fields.RequestingState, fields.RequestedState)
	for _, p := range mine {
		r, ok := prog.record(p)
		if !ok || r.Extraction != "" {
			continue
		}
		if late() {
			return nil
		}
		doc := custody.Document{Name: r.Path, Size: r.Size, SHA256: r.Digests[digestSHA256], SHA512: r.Digests["sha512"]}
		if _, _, err := prog.extracted(xctx, c.Bundle, doc, extract); err != nil {
			return err
		}
	}
	return nil
}

// progress is an ingest's view of its member records (Config.Members); without them it
// knows nothing and records nothing.
type progress struct {
	s      *Service
	ctx    context.Context
	bundle string
	mu     sync.Mutex
	recs   map[string]MemberRecord
	err    error // the first failure to record
}

func (s *Service) progress(ctx context.Context, bundleID string) (*progress, error) {
	p := &progress{s: s, ctx: ctx, bundle: bundleID, recs: map[string]MemberRecord{}}
	if s.c.Members == nil {
		return p, nil
	}
	rs, err := s.c.Members.BundleMembers(ctx, bundleID)
	if err != nil {
		return nil, fmt.Errorf("member records of %s: %w", bundleID, err)
	}
	for _, r := range rs {
		p.recs[r.Path] = r
	}
	return p, nil
}

func (p *progress) record(path string) (MemberRecord, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.recs[path]
	return r, ok
}

// known is bagit.Options.Known: the digests recorded for a file of that size.
func (p *progress) known(path string, size int64) (map[string]string, bool) {
	r, ok := p.record(path)
	if !ok || r.Size != size {
		return nil, false
	}
	return r.Digests, true
}

// verified is bagit.Options.Verified: it records the file.
func (p *progress) verified(f bagit.FileResult) {
	if p.s.c.Members == nil {
		return
	}
	p.put(MemberRecord{Path: f.Path, Size: f.Size, Digests: f.Digests})
}

func (p *progress) put(r MemberRecord) {
	if p.failed() != nil {
		return
	}
	err := p.s.c.Members.RecordMember(p.ctx, p.bundle, r)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if p.err == nil {
			p.err = fmt.Errorf("record %s of %s: %w", r.Path, p.bundle, err)
		}
		return
	}
	p.recs[r.Path] = r
}

func (p *progress) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// extracted returns the media type and extraction of doc: as recorded, or extracted now (and
// then recorded).
func (p *progress) extracted(ctx context.Context, bundleID string, doc custody.Document, extract Extractor) (string, string, error) {
	if r, ok := p.record(doc.Name); ok && r.Extraction != "" && r.Digests[digestSHA256] == doc.SHA256 {
		return r.MediaType, r.Extraction, nil
	}
	mt, sum, err := p.s.extractDoc(ctx, bundleID, doc, extract)
	if err != nil {
		return "", "", err
	}
	if r, ok := p.record(doc.Name); ok && p.s.c.Members != nil && r.Digests[digestSHA256] == doc.SHA256 {
		r.MediaType, r.Extraction = mt, sum
		p.put(r)
		if err := p.failed(); err != nil {
			return "", "", err
		}
	}
	return mt, sum, nil
}
