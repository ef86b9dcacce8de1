package custody

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// validEvent is an event checkFields accepts, at seq 2 so that it has a prev.
func validEvent() Event {
	return Event{
		BundleID: "EVX-2026-0001", Seq: 2, Type: Hashed,
		Time:    time.Date(2026, 10, 2, 14, 30, 0, 250_000_000, time.UTC),
		Actor:   Actor{Kind: ActorSystem, ID: "ingest"},
		Details: Details{Documents: []Document{{Name: "data/a.txt", Size: 6, SHA256: strings.Repeat("ab", 32)}}},
		Prev:    strings.Repeat("0f", 32),
		KeyID:   "sha256:" + strings.Repeat("1", 64),
	}
}

// TestCheckFields: one row per rule of checkFields, each on the limit or one step past it.
func TestCheckFields(t *testing.T) {
	doc := func(f func(d *Document)) func(e *Event) {
		return func(e *Event) { f(&e.Details.Documents[0]) }
	}
	for _, tc := range []struct {
		name   string
		edit   func(e *Event)
		reason string // part of the error; "" when the event is accepted
	}{
		{"valid", func(*Event) {}, ""},
		{"bundle-id-empty", func(e *Event) { e.BundleID = "" }, "bundle id"},
		{"bundle-id-128", func(e *Event) { e.BundleID = strings.Repeat("b", 128) }, ""},
		{"bundle-id-129", func(e *Event) { e.BundleID = strings.Repeat("b", 129) }, "bundle id"},
		{"bundle-id-one-char", func(e *Event) { e.BundleID = "7" }, ""},
		{"bundle-id-all-separators", func(e *Event) { e.BundleID = "a._:-Z9" }, ""},
		{"bundle-id-starts-with-dot", func(e *Event) { e.BundleID = ".evx" }, "bundle id"},
		{"bundle-id-starts-with-dash", func(e *Event) { e.BundleID = "-evx" }, "bundle id"},
		{"bundle-id-slash", func(e *Event) { e.BundleID = "evx/1" }, "bundle id"},
		{"bundle-id-space", func(e *Event) { e.BundleID = "evx 1" }, "bundle id"},
		{"bundle-id-non-ascii", func(e *Event) { e.BundleID = "evx\u00e91" }, "bundle id"},
		{"bundle-id-edges", func(e *Event) { e.BundleID = "AZaz09" }, ""},
		{"bundle-id-below-digits", func(e *Event) { e.BundleID = "a/" }, "bundle id"},
		{"bundle-id-after-digits", func(e *Event) { e.BundleID = "a:" }, ""},
		{"bundle-id-after-z", func(e *Event) { e.BundleID = "a{" }, "bundle id"},
		{"bundle-id-after-Z", func(e *Event) { e.BundleID = "a[" }, "bundle id"},
		{"bundle-id-before-A", func(e *Event) { e.BundleID = "a@" }, "bundle id"},
		{"bundle-id-before-a", func(e *Event) { e.BundleID = "a`" }, "bundle id"},
		{"seq-0", func(e *Event) { e.Seq = 0 }, "seq 0"},
		{"seq-1", func(e *Event) { e.Seq, e.Prev = 1, "" }, ""},
		{"seq-2^53-1", func(e *Event) { e.Seq = MaxSafeInteger }, ""},
		{"seq-2^53", func(e *Event) { e.Seq = MaxSafeInteger + 1 }, "seq"},
		{"seq-1-with-prev", func(e *Event) { e.Seq = 1 }, "seq 1 has prev"},
		{"prev-empty", func(e *Event) { e.Prev = "" }, "prev"},
		{"prev-upper-case", func(e *Event) { e.Prev = strings.ToUpper(e.Prev) }, "prev"},
		{"prev-63-digits", func(e *Event) { e.Prev = e.Prev[:63] }, "prev"},
		{"prev-65-digits", func(e *Event) { e.Prev += "0" }, "prev"},
		{"prev-not-hex", func(e *Event) { e.Prev = "g" + e.Prev[1:] }, "prev"},
		{"prev-all-hex-digits", func(e *Event) { e.Prev = strings.Repeat("0123456789abcdef", 4) }, ""},
		{"prev-just-past-9", func(e *Event) { e.Prev = ":" + e.Prev[1:] }, "prev"},
		{"prev-just-before-0", func(e *Event) { e.Prev = "/" + e.Prev[1:] }, "prev"},
		{"prev-just-before-a", func(e *Event) { e.Prev = "`" + e.Prev[1:] }, "prev"},
		{"type-empty", func(e *Event) { e.Type = "" }, "type"},
		{"time-zero", func(e *Event) { e.Time = time.Time{} }, "time"},
		{"time-year-1", func(e *Event) { e.Time = time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC) }, ""},
		{"time-year-9999", func(e *Event) { e.Time = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) }, ""},
		{"time-year-10000", func(e *Event) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "out of range"},
		{"time-year-0", func(e *Event) { e.Time = time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC) }, "out of range"},
		{"actor-id-not-utf8", func(e *Event) { e.Actor.ID = "\xff" }, "UTF-8"},
		{"reason-not-utf8", func(e *Event) { e.Details.Reasons = []string{"ok", "bad \xc3"} }, "UTF-8"},
		{"counterparts-not-utf8", func(e *Event) { e.Details.Counterparts = []string{"\xed\xa0\x80"} }, "UTF-8"},
		{"request-not-utf8", func(e *Event) { e.Details.Request = &Request{LegalBasis: "\xff"} }, "UTF-8"},
		{"document-name-not-utf8", doc(func(d *Document) { d.Name = "data/\xff" }), "UTF-8"},
		{"document-media-type-not-utf8", doc(func(d *Document) { d.MediaType = "text/\xff" }), "UTF-8"},
		{"document-size-0", doc(func(d *Document) { d.Size = 0 }), ""},
		{"document-size-negative", doc(func(d *Document) { d.Size = -1 }), "size -1"},
		{"document-size-2^53-1", doc(func(d *Document) { d.Size = MaxSafeInteger }), ""},
		{"document-size-2^53", doc(func(d *Document) { d.Size = MaxSafeInteger + 1 }), "size"},
		{"document-sha256-upper-case", doc(func(d *Document) { d.SHA256 = strings.ToUpper(d.SHA256) }), "sha256"},
		{"document-sha256-short", doc(func(d *Document) { d.SHA256 = d.SHA256[:62] }), "sha256"},
		{"document-sha256-empty", doc(func(d *Document) { d.SHA256 = "" }), "sha256"},
		{"document-sha512-valid", doc(func(d *Document) { d.SHA512 = strings.Repeat("cd", 64) }), ""},
		{"document-sha512-short", doc(func(d *Document) { d.SHA512 = strings.Repeat("cd", 32) }), "sha512"},
		{"document-extraction-valid", doc(func(d *Document) { d.Extraction = strings.Repeat("ef", 32) }), ""},
		{"document-extraction-not-hex", doc(func(d *Document) { d.Extraction = strings.Repeat("x", 64) }), "extraction_sha256"},
		{"second-document-bad", func(e *Event) {
			e.Details.Documents = append(e.Details.Documents, Document{Name: "data/b.txt", SHA256: "b"})
		}, "data/b.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := validEvent()
			tc.edit(&e)
			err := e.checkFields()
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("checkFields = %v, want nil", err)
				}
				// What checkFields accepts is hashed, both ways alike.
				fast, err1 := e.CanonicalJSON()
				slow, err2 := e.canonicalViaJSON()
				if err1 != nil || err2 != nil || string(fast) != string(slow) {
					t.Errorf("CanonicalJSON = %s, %v; via JSON %s, %v", fast, err1, slow, err2)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("checkFields = %v, want an error saying %q", err, tc.reason)
			}
			if _, err := e.ComputeHash(); err == nil {
				t.Errorf("ComputeHash of a refused event = nil error")
			}
		})
	}
}

