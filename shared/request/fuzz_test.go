package request_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// FuzzFold: any sequence of events, however hostile, folds to a state or a typed error, never
// a panic; and a state that folds is consistent with itself (folding again gives the same).
// Seeds in testdata/fuzz/FuzzFold; go test -fuzz FuzzFold ./shared/request/ explores more.
func FuzzFold(f *testing.F) {
	issued := func(typ, urgency, due string) string {
		l := custody.LegalRequest{ID: "R1", Type: typ, Issuer: "a", IssuerPerson: "p", Addressee: "b", LegalBasis: "x",
			Urgency: urgency, Due: due, DataCategory: "content", Agency: "a", Person: "p"}
		b, _ := json.Marshal(l)
		return string(b)
	}
	f.Add(issued("EIO", "", ""), "RequestReceived,RequestAccepted,RequestFulfilled", "b,b,b", int64(3600))
	f.Add(issued("EPOC", "emergency", ""), "RequestReceived,DeadlineMissed,RequestAnswered", "b,,b", int64(9*3600))
	f.Add(issued("EPOC-PR", "", ""), "RequestReceived,RequestExtended,RequestConfirmed,PeriodEnded", "b,a,a,", int64(86400*61))
	f.Add(issued("JIT", "", "2026-06-01T00:00:00.000000000Z"), "RequestExtended,PeriodEnded,RequestWithdrawn", "a,,a", int64(-5))
	f.Add(`{"id":"R1"}`, "RequestSuspended,RequestResumed,RequestResumed", "b,b,c", int64(0))
	f.Fuzz(func(t *testing.T, first, types, agencies string, step int64) {
		var l custody.LegalRequest
		if json.Unmarshal([]byte(first), &l) != nil {
			return
		}
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		evs := []custody.Event{{BundleID: custody.RequestSubject(l.ID), Seq: 1, Type: custody.RequestIssued, Time: t0,
			Actor: custody.Actor{Kind: custody.ActorUser, ID: "a/p"}, Details: custody.Details{LegalRequest: &l}}}
		ags := splitComma(agencies)
		for i, typ := range splitComma(types) {
			if i > 64 {
				break
			}
			ag := ""
			if i < len(ags) {
				ag = ags[i]
			}
			kind := custody.ActorUser
			if ag == "" {
				kind = custody.ActorSystem
			}
			el := custody.LegalRequest{ID: l.ID, Agency: ag, Person: "p", Deadline: "recognition", Extension: "720h", Bundle: "b1",
				Due: t0.Add(30 * 24 * time.Hour).Format(custody.TimeFormat)}
			evs = append(evs, custody.Event{BundleID: evs[0].BundleID, Seq: uint64(i + 2), Type: custody.EventType(typ),
				Time: t0.Add(time.Duration(step) * time.Second * time.Duration(i+1)), Actor: custody.Actor{Kind: kind, ID: ag},
				Details: custody.Details{LegalRequest: &el, Reasons: []string{"grounds"}}})
		}
		s, err := request.Fold(evs)
		if err != nil {
			return
		}
		again, err := request.Fold(evs[:s.Events])
		if err != nil || again.Status != s.Status || len(again.Deadlines) != len(s.Deadlines) {
			t.Fatalf("folding the same events twice: %v, %+v vs %+v", err, again, s)
		}
	})
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
