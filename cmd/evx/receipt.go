package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// receiptSeal are the flags that seal a counterpart's receipts: its agency's private key,
// the agency (default: --counterpart) and the officer who answers.
type receiptSeal struct {
	key, agency, person *string
	counterpart         *string // the exchange's --counterpart, the default agency
}

func (r *receiptSeal) register(fs *flag.FlagSet, counterpart *string) {
	r.key = fs.String("seal-key", "", "seal each receipt statement with your agency's private key `FILE` (PEM, Ed25519 or ECDSA P-256; docs/seals.md)")
	r.agency = fs.String("agency", "", "with --seal-key: your agency's `ID` (default: --counterpart)")
	r.person = fs.String("person", "", "with --seal-key: the `PERSON` of your agency who answers")
	r.counterpart = counterpart
}

// signer returns the seal signer, nil without --seal-key.
func (r *receiptSeal) signer() (custody.Signer, error) {
	if *r.key == "" {
		if *r.person != "" || *r.agency != "" {
			return nil, errors.New("--agency and --person name who seals: give --seal-key too")
		}
		return nil, nil
	}
	if *r.agency == "" {
		*r.agency = *r.counterpart
	}
	if *r.agency == "" || *r.person == "" {
		return nil, errors.New("--seal-key needs --person (and --agency with --server): the statement names the agency and the person who answers")
	}
	data, err := os.ReadFile(*r.key)
	if err != nil {
		return nil, err
	}
	s, err := custody.ParseSealKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", *r.key, err)
	}
	return s, nil
}

// answer is a counterpart's answer to one delivery, before it is posted.
type answer struct {
	accept bool
	codes  []string          // reason codes of a refusal
	note   string            // free text
	refuse map[string]string // documents refused (name: reason code), the others accepted
}

