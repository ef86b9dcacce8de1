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
)

func init() {
	commands = append(commands, command{name: "serve", summary: "run the embedded pipeline and its HTTP API on this machine", run: runServe})
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx serve", stderr,
		"Usage: evx serve --tokens FILE [--data DIR] [--directory FILE] [--addr HOST:PORT] [--agency ID] [--json]\n"+
			"Opens the data folder (creating it and the signing key on first run), finishes any work a\n"+
			"previous run left pending, and serves the API until interrupted (SIGINT, SIGTERM).\n")
	data := fs.String("data", "", "data folder (default $EVX_DATA, else ./.evx)")
	dir := fs.String("directory", defaultDirectory, "counterpart directory (YAML)")
	tokens := fs.String("tokens", "", "bearer tokens file: one \"TOKEN ROLE [SUBJECT]\" line per caller, mode 0600 (required)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	maxUpload := fs.Int64("max-upload", 8<<30, "largest bag accepted, in bytes")
	window := fs.Duration("receipt-window", 14*24*time.Hour, "time a counterpart has to post its receipt")
	expireEvery := fs.Duration("expire-every", time.Minute, "how often overdue deliveries are expired")
	asJSON := fs.Bool("json", false, "announce the address, data folder and key id as one line of JSON")
	agency := fs.String("agency", defaultAgency, "this deployment's agency: the holder, for the identifier index, of what its uploaders send")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if *tokens == "" || len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	toks, err := api.LoadTokens(*tokens)
	if err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	dataDir := local.DataDir(*data)
	node, err := openNode(ctx, dataDir, local.NodeOptions{Directory: *dir, ReceiptWindow: *window, MaxUploadSize: *maxUpload, Log: log})
	if err != nil {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitUsage
	}
	defer node.Close()
	if n, err := node.Service.Resume(ctx); err != nil {
		log.Error("resume", "uploads", n, "err", err)
	} else if n > 0 {
		log.Info("resumed pending uploads", "uploads", n)
	}
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
	backfill()
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
		Handler:           api.New(node.Service, node.Uploads, toks, api.Limits{MaxUpload: *maxUpload}, log).WithReportFonts(fnt).WithMatcher(matcher),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		t := time.NewTicker(*expireEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := node.Service.Resume(ctx); err != nil && ctx.Err() == nil {
					log.Error("resume", "err", err)
				}
				backfill()
			}
		}
	}()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if *asJSON {
		json.NewEncoder(stdout).Encode(map[string]string{"url": "http://" + ln.Addr().String(), "data": dataDir, "key_id": node.Signer.KeyID()})
	} else {
		fmt.Fprintf(stdout, "evx: serving http://%s (data folder %s, key %s)\n", ln.Addr(), dataDir, node.Signer.KeyID())
	}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "evx serve:", err)
		return exitInvalid
	}
	return exitOK
}
