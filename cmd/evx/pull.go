package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"unicode"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// pulled is what pull did with one delivery.
type pulled struct {
	Delivery   string     `json:"delivery"`
	Bundle     string     `json:"bundle"`
	Folder     string     `json:"folder"`
	Documents  int        `json:"documents"`
	Bytes      int64      `json:"bytes"` // bytes of the documents as recorded
	Mismatches []mismatch `json:"mismatches,omitempty"`
	Outcome    string     `json:"outcome"` // accepted, rejected, unanswered, reviewing (--review), failed
	// Error says why the delivery failed (outcome failed): a name the server sent that evx
	// refuses, a request refused, a folder it may not write.
	Error string `json:"error,omitempty"`
	// State is the delivery's state after this pull, as manifest.json records it.
	State pipeline.DeliveryState `json:"state"`
	// Receipt is the file name of the signed receipt inside Folder.
	Receipt string `json:"receipt,omitempty"`
	// ReceiptFetched: the receipt was fetched from the server (GET .../receipt) because this
	// inbox lacked it (its delivery was answered before, and the answer lost).
	ReceiptFetched bool `json:"receipt_fetched,omitempty"`
	// ReceiptError says why the receipt evx returned did not verify with its key; the receipt
	// is then kept as receipt.unverified.json.
	ReceiptError string `json:"receipt_error,omitempty"`
}

// mismatch is a document that did not arrive as recorded: altered, short, or longer.
type mismatch struct {
	Name     string `json:"name"`
	Want     string `json:"want"` // SHA-256 recorded at ingest
	Got      string `json:"got"`  // SHA-256 of what arrived
	WantSize int64  `json:"want_size"`
	GotSize  int64  `json:"got_size"`
	Reason   string `json:"reason"`
}

func (m mismatch) String() string { return m.Name + ": " + m.Reason }

// Files of a delivery folder besides its documents (which all sit under data/).
const (
	manifestFile      = "manifest.json"
	receiptFile       = "receipt.json"
	unverifiedReceipt = "receipt.unverified.json"
)

