package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func manifestDocs(n int) []Document {
	docs := make([]Document, n)
	for i := range docs {
		h := sha256.Sum256([]byte(fmt.Sprint(i)))
		docs[i] = Document{Name: fmt.Sprintf("data/doc-%05d.txt", i), Size: int64(i), SHA256: hex.EncodeToString(h[:])}
		if i%2 == 0 {
			docs[i].MediaType, docs[i].Extraction = "text/plain; charset=utf-8", hex.EncodeToString(h[:])
		}
	}
	return docs
}

// TestDocumentManifestRoundTrip: a manifest decodes to the documents it was made of, and is
// the canonical JSON of its object.
func TestDocumentManifestRoundTrip(t *testing.T) {
	docs := manifestDocs(3)
	data, ref, err := EncodeDocumentManifest(docs)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := Canonicalize(data)
	if err != nil || !bytes.Equal(canon, data) {
		t.Errorf("manifest %s is not its own RFC 8785 form %s (%v)", data, canon, err)
	}
	got, err := OpenDocumentManifest(data, ref)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(docs) || ref.Count != 3 || ref.Size != int64(len(data)) {
		t.Errorf("OpenDocumentManifest = %v (ref %+v), want %v", got, ref, docs)
	}
	// Known answer: the two-document manifest, by hand:
	//   printf '%s' '{"documents":[{"name":"data/a.txt","sha256":"'$(printf a | sha256sum | cut -c1-64)'","size":1}],"format":"evx-document-manifest/1"}' | sha256sum
	a := sha256.Sum256([]byte("a"))
	one, oneRef, err := EncodeDocumentManifest([]Document{{Name: "data/a.txt", Size: 1, SHA256: hex.EncodeToString(a[:])}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"documents":[{"name":"data/a.txt","sha256":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb","size":1}],"format":"evx-document-manifest/1"}`
	if string(one) != want || oneRef.SHA256 != hex.EncodeToString(sha256Of([]byte(want))) {
		t.Errorf("manifest = %s, want %s", one, want)
	}
}

func sha256Of(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// TestOpenDocumentManifestRefuses: a manifest that is not the one the event references, or not
// well formed, is a *DocumentManifestError naming why, never a panic.
func TestOpenDocumentManifestRefuses(t *testing.T) {
	docs := manifestDocs(4)
	data, ref, err := EncodeDocumentManifest(docs)
	if err != nil {
		t.Fatal(err)
	}
	// reseal gives the reference an honest evx would record for bytes b.
	reseal := func(b []byte, count int64) DocumentManifest {
		return DocumentManifest{Count: count, SHA256: hex.EncodeToString(sha256Of(b)), Size: int64(len(b))}
	}
	indented := bytes.Replace(data, []byte(`{"documents":[`), []byte(`{"documents": [`), 1)
	upper := bytes.Replace(data, []byte(docs[0].SHA256), []byte(strings.ToUpper(docs[0].SHA256)), 1)
	reordered := bytes.Replace(data, []byte(`{"documents":`), []byte(`{"format":"evx-document-manifest/1","documents":`), 1)
	reordered = bytes.Replace(reordered, []byte(`],"format":"evx-document-manifest/1"}`), []byte(`]}`), 1)
	unknown := bytes.Replace(data, []byte(`"format":`), []byte(`"x":1,"format":`), 1)
	otherFormat := bytes.Replace(data, []byte(`evx-document-manifest/1`), []byte(`evx-document-manifest/2`), 1)
	empty := []byte(`{"documents":[],"format":"evx-document-manifest/1"}`)
	for _, tc := range []struct {
		name   string
		data   []byte
		ref    DocumentManifest
		reason string
	}{
		{"edited", bytes.Replace(data, []byte("doc-00001"), []byte("doc-00009"), 1), ref, "hash"},
		{"truncated", data[:len(data)-1], ref, "size"},
		{"trailing-garbage", append(bytes.Clone(data), ' '), ref, "size"},
		{"count-lies", data, DocumentManifest{Count: 5, SHA256: ref.SHA256, Size: ref.Size}, "count"},
		{"indented", indented, reseal(indented, 4), "malformed"},
		{"upper-case-hash", upper, reseal(upper, 4), "malformed"},
		{"members-reordered", reordered, reseal(reordered, 4), "malformed"},
		{"unknown-member", unknown, reseal(unknown, 4), "malformed"},
		{"other-format", otherFormat, reseal(otherFormat, 4), "malformed"},
		{"no-documents", empty, reseal(empty, 1), "malformed"},
		{"not-json", []byte("{"), reseal([]byte("{"), 1), "malformed"},
		{"ref-count-zero", data, DocumentManifest{Count: 0, SHA256: ref.SHA256, Size: ref.Size}, "malformed"},
		{"ref-size-too-large", data, DocumentManifest{Count: 4, SHA256: ref.SHA256, Size: MaxManifestBytes + 1}, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenDocumentManifest(tc.data, tc.ref)
			var me *DocumentManifestError
			if !errors.As(err, &me) || me.Reason != tc.reason {
				t.Fatalf("OpenDocumentManifest(%s) = %v, want a *DocumentManifestError, reason %s", tc.name, err, tc.reason)
			}
			if f, ok := FailureOf(err); !ok || f.Kind != "DocumentManifestError" || f.Fact("reason") != tc.reason {
				t.Errorf("FailureOf(%v) = %+v", err, f)
			}
		})
	}
}

// TestEventDocumentManifestMembers: the reference is a version 2 member, exclusive of an
// inline list, and refused when malformed.
func TestEventDocumentManifestMembers(t *testing.T) {
	_, ref, err := EncodeDocumentManifest(manifestDocs(2))
	if err != nil {
		t.Fatal(err)
	}
	base := Event{BundleID: "B-1", Seq: 1, Type: SubmissionAcceptance, Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Actor: Actor{Kind: ActorSystem, ID: "ingest"}}
	e := base
	e.Version, e.Details.DocumentManifest = Version2, &ref
	if _, err := e.CanonicalJSON(); err != nil {
		t.Errorf("event with a manifest: %v", err)
	}
	v1 := e
	v1.Version = 0
	var ve *VersionError
	if _, err := v1.CanonicalJSON(); !errors.As(err, &ve) || ve.Member != "details.document_manifest" {
		t.Errorf("version 1 event with a manifest: %v, want a *VersionError naming details.document_manifest", err)
	}
	both := e
	both.Details.Documents = manifestDocs(1)
	if _, err := both.CanonicalJSON(); err == nil {
		t.Error("event with documents and a manifest: accepted, want refused")
	}
	bad := ref
	bad.SHA256 = strings.ToUpper(bad.SHA256)
	e.Details.DocumentManifest = &bad
	if _, err := e.CanonicalJSON(); err == nil {
		t.Error("event with an upper-case manifest hash: accepted, want refused")
	}
}

// FuzzDecodeDocumentManifest: no input panics; whatever decodes encodes back to exactly the
// same bytes (one list, one manifest), and a failure is a *DocumentManifestError.
func FuzzDecodeDocumentManifest(f *testing.F) {
	data, _, err := EncodeDocumentManifest(manifestDocs(3))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"documents":[{"name":"data/a","sha256":"` + strings.Repeat("0", 64) + `","size":0}],"format":"evx-document-manifest/1"}`))
	f.Add([]byte(`{"documents":null,"format":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := DecodeDocumentManifest(data)
		if err != nil {
			var me *DocumentManifestError
			if !errors.As(err, &me) {
				t.Fatalf("DecodeDocumentManifest: untyped error %T: %v", err, err)
			}
			return
		}
		again, ref, err := EncodeDocumentManifest(docs)
		if err != nil || !bytes.Equal(again, data) || ref.Count != int64(len(docs)) {
			t.Fatalf("DecodeDocumentManifest(%q) = %v, which encodes to %q (%v)", data, docs, again, err)
		}
	})
}

// TestManifestTamperVectorsNeedTheManifest: the good manifest trail checks its documents
// through the manifest (3 checked), and names the event when the manifest is missing.
func TestManifestTamperVectorsNeedTheManifest(t *testing.T) {
	dir := filepath.Join("testdata", "tamper")
	keyPEM, err := os.ReadFile(filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rep, err := VerifyTrail(read("manifest-good.json"), pub, VerifyOptions{Documents: filepath.Join(dir, "documents")})
	if err != nil || rep.DocumentsCheck != 3 {
		t.Fatalf("VerifyTrail(manifest-good) = %+v, %v; want 3 documents checked", rep, err)
	}
	tr, err := ParseTrail(read("manifest-good.json"))
	if err != nil {
		t.Fatal(err)
	}
	if docs, err := tr.Documents(0); err != nil || len(docs) != 3 {
		t.Errorf("Trail.Documents(0) = %v, %v; want the 3 documents of the manifest", docs, err)
	}
	if w := tr.WithDocuments(); len(w.Events[0].Event.Details.Documents) != 3 || len(tr.Events[0].Event.Details.Documents) != 0 {
		t.Errorf("WithDocuments: %d documents inline, original %d; want 3 and 0", len(w.Events[0].Event.Details.Documents), len(tr.Events[0].Event.Details.Documents))
	}
	_, err = VerifyTrail(read("manifest-missing.json"), pub, VerifyOptions{})
	var me *DocumentManifestError
	if !errors.As(err, &me) || me.Seq != 1 || me.Reason != "missing" {
		t.Errorf("VerifyTrail(manifest-missing) = %v, want a *DocumentManifestError for seq 1, missing", err)
	}
	_, err = VerifyTrail(read("manifest-count-lies.json"), pub, VerifyOptions{})
	if !errors.As(err, &me) || me.Reason != "count" || me.Want != "4" || me.Got != "3" {
		t.Errorf("VerifyTrail(manifest-count-lies) = %v, want count 3, stated 4", err)
	}
}

// BenchmarkOpenDocumentManifest: reading and checking the manifest of 5,000 documents (what
// every reader of a large bundle's documents pays), as a ratio to decoding the same documents
// inline from an event's JSON and to SHA-256 of the manifest's bytes, each pair timed back to
// back and the median ratio reported, so that a busy machine slows both alike.
func BenchmarkOpenDocumentManifest(b *testing.B) {
	docs := manifestDocs(5000)
	for i := range docs {
		docs[i].SHA512 = docs[i].SHA256 + docs[i].SHA256
	}
	data, ref, err := EncodeDocumentManifest(docs)
	if err != nil {
		b.Fatal(err)
	}
	inline, err := json.Marshal(Details{Documents: docs})
	if err != nil {
		b.Fatal(err)
	}
	timed := func(f func()) float64 {
		start := time.Now()
		f()
		return time.Since(start).Seconds()
	}
	var vsInline, vsHash, opens []float64
	for range max(b.N, 5) {
		open := timed(func() {
			if _, err := OpenDocumentManifest(data, ref); err != nil {
				b.Fatal(err)
			}
		})
		dec := timed(func() {
			var d Details
			if err := json.Unmarshal(inline, &d); err != nil {
				b.Fatal(err)
			}
		})
		hash := timed(func() { sha256.Sum256(data) })
		opens, vsInline, vsHash = append(opens, open), append(vsInline, open/dec), append(vsHash, open/hash)
	}
	median := func(xs []float64) float64 { slices.Sort(xs); return xs[len(xs)/2] }
	b.ReportMetric(float64(len(data))/(1<<20), "manifest-MiB")
	b.ReportMetric(median(opens)*1000, "ms/open")
	b.ReportMetric(median(vsInline), "ratio-vs-inline-json-decode")
	b.ReportMetric(median(vsHash), "ratio-vs-sha256")
}
