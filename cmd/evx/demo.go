package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"embed"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

// The demo carries its own counterpart directory and sample evidence, so that an evx built
// with go install runs it from any folder. They are copies: of testdata/sample (written by
// infra/samplegen) and of infra/counterparts.yaml; TestDemoDataIsCurrent holds them to the
// originals.
//
//go:generate go run ../../infra/samplegen -out demodata/sample -trail-out ../../testdata/sample-trail -fonts ../../shared/report/fonts
//go:generate cp ../../infra/counterparts.yaml demodata/counterparts.yaml
//go:embed demodata/sample demodata/counterparts.yaml
var demoData embed.FS

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx demo", stderr,
		"Usage: evx demo [--out DIR] [--directory FILE] [--samples DIR] [--json] [--serve [--addr HOST:PORT]]\n"+
			"Starts the embedded pipeline and its API, uploads sample evidence for nl-om and es-fge,\n"+
			"lets nl-om pull and accept and es-fge pull a copy altered in transit and reject it,\n"+
			"lets both witness evx's log (cosign its checkpoint), exports the custody trail and verifies\n"+
			"it complete under a quorum of both witnesses, and prints where everything is. Exit 0 on success.\n"+
			"The sample evidence and the counterpart directory are built into evx: the demo runs from\n"+
			"any folder. With --serve, evx then sends a second bundle left waiting for both counterparts'\n"+
			"answers and keeps serving the pages for the three roles until Ctrl-C, printing their address\n"+
			"and the token file of each demo identity to sign in with.\n")
	out := fs.String("out", "", "folder for everything the demo makes (default: a new temporary folder)")
	dir := fs.String("directory", "", "counterpart directory (default: the sample one built into evx, written to DIR/counterparts.yaml)")
	samples := fs.String("samples", "", "folder of evidence to send instead of the sample built into evx")
	asJSON := fs.Bool("json", false, "print what the demo made as JSON instead of its steps")
	serve := fs.Bool("serve", false, "keep serving the pages and the API after the demo, until Ctrl-C")
	addr := fs.String("addr", "127.0.0.1:0", "address to serve on (loopback only; port 0 picks a free one)")
	if pos, code, ok := parseArgs(fs, args); !ok {
		return code
	} else if len(pos) != 0 {
		fmt.Fprintf(stderr, "evx demo: unexpected argument %q: the demo takes only options\n", pos[0])
		return exitUsage
	}
	if *samples != "" {
		if fi, err := os.Stat(*samples); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "evx demo: --samples %s: not a readable folder\n", *samples)
			return exitUsage
		}
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
	if err := checkListen(*addr, false, false); err != nil {
		fmt.Fprintln(stderr, "evx demo:", err)
		return exitUsage
	}
	steps := stdout
	if *asJSON {
		steps = io.Discard
	}
	opt := demoOptions{out: *out, directory: *dir, samples: *samples, addr: *addr}
	if *serve {
		opt.hold = func(res *demoResult) {
			if *asJSON {
				writeJSON(stdout, res)
			} else {
				printServing(stdout, res)
			}
			<-ctx.Done()
		}
	}
	res, err := demo(ctx, opt, steps, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "evx demo:", err)
		return exitInvalid
	}
	if *asJSON && !*serve {
		writeJSON(stdout, res)
	}
	return exitOK
}

// demoOptions choose what the demo uses; hold, when set, is called once the demo is done,
// with its server still serving, and the server stops when hold returns.
type demoOptions struct {
	out, directory, samples, addr string
	hold                          func(*demoResult)
}

// demoIdentity is one person of the demo, with the file holding their token.
type demoIdentity struct {
	Role      string `json:"role"`
	Subject   string `json:"subject"`
	TokenFile string `json:"token_file"`
}

