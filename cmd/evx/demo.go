package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
)

func init() {
	commands = append(commands, command{name: "demo", summary: "run the whole exchange on this machine with sample evidence and show the result", run: runDemo})
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx demo", stderr,
		"Usage: evx demo [--out DIR] [--directory FILE] [--samples DIR] [--json]\n"+
			"Starts the embedded pipeline and its API, uploads sample evidence for nl-om and es-fge,\n"+
			"lets nl-om pull and accept and es-fge pull a copy altered in transit and reject it,\n"+
			"exports and verifies the custody trail, and prints where everything is. Exit 0 on success.\n")
	out := fs.String("out", "", "folder for everything the demo makes (default: a new temporary folder)")
	dir := fs.String("directory", defaultDirectory, "counterpart directory")
	samples := fs.String("samples", "testdata/sample", "folder of sample evidence to send (generated when missing)")
	asJSON := fs.Bool("json", false, "print what the demo made as JSON instead of its steps")
	if pos, code, ok := parseArgs(fs, args); !ok {
		return code
	} else if len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	if *out == "" {
		d, err := os.MkdirTemp("", "evx-demo-")
		if err != nil {
			fmt.Fprintln(stderr, "evx demo:", err)
			return exitUsage
		}
		*out = d
	} else if ents, err := os.ReadDir(*out); err == nil && len(ents) > 0 {
		fmt.Fprintf(stderr, "evx demo: %s is not empty; name a new folder with --out\n", *out)
		return exitUsage
	}
	steps := stdout
	if *asJSON {
		steps = io.Discard
	}
	res, err := demo(*out, *dir, *samples, steps, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "evx demo:", err)
		return exitInvalid
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	}
	return exitOK
}

// demoResult is what the demo made, for --json.
type demoResult struct {
	Folder    string    `json:"folder"`
	URL       string    `json:"url"`  // where the demo's server listened (it stops with the demo)
	Data      string    `json:"data"` // the data folder
	KeyID     string    `json:"key_id"`
	Bag       string    `json:"bag"`
	Bundle    string    `json:"bundle"`
	Documents int       `json:"documents"`
	Pulls     []*pulled `json:"pulls"` // nl-om's acceptance, es-fge's rejection
	Trail     string    `json:"trail"`
	Key       string    `json:"key"`
	Events    int       `json:"events"`
	Verified  bool      `json:"verified"`
	Report    string    `json:"report,omitempty"` // the report folder
}

