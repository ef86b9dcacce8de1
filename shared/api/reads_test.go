package api_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// legalReads are the reads of legal staff, each with what its LegalAccess event says it read.
func legalReads(t *testing.T, e *env, id string) []struct {
	method, path, what string
	body               []byte
} {
	_, cp, _ := e.do("judge", "GET", "/v1/checkpoint", nil)
	return []struct {
		method, path, what string
		body               []byte
	}{
		{"GET", "/v1/bundles/" + id, pipeline.ReadStatus, nil},
		{"GET", "/v1/bundles/" + id + "/trail", pipeline.ReadTrail, nil},
		{"GET", "/v1/bundles/" + id + "/verification", pipeline.ReadVerification, nil},
		{"POST", "/v1/bundles/" + id + "/verification", pipeline.ReadVerification, cp},
		{"GET", "/v1/bundles/" + id + "/report", pipeline.ReadReport, nil},
		{"GET", "/v1/bundles/" + id + "/documents/data/seizure-report.txt", pipeline.ReadDocument, nil},
		{"GET", "/v1/bundles/" + id + "/identifiers", pipeline.ReadIdentifiers, nil},
	}
}

func hashes(t *testing.T, e *env, subject string) []string {
	t.Helper()
	es, err := e.node.Ledger.Events(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	var hs []string
	for _, en := range es {
		hs = append(hs, en.Event.Hash)
	}
	return hs
}

// TestLegalReadsRecorded: every read by legal staff is one LegalAccess event on reads:BUNDLE
// naming the reader's agency and person and what was read; the bundle's own chain is
// unchanged by them; the reads trail is served like any trail and verifies; a refused read
// (wrong role, unknown bundle) records nothing.
func TestLegalReadsRecorded(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	subject := pipeline.ReadsSubject(id)
	chain := hashes(t, e, id)
	ctx := context.Background()
	for _, rd := range legalReads(t, e, id) {
		before := len(hashes(t, e, subject))
		if code, body, _ := e.do("judge", rd.method, rd.path, rd.body); code != http.StatusOK {
			t.Fatalf("%s %s = %d %.200s, want 200", rd.method, rd.path, code, body)
		}
		es, err := e.node.Ledger.Events(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != before+1 {
			t.Fatalf("%s %s recorded %d events, want 1", rd.method, rd.path, len(es)-before)
		}
		ev := es[len(es)-1].Event
		if ev.Type != pipeline.LegalAccess || ev.Actor.Kind != custody.ActorUser || ev.Actor.Agency != "nl-om" || ev.Actor.Person != "r.visser" ||
			len(ev.Details.Reasons) == 0 || ev.Details.Reasons[0] != "read="+rd.what {
			t.Errorf("%s %s recorded %s by %+v %q, want LegalAccess by nl-om/r.visser, read=%s", rd.method, rd.path, ev.Type, ev.Actor, ev.Details.Reasons, rd.what)
		}
		if docs := ev.Details.Documents; (rd.what == pipeline.ReadDocument) != (len(docs) == 1 && docs[0].Name == "data/seizure-report.txt" && len(docs[0].SHA256) == 64) {
			t.Errorf("%s %s recorded documents %+v", rd.method, rd.path, docs)
		}
	}
	if got := hashes(t, e, id); !slices.Equal(got, chain) {
		t.Errorf("the bundle's chain changed under reads: %d events, was %d", len(got), len(chain))
	}

	// Refused reads record nothing.
	n := len(hashes(t, e, subject))
	for who, want := range map[string]int{"alice": 403, "nl-om": 403, "anon": 401, "forged": 401} {
		if code, _, _ := e.do(who, "GET", "/v1/bundles/"+id+"/trail", nil); code != want {
			t.Errorf("trail as %s = %d, want %d", who, code, want)
		}
	}
	if code, _, _ := e.do("judge", "GET", "/v1/bundles/"+id+"/trail?size=x", nil); code != 400 {
		t.Errorf("trail?size=x = %d, want 400", code)
	}
	if got := len(hashes(t, e, subject)); got != n {
		t.Errorf("refused reads recorded %d events", got-n)
	}
	// A size beyond the log: the read is recorded (it was asked for), and refused with 400.
	if code, body, _ := e.do("judge", "GET", "/v1/bundles/"+id+"/trail?size=9007199254740991", nil); code != 400 || !bytes.Contains(body, []byte("log size")) {
		t.Errorf("trail?size beyond the log = %d %s, want 400", code, body)
	}
	es, _ := e.node.Ledger.Events(ctx, subject)
	if r := es[len(es)-1].Event.Details.Reasons; len(es) != n+1 || !slices.Equal(r, []string{"read=trail", "size=9007199254740991"}) {
		t.Errorf("the read at a size recorded %d events, the last %q", len(es)-n, r)
	}
	n++
	// The document's bytes as sent; others' roles are refused and unknown names are 404.
	if code, body, hdr := e.do("judge", "GET", "/v1/bundles/"+id+"/documents/data/seizure-report.txt", nil); code != 200 || string(body) != secret || len(hdr.Get("X-Evx-Sha256")) != 64 {
		t.Errorf("document = %d %q", code, body)
	}
	n++
	for who, want := range map[string]int{"alice": 403, "nl-om": 403, "anon": 401} {
		if code, _, _ := e.do(who, "GET", "/v1/bundles/"+id+"/documents/data/seizure-report.txt", nil); code != want {
			t.Errorf("document as %s = %d, want %d", who, code, want)
		}
	}
	if code, body, _ := e.do("judge", "GET", "/v1/bundles/"+id+"/documents/data/nothing.txt", nil); code != 404 || !bytes.Contains(body, []byte("no document")) {
		t.Errorf("unknown document = %d %s, want 404", code, body)
	}
	if got := len(hashes(t, e, subject)); got != n {
		t.Errorf("refused document reads recorded %d events", got-n)
	}
	unknown := "0000000000000000000000000000000000000000000000000000000000000000"
	if code, _, _ := e.do("judge", "GET", "/v1/bundles/"+unknown+"/trail", nil); code != 404 {
		t.Errorf("trail of an unknown bundle = %d, want 404", code)
	}
	if hs := hashes(t, e, pipeline.ReadsSubject(unknown)); len(hs) != 0 {
		t.Errorf("a read of an unknown bundle recorded %d events", len(hs))
	}

	// The reads trail: exported on request, verified like any trail (its own read included).
	code, raw, _ := e.do("judge", "GET", "/v1/bundles/"+subject+"/trail", nil)
	if code != 200 {
		t.Fatalf("reads trail = %d %.200s", code, raw)
	}
	tr, err := custody.ParseTrail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.Verify(tr, e.node.Signer.Public(), custody.VerifyOptions{}); err != nil {
		t.Fatalf("reads trail does not verify: %v", err)
	}
	// Its own read is recorded (n+1 events) and the log as it stood before that record served.
	if got, all := len(tr.Events), len(hashes(t, e, subject)); got != n || all != n+1 {
		t.Errorf("reads trail holds %d events of %d recorded, want %d of %d", got, all, n, n+1)
	}
	// Asked again, it holds the record of the first read of it too.
	_, again, _ := e.do("judge", "GET", "/v1/bundles/"+subject+"/trail", nil)
	if tr2, err := custody.ParseTrail(again); err != nil || len(tr2.Events) != n+1 {
		t.Errorf("second reads trail: %v, %d events, want %d", err, len(tr2.Events), n+1)
	}
	if got := hashes(t, e, id); !slices.Equal(got, chain) {
		t.Errorf("the bundle's chain changed under reads")
	}
}

// TestLegalReadRefusedWhenRecordFails: a read whose record the ledger refuses is not served.
func TestLegalReadRefusedWhenRecordFails(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	reads := legalReads(t, e, id)
	// The real ledger, made to refuse every append to a reads subject.
	if _, err := e.node.DB.Exec(`CREATE TRIGGER refuse_reads BEFORE INSERT ON custody_events
		WHEN NEW.bundle LIKE 'reads:%' BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	for _, rd := range reads {
		code, body, hdr := e.do("judge", rd.method, rd.path, rd.body)
		if code != http.StatusServiceUnavailable || bytes.Contains(body, []byte("%PDF")) || bytes.Contains(body, []byte(`"checkpoint"`)) ||
			bytes.Contains(body, []byte(`"ingest"`)) || bytes.Contains(body, []byte(secret)) || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s with the record refused = %d %.120q, want 503 and a JSON error only", rd.method, rd.path, code, body)
		}
	}
	if hs := hashes(t, e, pipeline.ReadsSubject(id)); len(hs) != 0 {
		t.Errorf("%d reads recorded", len(hs))
	}
}