// printServing says where the pages are and how to sign in.
func printServing(w io.Writer, res *demoResult) {
	fmt.Fprintf(w, "\nThe pages for the three roles are at %s/ (the independent verifier at %s/verify.html).\n", res.URL, res.URL)
	if res.Waiting != "" {
		fmt.Fprintf(w, "Bundle %s waits for the answers of nl-om and es-fge.\n", res.Waiting)
	}
	fmt.Fprintln(w, "Sign in with one of these token files (the page loads the file; nothing is kept):")
	for _, id := range res.Identities {
		fmt.Fprintf(w, "  %-12s %-10s %s\n", id.Role, id.Subject, id.TokenFile)
	}
	if len(res.SealKeys) > 0 {
		fmt.Fprintln(w, "Seal with an agency's key from the pages by loading its key file (sample keys anyone can recreate: never for real exchanges):")
		for _, a := range slices.Sorted(maps.Keys(res.SealKeys)) {
			fmt.Fprintf(w, "  %-12s %s\n", a, res.SealKeys[a])
		}
	}
	fmt.Fprintln(w, "evx serves until Ctrl-C.")
}

// demoResult is what the demo made, for --json.
type demoResult struct {
	Folder    string    `json:"folder"`
	URL       string    `json:"url"`  // where the demo's server listened (it stops with the demo)
	Data      string    `json:"data"` // the data folder
	Directory string    `json:"directory"`
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
	// Requests are the requests scene's two requests (demo_requests.go).
	Requests []*request.State `json:"requests,omitempty"`
	// Match is es-fge's answer in the identifier scene (demo_match.go): a hit held by nl-pol.
	Match *pipeline.Outcome `json:"match,omitempty"`
	// With --serve: the demo's identities and the bundle left waiting for answers.
	Identities []demoIdentity `json:"identities,omitempty"`
	Waiting    string         `json:"waiting,omitempty"`
	// SealKeys are the sample agencies' seal keys (agency: PEM file), to load into the pages.
	SealKeys map[string]string `json:"seal_keys,omitempty"`
}

