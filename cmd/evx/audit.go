package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/pipeline"
)

const auditUsage = `Usage: evx audit [--data DIR] [--directory FILE] [--json]

Re-hashes every stored document of every accepted bundle in the data folder against the
SHA-256 its acceptance recorded, and records a FixityCheck event on each bundle's trail: with
no reasons when every document matched, with each mismatch (altered or missing) when not.
evx serve runs the same audit every --audit-every.

Exit codes: 0 every document intact; 1 a mismatch was found (and recorded); 2 usage error or
unreadable data folder.

Options:
`

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("audit", stderr, auditUsage)
	data := fs.String("data", "", "data folder (default $EVX_DATA, else ./.evx)")
	dir := fs.String("directory", defaultDirectory, "counterpart directory (YAML)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	pos, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fs.Usage()
		return exitUsage
	}
	dataDir := local.DataDir(*data)
	if _, err := os.Stat(dataDir); err != nil {
		fmt.Fprintln(stderr, "evx audit:", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	node, err := openNode(ctx, dataDir, local.NodeOptions{Directory: *dir, Log: log})
	if err != nil {
		fmt.Fprintln(stderr, "evx audit:", err)
		return exitUsage
	}
	defer node.Close()
	res, err := auditNode(ctx, node)
	if err != nil {
		fmt.Fprintln(stderr, "evx audit:", err)
		return exitUsage
	}
	bad := 0
	for _, r := range res {
		if len(r.Reasons) > 0 {
			bad++
		}
	}
	if *asJSON {
		if res == nil {
			res = []pipeline.AuditResult{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"intact": bad == 0, "bundles": res})
	} else {
		for _, r := range res {
			if len(r.Reasons) == 0 {
				fmt.Fprintf(stdout, "ok        %s (FixityCheck seq %d)\n", r.BundleID, r.Seq)
				continue
			}
			fmt.Fprintf(stdout, "MISMATCH  %s (FixityCheck seq %d)\n", r.BundleID, r.Seq)
			for _, m := range r.Reasons {
				fmt.Fprintf(stdout, "          %s\n", m)
			}
		}
		fmt.Fprintf(stdout, "%d bundles checked, %d with a mismatch\n", len(res), bad)
	}
	if bad > 0 {
		return exitInvalid
	}
	return exitOK
}

// auditNode runs the fixity audit over every upload of the node.
func auditNode(ctx context.Context, node *local.Node) ([]pipeline.AuditResult, error) {
	ups, err := node.Uploads.All(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ups))
	for i, u := range ups {
		ids[i] = u.BundleID
	}
	return node.Service.Audit(ctx, ids)
}
