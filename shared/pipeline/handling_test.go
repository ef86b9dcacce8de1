package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// readsLedger records the bundles whose trails are read.
type readsLedger struct {
	custody.Ledger
	mu    sync.Mutex
	reads []string
}

func (l *readsLedger) Events(ctx context.Context, id string) ([]custody.Entry, error) {
	l.mu.Lock()
	l.reads = append(l.reads, id)
	l.mu.Unlock()
	return l.Ledger.Events(ctx, id)
}

// uploadAs submits bag as uploader ("AGENCY/PERSON") and processes it (ingest and route).
func uploadAs(t *testing.T, n *local.Node, uploader string, bag []byte) string {
	t.Helper()
	ctx := context.Background()
	id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(bag))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: uploader, Size: size}); err != nil {
		t.Fatal(err)
	}
	st, err := n.Service.Process(ctx, id)
	if err != nil || st.Ingest == nil || !st.Ingest.Accepted {
		t.Fatalf("Process(%s) = %+v, %v; want accepted", id, st, err)
	}
	return id
}

// withField sets the value of label in a copy of in.
func withField(in bagit.Info, label, value string) bagit.Info {
	out := slices.Clone(in)
	for i := range out {
		if out[i].Label == label {
			out[i].Value = value
		}
	}
	return out
}

func withHandling(in bagit.Info, code string) bagit.Info {
	return withField(in, bagit.LabelHandlingCode, code)
}

// TestH2RouteReadsOnlyH2Trails: nl-om received many H0 bundles and one H2 bundle from es-fge;
// when nl-om sends the H2 bundle's document on to co-fgn, routing withholds it and asks
// es-fge, having read the trails of the bundle routed and of the H2 bundle only: the
// deliveries index keeps each bundle's handling code.
func TestH2RouteReadsOnlyH2Trails(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	docs := evidence(t)
	for i := range 5 {
		p := filepath.Join(t.TempDir(), "note.txt")
		if err := os.WriteFile(p, []byte{'n', byte('0' + i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		uploadAs(t, n, "es-fge/a.garcia", makeBag(t, []string{p}, withHandling(info("nl-om"), "H0")))
	}
	original := uploadAs(t, n, "es-fge/a.garcia", makeBag(t, docs[:1], withHandling(info("nl-om"), "H2")))
	for _, d := range mustDeliveries(t, n, "nl-om") {
		if want := map[bool]string{true: "H2", false: "H0"}[d.BundleID == original]; d.Handling != want {
			t.Errorf("delivery of %s has handling %q, want %q", d.BundleID, d.Handling, want)
		}
	}
	onward := uploadAs(t, n, "nl-om/p.bakker", makeBag(t, docs[:1], withField(withHandling(info("co-fgn"), "H0"), bagit.LabelLegalBasis, "ES-CO-MLA-1997")))

	l := &readsLedger{Ledger: n.Ledger}
	svc, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: l, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Receipts: n.Receipts,
		Submissions: n.Submissions, Origin: n.Service.Origin(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := svc.Route(ctx, onward)
	if err != nil || len(ds) != 0 {
		t.Fatalf("Route(onward) = %+v, %v; want nothing consigned", ds, err)
	}
	for _, id := range l.reads {
		if id != onward && id != original {
			t.Errorf("route read the trail of %s, an H0 bundle", id)
		}
	}
	if !slices.Contains(l.reads, original) {
		t.Errorf("route read %v, not the H2 bundle %s", l.reads, original)
	}
	tr, err := n.Ledger.Events(ctx, original)
	if err != nil {
		t.Fatal(err)
	}
	asked := 0
	for _, en := range tr {
		if use, to := custody.ConsentOf(en.Event.Details); en.Event.Type == custody.ConsentRequested && use == custody.UseDissemination && to == "co-fgn" {
			asked++
		}
	}
	if asked != 1 {
		t.Errorf("%d dissemination requests to co-fgn on the original after two routes, want 1", asked)
	}
}

func mustDeliveries(t *testing.T, n *local.Node, cp string) []pipeline.Delivery {
	t.Helper()
	ds, err := n.Deliveries.ListDeliveries(context.Background(), cp)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestH3RestrictionRecorded: an H3 bundle's restriction is recorded on its acceptance (a
// version 2 event); an H3 bundle without one is rejected with the reason.
func TestH3RestrictionRecorded(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	docs := evidence(t)
	const restriction = "not to be passed to tax authorities"
	in := append(withHandling(info("nl-om"), "H3"), bagit.Field{Label: bagit.LabelHandlingRestriction, Value: restriction})
	id := uploadAs(t, n, "es-fge/a.garcia", makeBag(t, docs, in))
	tr, err := n.Ledger.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	evs := custody.EntryEvents(tr)
	if got := custody.BundleRestriction(evs); got != restriction || evs[0].Version != custody.Version2 {
		t.Errorf("restriction %q in a version %d event 1, want %q in version 2", got, evs[0].Version, restriction)
	}

	bare := upload(t, n, makeBag(t, docs[:1], withHandling(info("nl-om"), "H3")))
	st, err := n.Service.Process(ctx, bare)
	if err != nil {
		t.Fatal(err)
	}
	if st.Ingest == nil || st.Ingest.Accepted || !strings.Contains(strings.Join(st.Ingest.Reasons, " "), bagit.LabelHandlingRestriction) {
		t.Errorf("H3 without a restriction: %+v, want rejected naming %s", st.Ingest, bagit.LabelHandlingRestriction)
	}
}
