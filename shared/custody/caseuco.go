package custody

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// CASE/UCO export. A trail becomes a JSON-LD graph in the vocabulary of CASE 1.4 / UCO 1.4
// (https://caseontology.org): one case-investigation:InvestigativeAction per event (name: the
// event type; performer: its actor as a uco-identity:Identity; object: the documents; time:
// uco-action:startTime and endTime), each linked to its predecessor by
// case-investigation:wasInformedBy; one uco-observable:File per document with a FileFacet and
// a ContentDataFacet carrying its uco-types:Hash (hashMethod SHA256); and one
// case-investigation:ProvenanceRecord gathering them, its exhibit number being the bundle id.
//
// The JSON-LD context is evx's own, written for these terms and embedded here (CASEUCOContext):
// it maps the CASE/UCO prefixes to their namespaces and types the values (xsd:dateTime,
// xsd:hexBinary, xsd:integer, @id). Documents refer to it by CASEUCOContextURL, or carry it
// inline so that they stand alone.

// CASEUCOContextURL is the IRI by which exported graphs name the embedded context.
const CASEUCOContextURL = "https://evx-project.github.io/contexts/case-uco-1.4.jsonld"

//go:embed case-uco-1.4.context.jsonld
var caseUCOContext []byte

// CASEUCOContext returns the JSON-LD context document served at CASEUCOContextURL.
func CASEUCOContext() []byte { return append([]byte(nil), caseUCOContext...) }

// CASEUCO returns the CASE/UCO JSON-LD graph of a trail. With inline, the context is included
// in the document instead of named by CASEUCOContextURL. The trail should be verified first:
// this is a rendering, not a check.
func CASEUCO(t *Trail, inline bool) ([]byte, error) {
	kb := "urn:evx:" + t.BundleID + ":"
	var ctx any = CASEUCOContextURL
	if inline {
		var c struct {
			Context map[string]any `json:"@context"`
		}
		if err := json.Unmarshal(caseUCOContext, &c); err != nil {
			return nil, err
		}
		ctx = c.Context
	}
	type node = map[string]any
	var graph []node
	var all []string
	idOf := func(s string) string { return "kb:" + s }
	actors := map[string]bool{}
	files := map[string]bool{}
	for i, te := range t.Events {
		e := te.Event
		act := idOf("event-" + strconv.FormatUint(e.Seq, 10))
		actorID := idOf("identity-" + iriSafe(e.Actor.Kind+"-"+e.Actor.ID))
		if !actors[actorID] {
			actors[actorID] = true
			graph = append(graph, node{
				"@id": actorID, "@type": "uco-identity:Identity",
				"uco-core:name": e.Actor.ID, "uco-core:description": e.Actor.Kind,
			})
			all = append(all, actorID)
		}
		var objects []string
		for _, d := range e.Details.Documents {
			fid := idOf("file-" + d.SHA256 + "-" + iriSafe(d.Name))
			objects = append(objects, fid)
			if files[fid] {
				continue
			}
			files[fid] = true
			all = append(all, fid)
			size := strconv.FormatInt(d.Size, 10)
			hashes := []node{{"@id": fid + "-sha256", "@type": "uco-types:Hash",
				"uco-types:hashMethod": "SHA256", "uco-types:hashValue": d.SHA256}}
			if d.SHA512 != "" {
				hashes = append(hashes, node{"@id": fid + "-sha512", "@type": "uco-types:Hash",
					"uco-types:hashMethod": "SHA512", "uco-types:hashValue": d.SHA512})
			}
			graph = append(graph, node{
				"@id": fid, "@type": "uco-observable:File",
				"uco-core:name": d.Name,
				"uco-core:hasFacet": []node{
					{"@id": fid + "-file", "@type": "uco-observable:FileFacet",
						"uco-observable:fileName": path.Base(d.Name), "uco-observable:filePath": d.Name,
						"uco-observable:sizeInBytes": size},
					{"@id": fid + "-content", "@type": "uco-observable:ContentDataFacet",
						"uco-observable:sizeInBytes": size, "uco-observable:hash": hashes},
				},
			})
		}
		desc := fmt.Sprintf("%s; custody event %d of bundle %s, event hash %s, signed by key %s, log leaf %d",
			describeType(e.Type), e.Seq, e.BundleID, e.Hash, e.KeyID, te.Leaf)
		if e.Details.Counterpart != "" {
			desc += "; counterpart " + e.Details.Counterpart
		}
		if len(e.Details.Reasons) > 0 {
			desc += "; reasons: " + strings.Join(e.Details.Reasons, "; ")
		}
		when := e.Time.UTC().Format(TimeFormat)
		a := node{
			"@id": act, "@type": "case-investigation:InvestigativeAction",
			"uco-core:name": string(e.Type), "uco-core:description": desc,
			"uco-action:startTime": when, "uco-action:endTime": when,
			"uco-action:performer": actorID,
		}
		if len(objects) > 0 {
			a["uco-action:object"] = objects
		}
		if i > 0 {
			a["case-investigation:wasInformedBy"] = []string{idOf("event-" + strconv.FormatUint(t.Events[i-1].Event.Seq, 10))}
		}
		graph = append(graph, a)
		all = append(all, act)
	}
	graph = append(graph, node{
		"@id": idOf("provenance-record"), "@type": "case-investigation:ProvenanceRecord",
		"case-investigation:exhibitNumber": t.BundleID,
		"uco-core:name":                    "Custody trail of bundle " + t.BundleID,
		"uco-core:description":             "Exported from the evx custody log; checkpoint:\n" + t.Checkpoint,
		"uco-core:object":                  all,
	})
	doc := node{"@context": []any{ctx, node{"kb": kb}}, "@graph": graph}
	return json.MarshalIndent(doc, "", "  ")
}

// describeType says which standard an event type's name comes from.
func describeType(t EventType) string {
	switch t {
	case SubmissionAcceptance, SubmissionRejection, ContentConsignment, ContentAccessTracking,
		ConsignmentAcceptance, ConsignmentRejection, AcceptanceRejectionExpiry:
		return "ETSI EN 319 522 event " + string(t)
	}
	return "evx processing step " + string(t)
}

// iriSafe keeps letters, digits and ._- and percent-encodes the rest, for IRI fragments.
func iriSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