func runPull(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx pull", stderr,
		"Usage: evx pull [--server URL --token-file F | --data DIR --counterpart ID] [--key EVX-PUBLIC.pem] [--out DIR] [--reject-on-mismatch] [--review] [--seal-key FILE --person NAME [--agency ID]] [--witness-key FILE [--witness-state DIR]] [--json]\n"+
			"Fetches every delivery still awaiting your receipt into DIR/DELIVERY-ID/, checks each document\n"+
			"against its recorded size and SHA-256 and posts the receipt: accepted when all match; on a\n"+
			"mismatch (altered, short or longer) rejected with --reject-on-mismatch, else left unanswered.\n"+
			"Each signed receipt evx returns is checked with evx's public key (--key, else the key the\n"+
			"server or data folder gives, with a note) and saved beside the documents: receipt.json, or\n"+
			unverifiedReceipt+" when its signature does not verify. A delivery answered before whose\n"+
			"folder lacks its receipt gets it fetched from the server. manifest.json records the\n"+
			"delivery's state after the receipt. Every write stays inside DIR (links included).\n"+
			"With --witness-key, pull then witnesses evx's log as evx witness does (a fork exits 1).\n"+
			"Exit status: 0 every delivery accepted (or none waiting), 1 a mismatch, an unverified receipt\n"+
			"or a failure, 2 usage or an unreadable key.\n")
	var ex exchangeFlags
	ex.register(fs, "counterpart")
	out := fs.String("out", "deliveries", "folder to write each delivery into (one sub-folder per delivery)")
	rejectMismatch := fs.Bool("reject-on-mismatch", false, "reject a delivery whose documents do not match their recorded SHA-256 (else leave it unanswered)")
	keyFile := fs.String("key", "", "evx's public key (PEM) you trust, to check the receipts with (default: the key the server gives)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	review := fs.Bool("review", false, "fetch and check every delivery, answer none: answer later with evx receipt accept|reject")
	var seal receiptSeal
	seal.register(fs, &ex.counterpart)
	var wf witnessFlags
	wf.register(fs, "witness-") // --witness-key, --witness-state: one witness round after the pull (evx witness)
	if pos, code, ok := parseArgs(fs, args); !ok {
		return code
	} else if len(pos) != 0 {
		fmt.Fprintf(stderr, "evx pull: unexpected argument %q: pull takes no arguments, only options\n", pos[0])
		return exitUsage
	}
	if s, err := ex.resolve(); err == nil && s.server == "" && s.counterpart == "" {
		fmt.Fprintln(stderr, "evx pull: say which counterpart you are: --counterpart ID (with --data)")
		return exitUsage
	}
	x, err := ex.open(ctx, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "evx pull:", err)
		return exitUsage
	}
	defer x.close()
	pub, code := receiptKey(ctx, x, *keyFile, stderr)
	if code != exitOK {
		return code
	}
	signer, err := seal.signer()
	if err != nil {
		fmt.Fprintln(stderr, "evx pull:", err)
		return exitUsage
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		fmt.Fprintln(stderr, "evx pull:", err)
		return exitUsage
	}
	inbox, err := os.OpenRoot(*out)
	if err != nil {
		fmt.Fprintln(stderr, "evx pull:", err)
		return exitUsage
	}
	defer inbox.Close()
	ds, err := x.deliveries(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "evx pull:", err)
		return exitInvalid
	}
	pl := &puller{x: x, pub: pub, inbox: inbox, out: *out, rejectMismatch: *rejectMismatch, stderr: stderr, quiet: *asJSON,
		review: *review, signer: signer, agency: *seal.agency, person: *seal.person}
	results := []pulled{}
	for _, d := range ds {
		if ctx.Err() != nil {
			return exitInvalid
		}
		failed := func(err error) {
			fmt.Fprintf(stderr, "evx pull: delivery %s: %v\n", printable(d.ID), err)
			code = exitInvalid
			results = append(results, pulled{Delivery: d.ID, Bundle: d.BundleID, Outcome: "failed", State: d.State, Error: err.Error()})
		}
		if err := client.CheckDeliveryID(d.ID); err != nil {
			failed(fmt.Errorf("skipped: %w", err))
			continue
		}
		var p *pulled
		switch d.State {
		case pipeline.DeliveryConsigned:
			p, err = pl.pull(ctx, d)
		case pipeline.DeliveryAccepted, pipeline.DeliveryRejected:
			p, err = pl.recoverReceipt(ctx, d)
		default:
			continue
		}
		if err != nil {
			failed(err)
			continue
		}
		if p == nil {
			continue
		}
		if p.Outcome != "accepted" && (p.Outcome != "reviewing" || len(p.Mismatches) > 0) || p.ReceiptError != "" {
			code = exitInvalid
		}
		results = append(results, *p)
		if !*asJSON {
			printPulled(stdout, p)
		}
	}
	if *asJSON {
		writeJSON(stdout, map[string]any{"deliveries": results})
	} else if code == exitOK && len(results) == 0 {
		fmt.Fprintln(stdout, "no deliveries awaiting a receipt")
	}
	if wf.key != "" {
		code = max(code, pullWitness(ctx, x, wf, pub, *asJSON, stdout, stderr))
	}
	return code
}

func printPulled(w io.Writer, p *pulled) {
	if p.ReceiptFetched {
		fmt.Fprintf(w, "delivery %s (bundle %s): answered before (%s); its missing receipt was fetched\n", p.Delivery, printable(p.Bundle), p.Outcome)
	} else {
		fmt.Fprintf(w, "delivery %s (bundle %s): %s, %s, %s\n", p.Delivery, printable(p.Bundle), count(int64(p.Documents), "document"), humanBytes(p.Bytes), p.Outcome)
	}
	for _, m := range p.Mismatches {
		fmt.Fprintf(w, "  MISMATCH %s\n", m)
	}
	if p.ReceiptError != "" {
		fmt.Fprintf(w, "  RECEIPT NOT VERIFIED (%s), kept as %s\n", p.ReceiptError, filepath.Join(p.Folder, p.Receipt))
	} else if p.Receipt != "" {
		fmt.Fprintf(w, "  signed receipt (signature verified): %s\n", filepath.Join(p.Folder, p.Receipt))
	} else {
		fmt.Fprintf(w, "  documents in %s\n", p.Folder)
	}
}

