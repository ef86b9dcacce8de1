package main

import (
	"cmp"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// pulled is what pull did with one delivery.
type pulled struct {
	Delivery   string                  `json:"delivery"`
	Bundle     string                  `json:"bundle"`
	Folder     string                  `json:"folder"`
	Documents  int                     `json:"documents"`
	Mismatches []pipeline.HashMismatch `json:"mismatches,omitempty"`
	Outcome    string                  `json:"outcome"` // accepted, rejected, unanswered
	Receipt    string                  `json:"receipt,omitempty"`
	// ReceiptError says why the receipt evx returned did not verify with its key; the receipt
	// is then kept as receipt.unverified.json.
	ReceiptError string `json:"receipt_error,omitempty"`
}

// unverifiedReceipt names a receipt kept although its signature did not verify.
const unverifiedReceipt = "receipt.unverified.json"

func runPull(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx pull", stderr,
		"Usage: evx pull [--server URL --token T | --data DIR --counterpart ID] [--key EVX-PUBLIC.pem] [--out DIR] [--reject-on-mismatch] [--json]\n"+
			"Fetches every delivery still awaiting your receipt, checks each document against its recorded\n"+
			"SHA-256 and posts the receipt: accepted when all match; on a mismatch rejected with\n"+
			"--reject-on-mismatch, else left unanswered. Each signed receipt evx returns is checked with evx's\n"+
			"public key (--key, else the key the server or data folder gives, with a note) and saved beside\n"+
			"the documents: receipt.json, or "+unverifiedReceipt+" when its signature does not verify.\n"+
			"Exit status: 0 every delivery accepted (or none waiting), 1 a mismatch, an unverified receipt\n"+
			"or a failure, 2 usage or an unreadable key.\n")
	var ex exchangeFlags
	ex.register(fs, "counterpart")
	out := fs.String("out", "deliveries", "folder to write each delivery into (one sub-folder per delivery)")
	rejectMismatch := fs.Bool("reject-on-mismatch", false, "reject a delivery whose documents do not match their recorded SHA-256 (else leave it unanswered)")
	keyFile := fs.String("key", "", "evx's public key (PEM) you trust, to check the receipts with (default: the key the server gives)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if pos, code, ok := parseArgs(fs, args); !ok {
		return code
	} else if len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	if ex.server == "" && ex.counterpart == "" {
		fmt.Fprintln(stderr, "evx pull: say which counterpart you are: --counterpart ID (with --data), or use --server and your token")
		return exitUsage
	}
	x, err := ex.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "evx pull:", err)
		return exitUsage
	}
	defer x.close()
	pub, code := receiptKey(ctx, x, *keyFile, stderr)
	if code != exitOK {
		return code
	}
	ds, err := x.deliveries(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "evx pull:", err)
		return exitInvalid
	}
	results := []pulled{}
	for _, d := range ds {
		if d.State != pipeline.DeliveryConsigned {
			continue
		}
		p, err := pullOne(ctx, x, pub, d, *out, *rejectMismatch)
		if err != nil {
			fmt.Fprintf(stderr, "evx pull: delivery %s: %v\n", d.ID, err)
			code = exitInvalid
			continue
		}
		if p.Outcome != "accepted" || p.ReceiptError != "" {
			code = exitInvalid
		}
		results = append(results, *p)
		if !*asJSON {
			fmt.Fprintf(stdout, "delivery %s (bundle %s): %d documents, %s\n", p.Delivery, p.Bundle, p.Documents, p.Outcome)
			for _, m := range p.Mismatches {
				fmt.Fprintf(stdout, "  MISMATCH %s\n", m)
			}
			if p.ReceiptError != "" {
				fmt.Fprintf(stdout, "  RECEIPT NOT VERIFIED (%s), kept as %s\n", p.ReceiptError, p.Receipt)
			} else if p.Receipt != "" {
				fmt.Fprintf(stdout, "  signed receipt (signature verified): %s\n", p.Receipt)
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"deliveries": results})
	} else if len(results) == 0 && code == exitOK {
		fmt.Fprintln(stdout, "no deliveries awaiting a receipt")
	}
	return code
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

func pullOne(ctx context.Context, x exchange, pub crypto.PublicKey, d pipeline.Delivery, out string, rejectMismatch bool) (*pulled, error) {
	m, err := x.manifest(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	folder := filepath.Join(out, d.ID)
	p := &pulled{Delivery: d.ID, Bundle: d.BundleID, Folder: folder, Documents: len(m.Documents)}
	if err := os.MkdirAll(folder, 0o700); err != nil {
		return nil, err
	}
	if err := writeJSONFile(filepath.Join(folder, "manifest.json"), m); err != nil {
		return nil, err
	}
	var req pipeline.ReceiptRequest
	for _, doc := range m.Documents {
		rel := filepath.FromSlash(doc.Name)
		if !filepath.IsLocal(rel) {
			return nil, fmt.Errorf("document name %q would leave the delivery folder", doc.Name)
		}
		sum, err := fetchTo(ctx, x, d.ID, doc.Name, filepath.Join(folder, rel))
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", doc.Name, err)
		}
		req.Documents = append(req.Documents, pipeline.ReceiptDocument{Name: doc.Name, SHA256: sum})
		if sum != doc.SHA256 {
			p.Mismatches = append(p.Mismatches, pipeline.HashMismatch{Name: doc.Name, Want: doc.SHA256, Got: sum})
		}
	}
	switch {
	case len(p.Mismatches) == 0:
		req.Accepted = true
	case rejectMismatch:
		req.Reasons = []string{fmt.Sprintf("%d document(s) did not match their recorded SHA-256", len(p.Mismatches))}
	default:
		p.Outcome = "unanswered"
		return p, nil
	}
	rc, err := x.receipt(ctx, d.ID, req)
	if err != nil {
		return nil, err
	}
	p.Outcome = map[bool]string{true: "accepted", false: "rejected"}[req.Accepted]
	p.Receipt = filepath.Join(folder, "receipt.json")
	if err := pipeline.VerifyReceipt(rc, pub); err != nil {
		p.ReceiptError = err.Error()
		p.Receipt = filepath.Join(folder, unverifiedReceipt)
	}
	return p, writeJSONFile(p.Receipt, rc)
}

// fetchTo writes a document to path, hashing it on the way, and returns its SHA-256.
func fetchTo(ctx context.Context, x exchange, delivery, name, path string) (string, error) {
	rc, err := x.document(ctx, delivery, name)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
