package report

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/google/uuid"

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

// nodeNamespace is the UUID namespace of the node IRIs: a node's IRI ends with the name-based
// (SHA-1, version 5) UUID of its bundle and local name, as UCO 1.4 advises (an IRI ending in a
// UUID), and the same trail always gives the same IRIs.
var nodeNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(nsEVX))

// node is one JSON-LD node; members are written in the order json.Marshal sorts map keys,
// which keeps the output deterministic.
type node map[string]any

func typed(typ, value string) node { return node{"@type": typ, "@value": value} }

func ref(id string) node { return node{"@id": id} }

// JSONLD returns the trail as a CASE 1.4 / UCO 1.4 JSON-LD graph: the bundle as a
// case-investigation:ProvenanceRecord of uco-observable:File objects (name, size, SHA-256),
// each custody event as a case-investigation:InvestigativeAction with its time, the files it
// concerns, its performer (a person or an agency) or instrument (an evx component, a
// uco-tool:Tool), linked to the event before it by case-investigation:wasInformedBy; the
// request as a case-investigation:Investigation whose legal basis is a
// case-investigation:Authorization; and the verification itself as a final action whose
// result is the verdict. The graph conforms to the CASE 1.4.0 and UCO 1.4.0 SHACL shapes with
// no violation, warning or info (testdata/caseuco holds them and the check). The custody
// fields CASE has no term for (sequence, event hash, previous hash, key id, signature, ...)
// are in the evx namespace (urn:evx:custody:), listed in docs/case-uco.md. The context is
// inline: reading the graph loads nothing from the network.
func JSONLD(t *custody.Trail, v Verdict, opt Options) ([]byte, error) {
	if t == nil {
		t = &custody.Trail{}
	}
	t = t.WithDocuments()
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
	// nodeID is the IRI of the node named local: kb:LOCAL-UUID.
	nodeID := func(local string) string {
		return "kb:" + local + "-" + uuid.NewSHA1(nodeNamespace, []byte(t.BundleID+"\x00"+local)).String()
	}

	// Files, one per distinct SHA-256 and name, in the order events first record them.
	fileID := map[string]string{}
	var fileRefs []node
	fileOf := func(doc custody.Document) string {
		key := doc.Name + "\x00" + doc.SHA256
		if id, ok := fileID[key]; ok {
			return id
		}
		local := fmt.Sprintf("file-%d", len(fileID)+1)
		id := nodeID(local)
		fileID[key] = id
		fileRefs = append(fileRefs, ref(id))
		content := node{
			"@id":                        nodeID(local + "-content-facet"),
			"@type":                      "uco-observable:ContentDataFacet",
			"uco-observable:sizeInBytes": typed("xsd:integer", strconv.FormatInt(doc.Size, 10)),
			"uco-observable:hash":        hashes(nodeID, local, doc),
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
					"@id":                        nodeID(local + "-file-facet"),
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
		id := nodeID(fmt.Sprintf("actor-%d", len(actorID)+1))
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

	eventID := func(seq uint64) string { return nodeID(fmt.Sprintf("event-%d", seq)) }
	recordID, investigationID := nodeID("provenance-record"), nodeID("investigation")
	var actions []node
	for i, te := range t.Events {
		e := te.Event
		id := eventID(e.Seq)
		// An evx component is the instrument of what it did; a person or an agency performs.
		role := "uco-action:performer"
		if e.Actor.Kind == custody.ActorSystem {
			role = "uco-action:instrument"
		}
		n := node{
			"@id":                  id,
			"@type":                "case-investigation:InvestigativeAction",
			"uco-core:name":        string(e.Type),
			"uco-core:description": Explain(e.Type),
			"uco-action:startTime": typed("xsd:dateTime", e.Time.UTC().Format(custody.TimeFormat)),
			"uco-action:endTime":   typed("xsd:dateTime", e.Time.UTC().Format(custody.TimeFormat)),
			role:                   ref(actorOf(e.Actor)),
			"evx:sequence":         typed("xsd:integer", strconv.FormatUint(e.Seq, 10)),
			"evx:eventHash":        typed("xsd:hexBinary", e.Hash),
			"evx:keyId":            e.KeyID,
			"evx:signature":        typed("xsd:base64Binary", e.Signature),
			"evx:leafIndex":        typed("xsd:integer", strconv.FormatUint(te.Leaf, 10)),
		}
		if e.Prev != "" {
			n["evx:previousEventHash"] = typed("xsd:hexBinary", e.Prev)
		}
		if i > 0 { // as the trail orders them: the chain of hashes says the same
			n["case-investigation:wasInformedBy"] = []node{ref(eventID(t.Events[i-1].Event.Seq))}
		}
		if len(e.Details.Documents) > 0 {
			var objs []node
			for _, doc := range e.Details.Documents {
				objs = append(objs, ref(fileOf(doc)))
			}
			n["uco-action:object"] = objs
		}
		if e.Type == custody.SubmissionAcceptance {
			n["uco-action:result"] = ref(recordID)
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
	graph = append(graph, observables(nodeID, fileID, opt.Identifiers)...)

	record := node{
		"@id":                              recordID,
		"@type":                            "case-investigation:ProvenanceRecord",
		"case-investigation:exhibitNumber": t.BundleID,
		"uco-core:description":             "The documents of evidence bundle " + t.BundleID + " as evx recorded them.",
	}
	if len(fileRefs) > 0 {
		record["uco-core:object"] = fileRefs
	}
	graph = append(graph, record)

	inv := node{
		"@id":                      investigationID,
		"@type":                    "case-investigation:Investigation",
		"case-investigation:focus": "mutual legal assistance",
		"uco-core:object":          []node{ref(recordID)},
	}
	var authorization node
	for _, te := range t.Events {
		if te.Event.Type == custody.SubmissionAcceptance {
			if r := te.Event.Details.Request; r != nil {
				inv["uco-core:name"] = r.CaseReference
				for k, val := range map[string]string{
					"evx:caseReference": r.CaseReference, "evx:requestReference": r.RequestReference,
					"evx:requestingState": r.RequestingState, "evx:requestedState": r.RequestedState,
					"evx:handlingCode": r.HandlingCode, "evx:handlingRestriction": r.HandlingRestriction,
				} {
					if val != "" {
						inv[k] = val
					}
				}
				// The legal basis of the request is the authority for the exchange.
				if r.LegalBasis != "" || r.RequestReference != "" {
					authorization = node{
						"@id":                                  nodeID("authorization"),
						"@type":                                "case-investigation:Authorization",
						"case-investigation:authorizationType": "legal basis of a mutual legal assistance request",
					}
					if r.LegalBasis != "" {
						authorization["uco-core:name"] = r.LegalBasis
						authorization["evx:legalBasis"] = r.LegalBasis
					}
					if r.RequestReference != "" {
						authorization["case-investigation:authorizationIdentifier"] = []string{r.RequestReference}
					}
					inv["case-investigation:relevantAuthorization"] = []node{ref(authorization["@id"].(string))}
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
	verifierID := nodeID("verifier")
	verifier := node{"@id": verifierID, "@type": "uco-tool:Tool", "uco-core:name": "evx report"}
	check := node{
		"@id":                   nodeID("verification"),
		"@type":                 "case-investigation:InvestigativeAction",
		"uco-core:name":         "Verification",
		"uco-core:description":  desc,
		"uco-action:startTime":  typed("xsd:dateTime", gen),
		"uco-action:endTime":    typed("xsd:dateTime", gen),
		"uco-action:instrument": ref(verifierID),
		"uco-action:object":     acts,
		"evx:verdict":           verdict,
		"evx:trustedKeyId":      v.TrustedKeyID,
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
	graph = append(graph, inv)
	if authorization != nil {
		graph = append(graph, authorization)
	}
	graph = append(graph, verifier, check)

	return json.MarshalIndent(node{"@context": ctx, "@graph": graph}, "", "  ")
}

// hashes are the uco-types:Hash nodes of a document. UCO 1.4 wants the method as an
// xsd:string (one of uco-vocabulary:HashNameVocab's values), not typed with the vocabulary.
func hashes(nodeID func(string) string, local string, doc custody.Document) []node {
	hs := []node{{
		"@id":                  nodeID(local + "-sha256"),
		"@type":                "uco-types:Hash",
		"uco-types:hashMethod": "SHA256",
		"uco-types:hashValue":  typed("xsd:hexBinary", doc.SHA256),
	}}
	if doc.SHA512 != "" {
		hs = append(hs, node{
			"@id":                  nodeID(local + "-sha512"),
			"@type":                "uco-types:Hash",
			"uco-types:hashMethod": "SHA512",
			"uco-types:hashValue":  typed("xsd:hexBinary", doc.SHA512),
		})
	}
	return hs
}

// observableKinds are the UCO 1.4 observables of the identifier types UCO has a term for, with
// the facet and property that carry the value. The others (containers, vessels' IMO and MMSI,
// BICs, VINs, air waybills) are uco-observable:ObservableObjects, their kind in evx:identifierType.
var observableKinds = map[string][3]string{
	"email":    {"uco-observable:EmailAddress", "uco-observable:EmailAddressFacet", "uco-observable:addressValue"},
	"phone":    {"uco-observable:PhoneAccount", "uco-observable:PhoneAccountFacet", "uco-observable:phoneNumber"},
	"ipv4":     {"uco-observable:IPv4Address", "uco-observable:IPv4AddressFacet", "uco-observable:addressValue"},
	"ipv6":     {"uco-observable:IPv6Address", "uco-observable:IPv6AddressFacet", "uco-observable:addressValue"},
	"iban":     {"uco-observable:Account", "uco-observable:AccountFacet", "uco-observable:accountIdentifier"},
	"bitcoin":  {"uco-observable:Account", "uco-observable:AccountFacet", "uco-observable:accountIdentifier"},
	"ethereum": {"uco-observable:Account", "uco-observable:AccountFacet", "uco-observable:accountIdentifier"},
}

// observables are the identifiers found in the documents (Options.Identifiers) as UCO
// observables, one per type and value, each linked to every file it was found in by a
// uco-observable:ObservableRelationship "Contained_Within" (with the page or e-mail header
// part in evx:page and evx:part). An identifier of a document the trail does not record, by
// name and SHA-256, is left out: the graph describes the trail's files only.
func observables(nodeID func(string) string, fileID map[string]string, ds []DocumentIdentifiers) []node {
	var out []node
	obsID := map[[2]string]string{}
	links := map[[2]string]bool{}
	for _, d := range ds {
		file, ok := fileID[d.Name+"\x00"+d.SHA256] // the key fileOf files them under
		if !ok {
			continue
		}
		for _, f := range d.Identifiers {
			k := [2]string{f.Type, f.Value}
			id, ok := obsID[k]
			if !ok {
				local := fmt.Sprintf("identifier-%d", len(obsID)+1)
				id = nodeID(local)
				obsID[k] = id
				n := node{"@id": id, "@type": "uco-observable:ObservableObject", "uco-core:name": f.Value,
					"evx:identifierType": f.Type, "evx:identifierValue": f.Value}
				if kind, ok := observableKinds[f.Type]; ok {
					n["@type"] = kind[0]
					n["uco-core:hasFacet"] = []node{{"@id": nodeID(local + "-facet"), "@type": kind[1], kind[2]: f.Value}}
				}
				out = append(out, n)
			}
			if links[[2]string{id, file}] {
				continue
			}
			links[[2]string{id, file}] = true
			rel := node{
				"@id":                         nodeID(fmt.Sprintf("identifier-link-%d", len(links))),
				"@type":                       "uco-observable:ObservableRelationship",
				"uco-core:source":             ref(id),
				"uco-core:target":             ref(file),
				"uco-core:kindOfRelationship": "Contained_Within",
				"uco-core:isDirectional":      typed("xsd:boolean", "true"),
			}
			if f.Page > 0 {
				rel["evx:page"] = typed("xsd:integer", strconv.Itoa(f.Page))
			}
			if f.Part != "" {
				rel["evx:part"] = f.Part
			}
			out = append(out, rel)
		}
	}
	return out
}
