// Command tampergen writes the custody tamper vectors: a good trail of a realistic bundle and
// named copies of it, each broken in one way, with the error Verify must report for it. The
// trail exists twice, signed with Ed25519 (embedded mode, cases.tsv, key.pem) and with ECDSA
// P-256 (KMS on AWS, ecdsa-cases.tsv, ecdsa-key.pem); each list names, for each case, the error
// it must give, its documents folder and the older checkpoint it is verified with.
//
//	go run ./shared/custody/internal/tampergen [-out shared/custody/testdata/tamper]
//	go generate ./shared/custody
//
// Output is deterministic (keys from fixed seeds, a fixed clock, deterministic Ed25519 and
// RFC 6979 ECDSA), so a test regenerates it and compares with the checked-in files.
package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
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

// ecdsaSigner signs as a KMS ECDSA_SHA_256 key does: ASN.1 DER over SHA-256(message).
// crypto/ecdsa signs deterministically (RFC 6979) when given no random source.
type ecdsaSigner struct {
	key *ecdsa.PrivateKey
	id  string
}

func ecdsaKey(seed string) *ecdsaSigner {
	s := sha256.Sum256([]byte(seed))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), s[:])
	if err != nil {
		panic(err)
	}
	id, err := custody.KeyIDOf(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return &ecdsaSigner{key: k, id: id}
}

func (s *ecdsaSigner) KeyID() string            { return s.id }
func (s *ecdsaSigner) Public() crypto.PublicKey { return &s.key.PublicKey }
func (s *ecdsaSigner) Sign(_ context.Context, m []byte) ([]byte, error) {
	h := sha256.Sum256(m)
	return s.key.Sign(nil, h[:], crypto.SHA256)
}

// impostor signs with one key while naming another: what a thief of the name, not of the
// key, would produce.
type impostor struct {
	custody.Signer
	claims string
}

func (s impostor) KeyID() string { return s.claims }