func demo(parent context.Context, opt demoOptions, stdout, stderr io.Writer) (*demoResult, error) {
	out, directory, samples := opt.out, opt.directory, opt.samples
	ctx, cancel := context.WithTimeout(parent, 5*time.Minute)
	defer cancel()
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	res := &demoResult{Folder: out, Data: filepath.Join(out, "data")}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	if directory == "" {
		b, err := demoData.ReadFile("demodata/counterparts.yaml")
		if err != nil {
			return nil, err
		}
		directory = filepath.Join(out, "counterparts.yaml")
		if err := os.WriteFile(directory, b, 0o644); err != nil {
			return nil, err
		}
	}
	res.Directory = directory

	// 1. The embedded node and its API on a free local port, with fresh tokens.
	n, err := openNode(ctx, filepath.Join(out, "data"), local.NodeOptions{Directory: directory})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	tok := map[string]string{}
	var lines strings.Builder
	tokenDir := filepath.Join(out, "token")
	if err := os.MkdirAll(tokenDir, 0o700); err != nil {
		return nil, err
	}
	// Every identity is a person within an agency: nl-pol's investigator who sends, the
	// counterparts' officers who answer; the clerk of the court reads.
	for _, who := range []struct{ name, line, subject string }{
		{"inspector", "uploader nl-pol j.devries", "nl-pol/j.devries"},
		{"nl-om", "counterpart nl-om p.bakker", "nl-om"},
		{"es-fge", "counterpart es-fge m.garcia", "es-fge"},
		{"es-fge-uploader", "uploader es-fge a.ruiz", "es-fge/a.ruiz"},
		{"clerk", "legal clerk", "clerk"},
	} {
		b := make([]byte, 16)
		rand.Read(b)
		t := hex.EncodeToString(b)
		role, _, _ := strings.Cut(who.line, " ")
		tok[who.name] = t
		fmt.Fprintf(&lines, "%s %s\n", t, who.line)
		// One file per person, for the sign-in page to load.
		f := filepath.Join(tokenDir, who.name)
		if err := os.WriteFile(f, []byte(t+"\n"), 0o600); err != nil {
			return nil, err
		}
		res.Identities = append(res.Identities, demoIdentity{Role: role, Subject: who.subject, TokenFile: f})
	}
	// The sample agencies' seal keys, derived as infra/counterparts.yaml says (sample keys
	// anyone can recreate: never for real exchanges).
	// Each is also written as an agency keeps it (keys/AGENCY-seal.pem, 0600: Ed25519 as
	// openssl genpkey writes it, P-256 as openssl ecparam -genkey does), for the pages.
	keyDir := filepath.Join(out, "keys")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, err
	}
	res.SealKeys = map[string]string{}
	sealer := func(id string) (custody.Signer, error) {
		seed := sha256.Sum256([]byte("evx sample counterpart " + id))
		var s custody.Signer
		var block *pem.Block
		if id == "es-fge" {
			k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
			if err != nil {
				return nil, err
			}
			der, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				return nil, err
			}
			block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
			if s, err = custody.NewECDSASigner(k); err != nil {
				return nil, err
			}
		} else {
			k := ed25519.NewKeyFromSeed(seed[:])
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				return nil, err
			}
			block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
			if s, err = custody.NewEd25519Signer(k); err != nil {
				return nil, err
			}
		}
		f := filepath.Join(keyDir, id+"-seal.pem")
		if err := os.WriteFile(f, pem.EncodeToMemory(block), 0o600); err != nil {
			return nil, err
		}
		res.SealKeys[id] = f
		return s, nil
	}
	seals := map[string]custody.Signer{}
	pinned := map[string][]crypto.PublicKey{}
	for _, id := range []string{"nl-pol", "nl-om", "es-fge"} {
		if seals[id], err = sealer(id); err != nil {
			return nil, err
		}
		pinned[id] = []crypto.PublicKey{seals[id].Public()}
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
	if opt.addr == "" {
		opt.addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", opt.addr)
	if err != nil {
		return nil, err
	}
	// The API and the pages, as evx serve has them.
	// The identifier index of this deployment, nl-pol's: the holder of what its uploaders send.
	matcher, _, err := n.OpenMatcher(ctx, "nl-pol", nil, pipeline.MatchLimits{})
	if err != nil {
		return nil, err
	}
	h := api.New(n.Service, n.Uploads, toks, api.Limits{}, nil).WithReportFonts(fnt).WithDirectory(n.Directory).WithSessions(api.NewSessions(nil)).WithMatcher(matcher).WithRequests(n.Requests)
	srv := &http.Server{Handler: serveMux(h), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	res.URL, res.KeyID = base, n.Signer.KeyID()
	say("1. evx is serving %s on the data folder %s (signing key %s)", base, filepath.Join(out, "data"), n.Signer.KeyID())
	newClient := func(who string, hc *http.Client) *client.Client {
		c, _ := client.New(base, client.WithToken(tok[who]), client.WithHTTPClient(hc))
		return c
	}

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
	}, Seal: func(tags map[string][]byte) (string, []byte, error) {
		b, err := custody.SealBag(ctx, seals["nl-pol"], "nl-pol", "j.devries", tags, time.Now())
		return custody.BagSealFile, b, err
	}}); err != nil {
		return nil, err
	}
	bag, err := os.Open(bagPath)
	if err != nil {
		return nil, err
	}
	fi, _ := bag.Stat()
	st, err := newClient("inspector", http.DefaultClient).Upload(ctx, bag, fi.Size())
	bag.Close()
	if err != nil {
		return nil, err
	}
	if st.Ingest == nil || !st.Ingest.Accepted {
		return nil, fmt.Errorf("the sample bundle was not accepted: %+v", st)
	}
	bundle := st.Upload.BundleID
	res.Bag, res.Bundle, res.Documents = bagPath, bundle, len(st.Ingest.Documents)
	say("2. j.devries of nl-pol sealed %s with nl-pol's key and uploaded it: bundle %s accepted, seal checked, %s, delivered to %s", bagPath, bundle, count(int64(len(st.Ingest.Documents)), "document"), count(int64(len(st.Deliveries)), "counterpart"))

	// 3. nl-om pulls, checks every hash and accepts; 4. es-fge receives a copy altered in
	// transit, sees the mismatch and rejects. The demo runs the node itself, so its key is the
	// one to trust.
	inbox := filepath.Join(out, "inbox")
	pullAs := func(who string, hc *http.Client) (*pulled, error) {
		x := &remoteExchange{c: newClient(who, hc)}
		ds, err := x.deliveries(ctx)
		if err != nil || len(ds) != 1 {
			return nil, fmt.Errorf("%s deliveries: %d, %v", who, len(ds), err)
		}
		folder := filepath.Join(inbox, who)
		if err := os.MkdirAll(folder, 0o700); err != nil {
			return nil, err
		}
		root, err := os.OpenRoot(folder)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		person := map[string]string{"nl-om": "p.bakker", "es-fge": "m.garcia"}[who]
		pl := &puller{x: x, pub: n.Signer.Public(), inbox: root, out: folder, rejectMismatch: true, stderr: stderr, quiet: true,
			signer: seals[who], agency: who, person: person}
		return pl.pull(ctx, ds[0])
	}
	p, err := pullAs("nl-om", http.DefaultClient)
	if err != nil {
		return nil, err
	}
	if p.Outcome != "accepted" || p.ReceiptError != "" {
		return nil, fmt.Errorf("nl-om: %s, want accepted", p.Outcome)
	}
	res.Pulls = append(res.Pulls, p)
	nlomFolder := p.Folder // the documents as nl-om received them: the report reads their identifiers
	say("3. p.bakker of nl-om pulled %s into %s, every SHA-256 matched: accepted, sealed with nl-om's key; evx's signed receipt %s", count(int64(p.Documents), "document"), p.Folder, p.Receipt)

	target := ""
	if m, _ := filepath.Glob(filepath.Join(out, "evidence", "seizure-report*")); len(m) > 0 {
		target = filepath.Base(m[0]) // the story's document, when the evidence has it
	}
	p, err = pullAs("es-fge", &http.Client{Transport: &tamperTransport{only: target}})
	if err != nil {
		return nil, err
	}
	if p.Outcome != "rejected" || len(p.Mismatches) == 0 || p.ReceiptError != "" {
		return nil, fmt.Errorf("es-fge: %s, want rejected", p.Outcome)
	}
	res.Pulls = append(res.Pulls, p)
	say("4. m.garcia of es-fge pulled a copy altered in transit: %s; rejected with reason code hash-mismatch, sealed with es-fge's key; evx's signed receipt %s in %s", p.Mismatches[0], p.Receipt, p.Folder)

	// 5. Both counterparts witness evx's log: each checks the checkpoint and cosigns it.
	vkeys, said, err := demoWitnesses(ctx, out, []string{"nl-om", "es-fge"}, func(who string) exchange {
		return &remoteExchange{c: newClient(who, http.DefaultClient)}
	}, n.Signer.Public())
	if err != nil {
		return nil, err
	}
	say("5. nl-om and es-fge witnessed evx's log (keys in %s):\n   %s", filepath.Join(out, "witness"), strings.Join(said, "\n   "))

	// 5b. The bundle is H1 (not for judicial proceedings without the provider's permission):
	// nl-om asks nl-pol for consent to use it in court, nl-pol grants it; both are events on
	// the bundle's trail, and without the grant evx report refuses the court report.
	if _, err := n.Service.RequestConsent(pipeline.ActingAs(ctx, pipeline.Party{Agency: "nl-om", Person: "p.bakker"}), bundle, custody.UseJudicial, ""); err != nil {
		return nil, fmt.Errorf("consent request: %w", err)
	}
	if _, err := n.Service.GrantConsent(pipeline.ActingAs(ctx, pipeline.Party{Agency: "nl-pol", Person: "j.devries"}), bundle, "nl-om", custody.UseJudicial, ""); err != nil {
		return nil, fmt.Errorf("consent grant: %w", err)
	}
	say("5b. the bundle is H1: p.bakker of nl-om asked nl-pol for consent to judicial use, j.devries of nl-pol granted it (ConsentRequested, ConsentGranted on the trail); without it no court report")

	// 6. Legal staff export the trail and verify it with evx's public key alone, and a quorum
	// of both witnesses.
	legal := &remoteExchange{c: newClient("clerk", http.DefaultClient)}
	exp, err := exportTrail(ctx, legal, bundle, custody.ExportOptions{})
	if err != nil {
		return nil, err
	}
	trailPath, keyPath := filepath.Join(out, "trail.json"), filepath.Join(out, "evx-public-key.pem")
	if err := os.WriteFile(trailPath, exp.raw, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyPath, exp.keyPEM, 0o644); err != nil {
		return nil, err
	}
	trail, _ := os.ReadFile(trailPath)
	key, _ := os.ReadFile(keyPath)
	pub, err := custody.ParsePublicKeyPEM(key)
	if err != nil {
		return nil, err
	}
	rep, err := custody.VerifyTrail(trail, pub, custody.VerifyOptions{Documents: filepath.Join(out, "evidence"), Witnesses: vkeys, Quorum: len(vkeys), AgencyKeys: pinned})
	if err != nil {
		return nil, fmt.Errorf("the trail does not verify: %w", err)
	}
	if rep.Complete == nil || !rep.Complete.Witnessed {
		return nil, fmt.Errorf("the trail is not proven complete by the witnesses: %+v", rep.Complete)
	}
	res.Trail, res.Key, res.Events, res.Verified = trailPath, keyPath, rep.Events, true
	say("6. trail %s: %s, verified with %s alone (log size %d, %s re-hashed);\n   complete as of checkpoint %d, cosigned by %s", trailPath, count(int64(rep.Events), "event"), keyPath, rep.LogSize, count(int64(rep.DocumentsCheck), "document"),
		rep.Complete.Size, strings.Join(rep.Complete.Cosigners, ", "))
	for _, sc := range rep.Seals {
		say("   seal of %s (%s), key %s, checked with the agency's own key: %s", sc.Agency, sc.Person, sc.KeyID, map[string]string{"sender": "sender's seal on the bag", "receipt": "receipt " + sc.Outcome}[sc.Kind])
	}
	if len(rep.Seals) != 3 {
		return nil, fmt.Errorf("the trail carries %d seals, want the sender's and both counterparts'", len(rep.Seals))
	}

	// 7. The court report, with the witnesses' cosignatures checked and the agencies named in
	// full from the directory; in English, and in Spanish for es-fge's court.
	reportDir := filepath.Join(out, "report")
	witnessArgs := []string{"--witness", filepath.Join(out, "witness", "nl-om.key.vkey"), "--witness", filepath.Join(out, "witness", "es-fge.key.vkey"), "--quorum", "2"}
	for _, r := range []struct{ lang, dir string }{{"en", reportDir}, {"es", reportDir + "-es"}} {
		var rout, rerr bytes.Buffer
		args := append([]string{"--lang", r.lang, "--out", r.dir, "--key", keyPath, "--directory", directory, "--documents", nlomFolder}, append(witnessArgs, trailPath)...)
		if code := runReport(ctx, args, &rout, &rerr); code != exitOK {
			return nil, fmt.Errorf("report --lang %s exited %d: %s", r.lang, code, strings.TrimSpace(rerr.String()))
		}
	}
	res.Report = reportDir
	say("7. report for legal staff written to %s (in Spanish: %s-es), naming the agencies in full and the witnesses verified, and listing the identifiers in the documents nl-om received (checked against their SHA-256 first)", reportDir, reportDir)
	if res.Requests, err = demoRequests(ctx, out, srcs, say); err != nil {
		return nil, fmt.Errorf("requests scene: %w", err)
	}
	if !demoMatchReady(ctx, samples, n.Directory) {
		say("9. identifier scene left out: it needs the built-in sample and a directory letting es-fge send and match, co-fgn receive")
	} else if res.Match, err = demoMatchScene(ctx, n, matcher, base, tok, newClient, out, say); err != nil {
		return nil, fmt.Errorf("identifier scene: %w", err)
	}
	say("\nEverything is in %s. Verify again by hand:\n  %s verify --key %s --witness %s --witness %s --quorum 2 %s", out, selfName(), keyPath,
		filepath.Join(out, "witness", "nl-om.key.vkey"), filepath.Join(out, "witness", "es-fge.key.vkey"), trailPath)
	if opt.hold == nil {
		say("The pages for the three roles were at %s/ while the demo ran; evx demo --serve keeps them.", base)
		return res, nil
	}

	// 8. A second bundle, left waiting for both counterparts to answer in the pages.
	waiting, err := demoWaitingBundle(ctx, newClient("inspector", http.DefaultClient), filepath.Join(out, "evidence"), filepath.Join(out, "waiting.zip"))
	if err != nil {
		return nil, err
	}
	res.Waiting = waiting
	say("10. uploaded bundle %s for nl-om and es-fge, left waiting for their answers", waiting)
	cancel() // the demo's time limit ends here; serving lasts until parent ends
	opt.hold(res)
	return res, nil
}

