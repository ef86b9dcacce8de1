// Command tampergen writes the custody tamper vectors: a good trail of a realistic bundle and
// named copies of it, each broken in one way, with the error Verify must report for it.
//
//	go run ./shared/custody/internal/tampergen [-out shared/custody/testdata/tamper]
//
// Output is deterministic (keys from fixed seeds, a fixed clock, deterministic Ed25519), so a
// test regenerates it and compares with the checked-in files.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

func main() {
	out := flag.String("out", "shared/custody/testdata/tamper", "folder to write the vectors to")
	flag.Parse()
	if err := generate(*out); err != nil {
		log.Fatal(err)
	}
}

// Origin is the log name in the vectors' checkpoints.
const Origin = "evx.example/custody"

// Bundle is the id of the bundle whose trail the vectors are.
const Bundle = "EVX-2026-0001"

func signer(seed string) *custody.Ed25519Signer {
	s := sha256.Sum256([]byte(seed))
	sg, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(s[:]))
	if err != nil {
		panic(err)
	}
	return sg
}

var (
	trusted = signer("evx tamper vectors: trusted key")
	other   = signer("evx tamper vectors: other key")
)

// documents are the bundle's payload files, written to documents/ (and, one of them changed,
// to documents-modified/).
var documents = []struct{ name, content string }{
	{"data/statement.txt", "Witness statement, 2026-10-02.\nThe parcel was collected at 14:05.\n"},
	{"data/seizure-report.txt", "Seizure report 17/2026: 12 packages, 11.8 kg.\n"},
	{"data/photos/parcel.txt", "placeholder for a photograph of the parcel\n"},
}

func docRecords() []custody.Document {
	var out []custody.Document
	for _, d := range documents {
		h := sha256.Sum256([]byte(d.content))
		out = append(out, custody.Document{Name: d.name, Size: int64(len(d.content)), SHA256: hex.EncodeToString(h[:])})
	}
	return out
}

func clock() func() time.Time {
	t := time.Date(2026, 10, 2, 14, 30, 0, 250_000_000, time.UTC)
	return func() time.Time {
		t = t.Add(97*time.Second + 1234567*time.Nanosecond)
		return t
	}
}

type step struct {
	bundle string
	typ    custody.EventType
	actor  custody.Actor
	d      custody.Details
}

// scenario is the bundle's life, interleaved with a second bundle so the log holds other leaves.
// The older checkpoint is taken after olderAfter steps.
func scenario(rewrite bool) ([]step, int) {
	ingest := custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}
	uploader := custody.Actor{Kind: custody.ActorUser, ID: "investigator.jansen@politie.example"}
	nl := custody.Actor{Kind: custody.ActorCounterpart, ID: "NL-OM"}
	docs := docRecords()
	if rewrite {
		// The rewritten history claims someone else submitted the bundle.
		uploader.ID = "investigator.peeters@politie.example"
	}
	ref := custody.Details{Documents: docs, Reference: "MLA-2026-BE-0042"}
	steps := []step{
		{Bundle, custody.SubmissionAcceptance, uploader, ref},
		{"EVX-2026-0002", custody.SubmissionRejection, uploader, custody.Details{Reasons: []string{"manifest-sha256.txt: data/x.pdf: checksum mismatch"}}},
		{Bundle, custody.Hashed, ingest, custody.Details{Documents: docs}},
		{Bundle, custody.Stored, ingest, custody.Details{Documents: docs}},
		{Bundle, custody.Extracted, ingest, custody.Details{Documents: docs[:2]}},
		{Bundle, custody.ContentConsignment, custody.Actor{Kind: custody.ActorSystem, ID: "route"}, custody.Details{Counterpart: "NL-OM"}},
		{"EVX-2026-0003", custody.SubmissionAcceptance, uploader, custody.Details{Reference: "MLA-2026-BE-0043"}},
		{Bundle, custody.ContentAccessTracking, nl, custody.Details{Documents: docs[:1], Counterpart: "NL-OM"}},
		{Bundle, custody.ConsignmentAcceptance, nl, custody.Details{Documents: docs, Counterpart: "NL-OM"}},
		{Bundle, custody.FixityCheck, custody.Actor{Kind: custody.ActorSystem, ID: "audit"}, custody.Details{Documents: docs}},
	}
	return steps, 6
}

// buildFuture records the scenario with its last event stamped 40 years ahead, and exports
// it on the scenario's clock.
func buildFuture() (*custody.Trail, error) {
	ctx := context.Background()
	base, ahead := clock(), false
	now := func() time.Time {
		t := base()
		if ahead {
			return t.AddDate(40, 0, 0)
		}
		return t
	}
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: trusted, Origin: Origin, Now: now}
	steps, olderAfter := scenario(false)
	for i, s := range steps {
		ahead = i == len(steps)-1
		if _, err := k.Record(ctx, s.bundle, s.typ, s.actor, s.d); err != nil {
			return nil, err
		}
	}
	ahead = false
	return k.Export(ctx, Bundle, custody.ExportOptions{ConsistencyFrom: uint64(olderAfter)})
}