func demo(out, directory, samples string, stdout, stderr io.Writer) (*demoResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	res := &demoResult{Folder: out, Data: filepath.Join(out, "data")}

	// 1. The embedded node and its API on a free local port, with fresh tokens.
	n, err := openNode(ctx, filepath.Join(out, "data"), local.NodeOptions{Directory: directory})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	tok := map[string]string{}
	var lines strings.Builder
	for _, who := range []string{"uploader inspector", "counterpart nl-om", "counterpart es-fge", "legal clerk"} {
		b := make([]byte, 16)
		rand.Read(b)
		t := hex.EncodeToString(b)
		tok[strings.Fields(who)[1]] = t
		fmt.Fprintf(&lines, "%s %s\n", t, who)
	}
	tokensPath := filepath.Join(out, "tokens")
	if err := os.WriteFile(tokensPath, []byte(lines.String()), 0o600); err != nil {
		return nil, err
	}
	toks, err := api.LoadTokens(tokensPath)
	if err != nil {
		return nil, err
	}
	fnt, err := embeddedFonts()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithReportFonts(fnt), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	res.URL, res.KeyID = base, n.Signer.KeyID()
	say("1. evx is serving %s on the data folder %s (signing key %s)", base, filepath.Join(out, "data"), n.Signer.KeyID())

	// 2. The uploader bags the sample evidence for two counterparts and uploads it.
	srcs, err := demoEvidence(samples, filepath.Join(out, "evidence"))
	if err != nil {
		return nil, err
	}
	bagPath := filepath.Join(out, "bundle.zip")
	if _, err := bagit.Create(bagPath, srcs, bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelCounterpart, Value: "es-fge"},
		{Label: bagit.LabelRequestReference, Value: "EIO-2026-0042"}, {Label: bagit.LabelExternalIdentifier, Value: "RTM-2026-114"},
		{Label: bagit.LabelRequestingState, Value: "ES"}, {Label: bagit.LabelRequestedState, Value: "NL"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"},
	}}); err != nil {
		return nil, err
	}
	up := &httpExchange{base: base, token: tok["inspector"], c: http.DefaultClient}
	st, err := up.upload(ctx, bagPath)
	if err != nil {
		return nil, err
	}
	if st.Ingest == nil || !st.Ingest.Accepted {
		return nil, fmt.Errorf("the sample bundle was not accepted: %+v", st)
	}
	bundle := st.Upload.BundleID
	res.Bag, res.Bundle, res.Documents = bagPath, bundle, len(st.Ingest.Documents)
	say("2. uploaded %s: bundle %s accepted, %d documents, delivered to %d counterparts", bagPath, bundle, len(st.Ingest.Documents), len(st.Deliveries))

	// 3. nl-om pulls, checks every hash and accepts.
	inbox := filepath.Join(out, "inbox")
	nl := &httpExchange{base: base, token: tok["nl-om"], c: http.DefaultClient}
	ds, err := nl.deliveries(ctx)
	if err != nil || len(ds) != 1 {
		return nil, fmt.Errorf("nl-om deliveries: %d, %v", len(ds), err)
	}
	// The demo runs the node itself, so its key is the one to trust.
	p, err := pullOne(ctx, nl, n.Signer.Public(), ds[0], filepath.Join(inbox, "nl-om"), true)
	if err != nil {
		return nil, err
	}
	if p.Outcome != "accepted" || p.ReceiptError != "" {
		return nil, fmt.Errorf("nl-om: %s, want accepted", p.Outcome)
	}
	res.Pulls = append(res.Pulls, p)
	say("3. nl-om pulled %d documents into %s, every SHA-256 matched: accepted; signed receipt %s", p.Documents, p.Folder, p.Receipt)

	// 4. es-fge receives a copy altered in transit, sees the mismatch and rejects.
	es := &httpExchange{base: base, token: tok["es-fge"], c: &http.Client{Transport: tamperTransport{}}}
	ds, err = es.deliveries(ctx)
	if err != nil || len(ds) != 1 {
		return nil, fmt.Errorf("es-fge deliveries: %d, %v", len(ds), err)
	}
	p, err = pullOne(ctx, es, n.Signer.Public(), ds[0], filepath.Join(inbox, "es-fge"), true)
	if err != nil {
		return nil, err
	}
	if p.Outcome != "rejected" || len(p.Mismatches) == 0 || p.ReceiptError != "" {
		return nil, fmt.Errorf("es-fge: %s, want rejected", p.Outcome)
	}
	res.Pulls = append(res.Pulls, p)
	say("4. es-fge pulled a copy altered in transit: %s; rejected; signed receipt %s", p.Mismatches[0], p.Receipt)

	// 5. Legal staff export the trail and verify it with evx's public key alone.
	legal := &httpExchange{base: base, token: tok["clerk"], c: http.DefaultClient}
	trailPath, keyPath := filepath.Join(out, "trail.json"), filepath.Join(out, "evx-public-key.pem")
	if err := saveGET(ctx, legal, "/v1/bundles/"+bundle+"/trail", trailPath); err != nil {
		return nil, err
	}
	if err := saveGET(ctx, legal, "/v1/public-key", keyPath); err != nil {
		return nil, err
	}
	trail, _ := os.ReadFile(trailPath)
	key, _ := os.ReadFile(keyPath)
	pub, err := custody.ParsePublicKeyPEM(key)
	if err != nil {
		return nil, err
	}
	rep, err := custody.VerifyTrail(trail, pub, custody.VerifyOptions{Documents: filepath.Join(out, "evidence")})
	if err != nil {
		return nil, fmt.Errorf("the trail does not verify: %w", err)
	}
	res.Trail, res.Key, res.Events, res.Verified = trailPath, keyPath, rep.Events, true
	say("5. trail %s: %d events, verified with %s alone (log size %d, %d documents re-hashed)", trailPath, rep.Events, keyPath, rep.LogSize, rep.DocumentsCheck)

	// 6. The court report, when this build has the report command.
	for _, c := range commands {
		if c.name != "report" {
			continue
		}
		reportDir := filepath.Join(out, "report")
		var rout, rerr bytes.Buffer
		if code := c.run([]string{"--out", reportDir, "--key", keyPath, trailPath}, &rout, &rerr); code != exitOK {
			return nil, fmt.Errorf("report exited %d: %s", code, strings.TrimSpace(rerr.String()))
		}
		res.Report = reportDir
		say("6. report for legal staff written to %s", reportDir)
	}
	say("\nEverything is in %s. Verify again by hand:\n  %s verify --key %s %s", out, selfName(), keyPath, trailPath)
	return res, nil
}