// demoWaitingBundle sends the evidence's text and CSV files (all of it when it has none)
// as a second case for nl-om and es-fge and returns its bundle id.
func demoWaitingBundle(ctx context.Context, c *client.Client, evidence, bagPath string) (string, error) {
	ents, err := os.ReadDir(evidence)
	if err != nil {
		return "", err
	}
	var srcs, all []string
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(evidence, e.Name())
		all = append(all, p)
		if ext := filepath.Ext(e.Name()); ext == ".txt" || ext == ".csv" {
			srcs = append(srcs, p)
		}
	}
	if len(srcs) == 0 {
		srcs = all
	}
	if len(srcs) == 0 {
		return "", fmt.Errorf("no evidence for the second bundle in %s", evidence)
	}
	if _, err := bagit.Create(bagPath, srcs, bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelCounterpart, Value: "es-fge"},
		{Label: bagit.LabelRequestReference, Value: "EIO-2026-0057"}, {Label: bagit.LabelExternalIdentifier, Value: "RTM-2026-131"},
		{Label: bagit.LabelRequestingState, Value: "ES"}, {Label: bagit.LabelRequestedState, Value: "NL"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H2"},
	}}); err != nil {
		return "", err
	}
	f, err := os.Open(bagPath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	st, err := c.Upload(ctx, f, fi.Size())
	if err != nil {
		return "", err
	}
	if st.Ingest == nil || !st.Ingest.Accepted {
		return "", fmt.Errorf("the second sample bundle was not accepted: %+v", st)
	}
	return st.Upload.BundleID, nil
}

