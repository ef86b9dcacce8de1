//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// The hit/no-hit index on AWS, between the real bootstraps and the emulator: the audit
// function enters an accepted bundle's identifiers into the DynamoDB index as keyed hashes
// computed by the KMS HMAC key; a counterpart allowed to match asks the api function and learns
// a hit held by this deployment's agency, with a reference and no bundle id; the holder's legal
// staff read the notice, which is also on the match-notices queue; the deployment's own staff
// see their own bundle; and the table holds no identifier value.
func TestIntegrationMatchOnAWS(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	w := newWire(t, os.Getenv("AWS_ENDPOINT_URL"))
	fns := startFunctions(t, ctx, root, append(st.environ(), "AWS_ENDPOINT_URL="+w.URL), "api", "audit")
	srv := apiAdapter(t, fns["api"], map[string]token{
		"tok-es-fge-0123456789": {map[string]string{"sub": "m.garcia", "iss": issuer, "client_id": "evx-sample-es-fge"}, []string{"evx/counterpart"}},
		"tok-legal-0123456789":  {map[string]string{"sub": "clerk-1", "iss": issuer, "client_id": "evx-web"}, []string{"evx/legal"}},
	})
	env := st.ingestEnv(t, ctx) // in this process, straight to the emulator
	bundle := putAndAccept(t, ctx, st, env, "inspector-1",
		fntest.BagOf(t, map[string][]byte{"seizure-report.txt": []byte("Seizure report 2026/114: container MSKU 000000-6, 412 kg\n")}, "nl-om"))

	match := func(tok string) api.MatchResponse {
		t.Helper()
		body, _ := json.Marshal(api.MatchRequest{Identifiers: []pipeline.Query{{Type: "container", Value: "MSKU 000000-6"}}})
		req, _ := http.NewRequest("POST", srv.URL+"/v1/match", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || strings.Contains(string(b), bundle) && tok != "tok-legal-0123456789" {
			t.Fatalf("POST /v1/match = %d %s", resp.StatusCode, b)
		}
		var out api.MatchResponse
		if err := json.Unmarshal(b, &out); err != nil || len(out.Results) != 1 {
			t.Fatalf("POST /v1/match = %s, %v", b, err)
		}
		return out
	}
	// One identifier asked, warm: the calls docs/identifiers.md prices. A no hit is one keyed
	// hash (KMS), one Query of the index, the rate limit's reads of the asker's matching
	// subject and the IdentifierQuery event's append.
	match("tok-es-fge-0123456789") // cold start: credentials, the first reads
	w.take()
	if r := match("tok-es-fge-0123456789").Results[0]; r.Result != "no-hit" {
		t.Fatalf("before indexing: %+v, want no hit", r)
	}
	noHit := w.take()
	t.Logf("calls of one identifier asked, no hit: %q", noHit)
	if count(noHit, "KMS GenerateMac") != 1 || count(noHit, "KMS Sign") != 1 || count(noHit, "DynamoDB Scan") != 0 {
		t.Errorf("a no-hit query made %q, want one GenerateMac, one Sign (its event) and no Scan", noHit)
	}
	var run struct {
		Indexed int `json:"indexed"`
	}
	if err := json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "checkpoint"}), &run); err != nil || run.Indexed != 0 {
		t.Fatalf("checkpoint task = %+v, %v; want no indexing (the hourly run indexes)", run, err)
	}
	if err := json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "expiry"}), &run); err != nil || run.Indexed != 1 {
		t.Fatalf("hourly task = %+v, %v; want 1 bundle indexed", run, err)
	}
	trail, err := env.Ledger.Events(ctx, bundle)
	if err != nil || trail[len(trail)-1].Event.Type != pipeline.IdentifiersIndexed {
		t.Fatalf("trail ends with %+v, %v; want IdentifiersIndexed", trail[len(trail)-1].Event, err)
	}
	w.take()
	r := match("tok-es-fge-0123456789").Results[0]
	hit := w.take()
	t.Logf("calls of one identifier asked, a hit of one holder: %q", hit)
	// The hit adds the match reference (a second keyed hash), the holder's IdentifierMatched
	// event and its notice.
	if count(hit, "KMS GenerateMac") != 2 || count(hit, "KMS Sign") != 2 || count(hit, "SQS SendMessage") != 1 || count(hit, "DynamoDB Scan") != 0 {
		t.Errorf("a hit made %q, want two GenerateMac, two Sign, one SendMessage and no Scan", hit)
	}
	if r.Result != "hit" || len(r.Holders) != 1 || r.Holders[0].Agency != "home" || !strings.HasPrefix(r.Holders[0].Reference, "evx-hit-") || len(r.Own) != 0 {
		t.Fatalf("after indexing: %+v, want a hit held by home", r)
	}
	if own := match("tok-legal-0123456789").Results[0]; len(own.Own) != 1 || own.Own[0] != bundle {
		t.Errorf("the deployment's own query = %+v, want its bundle %s", own, bundle)
	}

	// The holder's legal staff read the notice; it is on the match-notices queue too.
	req, _ := http.NewRequest("GET", srv.URL+"/v1/match/notices", nil)
	req.Header.Set("Authorization", "Bearer tok-legal-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"es-fge"`) || !strings.Contains(string(b), r.Holders[0].Reference) {
		t.Errorf("GET /v1/match/notices = %d %s", resp.StatusCode, b)
	}
	msgs := st.receive(t, st.notices)
	if len(msgs) != 1 || !strings.Contains(*msgs[0].Body, `"asking_agency":"es-fge"`) {
		t.Errorf("match-notices queue holds %d messages, want the one notice of es-fge's hit", len(msgs))
	}

	// The table holds keyed hashes, never the value.
	items, err := st.db.Scan(ctx, &dynamodb.ScanInput{TableName: &st.cfg.IndexTable})
	if err != nil || len(items.Items) != 2 {
		t.Fatalf("index table = %d items, %v; want the entry and the bundle's record", len(items.Items), err)
	}
	dump, _ := json.Marshal(items.Items)
	if strings.Contains(string(dump), "MSKU") || strings.Contains(string(dump), "000000") {
		t.Errorf("the index table holds the identifier's value: %s", dump)
	}
	// es-fge opens the follow-up request from the hit, through the api.
	cl := apiClient(t, srv.URL, "tok-es-fge-0123456789")
	rq, err := cl.IssueRequest(ctx, request.Request{ID: "MLA-ES-HOME-1", Type: request.MLA, Addressee: "home",
		LegalBasis: "UN-1988-Art7", Hit: r.Holders[0].Reference})
	if err != nil || rq.Hit != r.Holders[0].Reference || rq.Issuer != "es-fge" {
		t.Errorf("follow-up request = %+v, %v; want one following the hit", rq, err)
	}
	if _, err := cl.IssueRequest(ctx, request.Request{ID: "MLA-ES-HOME-2", Type: request.MLA, Addressee: "home",
		LegalBasis: "UN-1988-Art7", Hit: "evx-hit-00000000000000000000"}); err == nil {
		t.Error("a follow-up request naming no hit was issued")
	}
	run.Indexed = 0
	if err := json.Unmarshal(invoke(t, fns["audit"], map[string]string{"task": "expiry"}), &run); err != nil || run.Indexed != 0 {
		t.Errorf("second hourly run = %+v, %v; want nothing more indexed", run, err)
	}
}
