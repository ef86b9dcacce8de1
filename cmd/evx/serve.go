package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
	"github.com/evx-project/evx/shared/schedule"
	"github.com/evx-project/evx/shared/web"
)

func runServe(parent context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx serve", stderr,
		"Usage: evx serve --tokens FILE [--data DIR] [--directory FILE] [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE] [--agency ID] [--ocr [--ocr-lang LANGS]] [--json]\n"+
			"Opens the data folder (creating it and the signing key on first run), finishes any work a\n"+
			"previous run left pending, and serves the API until interrupted (SIGINT, SIGTERM). One evx\n"+
			"serve at a time per data folder. The tokens file is read again when it changes and on SIGHUP.\n"+
			"A non-loopback --addr needs TLS (--tls-cert, --tls-key) unless --insecure-http is given.\n"+
			"The pages for the three roles are at /, the independent trail verifier at /verify.html.\n")
	data := fs.String("data", "", "data folder (default $EVX_DATA, else ./.evx)")
	dir := fs.String("directory", defaultDirectory, "counterpart directory (YAML)")
	tokens := fs.String("tokens", "", "bearer tokens file: one \"TOKEN ROLE [SUBJECT]\" line per caller, mode 0600 (required)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	maxUpload := fs.Int64("max-upload", 8<<30, "largest bag accepted, in bytes")
	window := fs.Duration("receipt-window", 14*24*time.Hour, "time a counterpart has to post its receipt")
	expireEvery := fs.Duration("expire-every", time.Minute, "how often overdue deliveries are expired")
	auditEvery := fs.Duration("audit-every", 24*time.Hour, "how often every stored document is re-hashed (evx audit); 0 turns it off")
	requestsEvery := fs.Duration("requests-every", time.Minute, "how often the request clocks are swept: DeadlineMissed, PeriodEnded and reminders recorded (docs/requests.md); 0 turns it off")
	asJSON := fs.Bool("json", false, "announce the address, data folder and key id as one line of JSON")
	tlsCert := fs.String("tls-cert", "", "TLS certificate chain (PEM) to serve HTTPS with")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM) of --tls-cert")
	insecure := fs.Bool("insecure-http", false, "allow plain HTTP on a non-loopback address (tokens and evidence then cross the network in clear)")
	agency := fs.String("agency", defaultAgency, "this deployment's agency: the holder, for the identifier index, of what its uploaders send")
	useOCR := fs.Bool("ocr", false, "read the images and scanned PDF pages of accepted bundles with tesseract (and pdftoppm), in the languages of the bundle's states")
	ocrLang := fs.String("ocr-lang", "", "with --ocr: tesseract languages joined by + for every bundle (e.g. deu+fra) instead of the states' languages")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if *tokens == "" || len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		fmt.Fprintln(stderr, "evx serve: --tls-cert and --tls-key go together")
		return exitUsage
	}
	if err := checkListen(*addr, *tlsCert != "", *insecure); err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	// The file's form first (permissions, size, lines), before anything is opened; its
	// counterpart ids once the directory is loaded.
	if _, err := api.LoadTokens(*tokens); err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	log := slog.New(slog.NewTextHandler(stderr, nil))
	dataDir := local.DataDir(*data)
	lock, err := local.LockDataDir(dataDir)
	if err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	defer lock.Close()
	nodeOpts := local.NodeOptions{Directory: *dir, ReceiptWindow: *window, MaxUploadSize: *maxUpload, Agency: *agency, Log: log}
	if *useOCR {
		ocr := ocrEngine(*ocrLang)
		if v, err := ocr.Version(ctx); err != nil {
			log.Warn("OCR asked for but not available: documents needing it are recorded with the reason", "err", err)
		} else {
			log.Info("OCR on", "engine", v, "languages", *ocrLang)
		}
		nodeOpts.OCR = ocr
	} else if *ocrLang != "" {
		fmt.Fprintln(stderr, "evx serve: --ocr-lang needs --ocr")
		return exitUsage
	}
	node, err := openNode(ctx, dataDir, nodeOpts)
	if err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	defer node.Close()
	lookup := func(id string) (pipeline.Agency, bool) {
		a, err := node.Directory.Counterpart(context.Background(), id)
		return a, err == nil
	}
	toks, err := api.OpenAgencyTokenFile(*tokens, lookup, log)
	if err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	go toks.Watch(ctx, 2*time.Second)
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGHUP {
				log.Info("SIGHUP: reading the tokens file again", "file", *tokens)
				toks.Reload()
				continue
			}
			why := &stopSignal{sig}
			log.Info("evx serve stopping", "reason", why)
			cancel(why)
			return
		}
	}()
	matcher, _, err := node.OpenMatcher(ctx, *agency, nil, pipeline.MatchLimits{})
	if err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	backfill := func() {
		if n, err := node.BackfillIndex(ctx, matcher); err != nil && ctx.Err() == nil {
			log.Error("identifier index", "err", err)
		} else if n > 0 {
			log.Info("indexed identifiers", "bundles", n)
		}
	}
	// Every change to the agencies' seal keys in the directory becomes an event of the log.
	if evs, err := node.Service.SyncAgencyKeys(ctx, node.Directory.Counterparts(), time.Now()); err != nil {
		log.Error("agency keys", "err", err)
	} else if len(evs) > 0 {
		log.Info("agency key changes recorded", "events", len(evs))
	}
	if n, err := node.Service.Resume(ctx); err != nil {
		log.Error("resume", "uploads", n, "err", err)
	} else if n > 0 {
		log.Info("resumed pending uploads", "uploads", n)
	}
	backfill()
	if n, err := node.Reindex(ctx); err != nil && ctx.Err() == nil {
		log.Error("search index", "err", err)
	} else if n > 0 {
		log.Info("indexed bundles for search", "bundles", n)
	}
	fnt, err := embeddedFonts()
	if err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitInvalid
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	srv := &http.Server{
		Handler:           serveMux(api.New(node.Service, node.Uploads, toks, api.Limits{MaxUpload: *maxUpload}, log).WithHomeAgency(*agency).WithReportFonts(fnt).WithMatcher(matcher).WithDirectory(node.Directory).WithSessions(api.NewSessions(nil)).WithRequests(node.Requests).WithResumable(node.Parts)),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	sched := &schedule.Scheduler{Log: log, Tasks: []schedule.Task{
		{Name: "resume", Every: *expireEvery, Run: func(ctx context.Context) error {
			_, err := node.Service.Resume(ctx)
			backfill()
			return err
		}},
		{Name: "uploads", Every: *expireEvery, Run: func(ctx context.Context) error {
			n, err := node.Parts.Sweep(ctx)
			if n > 0 {
				log.Info("resumable uploads expired", "removed", n)
			}
			return err
		}},
		{Name: "requests", Every: *requestsEvery, Run: func(ctx context.Context) error {
			res, err := node.Requests.Sweep(ctx)
			if res.Missed+res.Ended+res.Reminders > 0 {
				log.Info("request clocks", "requests", res.Requests, "deadlines_missed", res.Missed, "periods_ended", res.Ended, "reminders", res.Reminders)
			}
			n, perr := request.SyncPreservations(ctx, node.Requests, node.Service.SyncRetention)
			if n > 0 {
				log.Info("preservation periods recorded on bundles", "bundles", n)
			}
			return errors.Join(err, perr)
		}},
		{Name: "audit", Every: *auditEvery, Run: func(ctx context.Context) error {
			res, err := auditNode(ctx, node)
			bad := 0
			for _, r := range res {
				if len(r.Reasons) > 0 {
					bad++
				}
			}
			log.Info("audit done", "bundles", len(res), "with_mismatch", bad)
			return err
		}},
	}}
	go sched.Run(ctx)
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(map[string]string{"url": scheme + "://" + ln.Addr().String(), "data": dataDir, "key_id": node.Signer.KeyID()})
	} else {
		fmt.Fprintf(stdout, "evx: serving %s://%s (data folder %s, key %s)\n", scheme, ln.Addr(), dataDir, node.Signer.KeyID())
	}
	if *tlsCert != "" {
		err = srv.ServeTLS(ln, *tlsCert, *tlsKey)
	} else {
		err = srv.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("evx serve stopped", "reason", err)
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitInvalid
	}
	log.Info("evx serve stopped", "reason", context.Cause(ctx))
	return exitOK
}

// serveMux serves the API under /v1/ and the pages (package web) everywhere else.
func serveMux(a http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", a)
	mux.Handle("/", web.App())
	return mux
}

// stopSignal is why evx serve stopped: the signal it received.
type stopSignal struct{ sig os.Signal }

func (s *stopSignal) Error() string {
	name := s.sig.String()
	if s.sig == syscall.SIGTERM {
		name = "SIGTERM"
	} else if s.sig == os.Interrupt {
		name = "SIGINT"
	}
	return "received " + name + " (finishing the requests in progress, then closing the data folder)"
}

// checkListen refuses a non-loopback address without TLS unless insecure is set: tokens
// and evidence would cross the network in clear.
func checkListen(addr string, tls, insecure bool) error {
	if tls || insecure {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %s is not a loopback address: serve TLS (--tls-cert, --tls-key), or give --insecure-http to send tokens and evidence in clear", addr)
}
