package request_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// TestFollowUpOfAHit: a request may name the identifier hit it follows up; Issue accepts it
// only when the addressee's matching subject records that hit, of a query by the issuer,
// within HitWindow days, and the reference is recorded on RequestIssued.
func TestFollowUpOfAHit(t *testing.T) {
	r := newRig(t)
	const ref = "evx-hit-0123456789abcdef0123"
	keeper := &custody.Keeper{Ledger: r.ledger, Signer: r.signer, Origin: "evx.test/log", Now: r.clock.Now}
	// nl-om's identifier was hit by es-fiscalia's query ten days ago, and by another agency's
	// with another reference.
	hitDay := r.clock.Now().Add(-10 * 24 * time.Hour)
	for _, h := range []struct{ asker, ref string }{{"es-fiscalia", ref}, {"co-fgn", "evx-hit-ffffffffffffffffffff"}} {
		if _, err := keeper.Record(t.Context(), pipeline.MatchSubject("nl-om", hitDay), pipeline.IdentifierMatched,
			custody.Actor{Kind: custody.ActorUser, ID: "analyst"}, custody.Details{Counterpart: h.asker, Reference: h.ref,
				Reasons: []string{"type=container", "keyed_hash=" + "00", "outcome=hit"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, hit, to string
		ok            bool
	}{
		{"not a reference", "MSKU0000006", "nl-om", false},
		{"another asker's hit", "evx-hit-ffffffffffffffffffff", "nl-om", false},
		{"another holder", ref, "pt-pj", false},
		{"unknown reference", "evx-hit-00000000000000000000", "nl-om", false},
		{"the hit", ref, "nl-om", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := eio("F-" + tc.to + tc.hit[len(tc.hit)-3:])
			q.Hit, q.Addressee = tc.hit, tc.to
			s, err := r.desk.Issue(t.Context(), q)
			if !tc.ok {
				if !isInvalid(err, "hit") {
					t.Fatalf("Issue = %+v, %v; want an *InvalidError on hit", s, err)
				}
				return
			}
			if err != nil || s.Hit != ref {
				t.Fatalf("Issue = %+v, %v; want the request, following %s", s, err, ref)
			}
			es, _ := r.ledger.Events(t.Context(), custody.RequestSubject(q.ID))
			if got := es[0].Event.Details.LegalRequest.Hit; got != ref {
				t.Errorf("RequestIssued records hit %q, want %q", got, ref)
			}
			// The state is folded from the events alone, the hit with it.
			if f, err := request.FoldEntries(es); err != nil || f.Hit != ref {
				t.Errorf("FoldEntries = %+v, %v", f, err)
			}
		})
	}
	// Past the window, the hit is no longer found.
	r.clock.Advance(request.HitWindow * 24 * time.Hour)
	q := eio("F-late")
	q.Hit = ref
	if _, err := r.desk.Issue(t.Context(), q); !isInvalid(err, "hit") {
		t.Errorf("Issue %d days after the hit = %v, want refused", request.HitWindow+10, err)
	}
}

type memRegistry struct{ subjects map[string]int }

func (m *memRegistry) AddSubject(_ context.Context, s string) error { m.subjects[s]++; return nil }

func (m *memRegistry) Subjects(_ context.Context, prefix string) ([]string, error) {
	var out []string
	for s := range m.subjects {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

// TestRegistry: with a Registry, every request issued is registered (again on an identical
// retry), List finds it through the registry, and Reconcile registers what the ledger holds
// and the registry lacks.
func TestRegistry(t *testing.T) {
	r := newRig(t)
	reg := &memRegistry{subjects: map[string]int{}}
	r.desk.Registry, r.desk.Lister = reg, reg
	if _, err := r.desk.Issue(t.Context(), eio("R1")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.desk.Issue(t.Context(), eio("R1")); err != nil {
		t.Fatal(err)
	}
	if reg.subjects[custody.RequestSubject("R1")] != 2 {
		t.Errorf("registered %v, want request:R1 twice (issue and identical retry)", reg.subjects)
	}
	// A request whose registration was lost (recorded straight in the ledger).
	lost := &request.Desk{Ledger: r.ledger, Signer: r.signer, Lister: r.ledger, Home: "es-fiscalia", Clock: r.clock.Now}
	if _, err := lost.Issue(t.Context(), eio("R2")); err != nil {
		t.Fatal(err)
	}
	if l, err := r.desk.List(t.Context(), request.Filter{}); err != nil || len(l) != 1 {
		t.Fatalf("List before Reconcile = %d, %v; want R1 only", len(l), err)
	}
	if n, err := request.Reconcile(t.Context(), r.ledger, reg); err != nil || n != 2 {
		t.Fatalf("Reconcile = %d, %v", n, err)
	}
	if l, err := r.desk.List(t.Context(), request.Filter{}); err != nil || len(l) != 2 {
		t.Fatalf("List after Reconcile = %d, %v; want R1 and R2", len(l), err)
	}
	if reg.subjects[custody.RequestSubject("R1")] != 2 {
		t.Errorf("Reconcile registered request:R1 again (%d), which the registry held", reg.subjects[custody.RequestSubject("R1")])
	}
}
