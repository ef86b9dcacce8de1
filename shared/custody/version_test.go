package custody

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// versionTrail exports a trail whose second event is a version 2 event (an actor with agency
// and person), the first a version 1 event.
func versionTrail(t *testing.T) (*Trail, ed25519.PublicKey, *Keeper) {
	t.Helper()
	seed := sha256.Sum256([]byte("evx tamper vectors: trusted key"))
	s, err := NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := &Keeper{Ledger: NewMemLedger(), Signer: s, Origin: "evx.example/custody", Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	ctx := context.Background()
	d := Details{Documents: []Document{{Name: "data/a.txt", Size: 1, SHA256: strings.Repeat("ab", 32)}}}
	if _, err := k.Record(ctx, "B", SubmissionAcceptance, Actor{Kind: ActorSystem, ID: "ingest"}, d); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Record(ctx, "B", ContentAccessTracking, Actor{Kind: ActorCounterpart, ID: "nl-om", Agency: "nl-om", Person: "j.devries"}, d); err != nil {
		t.Fatal(err)
	}
	tr, err := k.Export(ctx, "B", ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr, s.Public().(ed25519.PublicKey), k
}

// TestVersions: an event without version 2 members stays version 1 (no "version" member);
// one with them is written "version": 2 and verifies; an unknown version, "version": 1 and
// a version 1 event carrying a version 2 member are refused with their errors.
func TestVersions(t *testing.T) {
	tr, pub, _ := versionTrail(t)
	if v := tr.Events[0].Event.Version; v != 0 {
		t.Errorf("event 1 version = %d, want 0 (version 1, no member)", v)
	}
	if v := tr.Events[1].Event.Version; v != Version2 {
		t.Errorf("event 2 version = %d, want %d", v, Version2)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := tr.Events[0].Event.CanonicalJSON()
	if bytes.Contains(c1, []byte(`"version"`)) || bytes.Contains(c1, []byte(`"agency"`)) {
		t.Errorf("version 1 canonical form %s holds a version 2 member", c1)
	}
	c2, _ := tr.Events[1].Event.CanonicalJSON()
	if want := `{"actor":{"agency":"nl-om","id":"nl-om","kind":"counterpart","person":"j.devries"},`; !bytes.HasPrefix(c2, []byte(want)) || !bytes.HasSuffix(c2, []byte(`,"type":"ContentAccessTracking","version":2}`)) {
		t.Errorf("version 2 canonical form %s, want it to start %s and end with the version", c2, want)
	}
	if _, err := VerifyTrail(raw, pub, VerifyOptions{}); err != nil {
		t.Fatalf("VerifyTrail(version 2 trail) = %v", err)
	}

	// Each case edits event 2's JSON and re-signs it with the trusted key and rebuilds the
	// log, as an operator holding evx's key could: the version rules still refuse it.
	for _, tc := range []struct {
		name  string
		edit  func(e *Event)
		check func(err error) bool
	}{
		{"unknown version 3", func(e *Event) { e.Version = 3 }, func(err error) bool {
			var ve *VersionError
			return errors.As(err, &ve) && ve.Got == 3 && ve.Member == ""
		}},
		{"version 1 with a person", func(e *Event) { e.Version = 0 }, func(err error) bool {
			var ve *VersionError
			return errors.As(err, &ve) && ve.Got == Version1 && ve.Member == "actor.agency"
		}},
		{"version 1 spelled out", func(e *Event) { e.Version = 1; e.Actor.Agency, e.Actor.Person = "", "" }, func(err error) bool {
			var fe *FormatError
			return errors.As(err, &fe)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := resealed(t, tr, 1, tc.edit)
			_, err := VerifyTrail(raw, pub, VerifyOptions{})
			if !tc.check(err) {
				t.Errorf("VerifyTrail = %v (%T), want the version refusal", err, err)
			}
		})
	}

	// An event of a later version with members this verifier does not know is still
	// reported as a version it does not know, not as a malformed trail.
	later := bytes.Replace(raw, []byte(`"version":2`), []byte(`"version":7,"witnessed_by":["x"]`), 1)
	var ve *VersionError
	if _, err := VerifyTrail(later, pub, VerifyOptions{}); !errors.As(err, &ve) || ve.Got != 7 {
		t.Errorf("VerifyTrail(version 7 with a new member) = %v, want *VersionError{Got: 7}", err)
	}
	zero := bytes.Replace(raw, []byte(`"version":2`), []byte(`"version":0`), 1)
	var fe *FormatError
	if _, err := VerifyTrail(zero, pub, VerifyOptions{}); !errors.As(err, &fe) {
		t.Errorf("VerifyTrail(\"version\": 0) = %v, want *FormatError", err)
	}
	var e Event
	err = json.Unmarshal(tr.Events[1].Event.mustJSON(t), &e)
	if a, _ := e.CanonicalJSON(); err != nil || !bytes.Equal(a, c2) {
		t.Errorf("Event JSON round trip = %s, %v; want %s", a, err, c2)
	}
}

func (e Event) mustJSON(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resealed returns tr's JSON with its last event (i) edited by edit and re-signed with the
// trusted key, its hash computed over the RFC 8785 form of its JSON as Canonicalize makes it
// (Seal refuses what these cases hold). The log is not rebuilt: the version checks come
// before the inclusion proof's.
func resealed(t *testing.T, tr *Trail, i int, edit func(e *Event)) []byte {
	t.Helper()
	if i != len(tr.Events)-1 {
		t.Fatal("resealed edits the last event only")
	}
	seed := sha256.Sum256([]byte("evx tamper vectors: trusted key"))
	s, err := NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	c := *tr
	c.Events = append([]TrailEvent(nil), tr.Events...)
	e := &c.Events[i].Event
	edit(e)
	e.Hash, e.Signature = "", ""
	w := e.wire()
	raw, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := Canonicalize(raw)
	if err != nil {
		t.Fatal(err)
	}
	h := LeafHash(canon)
	sig, err := s.Sign(context.Background(), h[:])
	if err != nil {
		t.Fatal(err)
	}
	e.Hash, e.Signature = hex.EncodeToString(h[:]), base64.StdEncoding.EncodeToString(sig)
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
