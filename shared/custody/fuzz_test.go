package custody

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestCanonicalJSONMatchesCanonicalize holds the direct encoder to the generic RFC 8785 route.
func TestCanonicalJSONMatchesCanonicalize(t *testing.T) {
	for _, e := range sampleEvents() {
		fast, err1 := e.CanonicalJSON()
		slow, err2 := e.canonicalViaJSON()
		if err1 != nil || err2 != nil {
			t.Fatalf("CanonicalJSON: %v / %v", err1, err2)
		}
		if !bytes.Equal(fast, slow) {
			t.Errorf("CanonicalJSON = %s\nCanonicalize(json) = %s", fast, slow)
		}
	}
}

func sampleEvents() []Event {
	base := Event{BundleID: "B-1", Seq: 2, Prev: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Type: ContentAccessTracking, Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)),
		Actor: Actor{Kind: ActorCounterpart, ID: "NL-OM <\u2028\"\\\x01>"}, KeyID: "sha256:00"}
	full := base
	full.Details = Details{Counterpart: "NL-OM", Reference: "R/1 é", Reasons: []string{"a\tb", "😀"},
		Documents: []Document{{Name: "data/a.pdf", Size: MaxSafeInteger, SHA256: base.Prev, SHA512: base.Prev + base.Prev}, {Name: "b", SHA256: base.Prev}}}
	first := full
	first.Seq, first.Prev = 1, ""
	onlyReasons := base
	onlyReasons.Details.Reasons = []string{""}
	return []Event{base, full, first, onlyReasons}
}

// FuzzEventCanonical: for any event the JSON decoder accepts, the direct canonical encoder
// and the generic route agree, and neither panics.
func FuzzEventCanonical(f *testing.F) {
	for _, e := range sampleEvents() {
		b, _ := json.Marshal(e)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Event
		if json.Unmarshal(data, &e) != nil {
			return
		}
		fast, err1 := e.CanonicalJSON()
		slow, err2 := e.canonicalViaJSON()
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("CanonicalJSON error %v, generic route error %v", err1, err2)
		}
		if err1 == nil && !bytes.Equal(fast, slow) {
			t.Fatalf("CanonicalJSON = %s\nCanonicalize(json) = %s", fast, slow)
		}
	})
}

// FuzzCanonicalize: never panics, and canonical output is a fixed point.
func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{"b":[1,2.5e-7,"\u00e9"],"a":null}`, `[1e21,-0,0.1]`, `"\ud83d\ude00"`, `{"\u0080":1,"\r":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Canonicalize(data)
		if err != nil {
			return
		}
		c2, err := Canonicalize(c)
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("Canonicalize(%s) = %s, %v; want the same bytes", c, c2, err)
		}
	})
}

