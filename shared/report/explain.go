package report

import "github.com/evx-project/evx/shared/custody"

// explanations say in plain words what each event type records. The party-boundary names are
// the event names of ETSI EN 319 522-1 (electronic registered delivery).
var explanations = map[custody.EventType]string{
	custody.SubmissionAcceptance:      "ETSI EN 319 522 SubmissionAcceptance: evx accepted the sending agency's bundle: the package was complete and intact, and every document was fingerprinted (SHA-256) and stored.",
	custody.SubmissionRejection:       "ETSI EN 319 522 SubmissionRejection: evx refused the sending agency's bundle; the reasons are listed.",
	custody.ContentConsignment:        "ETSI EN 319 522 ContentConsignment: the bundle was made available to the receiving agency named.",
	custody.ContentAccessTracking:     "ETSI EN 319 522 ContentAccessTracking: the receiving agency downloaded documents of the bundle.",
	custody.ConsignmentAcceptance:     "ETSI EN 319 522 ConsignmentAcceptance: the receiving agency acknowledged receipt, having checked the documents' fingerprints.",
	custody.ConsignmentRejection:      "ETSI EN 319 522 ConsignmentRejection: the receiving agency refused the delivery; its reasons are listed.",
	custody.AcceptanceRejectionExpiry: "ETSI EN 319 522 AcceptanceRejectionExpiry: the receiving agency neither accepted nor refused the delivery before its deadline.",
	custody.Hashed:                    "Internal step (CASE/UCO action): evx computed the fingerprints (hashes) of the documents listed.",
	custody.Stored:                    "Internal step (CASE/UCO action): evx stored the documents in write-once storage, addressed by their fingerprints.",
	custody.Extracted:                 "Internal step (CASE/UCO action): evx extracted text and metadata from the documents listed, for search; the originals are unchanged.",
	custody.Resubmission:              "Internal step: another person of the sending side submitted exactly the same bundle again; it was recorded, and nothing else changed.",
	custody.FixityCheck:               "Internal step (CASE/UCO action): a scheduled re-check of the stored documents against their recorded fingerprints; any mismatch is listed.",
	custody.AgencyKeyAdded:            "Agency directory: a seal key was added to the agency named; its id, validity and record are listed.",
	custody.AgencyKeyRotated:          "Agency directory: the agency's seal key was replaced by a new one, and the previous key signed the change.",
	custody.AgencyKeyRevoked:          "Agency directory: the agency's seal key was revoked; seals recorded before the revocation stay valid, later ones do not.",
	custody.AgencyKeyExpired:          "Agency directory: the agency's seal key reached the end of its validity.",
	custody.KeyRotation:               "Key rotation (an event of the log itself, on no bundle): the key that signed evx's records until then signed this statement introducing its successor; later records are signed by the new key.",
	// The identifier index's events (pipeline.IdentifiersIndexed, IdentifierQuery, IdentifierMatched).
	"IdentifiersIndexed": "Internal step: evx entered the check-digit-valid identifiers found in the documents' text (containers, vessels, accounts, phones, wallets, ...) into its hit/no-hit index as keyed hashes, not values; the counts and whether other agencies may match them are listed.",
	"IdentifierQuery":    "Matching: an agency asked whether anyone holds an identifier; the type, its keyed hash (not the value) and the outcome, hit or no hit, are listed.",
	"IdentifierMatched":  "Matching: another agency's question hit an identifier this agency holds; the asking agency and the reference it may request under are listed.",
}

// Explain returns the plain-language explanation of an event type.
func Explain(t custody.EventType) string {
	if s, ok := explanations[t]; ok {
		return s
	}
	if s, ok := requestExplanations[t]; ok {
		return s
	}
	return "An event type this version of evx does not know; it is shown as recorded."
}

// actorKinds name the kinds of actor for a reader.
var actorKinds = map[string]string{
	custody.ActorSystem:      "evx component",
	custody.ActorUser:        "person",
	custody.ActorCounterpart: "receiving agency",
}

func actorText(a custody.Actor) string {
	k, ok := actorKinds[a.Kind]
	if !ok {
		k = a.Kind
	}
	if k == "" {
		return a.ID
	}
	return a.ID + " (" + k + ")"
}
