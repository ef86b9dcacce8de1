package custody

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Trail format versions of an event (docs/trail-format.md, "Versions").
//
// An event without a "version" member is version 1: exactly the members evx wrote before
// versions existed, with the canonical form and hash it always had. A version 2 event states
// "version": 2 and may carry the members version 2 adds (the actor's agency and person, and
// the details listed in v2Members). Version 1 is never written as "version": 1 (one event,
// one spelling), and a version 1 event carrying a version 2 member is refused, so that no
// version 1 reader can be shown a member it would silently not check.
const (
	Version1 = 1
	Version2 = 2
	// LatestVersion is the newest version this package reads and writes.
	LatestVersion = Version2
)

// VersionError: an event is written in a trail format version this verifier does not know
// (Got), or a version 1 event carries a member that only a later version defines (Member).
// A verifier never guesses at a version it does not know: it refuses the trail and names the
// version, so that the reader knows to use a newer verifier.
type VersionError struct {
	Seq    uint64
	Got    int    // the event's version; 1 for an event without "version"
	Known  []int  // the versions this verifier reads
	Member string // for a version 1 event: the later member it carries
}

func (e *VersionError) Error() string {
	if e.Member != "" {
		return fmt.Sprintf("event seq %d is a version 1 event (no \"version\") but carries %q, which only version 2 defines: a version 2 event must say \"version\": 2", e.Seq, e.Member)
	}
	known := make([]string, len(e.Known))
	for i, v := range e.Known {
		known[i] = fmt.Sprint(v)
	}
	return fmt.Sprintf("event seq %d is written in trail format version %d; this verifier knows versions %s: use a verifier that knows version %d", e.Seq, e.Got, strings.Join(known, ", "), e.Got)
}

// KnownVersions are the versions Verify reads.
var KnownVersions = []int{Version1, Version2}

// FormatVersion is the event's version: 1 when it has no "version" member.
func (e Event) FormatVersion() int {
	if e.Version == 0 {
		return Version1
	}
	return e.Version
}

// checkVersion refuses unknown versions, the spelling "version": 1, and version 2 members
// in a version 1 event.
func (e Event) checkVersion() error {
	switch e.Version {
	case 0:
		if m := e.v2Member(); m != "" {
			return &VersionError{Seq: e.Seq, Got: Version1, Known: KnownVersions, Member: m}
		}
		return nil
	case Version2:
		return nil
	case Version1:
		return fmt.Errorf("event seq %d states \"version\": 1; version 1 is written without a \"version\" member", e.Seq)
	}
	return &VersionError{Seq: e.Seq, Got: e.Version, Known: KnownVersions}
}

// v2Member names the first version 2 member e carries, "" when none.
func (e Event) v2Member() string {
	switch {
	case e.Actor.Agency != "":
		return "actor.agency"
	case e.Actor.Person != "":
		return "actor.person"
	}
	return e.Details.v2Member()
}

// peekVersion reads the "version" member of a trail entry's event that did not decode, so
// that an event of an unknown version is reported as a *VersionError rather than as the
// unknown members it (legitimately, for its version) carries. It returns nil when the entry
// states no version, or one this package knows.
func peekVersion(b []byte) error {
	var w struct {
		Event struct {
			Version json.Number `json:"version"`
			Seq     uint64      `json:"seq"`
		} `json:"event"`
	}
	if json.Unmarshal(b, &w) != nil || w.Event.Version == "" {
		return nil
	}
	v, err := w.Event.Version.Int64()
	if err != nil || v == Version2 || v == 0 {
		return nil
	}
	if v > MaxSafeInteger || v < 0 {
		v = -1
	}
	return &VersionError{Seq: w.Event.Seq, Got: int(v), Known: KnownVersions}
}

// v2Member names the first version 2 member of d, "" when none.
func (d Details) v2Member() string {
	switch {
	case len(d.Findings) > 0:
		return "details.findings"
	case d.Seal != nil:
		return "details.seal"
	case d.Receipt != nil:
		return "details.receipt"
	case d.KeyChange != nil:
		return "details.key_change"
	case d.DocumentManifest != nil:
		return "details.document_manifest"
	case d.LegalRequest != nil:
		return "details.legal_request"
	case d.Request != nil && d.Request.HandlingRestriction != "":
		return "details.request.handling_restriction"
	}
	return ""
}

// wireVersion is the Event.Version of a decoded "version" member (nil: absent). "version": 0
// is refused: version 1 has one spelling, without the member.
func wireVersion(v *int) (int, error) {
	if v == nil {
		return 0, nil
	}
	if *v == 0 {
		return 0, fmt.Errorf("\"version\": 0; version 1 is written without a \"version\" member")
	}
	return *v, nil
}
