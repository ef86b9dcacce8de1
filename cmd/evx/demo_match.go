package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// demoBillOfLading is the document of the matching scene's second bundle: a bill of lading
// of an invented Spanish case naming the container of the first bundle's seizure report.
const demoBillOfLading = `SAMPLE DATA - FICTIONAL - NOT A REAL CASE OR PERSON

BILL OF LADING (copy seized by the Guardia Civil, case FGE-2026-0311)
Shipper:      Exportadora Ficticia S.A.S., Cartagena
Consignee:    Importaciones Inventadas S.L., Algeciras
Vessel:       SAMPLE TRADER, voyage 614W
Port of loading:    Cartagena
Port of discharge:  Rotterdam, container terminal 4
Container:    MSKU 000000-6, 40' high cube, seal EVX-SEAL-0311
Description:  1,200 cartons of bananas
`

// demoMatchContainer is the container number the scene asks for, as the bill of lading
// writes it.
const demoMatchContainer = "MSKU 000000-6"

// demoMatchScene is the identifier scene: the first bundle (nl-pol's) is indexed; a
// prosecutor of es-fge sends a bundle of its own case (to co-fgn, under the Spain-Colombia
// treaty) holding a bill of lading that names the same container; es-fge asks the index about the container and learns a hit held by
// nl-pol, with a reference to request it under (never a bundle id or a document); nl-pol's
// legal staff see the notice of the hit. It returns the answer es-fge received.
// demoMatchReady says whether the scene can run: on the built-in sample (its seizure
// report names the container), with a directory that lets es-fge send and match and co-fgn
// receive.
func demoMatchReady(ctx context.Context, samples string, dir pipeline.Directory) bool {
	if samples != "" {
		return false
	}
	es, err := dir.Counterpart(ctx, "es-fge")
	if err != nil || !es.Active || !es.Sends() || !es.Matching {
		return false
	}
	co, err := dir.Counterpart(ctx, "co-fgn")
	return err == nil && co.Active && co.Receives()
}