var (
	trusted = signer("evx tamper vectors: trusted key")
	other   = signer("evx tamper vectors: other key")
	// The same bundle's trail as evx on AWS writes it, signed by a KMS ECDSA P-256 key.
	trustedEC = ecdsaKey("evx tamper vectors: trusted P-256 key")
	otherEC   = ecdsaKey("evx tamper vectors: other P-256 key")
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
func build(s custody.Signer, rewrite bool) (*custody.Trail, []byte, *custody.Keeper, error) {
	ctx := context.Background()
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: s, Origin: Origin, Now: clock()}
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

// tcase is one vector: the trail, the files it is verified with (trusted key, documents
// folder, older checkpoint), and what verification must report.
type tcase struct {
	name, want                 string
	key, documents, checkpoint string
	data                       []byte
}

func generate(dir string) error {
	good, older, k, err := build(trusted, false)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var cases []tcase
	add := func(name, want string, t *custody.Trail) {
		cases = append(cases, tcase{name: name, want: want, data: marshal(t)})
	}
	files := map[string][]byte{}
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

	// The last event removed: the checkpoint commits to it as the bundle's head.
	t = clone(good)
	t.Events = t.Events[:len(t.Events)-1]
	add("cut-at-end", "TruncatedError", t)

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
	rewritten, _, rk, err := build(trusted, true)
	if err != nil {
		return err
	}
	add("rewritten-history", "ConsistencyError", rewritten)

	add("document-modified", "DocumentHashError", good)
	cases[len(cases)-1].documents = "documents-modified"

	more, err := malformed(ctx, good, older, rk, files)
	if err != nil {
		return err
	}
	cases = append(cases, more...)
	ec, err := ecdsaCases(ctx, files)
	if err != nil {
		return err
	}
	cases = append(cases, ec...)
	mc, err := manifestCases(ctx, files)
	if err != nil {
		return err
	}
	cases = append(cases, mc...)

	wcs, err := witnessCases(ctx, k, good, files)
	if err != nil {
		return err
	}
	var wtsv strings.Builder
	wtsv.WriteString("# name\twant\tquorum\twitness keys (verified with key.pem, documents, older.txt; generated by go run ./shared/custody/internal/tampergen)\n")
	for _, c := range wcs {
		files[c.name+".json"] = marshal(c.t)
		fmt.Fprintf(&wtsv, "%s\t%s\t%d\t%s\n", c.name, c.want, c.quorum, strings.Join(c.keys, ","))
	}
	files["witness-cases.tsv"] = []byte(wtsv.String())

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
	files["key.pem"] = pubPEM(trusted)
	files["other-key.pem"] = pubPEM(other)
	files["older.txt"] = older
	// cases.tsv lists the Ed25519 cases (trusted key key.pem), ecdsa-cases.tsv the ECDSA P-256
	// ones (ecdsa-key.pem); each case's trail is <name>.json.
	tsv := map[string]*strings.Builder{"key.pem": {}, "ecdsa-key.pem": {}}
	lists := map[string]string{"key.pem": "cases.tsv", "ecdsa-key.pem": "ecdsa-cases.tsv"}
	for _, b := range tsv {
		b.WriteString("# name\twant\tdocuments\tcheckpoint (generated by go run ./shared/custody/internal/tampergen)\n")
	}
	for _, c := range cases {
		if c.documents == "" {
			c.documents = "documents"
		}
		if c.checkpoint == "" {
			c.checkpoint = "older.txt"
		}
		if c.key == "" {
			c.key = "key.pem"
		}
		if _, dup := files[c.name+".json"]; dup {
			return fmt.Errorf("two cases named %s", c.name)
		}
		files[c.name+".json"] = c.data
		fmt.Fprintf(tsv[c.key], "%s\t%s\t%s\t%s\n", c.name, c.want, c.documents, c.checkpoint)
	}
	for key, b := range tsv {
		files[lists[key]] = []byte(b.String())
	}
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

// malformed makes the trails that only someone holding the signing key can make: every
// event correctly hashed and signed, yet the trail breaks a rule the verifier checks before
// or besides the signatures. rk is the keeper of the rewritten history (a fork of the log).
func malformed(ctx context.Context, good *custody.Trail, older []byte, rk *custody.Keeper, files map[string][]byte) ([]tcase, error) {
	var cases []tcase
	add := func(name, want string, t *custody.Trail) {
		cases = append(cases, tcase{name: name, want: want, data: marshal(t)})
	}

	// A seq that skips: event 3 says it is event 5.
	t := clone(good)
	if err := resealFrom(t, 2, trusted, func(e *custody.Event) { e.Seq = 5 }); err != nil {
		return nil, err
	}
	add("seq-skipped", "SequenceError", t)

	// A field the canonical form refuses (an upper-case hex digest), hashed and signed
	// anyway, as a verifier with a laxer reader would see it.
	t = clone(good)
	if err := rawResealFrom(t, 2, trusted, func(e *custody.Event) {
		e.Details.Documents = append([]custody.Document(nil), e.Details.Documents...)
		e.Details.Documents[0].SHA256 = strings.ToUpper(e.Details.Documents[0].SHA256)
	}); err != nil {
		return nil, err
	}
	add("field-upper-case-sha256", "FormatError", t)

	// Signed by the trusted key, but naming another key as its signer.
	otherID := other.KeyID()
	t = clone(good)
	if err := resealFrom(t, 2, impostor{trusted, otherID}, func(*custody.Event) {}); err != nil {
		return nil, err
	}
	add("key-id-of-other-key", "SignatureError", t)

	// Naming the trusted key, signed by another one.
	t = clone(good)
	if err := resealFrom(t, 2, impostor{other, trusted.KeyID()}, func(*custody.Event) {}); err != nil {
		return nil, err
	}
	add("signed-by-other-key", "SignatureError", t)

	// A consistency proof whose hashes are not hex.
	t = clone(good)
	t.Consistency.Proof = append([]string(nil), t.Consistency.Proof...)
	t.Consistency.Proof[0] = "not hex: " + t.Consistency.Proof[0][9:]
	add("consistency-proof-not-hex", "FormatError", t)

	// Older checkpoints, signed by the trusted key, that the trail cannot extend.
	body, _, _ := strings.Cut(string(older), "\n\n")
	olderRoot := checkpointRoot(body)
	for _, o := range []struct {
		name, origin string
		size         uint64
		root         []byte
	}{
		{"older-of-other-origin", "evx.example/other-log", checkpointSize(body), olderRoot},
		{"older-larger-than-trail", Origin, uint64(len(good.Events)) + 100, olderRoot},
	} {
		cp, err := custody.SignCheckpoint(ctx, trusted, o.origin, o.size, o.root)
		if err != nil {
			return nil, err
		}
		files[o.name+".txt"] = cp
		cases = append(cases, tcase{name: o.name, want: "ConsistencyError", data: marshal(good), checkpoint: o.name + ".txt"})
	}
	// A fork at equal size: the rewritten log's checkpoint has the trail's size, not its root.
	fork, err := rk.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if checkpointSize(string(fork)) != checkpointSize(good.Checkpoint) {
		return nil, fmt.Errorf("fork checkpoint of another size than the trail's")
	}
	files["fork-at-equal-size.txt"] = fork
	cases = append(cases, tcase{name: "fork-at-equal-size", want: "ConsistencyError", data: marshal(good), checkpoint: "fork-at-equal-size.txt"})

	// A document recorded under a name that leaves the documents folder, in a log of its own
	// (so that everything else verifies). testdata/tamper/outside.txt is the file the name
	// points at, with the recorded hash: only the name check stops it.
	const outside = "data outside the documents folder\n"
	files["outside.txt"] = []byte(outside)
	sum := sha256.Sum256([]byte(outside))
	k := &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: trusted, Origin: Origin, Now: clock()}
	if _, err := k.Record(ctx, Bundle, custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"},
		custody.Details{Documents: []custody.Document{{Name: "../outside.txt", Size: int64(len(outside)), SHA256: hex.EncodeToString(sum[:])}}}); err != nil {
		return nil, err
	}
	t, err = k.Export(ctx, Bundle, custody.ExportOptions{})
	if err != nil {
		return nil, err
	}
	cp, err := k.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	files["document-outside-bundle-older.txt"] = cp
	cases = append(cases, tcase{name: "document-outside-bundle", want: "DocumentHashError", data: marshal(t), checkpoint: "document-outside-bundle-older.txt"})
	return cases, nil
}

// ecdsaCases are the vectors of a trail signed with ECDSA P-256, as evx on AWS signs with a
// KMS key: the good trail, a flipped bit in each event signature, in the checkpoint's text and
// in its signature, and signatures by another P-256 key.
func ecdsaCases(ctx context.Context, files map[string][]byte) ([]tcase, error) {
	good, older, _, err := build(trustedEC, false)
	if err != nil {
		return nil, err
	}
	files["ecdsa-key.pem"] = pubPEM(trustedEC)
	files["ecdsa-other-key.pem"] = pubPEM(otherEC)
	files["ecdsa-older.txt"] = older
	var cases []tcase
	add := func(name, want string, t *custody.Trail) {
		cases = append(cases, tcase{name: "ecdsa-" + name, want: want, data: marshal(t), key: "ecdsa-key.pem", checkpoint: "ecdsa-older.txt"})
	}
	add("good", "ok", good)
	for i, te := range good.Events {
		t := clone(good)
		t.Events[i].Event.Signature = flipBase64(te.Event.Signature)
		add(fmt.Sprintf("bit-flip-@%d-signature", te.Event.Seq), "SignatureError", t)
	}

	// Naming the trusted key, signed by another P-256 key.
	t := clone(good)
	if err := resealFrom(t, 3, impostor{otherEC, trustedEC.KeyID()}, func(*custody.Event) {}); err != nil {
		return nil, err
	}
	add("signed-by-other-key", "SignatureError", t)

	// Every event and the checkpoint re-made with another P-256 key.
	t = clone(good)
	if err := resealFrom(t, 0, otherEC, func(*custody.Event) {}); err != nil {
		return nil, err
	}
	add("wrong-key", "SignatureError", t)

	body, sigs, _ := strings.Cut(good.Checkpoint, "\n\n")
	t = clone(good)
	cp, err := custody.SignCheckpoint(ctx, otherEC, Origin, checkpointSize(body), checkpointRoot(body))
	if err != nil {
		return nil, err
	}
	t.Checkpoint = string(cp)
	add("wrong-key-checkpoint", "CheckpointError", t)

	// One bit of the root flipped, the signature kept.
	root := checkpointRoot(body)
	root[len(root)/2] ^= 1
	lines := strings.Split(body, "\n")
	lines[2] = base64.StdEncoding.EncodeToString(root)
	t = clone(good)
	t.Checkpoint = strings.Join(lines, "\n") + "\n\n" + sigs
	add("bit-flip-checkpoint-text", "CheckpointError", t)

	// One bit of the signature flipped (after the 4-byte key hash), the text kept.
	name, b64, _ := strings.Cut(strings.TrimPrefix(strings.TrimSuffix(sigs, "\n"), "\u2014 "), " ")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	t = clone(good)
	t.Checkpoint = body + "\n\n\u2014 " + name + " " + base64.StdEncoding.EncodeToString(flipByte(raw)) + "\n"
	add("bit-flip-checkpoint-signature", "CheckpointError", t)
	return cases, nil
}

// rawResealFrom is resealFrom for an event whose fields custody.Seal refuses: the hash is
// SHA-256(0x00 || RFC 8785 form of the event's JSON without hash and signature), computed
// with custody.Canonicalize, and signed by s; later events are re-linked and re-sealed.
func rawResealFrom(t *custody.Trail, i int, s custody.Signer, change func(*custody.Event)) error {
	e := &t.Events[i].Event
	change(e)
	e.KeyID, e.Hash, e.Signature = s.KeyID(), "", ""
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	c, err := custody.Canonicalize(raw)
	if err != nil {
		return err
	}
	h := custody.LeafHash(c)
	sig, err := s.Sign(context.Background(), h[:])
	if err != nil {
		return err
	}
	e.Hash, e.Signature = hex.EncodeToString(h[:]), base64.StdEncoding.EncodeToString(sig)
	if i+1 < len(t.Events) {
		return resealFrom(t, i+1, s, func(*custody.Event) {})
	}
	return nil
}