// tamperTransport alters the first byte of every document it carries, as an attacker on the
// wire would.
type tamperTransport struct{}

func (tamperTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(r.URL.Path, "/documents/data/seizure-report") {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(b) > 0 {
		b[0] ^= 0x01
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func saveGET(ctx context.Context, x *httpExchange, path, file string) error {
	resp, err := x.do(ctx, "GET", path, nil, -1)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}

// demoEvidence copies the sample folder's files into dst, or writes a small generated set (a
// PDF seizure report, an e-mail, a spreadsheet as CSV) when there is no sample folder.
func demoEvidence(samples, dst string) ([]string, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, err
	}
	var srcs []string
	if ents, err := os.ReadDir(samples); err == nil && len(ents) > 0 {
		for _, e := range ents {
			src, to := filepath.Join(samples, e.Name()), filepath.Join(dst, e.Name())
			var err error
			if e.IsDir() {
				err = os.CopyFS(to, os.DirFS(src))
			} else if e.Type().IsRegular() {
				var b []byte
				if b, err = os.ReadFile(src); err == nil {
					err = os.WriteFile(to, b, 0o644)
				}
			} else {
				continue
			}
			if err != nil {
				return nil, err
			}
			srcs = append(srcs, filepath.Join(dst, e.Name()))
		}
		if hasSeizureReport(dst) {
			return srcs, nil
		}
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCreator("evx demo", true)
	pdf.SetTitle("Seizure report RTM-2026-114", true)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.Cell(0, 10, "Seizure report RTM-2026-114")
	pdf.Ln(14)
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(0, 6, "Port of Rotterdam, terminal ECT Delta, 3 November 2026.\nContainer MSCU 123456-7 (bananas, from Guayaquil) held 412 kg of cocaine hydrochloride in 370 blocks.\nSeized by the Hit and Run Cargo team; samples sent to the NFI for analysis.", "", "", false)
	files := map[string][]byte{
		"intercepted-mail.eml": []byte("From: \"J. Ruiz\" <jr@example.net>\r\nTo: logistics@example.org\r\nSubject: shipment 44\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\nMessage-ID: <44@example.net>\r\n\r\nThe bananas leave Guayaquil on Friday. Same container as last time.\r\n"),
		"bank-records.csv":     []byte("date,account,amount,currency,counterparty\n2026-10-01,NL91ABNA0417164300,25000.00,EUR,Frutas del Pacifico SA\n2026-10-15,NL91ABNA0417164300,40000.00,EUR,Frutas del Pacifico SA\n"),
	}
	for name, b := range files {
		p := filepath.Join(dst, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
		srcs = append(srcs, p)
	}
	p := filepath.Join(dst, "seizure-report.pdf")
	if err := pdf.OutputFileAndClose(p); err != nil {
		return nil, err
	}
	return append(srcs, p), nil
}

func hasSeizureReport(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "seizure-report*"))
	return len(m) > 0
}

// selfName is how to call this evx again from the current folder: the path it was started
// with (./bin/evx under make demo), or plain "evx" when it was found on PATH.
func selfName() string {
	if strings.ContainsRune(os.Args[0], filepath.Separator) {
		return os.Args[0]
	}
	return "evx"
}