func demoMatchScene(ctx context.Context, n interface {
	BackfillIndex(context.Context, *pipeline.Matcher) (int, error)
}, m *pipeline.Matcher, base string, tok map[string]string, newClient func(string, *http.Client) *client.Client, out string, say func(string, ...any)) (*pipeline.Outcome, error) {
	indexed, err := n.BackfillIndex(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	dir := filepath.Join(out, "evidence-es-fge")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	bol := filepath.Join(dir, "bill-of-lading.txt")
	if err := os.WriteFile(bol, []byte(demoBillOfLading), 0o644); err != nil {
		return nil, err
	}
	bagPath := filepath.Join(out, "es-fge-bundle.zip")
	if _, err := bagit.Create(bagPath, []string{bol}, bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "co-fgn"},
		{Label: bagit.LabelRequestReference, Value: "MLA-ES-CO-2026-0311"}, {Label: bagit.LabelExternalIdentifier, Value: "FGE-2026-0311"},
		{Label: bagit.LabelRequestingState, Value: "CO"}, {Label: bagit.LabelRequestedState, Value: "ES"},
		{Label: bagit.LabelLegalBasis, Value: "ES-CO-MLA-1997"}, {Label: bagit.LabelHandlingCode, Value: "H1"},
		{Label: pipeline.BagInfoMatching, Value: "allowed"},
	}}); err != nil {
		return nil, err
	}
	f, err := os.Open(bagPath)
	if err != nil {
		return nil, err
	}
	fi, _ := f.Stat()
	st, err := newClient("es-fge-uploader", http.DefaultClient).Upload(ctx, f, fi.Size())
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("es-fge's bundle: %w", err)
	}
	if st.Ingest == nil || !st.Ingest.Accepted {
		return nil, fmt.Errorf("es-fge's bundle was not accepted: %+v", st)
	}
	more, err := n.BackfillIndex(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	say("9. identifier index: %s of nl-pol indexed (its seizure report names container %s); a.ruiz of es-fge sent bundle %s, to co-fgn, a bill of lading of case FGE-2026-0311 naming the same container (%s indexed in all)",
		count(int64(indexed), "bundle"), demoMatchContainer, st.Upload.BundleID, count(int64(indexed+more), "bundle"))

	// m.garcia of es-fge asks the index about the container of its bill of lading.
	var ans api.MatchResponse
	if err := demoPost(ctx, base+"/v1/match", tok["es-fge"], api.MatchRequest{Identifiers: []pipeline.Query{{Type: "container", Value: demoMatchContainer}}}, &ans); err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	if len(ans.Results) != 1 || ans.Results[0].Result != "hit" || len(ans.Results[0].Holders) != 1 || ans.Results[0].Holders[0].Agency != "nl-pol" {
		return nil, fmt.Errorf("match: %+v, want a hit held by nl-pol", ans.Results)
	}
	o := ans.Results[0]
	say("   m.garcia of es-fge asked POST /v1/match for container %s: HIT, held by %s; request it under reference %s (no bundle id, no document)",
		o.Value, o.Holders[0].Agency, o.Holders[0].Reference)

	// nl-pol's legal staff read the notice of the hit.
	var notes struct {
		Agency  string `json:"agency"`
		Notices []struct {
			Details struct {
				Counterpart string   `json:"counterpart"`
				Reference   string   `json:"reference"`
				Reasons     []string `json:"reasons"`
			} `json:"details"`
		} `json:"notices"`
	}
	if err := demoGet(ctx, base+"/v1/match/notices", tok["clerk"], &notes); err != nil {
		return nil, fmt.Errorf("notices: %w", err)
	}
	found := false
	for _, nt := range notes.Notices {
		if nt.Details.Counterpart == "es-fge" && nt.Details.Reference == o.Holders[0].Reference {
			found = true
			say("   notice to %s's legal staff (GET /v1/match/notices, and on its queue): %s matched one of its %s identifiers, reference %s; nl-pol decides on the follow-up",
				notes.Agency, nt.Details.Counterpart, strings.TrimPrefix(first(nt.Details.Reasons, "type="), "type="), nt.Details.Reference)
		}
	}
	if !found {
		return nil, fmt.Errorf("no notice of es-fge's hit for nl-pol: %+v", notes)
	}

	// m.garcia opens the follow-up: a request to nl-pol naming the hit.
	rq, err := newClient("es-fge", http.DefaultClient).IssueRequest(ctx, request.Request{ID: "MLA-ES-NL-2026-0311", Type: request.MLA,
		Addressee: "nl-pol", LegalBasis: "UN-1988-Art7", CaseReference: "FGE-2026-0311", IssuingState: "ES",
		Subject: "the seizure report that names container " + o.Value, Hit: o.Holders[0].Reference})
	if err != nil {
		return nil, fmt.Errorf("follow-up request: %w", err)
	}
	if rq.Hit != o.Holders[0].Reference || rq.Addressee != "nl-pol" {
		return nil, fmt.Errorf("follow-up request: %+v, want one to nl-pol following %s", rq, o.Holders[0].Reference)
	}
	say("   %s of es-fge opened request %s (%s) to nl-pol from the hit (POST /v1/requests naming hit %s, as evx request create --from-hit does): evx checked the hit was recorded, and RequestIssued names it",
		rq.IssuerPerson, rq.ID, rq.Type, rq.Hit)
	return &o, nil
}

// first returns the first of ss beginning with prefix, or "".
func first(ss []string, prefix string) string {
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return s
		}
	}
	return ""
}

func demoPost(ctx context.Context, url, token string, body, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return demoDo(req, token, v)
}

func demoGet(ctx context.Context, url, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	return demoDo(req, token, v)
}

func demoDo(req *http.Request, token string, v any) error {
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, strings.TrimSpace(string(b)))
	}
	return json.Unmarshal(b, v)
}