// receiptRequest builds the receipt to post for delivery d with the hashes computed: a
// sealed statement when s is set, else the plain request.
func receiptRequest(ctx context.Context, s custody.Signer, agency, person string, d pipeline.Delivery, computed []pipeline.ReceiptDocument, a answer) (pipeline.ReceiptRequest, error) {
	for _, c := range append(slices.Clone(a.codes), mapValues(a.refuse)...) {
		if !slices.Contains(custody.ReasonCodes, c) {
			return pipeline.ReceiptRequest{}, fmt.Errorf("reason code %q: want one of %s (docs/seals.md)", c, strings.Join(custody.ReasonCodes, ", "))
		}
	}
	if !a.accept && len(a.codes) == 0 {
		return pipeline.ReceiptRequest{}, errors.New("a refusal needs a --reason CODE")
	}
	if s == nil {
		req := pipeline.ReceiptRequest{Accepted: a.accept, Documents: computed, Reasons: slices.Clone(a.codes)}
		for _, doc := range slices.Sorted(mapKeys(a.refuse)) {
			req.Reasons = append(req.Reasons, doc+": "+a.refuse[doc])
		}
		if a.note != "" {
			req.Reasons = append(req.Reasons, a.note)
		}
		return req, nil
	}
	st := custody.ReceiptStatement{Agency: agency, Person: person, Delivery: d.ID, Bundle: d.BundleID,
		Outcome: custody.OutcomeAccepted, ReasonCodes: a.codes, Note: a.note}
	if !a.accept {
		st.Outcome = custody.OutcomeRefused
	}
	for _, doc := range computed {
		sd := custody.StatementDocument{Name: doc.Name, SHA256: doc.SHA256, Outcome: custody.OutcomeAccepted}
		if code, ok := a.refuse[doc.Name]; ok {
			sd.Outcome, sd.Reason = custody.OutcomeRefused, code
		}
		st.Documents = append(st.Documents, sd)
	}
	stmt, sig, err := custody.SignReceiptStatement(func(m []byte) ([]byte, error) { return s.Sign(ctx, m) }, s.KeyID(), &st, time.Now())
	if err != nil {
		return pipeline.ReceiptRequest{}, err
	}
	return pipeline.ReceiptRequest{Statement: base64.StdEncoding.EncodeToString(stmt), Signature: base64.StdEncoding.EncodeToString(sig), KeyID: s.KeyID()}, nil
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

const receiptUsage = `Usage:
  evx receipt accept DELIVERY [--note TEXT] [--refuse NAME=CODE]... [--out DIR] [--seal-key FILE --person NAME [--agency ID]] [--server URL --token-file F | --data DIR --counterpart ID]
  evx receipt reject DELIVERY --reason CODE... [--note TEXT] [--out DIR] [--seal-key FILE --person NAME [--agency ID]] [--server URL --token-file F | --data DIR --counterpart ID]

Answers a delivery fetched before with evx pull --review (its folder DIR/DELIVERY): accept it,
refusing single documents with --refuse NAME=CODE, or reject it with reason codes and a note.
The hashes are computed again over the files in the folder. With --seal-key the answer is a
statement sealed with your agency's key (docs/seals.md). Reason codes: ` + "hash-mismatch, incomplete, unreadable, not-competent, legal-basis-insufficient, wrong-recipient, other" + `.

Exit codes: 0 answered, 1 refused by evx, 2 usage or I/O error.
`

func runReceipt(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, receiptUsage)
		return exitUsage
	}
	switch args[0] {
	case "accept", "reject":
	case "-h", "--help", "help":
		io.WriteString(stderr, receiptUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "evx receipt: unknown subcommand %q: want accept or reject\n\n%s", args[0], receiptUsage)
		return exitUsage
	}
	accept := args[0] == "accept"
	fs := newFlagSet("evx receipt "+args[0], stderr, receiptUsage+"\nOptions:\n")
	var ex exchangeFlags
	ex.register(fs, "counterpart")
	var codes, refusals repeated
	fs.Var(&codes, "reason", "a reason `CODE` of the refusal (repeatable)")
	fs.Var(&refusals, "refuse", "with accept: refuse document `NAME=CODE` (repeatable)")
	note := fs.String("note", "", "a free-text note to the answer")
	out := fs.String("out", "deliveries", "the folder evx pull --review wrote the delivery into")
	var seal receiptSeal
	seal.register(fs, &ex.counterpart)
	pos, code, ok := parseArgs(fs, args[1:])
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "evx receipt: name one DELIVERY")
		return exitUsage
	}
	if accept && len(codes) > 0 {
		fmt.Fprintln(stderr, "evx receipt accept: --reason is for reject; refuse single documents with --refuse NAME=CODE")
		return exitUsage
	}
	a := answer{accept: accept, codes: codes, note: *note, refuse: map[string]string{}}
	for _, r := range refusals {
		name, c, ok := strings.Cut(r, "=")
		if !ok || name == "" {
			fmt.Fprintf(stderr, "evx receipt: --refuse %q: want NAME=CODE\n", r)
			return exitUsage
		}
		a.refuse[name] = c
	}
	signer, err := seal.signer()
	if err != nil {
		fmt.Fprintln(stderr, "evx receipt:", err)
		return exitUsage
	}
	id := pos[0]
	folder := filepath.Join(*out, id)
	raw, err := os.ReadFile(filepath.Join(folder, manifestFile))
	if err != nil {
		fmt.Fprintf(stderr, "evx receipt: %v (fetch the delivery first: evx pull --review)\n", err)
		return exitUsage
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Delivery.ID != id {
		fmt.Fprintf(stderr, "evx receipt: %s is not the manifest of delivery %s\n", filepath.Join(folder, manifestFile), id)
		return exitUsage
	}
	root, err := os.OpenRoot(folder)
	if err != nil {
		fmt.Fprintln(stderr, "evx receipt:", err)
		return exitUsage
	}
	defer root.Close()
	var computed []pipeline.ReceiptDocument
	for _, doc := range m.Documents {
		f, err := root.Open(doc.Name)
		if err != nil {
			continue // not there: not reported, evx finds it missing
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			fmt.Fprintln(stderr, "evx receipt:", err)
			return exitUsage
		}
		computed = append(computed, pipeline.ReceiptDocument{Name: doc.Name, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	for name := range a.refuse {
		if !slices.ContainsFunc(m.Documents, func(d custody.Document) bool { return d.Name == name }) {
			fmt.Fprintf(stderr, "evx receipt: --refuse %s: the delivery has no such document\n", name)
			return exitUsage
		}
	}
	req, err := receiptRequest(ctx, signer, *seal.agency, *seal.person, m.Delivery, computed, a)
	if err != nil {
		fmt.Fprintln(stderr, "evx receipt:", err)
		return exitUsage
	}
	x, err := ex.open(ctx, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "evx receipt:", err)
		return exitUsage
	}
	defer x.close()
	rc, err := x.postReceipt(ctx, id, req)
	if err != nil {
		fmt.Fprintln(stderr, "evx receipt:", err)
		return exitInvalid
	}
	if err := writeJSONIn(root, receiptFile, rc); err != nil {
		fmt.Fprintln(stderr, "evx receipt:", err)
		return exitInvalid
	}
	sealed := ""
	if signer != nil {
		sealed = ", sealed by " + signer.KeyID()
	}
	fmt.Fprintf(stdout, "delivery %s: %s%s; evx's signed receipt: %s\n", id, outcomeName(rc.Outcome), sealed, filepath.Join(folder, receiptFile))
	for _, f := range rc.Findings {
		fmt.Fprintf(stdout, "  evx found: %s\n", f)
	}
	return exitOK
}