// TestParseEventTime: only the form TimeFormat writes is read.
func TestParseEventTime(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"2026-10-02T14:30:00.250000000Z", true},
		{"0001-01-01T00:00:00.000000001Z", true},
		{"2026-10-02T14:30:00Z", false},
		{"2026-10-02T14:30:00.25Z", false},
		{"2026-10-02T14:30:00.2500000000Z", false},
		{"2026-10-02T16:30:00.250000000+02:00", false},
		{"2026-10-02T14:30:00.250000000z", false},
		{"2026-10-02 14:30:00.250000000Z", false},
		{"2026-10-02T14:30:60.000000000Z", false},
		{"", false},
	} {
		got, err := parseEventTime(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("parseEventTime(%q) = %v, %v; want ok %v", tc.in, got, err, tc.ok)
			continue
		}
		if tc.ok && got.Format(TimeFormat) != tc.in {
			t.Errorf("parseEventTime(%q) = %s", tc.in, got.Format(TimeFormat))
		}
	}
}

// TestEventJSON: an event reads back as it was written; an unknown field, a time in another
// form and malformed JSON are refused.
func TestEventJSON(t *testing.T) {
	e := validEvent()
	e.Hash, e.Signature = strings.Repeat("12", 32), "c2ln"
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back Event
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("Unmarshal(%s) = %v", raw, err)
	}
	b1, _ := json.Marshal(back)
	if string(b1) != string(raw) || !back.Time.Equal(e.Time) || back.Seq != e.Seq || back.Hash != e.Hash {
		t.Errorf("round trip = %s, want %s", b1, raw)
	}
	for name, bad := range map[string]string{
		"unknown-field": strings.Replace(string(raw), `"seq":2`, `"seq":2,"approved":true`, 1),
		"time-form":     strings.Replace(string(raw), "14:30:00.250000000Z", "14:30:00.25Z", 1),
		"not-json":      string(raw[:len(raw)-1]),
		"time-type":     strings.Replace(string(raw), `"2026-10-02T14:30:00.250000000Z"`, `12`, 1),
	} {
		var got Event
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", name, got)
		}
	}
}
