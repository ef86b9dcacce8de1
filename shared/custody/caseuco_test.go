package custody_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/piprate/json-gold/ld"
)

// embeddedLoader serves the embedded CASE/UCO context and refuses every other document, so
// expansion never reaches the network.
type embeddedLoader struct{ loaded int }

func (l *embeddedLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	if u != custody.CASEUCOContextURL {
		return nil, fmt.Errorf("document %s is not embedded", u)
	}
	var doc any
	if err := json.Unmarshal(custody.CASEUCOContext(), &doc); err != nil {
		return nil, err
	}
	l.loaded++
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

const (
	caseInv = "https://ontology.caseontology.org/case/investigation/"
	ucoAct  = "https://ontology.unifiedcyberontology.org/uco/action/"
	ucoCore = "https://ontology.unifiedcyberontology.org/uco/core/"
	ucoObs  = "https://ontology.unifiedcyberontology.org/uco/observable/"
	ucoTyp  = "https://ontology.unifiedcyberontology.org/uco/types/"
	ucoVoc  = "https://ontology.unifiedcyberontology.org/uco/vocabulary/"
	xsd     = "http://www.w3.org/2001/XMLSchema#"
)

// expandCASE expands the CASE/UCO export of the good tamper-vector trail and indexes its
// nodes by @id.
func expandCASE(t *testing.T, inline bool) (map[string]map[string]any, *embeddedLoader) {
	t.Helper()
	doc, err := custody.CASEUCO(goodTrail(t), inline)
	if err != nil {
		t.Fatal(err)
	}
	var in any
	if err := json.Unmarshal(doc, &in); err != nil {
		t.Fatal(err)
	}
	opts := ld.NewJsonLdOptions("")
	loader := &embeddedLoader{}
	opts.DocumentLoader = loader
	out, err := ld.NewJsonLdProcessor().Expand(in, opts)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	nodes := map[string]map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			if id, ok := x["@id"].(string); ok && len(x) > 1 {
				nodes[id] = x
			}
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(out)
	return nodes, loader
}

func hasType(n map[string]any, iri string) bool {
	ts, _ := n["@type"].([]any)
	for _, t := range ts {
		if t == iri {
			return true
		}
	}
	return false
}

// values returns the expanded values of property iri.
func values(n map[string]any, iri string) []map[string]any {
	vs, _ := n[iri].([]any)
	var out []map[string]any
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func TestCASEUCOExpands(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprint("inline=", inline), func(t *testing.T) {
			nodes, loader := expandCASE(t, inline)
			if wantLoads := map[bool]int{false: 1, true: 0}[inline]; loader.loaded != wantLoads {
				t.Errorf("context loaded %d times, want %d", loader.loaded, wantLoads)
			}
			kb := "urn:evx:EVX-2026-0001:"
			ev1, ev2 := nodes[kb+"event-1"], nodes[kb+"event-2"]
			if ev1 == nil || ev2 == nil {
				t.Fatalf("expanded graph lacks the event actions; ids: %v", keys(nodes))
			}
			if !hasType(ev2, caseInv+"InvestigativeAction") {
				t.Errorf("event-2 types %v, want case-investigation:InvestigativeAction", ev2["@type"])
			}
			st := values(ev1, ucoAct+"startTime")
			if len(st) != 1 || st[0]["@type"] != xsd+"dateTime" || st[0]["@value"] != "2026-10-02T14:31:37.251234567Z" {
				t.Errorf("event-1 uco-action:startTime = %v, want the event time as xsd:dateTime", st)
			}
			if inf := values(ev2, caseInv+"wasInformedBy"); len(inf) != 1 || inf[0]["@id"] != kb+"event-1" {
				t.Errorf("event-2 case-investigation:wasInformedBy = %v, want event-1", inf)
			}
			if len(values(ev1, caseInv+"wasInformedBy")) != 0 {
				t.Errorf("event-1 is informed by something; it is the first")
			}
			if p := values(ev1, ucoAct+"performer"); len(p) != 1 || !hasType(nodes[p[0]["@id"].(string)], "https://ontology.unifiedcyberontology.org/uco/identity/Identity") {
				t.Errorf("event-1 performer = %v, want a uco-identity:Identity", p)
			}
			objs := values(ev1, ucoAct+"object")
			if len(objs) != 3 {
				t.Fatalf("event-1 uco-action:object = %v, want 3 files", objs)
			}
			file := nodes[objs[0]["@id"].(string)]
			if !hasType(file, ucoObs+"File") {
				t.Fatalf("object %v is not a uco-observable:File", objs[0])
			}
			var found bool
			for _, f := range values(file, ucoCore+"hasFacet") {
				facet := nodes[f["@id"].(string)]
				if !hasType(facet, ucoObs+"ContentDataFacet") {
					continue
				}
				for _, h := range values(facet, ucoObs+"hash") {
					hn := nodes[h["@id"].(string)]
					m, v := values(hn, ucoTyp+"hashMethod"), values(hn, ucoTyp+"hashValue")
					if hasType(hn, ucoTyp+"Hash") && len(m) == 1 && m[0]["@value"] == "SHA256" && m[0]["@type"] == ucoVoc+"HashNameVocab" &&
						len(v) == 1 && v[0]["@type"] == xsd+"hexBinary" && v[0]["@value"] == "173df7295296f6d176cfbec622c891d7d76cc50c025856359d554183ea76f70f" {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("file %v has no ContentDataFacet with a uco-types:Hash SHA256 of the statement", file["@id"])
			}
			pr := nodes[kb+"provenance-record"]
			if !hasType(pr, caseInv+"ProvenanceRecord") || len(values(pr, ucoCore+"object")) < 8 {
				t.Errorf("provenance record = %v, want a case-investigation:ProvenanceRecord over the events and files", pr)
			}
		})
	}
}

func TestCASEUCOLoaderRefusesOthers(t *testing.T) {
	if _, err := (&embeddedLoader{}).LoadDocument("https://example.org/other.jsonld"); err == nil {
		t.Errorf("loader served a document that is not embedded")
	}
}

// TestCASEUCOGolden keeps the export's layout stable; rewrite with -update.
func TestCASEUCOGolden(t *testing.T) {
	got, err := custody.CASEUCO(goodTrail(t), false)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "case-uco", "good.jsonld")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("CASEUCO(good trail) differs from %s; run go test -update if the change is intended", path)
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