// FuzzVerifyTrail feeds arbitrary bytes (seeded with the tamper vectors) to the trail parser
// and verifier: no panic, and a failure is always one of the typed errors.
func FuzzVerifyTrail(f *testing.F) {
	dir := filepath.Join("testdata", "tamper")
	keyPEM, err := os.ReadFile(filepath.Join(dir, "key.pem"))
	if err != nil {
		f.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(keyPEM)
	if err != nil {
		f.Fatal(err)
	}
	older, err := os.ReadFile(filepath.Join(dir, "older.txt"))
	if err != nil || len(older) == 0 {
		f.Fatalf("older checkpoint fixture: %v (%d bytes)", err, len(older))
	}
	// Small seeds keep the fuzzer's minimisation quick: a valid two-event trail signed with
	// the vectors' trusted key, and a broken copy.
	small := smallTrail(f)
	f.Add(small)
	f.Add(bytes.Replace(small, []byte(`"seq":2`), []byte(`"seq":3`), 1))
	// A trail spanning a key rotation from the trusted key, and one whose rotation is broken.
	rotated := smallRotatedTrail(f)
	f.Add(rotated)
	f.Add(bytes.Replace(rotated, []byte(`"retires ed25519 `), []byte(`"retires ecdsa-p256 `), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := VerifyTrail(data, pub, VerifyOptions{Older: older})
		if _, bad := err.(*FormatError); !bad && !json.Valid(data) {
			t.Fatalf("VerifyTrail read invalid JSON without a FormatError (%v): %q", err, data)
		}
		switch err.(type) {
		case nil, *FormatError, *BundleError, *BreakError, *SequenceError, *EventHashError, *SignatureError,
			*TimeOrderError, *CheckpointError, *InclusionError, *ConsistencyError, *KeyRotationError, *TruncatedError, *HeadError, *QuorumError, *FutureEventError,
			*KeyHistoryError, *SealError, *KeyValidityError, *SealMismatchError, *VersionError, *DocumentManifestError:
		default:
			t.Fatalf("VerifyTrail: untyped error %T: %v", err, err)
		}
	})
}

// TestCanonicalJSONCoversEveryField fills every field of an event by reflection, so a field
// added to Event, Details, Document or Request without teaching the direct encoder about it
// fails here rather than silently dropping out of the hash.
func TestCanonicalJSONCoversEveryField(t *testing.T) {
	var e Event
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			n++
			v.SetString(fmt.Sprintf("v%d", n))
		case reflect.Int, reflect.Int64, reflect.Uint64:
			n++
			v.Set(reflect.ValueOf(n).Convert(v.Type()))
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem())
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			fill(v.Index(0))
		case reflect.Struct:
			if v.Type() == reflect.TypeOf(time.Time{}) {
				v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
				return
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					fill(v.Field(i))
				}
			}
		}
	}
	fill(reflect.ValueOf(&e).Elem())
	// Give the checked fields values checkFields accepts.
	hex64 := strings.Repeat("ab", 32)
	e.BundleID, e.Seq, e.Prev, e.Version = "B-1", 2, hex64, Version2
	for i := range e.Details.Documents {
		e.Details.Documents[i].SHA256 = hex64
		e.Details.Documents[i].SHA512 = hex64 + hex64
		e.Details.Documents[i].Extraction = hex64
	}
	e.Details.DocumentManifest.SHA256 = hex64
	// An event lists its documents or references their manifest, never both: each in turn.
	withManifest := e
	withManifest.Details.Documents = nil
	e.Details.DocumentManifest = nil
	for _, e := range []Event{e, withManifest} {
		fast, err1 := e.CanonicalJSON()
		slow, err2 := e.canonicalViaJSON()
		if err1 != nil || err2 != nil {
			t.Fatalf("CanonicalJSON: %v / %v", err1, err2)
		}
		if !bytes.Equal(fast, slow) {
			t.Errorf("CanonicalJSON = %s\nCanonicalize(json) = %s", fast, slow)
		}
	}
}
func TestCheckMemberNames(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{"a":{"b_1":[{"c":"{\"X\":1}"}]},"d":"e"}`, true},
		{`{"a":1,"b":{"a":2}}`, true},
		{`{"Details":1}`, false},
		{`{"\u212Aey_id":1}`, false},
		{`{"a":1,"a":2}`, false},
		{`{"a":[{"x":1,"y":2,"x":3}]}`, false},
		{`{"a\"b":1}`, false},
		{`["A",{"b":"C"}]`, true},
		// Names belong to their own object only: siblings and parents may repeat them.
		{`{"a":{"b":1},"b":2}`, true},
		{`[{"a":1},{"a":1}]`, true},
		{`{"a":{"b":1},"a":2}`, false},
		{`{"x":[{"a":1},{"a":2}],"x":1}`, false},
		{`{"a":{"b":{"c":1},"c":2},"c":3}`, true},
		{`{"a":"q\\","a":1}`, false},
		{`{"a":"q\"","b":1,"b":2}`, false},
	} {
		if err := checkMemberNames([]byte(tc.in)); (err == nil) != tc.ok {
			t.Errorf("checkMemberNames(%s) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

// smallTrail is a compact two-event trail signed with the tamper vectors' trusted key.
func smallTrail(tb testing.TB) []byte {
	tb.Helper()
	seed := sha256.Sum256([]byte("evx tamper vectors: trusted key"))
	s, err := NewEd25519Signer(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		tb.Fatal(err)
	}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := &Keeper{Ledger: NewMemLedger(), Signer: s, Origin: "evx.example/custody", Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	ctx := context.Background()
	d := Details{Documents: []Document{{Name: "data/a.txt", Size: 1, SHA256: strings.Repeat("ab", 32)}}}
	for _, typ := range []EventType{SubmissionAcceptance, ContentConsignment} {
		if _, err := k.Record(ctx, "B", typ, Actor{Kind: ActorSystem, ID: "x"}, d); err != nil {
			tb.Fatal(err)
		}
	}
	tr, err := k.Export(ctx, "B", ExportOptions{ConsistencyFrom: 1})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(tr)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestSmallTrailVerifies: the fuzz seed is a valid trail (so the fuzzer starts from one).
func TestSmallTrailVerifies(t *testing.T) {
	keyPEM, err := os.ReadFile(filepath.Join("testdata", "tamper", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyTrail(smallTrail(t), pub, VerifyOptions{}); err != nil {
		t.Errorf("VerifyTrail(small trail) = %v, want nil", err)
	}
}

func TestScanJSONEvents(t *testing.T) {
	for _, tc := range []struct {
		in    string
		elems int
		ok    bool
	}{
		{`{"a":1,"events":[{"x":"]"},{"y":[{}]}],"b":{"events":[1]}}`, 2, true},
		{`{"events":[]}`, 0, true},
		{`{"events":[ ]}`, 0, true},
		{`{"events":[{},,{}]}`, 0, false},
		{`{"events":[,{}]}`, 0, false},
		{`{"events":[{},]}`, 0, false},
		{`{"events":[{}{}]}`, 0, false},
		{`{"events":[{},1]}`, 0, false},
		{`{"events":["x"]}`, 0, false},
	} {
		lay, err := scanJSON([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && len(lay.elems) != tc.elems) {
			t.Errorf("scanJSON(%s) = %d elements, %v; want %d, ok %v", tc.in, len(lay.elems), err, tc.elems, tc.ok)
		}
	}
}

// TestRandomMutationsOfSmallTrail is a deterministic stand-in for a fuzzing run: random byte
// flips, insertions and deletions of the small trail never panic, and whatever is not JSON is a
// *FormatError.
func TestRandomMutationsOfSmallTrail(t *testing.T) {
	keyPEM, err := os.ReadFile(filepath.Join("testdata", "tamper", "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	small := smallTrail(t)
	r := rand.New(rand.NewSource(8785))
	changedConsistency := 0
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		m := append([]byte(nil), small...)
		for k := 0; k < 1+r.Intn(3); k++ {
			p := r.Intn(len(m))
			switch r.Intn(3) {
			case 0:
				m[p] ^= byte(1 << r.Intn(8))
			case 1:
				m = append(m[:p], m[p+1:]...)
			case 2:
				m = append(m[:p], append([]byte{mutationBytes[r.Intn(len(mutationBytes))]}, m[p:]...)...)
			}
		}
		_, err := VerifyTrail(m, pub, VerifyOptions{})
		if err == nil {
			// Without an older checkpoint the consistency proof is only checked for form.
			var a, b map[string]any
			json.Unmarshal(m, &a)
			json.Unmarshal(small, &b)
			ca, cb := a["consistency"], b["consistency"]
			delete(a, "consistency")
			delete(b, "consistency")
			if !reflect.DeepEqual(a, b) {
				t.Errorf("mutated trail verifies: %q", m)
			} else if !reflect.DeepEqual(ca, cb) {
				changedConsistency++
			}
			continue
		}
		if _, ok := err.(*FormatError); !ok && !json.Valid(m) {
			t.Errorf("invalid JSON gave %T, want *FormatError: %q", err, m)
		}
	}
	t.Logf("%d of %d mutations changed only the consistency proof, not checked without an older checkpoint", changedConsistency, n)
}

// mutationBytes are the bytes TestRandomMutationsOfSmallTrail inserts.
const mutationBytes = `{}[],:"\\ 0a`