// receiptKey is the key pull checks receipts with: the file the counterpart trusts, else the
// one the exchange gives, with a note on stderr saying so.
func receiptKey(ctx context.Context, x exchange, keyFile string, stderr io.Writer) (crypto.PublicKey, int) {
	var pem []byte
	var err error
	if keyFile != "" {
		pem, err = os.ReadFile(keyFile)
	} else {
		pem, err = x.publicKey(ctx)
	}
	if err != nil {
		fmt.Fprintln(stderr, "evx pull: evx's public key:", err)
		if keyFile != "" {
			return nil, exitUsage
		}
		return nil, exitInvalid
	}
	pub, err := custody.ParsePublicKeyPEM(pem)
	if err != nil {
		fmt.Fprintf(stderr, "evx pull: evx's public key (%s): %v\n", cmp.Or(keyFile, "as given by evx"), err)
		if keyFile != "" {
			return nil, exitUsage
		}
		return nil, exitInvalid
	}
	if keyFile == "" {
		id, _ := custody.KeyIDOf(pub)
		fmt.Fprintf(stderr, "evx pull: note: receipts are checked with the public key evx itself gave (key id %s); pass --key FILE with a copy of evx's key you obtained otherwise to check them against it\n", id)
	}
	return pub, exitOK
}

// puller pulls deliveries into an inbox folder, opened as an os.Root: no write can leave it,
// whatever the names the server sends and whatever links the folder holds.
type puller struct {
	x              exchange
	pub            crypto.PublicKey
	inbox          *os.Root
	out            string // the inbox's path, for messages
	rejectMismatch bool
	stderr         io.Writer
	quiet          bool // --json: no progress
	review         bool // --review: answer nothing
	signer         custody.Signer
	agency, person string // who seals, with signer
}

