package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/report"
)

// tamperDir holds custody's generated tamper vectors, each named for what it breaks.
var tamperDir = filepath.Join("..", "custody", "testdata", "tamper")

// TestTamperVectors: every tampered trail gets a FAILED report naming the check that failed,
// with the expected and computed values; the good trail gets a VERIFIED one.
func TestTamperVectors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(tamperDir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(tamperDir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := custody.ParsePublicKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]bool{} // one PDF per kind of failure: rendering is the slow part
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		name, want, docs, older := f[0], f[1], f[2], f[3]
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(tamperDir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			opt := custody.VerifyOptions{}
			if docs != "-" {
				opt.Documents = filepath.Join(tamperDir, docs)
			}
			if older != "-" {
				if opt.Older, err = os.ReadFile(filepath.Join(tamperDir, older)); err != nil {
					t.Fatal(err)
				}
			}
			var v report.Verdict
			tr, perr := custody.ParseTrail(raw)
			if perr != nil {
				// An unreadable trail still gets a report: the verdict alone.
				v = report.Verdict{Failure: report.Describe(perr)}
				tr = nil
			} else if v, err = report.Check(tr, pub, opt); err != nil {
				t.Fatal(err)
			}
			got := "ok"
			if !v.Verified {
				got = v.Failure.Kind
			}
			if got != want {
				t.Fatalf("verdict = %s (%+v), want %s", got, v.Failure, want)
			}
			if rendered[want] {
				return
			}
			rendered[want] = true
			var b bytes.Buffer
			if err := report.PDF(&b, tr, v, report.Options{Fonts: testFonts, Generated: genTime}); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(pdfText(t, b.Bytes()).Text), " ")
			if want == "ok" {
				if !strings.Contains(text, "VERIFIED") || strings.Contains(text, "FAILED") {
					t.Fatal("report of the good trail does not say VERIFIED alone")
				}
				if opt.Documents != "" && !strings.Contains(text, "documents supplied were compared with their recorded SHA-256 and match") {
					t.Error("report does not say the documents supplied were checked")
				}
				return
			}
			if !strings.Contains(text, "FAILED") || strings.Contains(text, "VERIFIED") {
				t.Fatal("report of a tampered trail does not say FAILED alone")
			}
			if strings.HasPrefix(v.Failure.Summary, "Verification failed:") {
				t.Errorf("failure %s has no plain-language summary", want)
			}
			summary := strings.Join(strings.Fields(v.Failure.Summary), " ")
			if !strings.Contains(text, summary) {
				t.Errorf("report lacks the failure summary %q", summary)
			}
			for _, side := range []string{v.Failure.Expected, v.Failure.Computed} {
				if side != "" && !strings.Contains(strings.ReplaceAll(text, " ", ""), strings.ReplaceAll(side, " ", "")) {
					t.Errorf("report lacks the value %q", side)
				}
			}
			if want == "CheckpointError" && !strings.Contains(text, "NOT verified") {
				t.Error("report of a forged checkpoint does not mark the checkpoint NOT verified")
			}
		})
	}
}

func TestDescribeUnknownError(t *testing.T) {
	f := report.Describe(errors.New("disk on fire"))
	if !strings.Contains(f.Summary, "disk on fire") || f.Detail != "disk on fire" {
		t.Fatalf("Describe(untyped) = %+v, want the error text kept", f)
	}
}

func TestCheckRejectsUnusableKey(t *testing.T) {
	tr, _, _ := fixture(t)
	if _, err := report.Check(tr, "not a key", custody.VerifyOptions{}); err == nil {
		t.Fatal("Check with a string as key = nil error, want an error")
	}
}

func TestCheckFile(t *testing.T) {
	_, raw, s := fixture(t)
	tr, v, err := report.CheckFile(raw, s.Public(), custody.VerifyOptions{})
	if err != nil || tr == nil || !v.Verified {
		t.Fatalf("CheckFile(fixture) = %v, %+v, %v; want a verified trail", tr, v.Failure, err)
	}
	tr, v, err = report.CheckFile([]byte("not json"), s.Public(), custody.VerifyOptions{})
	if err != nil || tr != nil || v.Verified || v.Failure.Kind != "FormatError" || v.TrustedKeyID == "" {
		t.Fatalf("CheckFile(junk) = %v, %+v, %v; want a FormatError verdict naming the trusted key", tr, v, err)
	}
	if _, _, err := report.CheckFile(raw, 42, custody.VerifyOptions{}); err == nil {
		t.Fatal("CheckFile with an unusable key = nil error")
	}
}