// build records the scenario and returns the trail (with a consistency proof from the older
// checkpoint) and the older checkpoint.
func build(rewrite bool) (*custody.Trail, []byte, *custody.Keeper, error) {
	ctx := context.Background()
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: trusted, Origin: Origin, Now: clock()}
	steps, olderAfter := scenario(rewrite)
	var older []byte
	var olderSize uint64
	for i, s := range steps {
		if _, err := k.Record(ctx, s.bundle, s.typ, s.actor, s.d); err != nil {
			return nil, nil, nil, err
		}
		if i+1 == olderAfter {
			var err error
			if older, err = k.Checkpoint(ctx); err != nil {
				return nil, nil, nil, err
			}
			olderSize = uint64(i + 1)
		}
	}
	t, err := k.Export(ctx, Bundle, custody.ExportOptions{ConsistencyFrom: olderSize})
	return t, older, k, err
}

// tcase is one vector: the trail bytes and what verification must report.
type tcase struct {
	name, want, documents, checkpoint string
	data                              []byte
}

func generate(dir string) error {
	good, older, k, err := build(false)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var cases []tcase
	add := func(name, want string, t *custody.Trail) {
		cases = append(cases, tcase{name: name, want: want, data: marshal(t)})
	}
	add("good", "ok", good)

	for i, te := range good.Events {
		n := te.Event.Seq
		t := clone(good)
		t.Events[i].Event.Hash = flipHex(te.Event.Hash)
		add(fmt.Sprintf("bit-flip-@%d-hash", n), "EventHashError", t)

		t = clone(good)
		t.Events[i].Event.Signature = flipBase64(te.Event.Signature)
		add(fmt.Sprintf("bit-flip-@%d-signature", n), "SignatureError", t)

		t = clone(good)
		if d := &t.Events[i].Event.Details; len(d.Documents) > 0 {
			d.Documents = append([]custody.Document(nil), d.Documents...)
			d.Documents[0].SHA256 = flipHex(d.Documents[0].SHA256)
		} else {
			d.Counterpart = string(flipByte([]byte(d.Counterpart)))
		}
		add(fmt.Sprintf("bit-flip-@%d-details", n), "EventHashError", t)

		if n > 1 {
			t = clone(good)
			t.Events[i].Event.Prev = flipHex(te.Event.Prev)
			add(fmt.Sprintf("bit-flip-@%d-prev", n), "BreakError", t)
		}
		if len(te.Proof) > 0 {
			t = clone(good)
			t.Events[i].Proof = append([]string(nil), te.Proof...)
			t.Events[i].Proof[0] = flipHex(te.Proof[0])
			add(fmt.Sprintf("bit-flip-@%d-proof", n), "InclusionError", t)
		}
	}

	t := clone(good)
	t.Events = append(t.Events[:2:2], t.Events[3:]...)
	add("dropped-event", "BreakError", t)

	t = clone(good)
	t.Events[2], t.Events[3] = t.Events[3], t.Events[2]
	add("reordered", "BreakError", t)

	t = clone(good)
	t.Events = append(t.Events[:3:3], t.Events[2:]...)
	add("duplicated", "BreakError", t)

	// An event of another bundle, validly signed and in the log, slipped in.
	otherEvs, err := k.Ledger.Events(ctx, "EVX-2026-0003")
	if err != nil {
		return err
	}
	otherTrail, err := k.Export(ctx, "EVX-2026-0003", custody.ExportOptions{})
	if err != nil || len(otherEvs) != 1 {
		return fmt.Errorf("other bundle: %v", err)
	}
	t = clone(good)
	t.Events = append(t.Events[:4:4], append([]custody.TrailEvent{otherTrail.Events[0]}, t.Events[4:]...)...)
	add("event-from-other-bundle", "BundleError", t)

	// Backdated by someone holding the signing key: the chain is re-linked and re-signed, but
	// the log's leaf is the original event.
	t = clone(good)
	if err := resealFrom(t, 3, trusted, func(e *custody.Event) {
		prev := t.Events[2].Event.Time
		e.Time = prev.Add(e.Time.Sub(prev) / 2)
	}); err != nil {
		return err
	}
	add("backdated", "InclusionError", t)

	t = clone(good)
	if err := resealFrom(t, 3, trusted, func(e *custody.Event) { e.Time = t.Events[2].Event.Time.Add(-time.Hour) }); err != nil {
		return err
	}
	add("backdated-before-predecessor", "TimeOrderError", t)

	// Every event re-signed with another key (and re-linked): the trusted key signed none.
	t = clone(good)
	if err := resealFrom(t, 0, other, func(*custody.Event) {}); err != nil {
		return err
	}
	add("wrong-key", "SignatureError", t)

	// The last event stamped by a clock set 40 years ahead (then set back), signed by the
	// trusted key and in the log: it is dated after the export time the checkpoint states.
	future, err := buildFuture()
	if err != nil {
		return err
	}
	add("future-dated", "FutureEventError", future)

	// The checkpoint signed by another key under the same name.
	t = clone(good)
	body, _, _ := strings.Cut(good.Checkpoint, "\n\n")
	cp, err := custody.SignCheckpoint(ctx, other, Origin, checkpointSize(body), checkpointRoot(body))
	if err != nil {
		return err
	}
	t.Checkpoint = string(cp)
	add("wrong-key-checkpoint", "CheckpointError", t)

	// A checkpoint whose root was replaced, signature kept.
	t = clone(good)
	lines := strings.SplitN(good.Checkpoint, "\n", 4)
	fake := sha256.Sum256([]byte("forged root"))
	lines[2] = base64.StdEncoding.EncodeToString(fake[:])
	t.Checkpoint = strings.Join(lines, "\n")
	add("forged-checkpoint", "CheckpointError", t)

	// The list of keys offered to people checking by hand names another key.
	t = clone(good)
	otherKey, err := custody.PublicKeyOf(other.Public())
	if err != nil {
		return err
	}
	t.Keys = []custody.PublicKey{otherKey}
	add("forged-key-list", "FormatError", t)

	t = clone(good)
	t.Events[1].Proof = t.Events[1].Proof[:len(t.Events[1].Proof)-1]
	add("truncated-proof", "InclusionError", t)

	cases = append(cases, tcase{name: "trailing-garbage", want: "FormatError", data: append(marshal(good), "\n{\"events\": []}\n"...)})
	g := marshal(good)
	cases = append(cases, tcase{name: "truncated", want: "FormatError", data: g[:len(g)/2]})
	cases = append(cases, tcase{name: "unknown-field", want: "FormatError",
		data: bytes.Replace(g, []byte(`"seq": 2,`), []byte(`"seq": 2, "approved_by": "nobody",`), 1)})

	t = clone(good)
	t.Consistency = nil
	add("missing-consistency-proof", "ConsistencyError", t)

	// History rewritten by someone holding the key: a new log, valid on its own, whose first
	// leaves differ from those the older checkpoint commits to.
	rewritten, _, _, err := build(true)
	if err != nil {
		return err
	}
	add("rewritten-history", "ConsistencyError", rewritten)

	add("document-modified", "DocumentHashError", good)
	cases[len(cases)-1].documents = "documents-modified"

	// Write everything.
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for _, sub := range []string{"documents", "documents-modified"} {
		for i, d := range documents {
			content := d.content
			if sub == "documents-modified" && i == 1 {
				content = strings.Replace(content, "11.8 kg", "1.8 kg", 1)
			}
			p := filepath.Join(dir, sub, filepath.FromSlash(d.name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				return err
			}
		}
	}
	files := map[string][]byte{
		"key.pem":       pubPEM(trusted),
		"other-key.pem": pubPEM(other),
		"older.txt":     older,
	}
	var tsv strings.Builder
	tsv.WriteString("# name\twant\tdocuments\tcheckpoint (generated by go run ./shared/custody/internal/tampergen)\n")
	for _, c := range cases {
		if c.documents == "" {
			c.documents = "documents"
		}
		c.checkpoint = "older.txt"
		files[c.name+".json"] = c.data
		fmt.Fprintf(&tsv, "%s\t%s\t%s\t%s\n", c.name, c.want, c.documents, c.checkpoint)
	}
	files["cases.tsv"] = []byte(tsv.String())
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// resealFrom applies change to event i, then re-seals it and every later event with s,
// re-linking the chain, as an insider holding a key could.
func resealFrom(t *custody.Trail, i int, s custody.Signer, change func(*custody.Event)) error {
	for j := i; j < len(t.Events); j++ {
		e := &t.Events[j].Event
		if j == i {
			change(e)
		}
		if j > 0 {
			e.Prev = t.Events[j-1].Event.Hash
		}
		if err := custody.Seal(context.Background(), s, e); err != nil {
			return err
		}
	}
	return nil
}

func clone(t *custody.Trail) *custody.Trail {
	c := *t
	c.Events = append([]custody.TrailEvent(nil), t.Events...)
	if t.Consistency != nil {
		cc := *t.Consistency
		c.Consistency = &cc
	}
	return &c
}

func marshal(t *custody.Trail) []byte {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// flipHex flips the lowest bit of the hex digit in the middle of s.
func flipHex(s string) string {
	b := []byte(s)
	i := len(b) / 2
	v, _ := hex.DecodeString("0" + string(b[i]))
	b[i] = hex.EncodeToString([]byte{v[0] ^ 1})[1]
	return string(b)
}

func flipBase64(s string) string {
	raw, _ := base64.StdEncoding.DecodeString(s)
	return base64.StdEncoding.EncodeToString(flipByte(raw))
}

func flipByte(b []byte) []byte {
	b = append([]byte(nil), b...)
	b[len(b)/2] ^= 1
	return b
}

func checkpointSize(body string) uint64 {
	var size uint64
	fmt.Sscan(strings.Split(body, "\n")[1], &size)
	return size
}

func checkpointRoot(body string) []byte {
	r, _ := base64.StdEncoding.DecodeString(strings.Split(body, "\n")[2])
	return r
}

func pubPEM(s custody.Signer) []byte {
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