// deliveryFolder opens (creating it if needed) the folder of a delivery inside the inbox. The
// id has been checked (client.CheckDeliveryID); a link in its place is refused.
func (pl *puller) deliveryFolder(id string, create bool) (*os.Root, error) {
	if create {
		if err := pl.inbox.Mkdir(id, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	fi, err := pl.inbox.Lstat(id)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder (a link or a file): evx writes a delivery only into a folder of its own", filepath.Join(pl.out, id))
	}
	return pl.inbox.OpenRoot(id)
}

// pull fetches a consigned delivery, checks it and posts the receipt.
func (pl *puller) pull(ctx context.Context, d pipeline.Delivery) (*pulled, error) {
	m, err := pl.x.manifest(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	if m.Delivery.ID != "" && m.Delivery.ID != d.ID {
		return nil, fmt.Errorf("the server sent the manifest of delivery %q", m.Delivery.ID)
	}
	p := &pulled{Delivery: d.ID, Bundle: d.BundleID, Folder: filepath.Join(pl.out, d.ID), Documents: len(m.Documents), State: pipeline.DeliveryConsigned}
	seen := map[string]bool{}
	for _, doc := range m.Documents {
		if err := client.CheckDocumentName(doc.Name); err != nil {
			return nil, err
		}
		if seen[doc.Name] {
			return nil, fmt.Errorf("the manifest lists document %s twice", doc.Name)
		}
		seen[doc.Name] = true
		if doc.Size < 0 {
			return nil, fmt.Errorf("the manifest gives document %s a negative size", doc.Name)
		}
		p.Bytes += doc.Size
	}
	dir, err := pl.deliveryFolder(d.ID, true)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	if err := writeJSONIn(dir, manifestFile, m); err != nil {
		return nil, err
	}
	meter := newMeter(pl.stderr, pl.quiet, "pulling "+d.ID, p.Bytes)
	defer meter.finish()
	var req pipeline.ReceiptRequest
	for _, doc := range m.Documents {
		mm, sum, err := pl.fetch(ctx, dir, d.ID, doc, meter)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", doc.Name, err)
		}
		req.Documents = append(req.Documents, pipeline.ReceiptDocument{Name: doc.Name, SHA256: sum})
		if mm != nil {
			p.Mismatches = append(p.Mismatches, *mm)
		}
	}
	meter.finish()
	var a answer
	switch {
	case pl.review:
		p.Outcome = "reviewing"
		return p, nil
	case len(p.Mismatches) == 0:
		a.accept = true
	case pl.rejectMismatch:
		a.codes = []string{"hash-mismatch"}
		a.note = fmt.Sprintf("%s did not arrive as recorded (size and SHA-256)", count(int64(len(p.Mismatches)), "document"))
		a.refuse = map[string]string{}
		for _, mm := range p.Mismatches {
			a.refuse[mm.Name] = "hash-mismatch"
		}
	default:
		p.Outcome = "unanswered"
		return p, nil
	}
	computed := req.Documents
	if req, err = receiptRequest(ctx, pl.signer, pl.agency, pl.person, d, computed, a); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	rc, err := pl.x.postReceipt(ctx, d.ID, req)
	var ae *client.APIError
	if errors.As(err, &ae) && ae.StatusCode == 409 {
		// Answered already: a receipt posted before whose answer was lost. The server keeps it.
		rc, err = pl.x.storedReceipt(ctx, d.ID)
		p.ReceiptFetched = err == nil
	}
	if err != nil {
		return nil, err
	}
	p.Outcome = map[bool]string{true: "accepted", false: "rejected"}[a.accept]
	if rc.Outcome == custody.ConsignmentAcceptance || rc.Outcome == custody.ConsignmentRejection {
		p.Outcome = outcomeName(rc.Outcome)
	}
	return p, pl.keepReceipt(dir, m, p, rc)
}

// recoverReceipt fetches the receipt of a delivery answered before whose folder in the inbox
// lacks it (the answer to the posted receipt was lost). Deliveries never pulled into this
// inbox are left alone.
func (pl *puller) recoverReceipt(ctx context.Context, d pipeline.Delivery) (*pulled, error) {
	fi, err := pl.inbox.Lstat(d.ID)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder (a link or a file): evx writes a delivery only into a folder of its own", filepath.Join(pl.out, d.ID))
	}
	dir, err := pl.deliveryFolder(d.ID, false)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	for _, f := range []string{receiptFile, unverifiedReceipt} {
		if _, err := dir.Lstat(f); err == nil {
			return nil, nil // has it
		}
	}
	rc, err := pl.x.storedReceipt(ctx, d.ID)
	if err != nil {
		return nil, fmt.Errorf("answered (%s), but %s lacks its receipt and fetching it failed: %w", d.State, filepath.Join(pl.out, d.ID), err)
	}
	m, err := pl.x.manifest(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	p := &pulled{Delivery: d.ID, Bundle: d.BundleID, Folder: filepath.Join(pl.out, d.ID), Documents: len(m.Documents),
		Outcome: outcomeName(rc.Outcome), ReceiptFetched: true}
	for _, doc := range m.Documents {
		p.Bytes += doc.Size
	}
	return p, pl.keepReceipt(dir, m, p, rc)
}

func outcomeName(t custody.EventType) string {
	if t == custody.ConsignmentAcceptance {
		return "accepted"
	}
	return "rejected"
}

// keepReceipt checks the signed receipt, saves it (as receipt.json, or receipt.unverified.json
// when its signature does not verify) and rewrites manifest.json with the delivery's state
// after the receipt.
func (pl *puller) keepReceipt(dir *os.Root, m *pipeline.Manifest, p *pulled, rc *pipeline.Receipt) error {
	p.Receipt = receiptFile
	if rc.Delivery != p.Delivery {
		p.ReceiptError = fmt.Sprintf("the receipt is for delivery %q", rc.Delivery)
	} else if err := pipeline.VerifyReceipt(rc, pl.pub); err != nil {
		p.ReceiptError = err.Error()
	}
	if p.ReceiptError != "" {
		p.Receipt = unverifiedReceipt
	}
	if err := writeJSONIn(dir, p.Receipt, rc); err != nil {
		return err
	}
	p.State = pipeline.DeliveryRejected
	if p.Outcome == "accepted" {
		p.State = pipeline.DeliveryAccepted
	}
	m.Delivery.State = p.State
	return writeJSONIn(dir, manifestFile, m)
}

// fetch downloads one document into dir, hashing it on the way, and returns the SHA-256 of
// what arrived and, when that is not the recorded document (altered, short, longer), the
// mismatch. It reads at most one byte more than the recorded size. Only a failure that says
// nothing of the document (the request refused, the context ended) is an error.
func (pl *puller) fetch(ctx context.Context, dir *os.Root, delivery string, doc custody.Document, meter *meter) (*mismatch, string, error) {
	meter.file(doc.Name)
	// Here whole already (an earlier pull fetched it and was stopped before it answered):
	// nothing to fetch, and no access to record again.
	if sum, ok := completeIn(dir, doc); ok {
		meter.add(doc.Size)
		return nil, sum, nil
	}
	// A download that stopped (a dropped connection, a killed pull) continues from the bytes
	// it left in its partial file, which are hashed again first.
	part := partialName(doc.Name)
	h := sha256.New()
	offset, err := resumeFrom(dir, part, doc.Size, h)
	if err != nil {
		return nil, "", err
	}
	body, err := pl.x.document(ctx, delivery, doc.Name, offset)
	if err != nil {
		return nil, "", err
	}
	defer body.Body.Close()
	if body.Offset != offset { // the whole document comes: start over
		offset = 0
		h.Reset()
	}
	meter.add(offset)
	n, copyErr := writePartial(ctx, dir, part, offset, io.TeeReader(io.LimitReader(body.Body, doc.Size-offset+1), io.MultiWriter(h, meter)))
	if ctx.Err() != nil {
		return nil, "", ctx.Err() // what arrived stays in the partial file, for the next pull
	}
	var werr *writeError
	if errors.As(copyErr, &werr) {
		return nil, "", werr.err
	}
	total := offset + n
	sum := hex.EncodeToString(h.Sum(nil))
	mm := &mismatch{Name: doc.Name, Want: doc.SHA256, Got: sum, WantSize: doc.Size, GotSize: total}
	const again = "; the next evx pull continues from there"
	switch {
	case copyErr != nil:
		mm.Reason = fmt.Sprintf("download ended after %s of %s (%v)%s", count(total, "byte"), count(doc.Size, "byte"), copyErr, again)
		return mm, sum, nil
	case total < doc.Size:
		mm.Reason = fmt.Sprintf("short download: %s of %s%s", count(total, "byte"), count(doc.Size, "byte"), again)
		return mm, sum, nil
	}
	// Whole (or longer than recorded): the document takes its name, as it arrived.
	if err := dir.Rename(part, doc.Name); err != nil {
		return nil, "", err
	}
	switch {
	case total > doc.Size:
		mm.Reason = fmt.Sprintf("longer than the %s recorded", count(doc.Size, "byte"))
	case sum != doc.SHA256:
		mm.Reason = fmt.Sprintf("altered: sha256 %s, recorded %s", sum, doc.SHA256)
	default:
		return nil, sum, nil
	}
	return mm, sum, nil
}

// partialName is where the download of document name lies until it is whole: hidden, beside
// it, named after it, so that the next pull finds it and continues.
func partialName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return path.Join(path.Dir(name), ".evx-partial-"+hex.EncodeToString(sum[:8]))
}

