package local

import (
	"context"
	"path/filepath"

	"github.com/evx-project/evx/shared/backend/local/sqliteindex"
	"github.com/evx-project/evx/shared/pipeline"
)

// OpenMatcher opens the node's identifier index (tables in the node's database, the secret
// in sqliteindex.SecretFile, created 0600 on first run) and returns the Matcher over it.
// agency is the deployment's own agency, the holder of what its uploaders send; clock as in
// NodeOptions.
func (n *Node) OpenMatcher(ctx context.Context, agency string, clock pipeline.Clock, lim pipeline.MatchLimits) (*pipeline.Matcher, *sqliteindex.Index, error) {
	secret, err := sqliteindex.LoadOrCreateSecret(filepath.Join(n.Dir, sqliteindex.SecretFile))
	if err != nil {
		return nil, nil, err
	}
	idx, err := sqliteindex.New(ctx, n.DB)
	if err != nil {
		return nil, nil, err
	}
	m, err := pipeline.NewMatcher(pipeline.MatchConfig{
		Index: idx, Ledger: n.Ledger, Signer: n.Signer, Blobs: n.Blobs, Bags: n.Uploads, Queue: n.Queue,
		Directory: n.Directory, Secret: secret, Agency: agency, Origin: n.Service.Origin(), Clock: clock, Limits: lim,
	})
	if err != nil {
		return nil, nil, err
	}
	return m, idx, nil
}

// BackfillIndex indexes every accepted bundle not yet indexed (each indexing recorded on
// the bundle's trail as IdentifiersIndexed) and returns how many it indexed.
func (n *Node) BackfillIndex(ctx context.Context, m *pipeline.Matcher) (int, error) {
	ups, err := n.Uploads.Accepted(ctx)
	if err != nil {
		return 0, err
	}
	ids := make([]string, len(ups))
	for i, u := range ups {
		ids[i] = u.BundleID
	}
	return m.Backfill(ctx, ids)
}