// tamperTransport alters the first byte of one document it carries, as an attacker on the
// wire would: the first whose path contains only (any document when only is "").
type tamperTransport struct {
	only string
	done atomic.Bool
}

func (tt *tamperTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(r.URL.Path, "/documents/data/"+tt.only) || !tt.done.CompareAndSwap(false, true) {
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

// demoEvidence copies the evidence to send into dst: the samples folder when given, else the
// sample built into evx. It returns the paths to bag.
func demoEvidence(samples, dst string) ([]string, error) {
	var src fs.FS
	if samples != "" {
		src = os.DirFS(samples)
	} else {
		sub, err := fs.Sub(demoData, "demodata/sample")
		if err != nil {
			return nil, err
		}
		src = sub
	}
	if err := os.CopyFS(dst, src); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dst)
	if err != nil {
		return nil, err
	}
	var srcs []string
	for _, e := range ents {
		if e.IsDir() || e.Type().IsRegular() {
			srcs = append(srcs, filepath.Join(dst, e.Name()))
		}
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no evidence to send in %s", or(samples, "the built-in sample"))
	}
	return srcs, nil
}

// selfName is how to call this evx again from the current folder: the path it was started
// with (./bin/evx under make demo), or plain "evx" when it was found on PATH.
func selfName() string {
	if strings.ContainsRune(os.Args[0], filepath.Separator) {
		return os.Args[0]
	}
	return "evx"
}
