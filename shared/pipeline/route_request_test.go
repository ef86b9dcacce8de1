package pipeline_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// TestRouteRecordsRequestAnswer: routing a bundle whose EVX-Request-Reference names a request
// records, once, that the bundle answers it (RequestAnswered by the uploader), through the
// Requests port of the embedded deployment; a bundle with a legal basis but no reference
// records no answer.
func TestRouteRecordsRequestAnswer(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	dir := filepath.Join(t.TempDir(), "counterparts.yaml")
	if err := os.WriteFile(dir, []byte(`counterparts:
  - {id: nl-om, name: Openbaar Ministerie, country: NL, legal_bases: [EU-EIO], handling_codes: [H0, H1, H2, H3], active: true}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := local.OpenNode(t.Context(), t.TempDir(), local.NodeOptions{Directory: dir, Agency: "es-fge", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	ctx := t.Context()
	q := request.Request{ID: "EIO-NL-2026-0077", Type: request.EIO, Issuer: "nl-om", IssuerPerson: "jan.devries",
		IssuingState: "NL", Addressee: "es-fge", LegalBasis: "EU-EIO", CaseReference: "NL-OM-2026-201"}
	if _, err := n.Requests.Issue(ctx, q); err != nil {
		t.Fatal(err)
	}
	for _, a := range []custody.EventType{custody.RequestReceived, custody.RequestAccepted} {
		if _, err := n.Requests.Act(ctx, q.ID, request.Actor{Agency: "es-fge", Person: "maria"}, request.Action{Type: a}); err != nil {
			t.Fatal(err)
		}
	}
	advance(time.Hour)
	answers := func() (n2 int, who string) {
		t.Helper()
		es, err := n.Requests.Events(ctx, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Event.Type == custody.RequestAnswered {
				n2++
				who = e.Event.Details.LegalRequest.Agency + "/" + e.Event.Details.LegalRequest.Person
			}
		}
		return n2, who
	}
	submit := func(name string, info bagit.Info) *pipeline.Status {
		t.Helper()
		d := t.TempDir()
		src := filepath.Join(d, name)
		if err := os.WriteFile(src, []byte("statement "+name), 0o600); err != nil {
			t.Fatal(err)
		}
		bag := filepath.Join(d, "b.zip")
		if _, err := bagit.Create(bag, []string{src}, bagit.CreateOptions{Info: info}); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(bag)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		id, size, err := n.Uploads.Spool(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "ana", Size: size}); err != nil {
			t.Fatal(err)
		}
		st, err := n.Service.Process(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Ingest.Accepted {
			t.Fatalf("bundle %s rejected: %q", name, st.Ingest.Reasons)
		}
		return st
	}
	to := bagit.Field{Label: bagit.LabelCounterpart, Value: "nl-om"}
	basis := bagit.Field{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}
	submit("no-reference.txt", bagit.Info{basis, to})
	if got, _ := answers(); got != 0 {
		t.Fatalf("a bundle naming no request: RequestAnswered events = %d, want 0", got)
	}
	st := submit("answer.txt", bagit.Info{{Label: bagit.LabelRequestReference, Value: q.ID}, basis, to})
	if got, who := answers(); got != 1 || who != "es-fge/ana" {
		t.Fatalf("after routing the answer: RequestAnswered events = %d by %s, want 1 by es-fge/ana", got, who)
	}
	if _, err := n.Service.Route(ctx, st.Upload.BundleID); err != nil {
		t.Fatal(err)
	}
	if got, _ := answers(); got != 1 {
		t.Errorf("routing again: RequestAnswered events = %d, want still 1", got)
	}
}
