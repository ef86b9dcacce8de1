package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
)

func init() {
	commands = append(commands, command{
		name:    "match",
		summary: "ask whether any agency holds an identifier (hit or no hit, never the evidence)",
		run:     runMatch,
	})
}

// defaultAgency names the deployment's own agency when --agency is not given to evx serve.
const defaultAgency = "home"

// runMatch is `evx match --type TYPE VALUE...`: hit or no hit for each value, and for a hit
// which agency holds it and the reference to request it under. Exit codes: 0 answered,
// 1 refused (not allowed, rate limit) or failed, 2 usage.
func runMatch(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx match", stderr,
		"Usage: evx match [--server URL --token T | --data DIR --directory FILE [--as AGENCY]] --type TYPE [--json] VALUE...\n"+
			"Asks the identifier index whether any agency holds each VALUE: the answer is hit or no hit and,\n"+
			"for a hit, the holding agency and a reference to request it under; never its documents.\n"+
			"Every question is recorded in the custody log under your agency's matching subject.\n"+
			"Types: "+typeNames()+".\n"+
			"Exit codes: 0 answered, 1 refused or failed, 2 usage error.\n")
	typ := fs.String("type", "", "identifier type (required)")
	server := fs.String("server", "", "evx server URL (else work on --data directly)")
	token := fs.String("token", os.Getenv("EVX_TOKEN"), "bearer token for --server (default $EVX_TOKEN)")
	data := fs.String("data", "", "data folder, without a server (default $EVX_DATA, else ./.evx)")
	dir := fs.String("directory", defaultDirectory, "counterpart directory, with --data")
	home := fs.String("home", defaultAgency, "the deployment's own agency, with --data (as evx serve --agency)")
	as := fs.String("as", "", "ask as this agency, with --data (default: the deployment's own)")
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if *typ == "" || len(pos) == 0 {
		fs.Usage()
		return exitUsage
	}
	t, err := identify.ParseType(*typ)
	if err != nil {
		fmt.Fprintln(stderr, "evx match:", err)
		return exitUsage
	}
	qs := make([]pipeline.Query, len(pos))
	for i, v := range pos {
		qs[i] = pipeline.Query{Type: t, Value: v}
	}
	ctx := context.Background()
	var out []pipeline.Outcome
	if *server != "" {
		out, err = matchHTTP(ctx, *server, *token, qs)
	} else {
		out, err = matchLocal(ctx, local.DataDir(*data), *dir, *home, *as, qs)
	}
	if err != nil {
		fmt.Fprintln(stderr, "evx match:", err)
		return exitInvalid
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(api.MatchResponse{Results: out})
		return exitOK
	}
	for _, o := range out {
		switch o.Result {
		case "hit":
			for _, h := range o.Holders {
				fmt.Fprintf(stdout, "%s %s: HIT, held by %s; request it under reference %s\n", o.Type, o.Value, h.Agency, h.Reference)
			}
		case "no-hit":
			fmt.Fprintf(stdout, "%s %s: no hit\n", o.Type, o.Value)
		default:
			fmt.Fprintf(stdout, "%s: not asked: %s\n", o.Type, o.Reason)
		}
		if len(o.Own) > 0 {
			fmt.Fprintf(stdout, "  also in your agency's bundles: %s\n", strings.Join(o.Own, ", "))
		}
	}
	return exitOK
}

func typeNames() string {
	names := make([]string, len(identify.Types))
	for i, t := range identify.Types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func matchLocal(ctx context.Context, dataDir, dir, home, as string, qs []pipeline.Query) ([]pipeline.Outcome, error) {
	n, err := openNode(ctx, dataDir, local.NodeOptions{Directory: dir})
	if err != nil {
		return nil, err
	}
	defer n.Close()
	m, _, err := n.OpenMatcher(ctx, home, nil, pipeline.MatchLimits{})
	if err != nil {
		return nil, err
	}
	if _, err := n.BackfillIndex(ctx, m); err != nil {
		return nil, err
	}
	if as == "" {
		as = home
	}
	who := os.Getenv("USER")
	if who == "" {
		who = "cli"
	}
	return m.Match(ctx, pipeline.Asker{Agency: as, Person: who}, qs)
}

func matchHTTP(ctx context.Context, server, token string, qs []pipeline.Query) ([]pipeline.Outcome, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want http://HOST:PORT or https://HOST", server)
	}
	if token == "" {
		return nil, errors.New("--server needs --token (or $EVX_TOKEN)")
	}
	body, _ := json.Marshal(api.MatchRequest{Identifiers: qs})
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(server, "/")+"/v1/match", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.Unmarshal(b, &e)
		return nil, fmt.Errorf("%s: %s", resp.Status, e.Error)
	}
	var r api.MatchResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	return r.Results, nil
}
