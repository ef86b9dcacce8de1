package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// checksumBlobs is a blob store that keeps checksums as S3 does: what HeadObject would say
// of each blob (head; none for a blob absent from it), and the composite a full read of a
// multipart blob computes (composite). It counts the full reads.
type checksumBlobs struct {
	pipeline.BlobStore
	head      map[string]pipeline.StoredChecksum
	composite map[string]string
	mu        sync.Mutex // Fixity checks documents at once
	rereads   map[string]int
}

func (c *checksumBlobs) StoredChecksum(ctx context.Context, sum string) (pipeline.StoredChecksum, error) {
	rc, err := c.Open(ctx, sum) // existence only, as HeadObject
	if err != nil {
		return pipeline.StoredChecksum{}, err
	}
	rc.Close()
	return c.head[sum], nil
}

func (c *checksumBlobs) Reread(ctx context.Context, sum string) (string, string, error) {
	c.mu.Lock()
	c.rereads[sum]++
	c.mu.Unlock()
	rc, err := c.Open(ctx, sum)
	if err != nil {
		return "", "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", "", err
	}
	return hex.EncodeToString(h.Sum(nil)), c.composite[sum], nil
}

// checksumNode is a node whose service checks fixity over a checksumBlobs, with a bundle of
// docs documents accepted; it returns the service, the store and the bundle's documents.
func checksumNode(t *testing.T, clock *testClock, docs int) (*pipeline.Service, *checksumBlobs, string, []custody.Document) {
	t.Helper()
	n := openNode(t, t.TempDir(), clock)
	dir := t.TempDir()
	var srcs []string
	for i := range docs {
		p := filepath.Join(dir, fmt.Sprintf("exhibit-%03d.txt", i))
		if err := os.WriteFile(p, fmt.Appendf(nil, "Exhibit %d of the seizure at the port of Algeciras\n", i), 0o600); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, p)
	}
	id := upload(t, n, makeBag(t, srcs, info("nl-om")))
	if _, err := n.Service.Process(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	cs := &checksumBlobs{BlobStore: n.Blobs, head: map[string]pipeline.StoredChecksum{}, composite: map[string]string{}, rereads: map[string]int{}}
	svc := fixityService(t, n, cs, clock)
	trail, err := svc.Events(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var acc []custody.Document
	for _, en := range trail {
		if en.Event.Type == custody.SubmissionAcceptance {
			acc = en.Event.Details.Documents
		}
	}
	for _, d := range acc {
		cs.head[d.SHA256] = pipeline.StoredChecksum{SHA256: d.SHA256}
	}
	return svc, cs, id, acc
}

func fixityService(t *testing.T, n *local.Node, blobs pipeline.BlobStore, clock *testClock) *pipeline.Service {
	t.Helper()
	svc, err := pipeline.New(pipeline.Config{
		Blobs: blobs, Ledger: n.Ledger, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Origin: n.Service.Origin(), Clock: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestFullReadDayCoversEveryDocument: over any period consecutive days every document has
// exactly one full-read day, and each day takes about a period-th of them.
func TestFullReadDayCoversEveryDocument(t *testing.T) {
	for _, period := range []int{1, 7, 30, 90} {
		t.Run(fmt.Sprint(period), func(t *testing.T) {
			const docs = 3000
			perDay := make([]int, period)
			start := time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC)
			for i := range docs {
				s := sha256.Sum256(fmt.Appendf(nil, "document %d", i))
				sum := hex.EncodeToString(s[:])
				hits := 0
				for d := range period {
					if pipeline.SampleDay(start.Add(time.Duration(d)*24*time.Hour), period) == pipeline.FullReadDay(sum, period) {
						hits++
						perDay[d]++
					}
				}
				if hits != 1 {
					t.Fatalf("document %s is read in full on %d of %d consecutive days, want 1", sum, hits, period)
				}
			}
			for d, n := range perDay {
				if want := docs / period; n < want/2 || n > want*2 {
					t.Errorf("day %d reads %d documents in full, want about %d", d, n, want)
				}
			}
		})
	}
}

// TestFixityRotatesFullReads: with S3's checksums, each daily check reads in full only the
// documents whose day it is, records them as read in full, and after one period every
// document has been read in full exactly once.
func TestFixityRotatesFullReads(t *testing.T) {
	clock := newClock()
	svc, cs, id, docs := checksumNode(t, clock, 40)
	ctx := t.Context()
	readOn := map[string]int{}
	for day := range pipeline.DefaultFullReadDays {
		en, err := svc.Fixity(ctx, id)
		if err != nil || len(en.Event.Details.Reasons) > 0 {
			t.Fatalf("day %d: Fixity = %v, %v; want a clean check", day, en.Event.Details.Reasons, err)
		}
		full, compared := pipeline.FixityMethods(en.Event)
		if len(full)+compared != len(docs) {
			t.Fatalf("day %d: %d read in full and %d compared, want %d documents in all (%q)", day, len(full), compared, len(docs), en.Event.Details.Findings)
		}
		for _, name := range full {
			readOn[name]++
		}
		clock.Advance(24 * time.Hour)
	}
	for _, d := range docs {
		if readOn[d.Name] != 1 || cs.rereads[d.SHA256] != 1 {
			t.Errorf("%s read in full on %d days (%d reads) of %d, want 1", d.Name, readOn[d.Name], cs.rereads[d.SHA256], pipeline.DefaultFullReadDays)
		}
	}
}

// notToday returns a document of docs whose full-read day is not today's.
func notToday(t *testing.T, clock *testClock, docs []custody.Document) custody.Document {
	t.Helper()
	for _, d := range docs {
		if pipeline.FullReadDay(d.SHA256, pipeline.DefaultFullReadDays) != pipeline.SampleDay(clock.Now(), pipeline.DefaultFullReadDays) {
			return d
		}
	}
	t.Fatal("every document is read in full today")
	return custody.Document{}
}

func TestFixityChecksums(t *testing.T) {
	other := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		// set changes the store's answers for document d
		set        func(cs *checksumBlobs, d custody.Document)
		wantReason string // "" for a clean check
		wantRead   bool   // d read in full
	}{
		{name: "matching-sha256", set: func(*checksumBlobs, custody.Document) {}},
		{name: "sha256-mismatch", set: func(cs *checksumBlobs, d custody.Document) {
			cs.head[d.SHA256] = pipeline.StoredChecksum{SHA256: other}
		}, wantReason: "the store's checksum is SHA-256 " + other},
		{name: "no-stored-checksum", set: func(cs *checksumBlobs, d custody.Document) {
			delete(cs.head, d.SHA256)
		}, wantRead: true},
		{name: "composite-first-read", set: func(cs *checksumBlobs, d custody.Document) {
			cs.head[d.SHA256] = pipeline.StoredChecksum{Composite: "Q0hFQ0s=-2"}
			cs.composite[d.SHA256] = "Q0hFQ0s=-2"
		}, wantRead: true},
		{name: "composite-not-of-the-bytes", set: func(cs *checksumBlobs, d custody.Document) {
			cs.head[d.SHA256] = pipeline.StoredChecksum{Composite: "Q0hFQ0s=-2"}
			cs.composite[d.SHA256] = "T1RIRVI=-2"
		}, wantReason: "the store's composite checksum is Q0hFQ0s=-2, its bytes give T1RIRVI=-2", wantRead: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			svc, cs, id, docs := checksumNode(t, clock, 3)
			d := notToday(t, clock, docs)
			tc.set(cs, d)
			en, err := svc.Fixity(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			rs := en.Event.Details.Reasons
			if tc.wantReason == "" && len(rs) > 0 || tc.wantReason != "" && (len(rs) != 1 || !strings.Contains(rs[0], tc.wantReason)) {
				t.Errorf("reasons %q, want %q", rs, tc.wantReason)
			}
			if got := cs.rereads[d.SHA256] == 1; got != tc.wantRead {
				t.Errorf("%s read in full: %v, want %v", d.Name, got, tc.wantRead)
			}
			full, _ := pipeline.FixityMethods(en.Event)
			if tc.wantReason == "" && slices.Contains(full, d.Name) != tc.wantRead {
				t.Errorf("recorded as read in full %q; %s want %v", full, d.Name, tc.wantRead)
			}
		})
	}
}

// TestFixityCompositeBound: a multipart document's composite checksum, bound to its bytes by
// a full read, is compared on later days without a read; a replaced object (another composite)
// is a mismatch.
func TestFixityCompositeBound(t *testing.T) {
	clock := newClock()
	svc, cs, id, docs := checksumNode(t, clock, 1)
	d := docs[0]
	cs.head[d.SHA256] = pipeline.StoredChecksum{Composite: "Q0hFQ0s=-2"}
	cs.composite[d.SHA256] = "Q0hFQ0s=-2"
	if pipeline.FullReadDay(d.SHA256, pipeline.DefaultFullReadDays) == pipeline.SampleDay(clock.Now().Add(24*time.Hour), pipeline.DefaultFullReadDays) {
		clock.Advance(24 * time.Hour) // so that the next day is not the sample day
	}
	ctx := t.Context()
	if en, err := svc.Fixity(ctx, id); err != nil || len(en.Event.Details.Reasons) > 0 || cs.rereads[d.SHA256] != 1 {
		t.Fatalf("first check = %q, %v, %d reads; want clean, one read", en.Event.Details.Reasons, err, cs.rereads[d.SHA256])
	}
	clock.Advance(24 * time.Hour)
	if en, err := svc.Fixity(ctx, id); err != nil || len(en.Event.Details.Reasons) > 0 || cs.rereads[d.SHA256] != 1 {
		t.Fatalf("next day = %q, %v, %d reads; want clean, no read", en.Event.Details.Reasons, err, cs.rereads[d.SHA256])
	}
	cs.head[d.SHA256] = pipeline.StoredChecksum{Composite: "T1RIRVI=-2"} // a replaced object
	en, err := svc.Fixity(ctx, id)
	if err != nil || len(en.Event.Details.Reasons) != 1 || !strings.Contains(en.Event.Details.Reasons[0], "a full read recorded Q0hFQ0s=-2") {
		t.Fatalf("after replacement = %q, %v; want the composite mismatch", en.Event.Details.Reasons, err)
	}
}