// TestDescribeEveryKind: each custody error gets its kind, its event and both sides in the
// forms the report prints, and a summary naming what it concerns.
func TestDescribeEveryKind(t *testing.T) {
	root, other := []byte{0xab, 0xcd}, []byte{0x01, 0x02}
	for _, tc := range []struct {
		err                error
		kind               string
		seq                uint64
		expected, computed string
		summaryHas         string
	}{
		{&custody.FormatError{Err: errors.New("bad")}, "FormatError", 0, "", "", "not a well-formed"},
		{&custody.BundleError{Position: 3, Want: "B1", Got: "B2"}, "BundleError", 0, "bundle B1", "bundle B2", "position 4"},
		{&custody.BreakError{Seq: 4, Got: "hx"}, "BreakError", 4, "(none)", "hx", "broken at event 4"},
		{&custody.SequenceError{Position: 2, Want: 3, Got: 5}, "SequenceError", 0, "sequence 3", "sequence 5", "position 3"},
		{&custody.EventHashError{Seq: 6, Got: "c"}, "EventHashError", 6, "(none)", "c", "Event 6 was altered"},
		{&custody.SignatureError{Seq: 7, WantKeyID: "k1"}, "SignatureError", 7, "k1", "(none)", "key other than the trusted"},
		{&custody.SignatureError{Seq: 7, WantKeyID: "k1", GotKeyID: "k1", Err: errors.New("bad")}, "SignatureError", 7,
			"a valid signature by k1", "signature does not verify", "signature of event 7 does not verify"},
		{&custody.TimeOrderError{Seq: 8, Previous: "t1", Got: "t0"}, "TimeOrderError", 8, "not before t1", "t0", "Event 8 is dated"},
		{&custody.CheckpointError{Reason: "origin line", Err: errors.New("bad")}, "CheckpointError", 0,
			"a checkpoint signed by the trusted key", "origin line", "checkpoint"},
		{&custody.InclusionError{Seq: 9, Want: root, Err: errors.New("short")}, "InclusionError", 9, "abcd", "(none)", "Event 9 cannot be proven"},
		{&custody.DocumentHashError{Name: "a.pdf", Want: "w", Err: errors.New("gone")}, "DocumentHashError", 0, "w", "(none)", "document a.pdf"},
		{&custody.ConsistencyError{OldSize: 4, NewSize: 9, Want: root, Got: other}, "ConsistencyError", 0, "abcd", "0102", "size 9 does not extend the older checkpoint of size 4"},
	} {
		f := report.Describe(fmt.Errorf("wrapped: %w", tc.err))
		if f.Kind != tc.kind || f.Seq != tc.seq || f.Expected != tc.expected || f.Computed != tc.computed {
			t.Errorf("Describe(%T) = kind %s seq %d expected %q computed %q, want %s %d %q %q",
				tc.err, f.Kind, f.Seq, f.Expected, f.Computed, tc.kind, tc.seq, tc.expected, tc.computed)
		}
		if !strings.Contains(f.Summary, tc.summaryHas) || f.Detail != "wrapped: "+tc.err.Error() {
			t.Errorf("Describe(%T): summary %q, detail %q; want the summary to say %q and the error text kept", tc.err, f.Summary, f.Detail, tc.summaryHas)
		}
	}
}

// TestDescribeDocumentManifest: each way a document manifest fails (missing, edited, a count
// that lies, malformed) has its own sentence, in English and in Spanish, naming the event.
func TestDescribeDocumentManifest(t *testing.T) {
	seen := map[string]bool{}
	for _, reason := range []string{"missing", "hash", "size", "count", "malformed"} {
		for _, l := range report.Langs {
			err := &custody.DocumentManifestError{Seq: 7, SHA256: strings.Repeat("ab", 32), Reason: reason, Want: "4", Got: "3"}
			f := report.DescribeIn(fmt.Errorf("verify: %w", err), l)
			if f.Kind != "DocumentManifestError" || f.Seq != 7 || !strings.Contains(f.Summary, "7") || seen[f.Summary] {
				t.Errorf("DescribeIn(%s, %s) = %+v, want its own sentence naming event 7", reason, l, f)
			}
			seen[f.Summary] = true
		}
	}
}