// completeIn reports whether dir holds doc whole already (its size and SHA-256).
func completeIn(dir *os.Root, doc custody.Document) (string, bool) {
	fi, err := dir.Lstat(doc.Name)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != doc.Size {
		return "", false
	}
	f, err := dir.Open(doc.Name)
	if err != nil {
		return "", false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", false
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return sum, sum == doc.SHA256
}

// resumeFrom hashes into h the bytes a stopped download left in part and returns how many; 0
// (and part removed) when there are none to continue from: no file, not a regular file, or
// as long as the document or longer.
func resumeFrom(dir *os.Root, part string, size int64, h io.Writer) (int64, error) {
	fi, err := dir.Lstat(part)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() || fi.Size() <= 0 || fi.Size() >= size {
		if err := dir.Remove(part); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
		return 0, nil
	}
	f, err := dir.Open(part)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil || n != fi.Size() {
		return 0, fmt.Errorf("read %s: %v", part, err)
	}
	return n, nil
}

// writePartial writes r into part (slash-separated, inside dir): from its start when offset
// is 0, else after the offset bytes it holds. It returns the bytes read from r; an error
// reading r is returned as is, the bytes read so far kept in part (they are what arrived); an
// error writing is a *writeError.
func writePartial(ctx context.Context, dir *os.Root, part string, offset int64, r io.Reader) (int64, error) {
	if parent := path.Dir(part); parent != "." {
		if err := dir.MkdirAll(parent, 0o700); err != nil {
			return 0, &writeError{err}
		}
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if offset > 0 {
		flag = os.O_WRONLY | os.O_APPEND
	}
	f, err := dir.OpenFile(part, flag, 0o600)
	if err != nil {
		return 0, &writeError{err}
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != offset {
		f.Close()
		return 0, &writeError{fmt.Errorf("%s changed while resuming its download", part)}
	}
	rr := &recordingReader{r: r}
	n, err := io.Copy(f, rr)
	var wr *writeError
	if err != nil && rr.err == nil {
		wr = &writeError{err}
	}
	if err := f.Sync(); err != nil && wr == nil {
		wr = &writeError{err}
	}
	if err := f.Close(); err != nil && wr == nil {
		wr = &writeError{err}
	}
	if wr != nil {
		return n, wr
	}
	return n, rr.err
}

// writeError is a failure to write into the inbox (as opposed to one reading the download).
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// writeFileIn writes r to name (slash-separated, checked) inside dir: into a new temporary
// file beside it, then renamed over name, so that an existing file, or a link in its place,
// is replaced, never written through. When ctx ends first, the temporary file is removed. It returns the bytes read; an error reading r is
// returned as is, with the bytes read so far kept in place (they are what arrived); an error
// writing is a *writeError.
func writeFileIn(ctx context.Context, dir *os.Root, name string, r io.Reader) (int64, error) {
	if parent := path.Dir(name); parent != "." {
		if err := dir.MkdirAll(parent, 0o700); err != nil {
			return 0, &writeError{err}
		}
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := path.Join(path.Dir(name), ".evx-partial-"+hex.EncodeToString(rnd[:]))
	f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, &writeError{err}
	}
	rr := &recordingReader{r: r}
	n, err := io.Copy(f, rr)
	rerr := rr.err
	var wr *writeError
	if err != nil && rerr == nil {
		wr = &writeError{err}
	}
	if err := f.Sync(); err != nil && wr == nil {
		wr = &writeError{err}
	}
	if err := f.Close(); err != nil && wr == nil {
		wr = &writeError{err}
	}
	if wr == nil && ctx.Err() != nil {
		wr = &writeError{ctx.Err()} // interrupted: nothing half-fetched is left in place
	}
	if wr == nil {
		if err := dir.Rename(tmp, name); err != nil {
			wr = &writeError{err}
		}
	}
	if wr != nil {
		dir.Remove(tmp)
		return n, wr
	}
	return n, rerr
}

// recordingReader passes reads through and keeps the first error other than io.EOF, so that
// a failed copy can tell the download's errors from the file's.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// writeJSONIn writes v as indented JSON to name inside dir, as writeFileIn does.
func writeJSONIn(dir *os.Root, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = writeFileIn(context.Background(), dir, name, bytes.NewReader(append(b, '\n')))
	var we *writeError
	if errors.As(err, &we) {
		return we.err
	}
	return err
}

// printable is s as it may be printed on a terminal: as it is when every character is
// printable, else quoted, so that a name a server sent cannot carry terminal escapes.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
