package report

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/evx-project/evx/shared/custody"
)

// CASE/UCO 1.x namespaces, and evx's own for the custody fields CASE has no term for.
const (
	nsInvestigation = "https://ontology.caseontology.org/case/investigation/"
	nsCore          = "https://ontology.unifiedcyberontology.org/uco/core/"
	nsAction        = "https://ontology.unifiedcyberontology.org/uco/action/"
	nsObservable    = "https://ontology.unifiedcyberontology.org/uco/observable/"
	nsTypes         = "https://ontology.unifiedcyberontology.org/uco/types/"
	nsVocabulary    = "https://ontology.unifiedcyberontology.org/uco/vocabulary/"
	nsIdentity      = "https://ontology.unifiedcyberontology.org/uco/identity/"
	nsTool          = "https://ontology.unifiedcyberontology.org/uco/tool/"
	nsXSD           = "http://www.w3.org/2001/XMLSchema#"
	nsEVX           = "urn:evx:custody:"
)

// node is one JSON-LD node; members are written in the order json.Marshal sorts map keys,
// which keeps the output deterministic.
type node map[string]any

func typed(typ, value string) node { return node{"@type": typ, "@value": value} }

func ref(id string) node { return node{"@id": id} }

// JSONLD returns the trail as a CASE/UCO JSON-LD graph: the bundle as a
// case-investigation:ProvenanceRecord of uco-observable:File objects (name, size, SHA-256),
// each custody event as a case-investigation:InvestigativeAction with its performer, time
// and the files it concerns, the request as a case-investigation:Investigation, and the
// verification itself as a final action whose result is the verdict. The custody fields
// CASE has no term for (sequence, event hash, previous hash, key id, signature) are in the
// evx namespace (urn:evx:custody:). The context is inline: reading the graph loads nothing
// from the network.
func JSONLD(t *custody.Trail, v Verdict, opt Options) ([]byte, error) {
	if t == nil {
		t = &custody.Trail{}
	}
	kb := "urn:evx:bundle:" + url.PathEscape(t.BundleID) + ":"
	ctx := node{
		"case-investigation": nsInvestigation,
		"uco-core":           nsCore,
		"uco-action":         nsAction,
		"uco-observable":     nsObservable,
		"uco-types":          nsTypes,
		"uco-vocabulary":     nsVocabulary,
		"uco-identity":       nsIdentity,
		"uco-tool":           nsTool,
		"xsd":                nsXSD,
		"evx":                nsEVX,
		"kb":                 kb,
	}
	var graph []node

	// Files, one per distinct SHA-256 and name, in the order events first record them.
	fileID := map[string]string{}
	var fileRefs []node
	fileOf := func(doc custody.Document) string {
		key := doc.Name + "\x00" + doc.SHA256
		if id, ok := fileID[key]; ok {
			return id
		}
		id := fmt.Sprintf("kb:file-%d", len(fileID)+1)
		fileID[key] = id
		fileRefs = append(fileRefs, ref(id))
		content := node{
			"@id":                        id + "-content-facet",
			"@type":                      "uco-observable:ContentDataFacet",
			"uco-observable:sizeInBytes": typed("xsd:integer", strconv.FormatInt(doc.Size, 10)),
			"uco-observable:hash":        hashes(id, doc),
		}
		if doc.MediaType != "" { // detected from the content at ingest
			content["uco-observable:mimeType"] = doc.MediaType
		}
		graph = append(graph, node{
			"@id":           id,
			"@type":         "uco-observable:File",
			"uco-core:name": doc.Name,
			"uco-core:hasFacet": []node{
				{
					"@id":                        id + "-file-facet",
					"@type":                      "uco-observable:FileFacet",
					"uco-observable:fileName":    doc.Name,
					"uco-observable:sizeInBytes": typed("xsd:integer", strconv.FormatInt(doc.Size, 10)),
				},
				content,
			},
		})
		return id
	}

	// Performers: one identity or tool per actor.
	actorID := map[custody.Actor]string{}
	actorOf := func(a custody.Actor) string {
		if id, ok := actorID[a]; ok {
			return id
		}
		id := fmt.Sprintf("kb:actor-%d", len(actorID)+1)
		actorID[a] = id
		typ := "uco-identity:Identity"
		switch a.Kind {
		case custody.ActorSystem:
			typ = "uco-tool:Tool"
		case custody.ActorCounterpart:
			typ = "uco-identity:Organization"
		case custody.ActorUser:
			typ = "uco-identity:Person"
		}
		graph = append(graph, node{"@id": id, "@type": typ, "uco-core:name": a.ID, "evx:actorKind": a.Kind})
		return id
	}

	var actions []node
	for _, te := range t.Events {
		e := te.Event
		id := fmt.Sprintf("kb:event-%d", e.Seq)
		n := node{
			"@id":                  id,
			"@type":                "case-investigation:InvestigativeAction",
			"uco-core:name":        string(e.Type),
			"uco-core:description": Explain(e.Type),
			"uco-action:startTime": typed("xsd:dateTime", e.Time.UTC().Format(custody.TimeFormat)),
			"uco-action:endTime":   typed("xsd:dateTime", e.Time.UTC().Format(custody.TimeFormat)),
			"uco-action:performer": ref(actorOf(e.Actor)),
			"evx:sequence":         typed("xsd:integer", strconv.FormatUint(e.Seq, 10)),
			"evx:eventHash":        typed("xsd:hexBinary", e.Hash),
			"evx:keyId":            e.KeyID,
			"evx:signature":        typed("xsd:base64Binary", e.Signature),
			"evx:leafIndex":        typed("xsd:integer", strconv.FormatUint(te.Leaf, 10)),
		}
		if e.Prev != "" {
			n["evx:previousEventHash"] = typed("xsd:hexBinary", e.Prev)
			n["evx:previousEvent"] = ref(fmt.Sprintf("kb:event-%d", e.Seq-1))
		}
		if len(e.Details.Documents) > 0 {
			var objs []node
			for _, doc := range e.Details.Documents {
				objs = append(objs, ref(fileOf(doc)))
			}
			n["uco-action:object"] = objs
		}
		if e.Type == custody.SubmissionAcceptance {
			n["uco-action:result"] = ref("kb:provenance-record")
		}
		if e.Details.Counterpart != "" {
			n["evx:counterpart"] = e.Details.Counterpart
		}
		if e.Details.Reference != "" {
			n["evx:reference"] = e.Details.Reference
		}
		if len(e.Details.Reasons) > 0 {
			n["evx:reason"] = e.Details.Reasons
		}
		actions = append(actions, n)
	}
	graph = append(graph, actions...)

	record := node{
		"@id":                              "kb:provenance-record",
		"@type":                            "case-investigation:ProvenanceRecord",
		"case-investigation:exhibitNumber": t.BundleID,
		"uco-core:description":             "The documents of evidence bundle " + t.BundleID + " as evx recorded them.",
	}
	if len(fileRefs) > 0 {
		record["uco-core:object"] = fileRefs
	}
	graph = append(graph, record)

	inv := node{
		"@id":                      "kb:investigation",
		"@type":                    "case-investigation:Investigation",
		"case-investigation:focus": "mutual legal assistance",
		"uco-core:object":          []node{ref("kb:provenance-record")},
	}
	for _, te := range t.Events {
		if te.Event.Type == custody.SubmissionAcceptance {
			if r := te.Event.Details.Request; r != nil {
				inv["uco-core:name"] = r.CaseReference
				for k, val := range map[string]string{
					"evx:caseReference": r.CaseReference, "evx:requestReference": r.RequestReference,
					"evx:requestingState": r.RequestingState, "evx:requestedState": r.RequestedState,
					"evx:legalBasis": r.LegalBasis, "evx:handlingCode": r.HandlingCode,
				} {
					if val != "" {
						inv[k] = val
					}
				}
			}
			break
		}
	}
	var acts []node
	for _, a := range actions {
		acts = append(acts, ref(a["@id"].(string)))
	}

	// The verification this report records.
	gen := opt.generated().Format(custody.TimeFormat)
	verdict := "FAILED"
	desc := "The custody trail was checked offline with the trusted public key."
	if v.Verified {
		verdict = "VERIFIED"
	} else if v.Failure != nil {
		desc += " First failure: " + v.Failure.Summary
	}
	verifier := node{"@id": "kb:verifier", "@type": "uco-tool:Tool", "uco-core:name": "evx report"}
	check := node{
		"@id":                  "kb:verification",
		"@type":                "case-investigation:InvestigativeAction",
		"uco-core:name":        "Verification",
		"uco-core:description": desc,
		"uco-action:startTime": typed("xsd:dateTime", gen),
		"uco-action:endTime":   typed("xsd:dateTime", gen),
		"uco-action:performer": ref("kb:verifier"),
		"uco-action:object":    acts,
		"evx:verdict":          verdict,
		"evx:trustedKeyId":     v.TrustedKeyID,
	}
	if v.Failure != nil {
		check["evx:failureType"] = v.Failure.Kind
		if v.Failure.Expected != "" {
			check["evx:expected"] = v.Failure.Expected
		}
		if v.Failure.Computed != "" {
			check["evx:computed"] = v.Failure.Computed
		}
	}
	origin, size, root := checkpointBody(t.Checkpoint)
	if origin != "" {
		check["evx:logOrigin"] = origin
		check["evx:logSize"] = typed("xsd:integer", size)
		check["evx:logRootHash"] = typed("xsd:hexBinary", root)
	}
	graph = append(graph, inv, verifier, check)

	return json.MarshalIndent(node{"@context": ctx, "@graph": graph}, "", "  ")
}

func hashes(id string, doc custody.Document) []node {
	hs := []node{{
		"@id":                  id + "-sha256",
		"@type":                "uco-types:Hash",
		"uco-types:hashMethod": typed("uco-vocabulary:HashNameVocab", "SHA256"),
		"uco-types:hashValue":  typed("xsd:hexBinary", doc.SHA256),
	}}
	if doc.SHA512 != "" {
		hs = append(hs, node{
			"@id":                  id + "-sha512",
			"@type":                "uco-types:Hash",
			"uco-types:hashMethod": typed("uco-vocabulary:HashNameVocab", "SHA512"),
			"uco-types:hashValue":  typed("xsd:hexBinary", doc.SHA512),
		})
	}
	return hs
}
