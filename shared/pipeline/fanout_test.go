package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/backend/local/fileblob"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/bagit/bagittest"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/statetest"
)

// countingBlobs counts what an ingest stores and reads back, and runs before (when set)
// ahead of each Put.
type countingBlobs struct {
	b      *fileblob.Store
	mu     sync.Mutex
	puts   map[string]int // sha256 -> Puts
	reads  int
	before func()
}

func (c *countingBlobs) Put(ctx context.Context, sum string, size int64, r io.Reader) error {
	if c.before != nil {
		c.before()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.puts[sum]++
	c.mu.Unlock()
	return c.b.Put(ctx, sum, size, r)
}

func (c *countingBlobs) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	return c.b.Open(ctx, sum)
}

func (c *countingBlobs) OpenReaderAt(ctx context.Context, sum string) (pipeline.ReaderAtCloser, int64, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.b.OpenReaderAt(ctx, sum)
}

func (c *countingBlobs) total() (puts, reads int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.puts {
		puts += n
	}
	return puts, c.reads
}

// fanService is a service over n's backends with member records, its blobs counted.
func fanService(t testing.TB, n *local.Node, clock *testClock) (*pipeline.Service, *countingBlobs, *statetest.MemMembers) {
	t.Helper()
	blobs := &countingBlobs{b: n.Blobs, puts: map[string]int{}}
	members := &statetest.MemMembers{}
	svc, err := pipeline.New(pipeline.Config{
		Blobs: blobs, Ledger: n.Ledger, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Origin: local.DefaultOrigin, Clock: clock.Now,
		Members: members, Intake: pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, blobs, members
}

// manyFiles writes n small text files, each different, and returns their paths.
func manyFiles(t testing.TB, n int) []string {
	dir := t.TempDir()
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("doc-%04d.txt", i))
		if err := os.WriteFile(p, fmt.Appendf(nil, "Exhibit %d of the seizure at the port\n%s\n", i, slices.Repeat([]byte("x"), i*37)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

var testFanOut = pipeline.FanOut{MinMembers: 10, MinBytes: 1 << 40, ChunkMembers: 7, ChunkBytes: 1 << 40, Parallel: 3}

// runChunks runs each chunk until it is done, as the ingest queue does, and reports the runs.
func runChunks(t *testing.T, svc *pipeline.Service, m pipeline.Members, chunks []pipeline.Chunk, f pipeline.FanOut, ctx func() (context.Context, context.CancelFunc)) int {
	t.Helper()
	runs := 0
	for _, c := range chunks {
		for done := false; !done; runs++ {
			if runs > 1000 {
				t.Fatalf("chunk %d never done", c.K)
			}
			cx, cancel := ctx()
			var err error
			done, err = svc.IngestChunk(cx, c, f)
			cancel()
			if err != nil {
				t.Fatalf("IngestChunk(%d): %v", c.K, err)
			}
		}
		if n, err := m.ChunkDone(context.Background(), c.Bundle, c.K); err != nil || (c.K == c.Of-1 && n != c.Of) {
			t.Fatalf("ChunkDone(%d) = %d, %v", c.K, n, err)
		}
	}
	return runs
}

// A bag ingested in chunks is accepted with the documents, hashes and extractions of the same
// bag ingested whole; each payload file is stored once and read back once (its extraction),
// and the final Ingest neither stores nor reads any.
func TestFanOutIngest(t *testing.T) {
	bag := makeBag(t, manyFiles(t, 40), info("nl-om"))
	ctx := context.Background()

	whole := openNode(t, t.TempDir(), newClock())
	wid := upload(t, whole, bag)
	want, err := whole.Service.Ingest(ctx, wid)
	if err != nil || !want.Accepted {
		t.Fatalf("whole Ingest = %+v, %v", want, err)
	}

	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	id := upload(t, n, bag)
	svc, blobs, members := fanService(t, n, clock)
	chunks, err := svc.Plan(ctx, id, testFanOut)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 6 || chunks[5].First != 35 || chunks[5].Last != 40 || chunks[5].Of != 6 {
		t.Fatalf("Plan = %+v, want 6 chunks of 7 members, the last [35,40)", chunks)
	}
	runs := runChunks(t, svc, members, chunks, testFanOut, func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) })
	if runs != 6 {
		t.Errorf("%d runs of 6 chunks without a deadline, want 6", runs)
	}
	puts, reads := blobs.total()
	if reads != 40 {
		t.Errorf("chunks read back %d documents, want 40 (one extraction each)", reads)
	}
	got, err := svc.Ingest(ctx, id)
	if err != nil || !got.Accepted {
		t.Fatalf("Ingest after the chunks = %+v, %v", got, err)
	}
	if p2, r2 := blobs.total(); p2 != puts || r2 != reads {
		t.Errorf("final Ingest stored %d and read back %d blobs, want none", p2-puts, r2-reads)
	}
	for sum, k := range blobs.puts {
		if k != 1 {
			t.Errorf("blob %s stored %d times", sum, k)
		}
	}
	if !slices.Equal(got.Documents, want.Documents) {
		t.Errorf("documents in chunks differ from whole:\n got %+v\nwant %+v", got.Documents, want.Documents)
	}
	// Plan after the outcome: nothing to split.
	if again, err := svc.Plan(ctx, id, testFanOut); err != nil || again != nil {
		t.Errorf("Plan after acceptance = %v, %v; want none", again, err)
	}
}

// Chunks cut off by their deadline (each Put slow), or killed mid-chunk (ctx cancelled), and
// run again resume: no document is stored twice, and the bundle is accepted once.
func TestFanOutResume(t *testing.T) {
	bag := makeBag(t, manyFiles(t, 30), info("nl-om"))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		// 10 ms a Put, 80 ms a run, 40 ms margin: a few members a run.
		{"deadline", func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 80*time.Millisecond) }},
		// Killed with members in flight: the run fails and is run again.
		{"killed", func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 25*time.Millisecond) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			n := openNode(t, t.TempDir(), clock)
			id := upload(t, n, bag)
			svc, blobs, members := fanService(t, n, clock)
			blobs.before = func() { time.Sleep(10 * time.Millisecond) }
			f := testFanOut
			f.Margin = 40 * time.Millisecond
			if tc.name == "killed" {
				f.Margin = 0
			}
			chunks, err := svc.Plan(ctx, id, f)
			if err != nil || len(chunks) != 5 {
				t.Fatalf("Plan = %d chunks, %v", len(chunks), err)
			}
			runs, paused, killed := 0, 0, 0
			for _, c := range chunks {
				for done := false; !done; runs++ {
					if runs > 500 {
						t.Fatal("no progress")
					}
					cx, cancel := tc.ctx()
					done, err = svc.IngestChunk(cx, c, f)
					cancel()
					switch {
					case errors.Is(err, context.DeadlineExceeded):
						killed++ // on a loaded machine a run of "deadline" may be killed too
					case err != nil:
						t.Fatalf("IngestChunk: %v", err)
					case !done:
						paused++
					}
				}
				members.ChunkDone(ctx, id, c.K)
			}
			if tc.name == "deadline" && paused == 0 || tc.name == "killed" && killed == 0 {
				t.Errorf("%d runs of %d chunks, %d paused, %d killed: none cut off as %s", runs, len(chunks), paused, killed, tc.name)
			}
			blobs.before = nil
			res, err := svc.Ingest(ctx, id)
			if err != nil || !res.Accepted || len(res.Documents) != 30 {
				t.Fatalf("Ingest = %+v, %v", res, err)
			}
			for sum, k := range blobs.puts {
				if k != 1 && killed == 0 {
					t.Errorf("blob %s stored %d times", sum, k)
				}
			}
			// Killed mid-Put, a document may be stored again (the Put never finished); never
			// one recorded.
			if puts, _ := blobs.total(); puts > 60+2*runs {
				t.Errorf("%d Puts in %d runs", puts, runs)
			}
			t.Logf("%s: %d runs (%d paused, %d killed), %d records written", tc.name, runs, paused, killed, members.Puts)
		})
	}
}

