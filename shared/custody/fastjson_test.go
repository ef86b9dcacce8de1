package custody

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// fastSeed is a trail event with every member set, as a trail file holds it.
func fastSeed(t testing.TB) []byte {
	te := TrailEvent{Leaf: 41, Proof: []string{"aa", "bb"}, Event: Event{
		BundleID: "b-1", Seq: 3, Type: ContentConsignment, Time: time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC),
		Actor: Actor{Kind: ActorSystem, ID: "route"},
		Details: Details{Counterparts: []string{"NL-OM"}, Deadline: "2026-12-27T08:00:00Z", Counterpart: "NL-OM",
			Reasons: []string{}, Reference: "ref 1",
			Documents: []Document{{Name: "data/a.pdf", Size: 12, SHA256: "ab", SHA512: "cd", MediaType: "application/pdf", Extraction: "ef"}},
			Request:   &Request{CaseReference: "c", RequestReference: "r", RequestingState: "DE", RequestedState: "NL", LegalBasis: "l", HandlingCode: "H1"}},
		Prev: "p", KeyID: "k", Hash: "h", Signature: "s/+="}}
	b, err := json.Marshal(te)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fastManifestSeed is an event whose documents are in a document manifest.
func fastManifestSeed(t testing.TB) []byte {
	te := TrailEvent{Leaf: 7, Proof: []string{"aa"}, Event: Event{Version: Version2,
		BundleID: "b-1", Seq: 1, Type: SubmissionAcceptance, Time: time.Date(2026, 11, 27, 8, 0, 0, 1, time.UTC),
		Actor:   Actor{Kind: ActorSystem, ID: "ingest"},
		Details: Details{Counterparts: []string{"NL-OM"}, DocumentManifest: &DocumentManifest{Count: 5000, SHA256: "ab", Size: 1845050}},
		KeyID:   "k", Hash: "h", Signature: "s"}}
	b, err := json.Marshal(te)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFastDecodeManifestEvent: an event referencing a document manifest takes the fast path,
// and decodes as encoding/json decodes it.
func TestFastDecodeManifestEvent(t *testing.T) {
	b := fastManifestSeed(t)
	var fast, slow TrailEvent
	if !fastDecodeTrailEvent(b, &fast) {
		t.Fatalf("fast path refused %s", b)
	}
	if err := jsonDecodeTrailEvent(b, &slow); err != nil || !reflect.DeepEqual(fast, slow) {
		t.Errorf("fast %+v, encoding/json %+v (%v)", fast.Event.Details.DocumentManifest, slow.Event.Details.DocumentManifest, err)
	}
}

// TestFastDecodeTrailEvent checks that the plain form of an event takes the fast path and that
// forms it leaves to encoding/json (escapes, non-ASCII, null, unknown or repeated members,
// signs, fractions) do.
func TestFastDecodeTrailEvent(t *testing.T) {
	seed := string(fastSeed(t))
	var te TrailEvent
	if !fastDecodeTrailEvent([]byte(seed), &te) {
		t.Fatalf("fast path refused a plain event: %s", seed)
	}
	var want TrailEvent
	if err := jsonDecodeTrailEvent([]byte(seed), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(te, want) {
		t.Fatalf("fast path decoded\n%+v\nencoding/json\n%+v", te, want)
	}
	for _, c := range []struct{ old, new string }{
		{`"b-1"`, `"b\u002d1"`},
		{`"route"`, `"rout\u00e9"`},
		{`"route"`, "\"rout\xc3\xa9\""},
		{`"ref 1"`, `null`},
		{`"leaf_index":41`, `"leaf_index":41,"extra":1`},
		{`"leaf_index":41`, `"leaf_index":41,"leaf_index":42`},
		{`"size":12`, `"size":-12`},
		{`"size":12`, `"size":12.0`},
		{`"size":12`, `"size":012`},
		{`"seq":3`, `"seq":3e0`},
		{`"seq":3`, `"seq":18446744073709551616`},
		{`"seq":3`, `"seq":"3"`},
	} {
		b := []byte(replaceOnce(t, seed, c.old, c.new))
		if fastDecodeTrailEvent(b, &te) {
			t.Errorf("fast path took %s", b)
		}
	}
}

func replaceOnce(t *testing.T, s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	t.Fatalf("%q not in %s", old, s)
	return ""
}

// FuzzFastDecodeTrailEvent holds the fast decoder to encoding/json: whatever it accepts,
// encoding/json accepts too and decodes to the same value.
func FuzzFastDecodeTrailEvent(f *testing.F) {
	f.Add(fastSeed(f))
	f.Add(fastManifestSeed(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast TrailEvent
		if !fastDecodeTrailEvent(b, &fast) {
			return
		}
		var slow TrailEvent
		if err := jsonDecodeTrailEvent(b, &slow); err != nil {
			t.Fatalf("fast path accepted what encoding/json refuses (%v): %q", err, b)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast path decoded %+v, encoding/json %+v, from %q", fast, slow, b)
		}
	})
}