// A bag with one member whose bytes differ from the manifest is rejected after its chunks
// with exactly the reasons of the same bag ingested whole; the bad member is not recorded.
func TestFanOutBadMember(t *testing.T) {
	var payload []bagittest.Member
	for i := range 12 {
		payload = append(payload, bagittest.Member{Name: fmt.Sprintf("data/f%02d.txt", i), Data: fmt.Appendf(nil, "file %d\n", i)})
	}
	ms := bagittest.ValidBag(payload, "")
	ms[len(ms)-5].Data = []byte("file 7, altered\n")
	bag := bagittest.ZipOf("", ms, nil)
	ctx := context.Background()

	whole := openNode(t, t.TempDir(), newClock())
	want, err := whole.Service.Ingest(ctx, upload(t, whole, bag))
	if err != nil || want.Accepted {
		t.Fatalf("whole Ingest = %+v, %v; want a rejection", want, err)
	}

	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	id := upload(t, n, bag)
	svc, _, members := fanService(t, n, clock)
	f := testFanOut
	f.ChunkMembers = 5
	chunks, err := svc.Plan(ctx, id, f)
	if err != nil || len(chunks) != 3 {
		t.Fatalf("Plan = %+v, %v", chunks, err)
	}
	runChunks(t, svc, members, chunks, f, func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) })
	recs, _ := members.BundleMembers(ctx, id)
	if len(recs) != 11 || slices.ContainsFunc(recs, func(r pipeline.MemberRecord) bool { return r.Path == "data/f07.txt" }) {
		t.Errorf("%d records, want 11, without data/f07.txt", len(recs))
	}
	got, err := svc.Ingest(ctx, id)
	if err != nil || got.Accepted {
		t.Fatalf("Ingest = %+v, %v; want a rejection", got, err)
	}
	if !slices.Equal(got.Reasons, want.Reasons) {
		t.Errorf("reasons %q, want %q", got.Reasons, want.Reasons)
	}
}

// Small bags, tar bags and services without member records are not split.
func TestPlanWhole(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	n := openNode(t, t.TempDir(), clock)
	svc, _, _ := fanService(t, n, clock)
	small := upload(t, n, makeBag(t, manyFiles(t, 5), info("nl-om")))
	var payload []bagittest.Member
	for i := range 20 {
		payload = append(payload, bagittest.Member{Name: fmt.Sprintf("data/f%02d.txt", i), Data: fmt.Appendf(nil, "file %d\n", i)})
	}
	tarred := upload(t, n, bagittest.TarOf(bagittest.ValidBag(payload, "")))
	big := upload(t, n, makeBag(t, manyFiles(t, 20), info("nl-om")))
	for _, tc := range []struct {
		name, id string
		svc      *pipeline.Service
		want     int
	}{
		{"small", small, svc, 0},
		{"tar", tarred, svc, 0},
		{"no records", big, n.Service, 0},
		{"big", big, svc, 3},
	} {
		chunks, err := tc.svc.Plan(ctx, tc.id, testFanOut)
		if err != nil || len(chunks) != tc.want {
			t.Errorf("%s: Plan = %d chunks, %v; want %d", tc.name, len(chunks), err, tc.want)
		}
	}
}
