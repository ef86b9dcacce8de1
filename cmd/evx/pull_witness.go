package main

import (
	"context"
	"crypto"
	"io"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// witnessExchange is what a witness round needs of evx besides the exchange: the checkpoint
// to cosign with its consistency proof, and taking the cosignature back.
type witnessExchange interface {
	witnessOffer(ctx context.Context, from uint64) (*pipeline.WitnessOffer, error)
	postCosignature(ctx context.Context, size uint64, vkey, line string) error
	leaves(ctx context.Context, from, to uint64) ([]custody.Head, error)
}

var (
	_ witnessExchange = (*localExchange)(nil)
	_ witnessExchange = (*remoteExchange)(nil)
)

func (l *localExchange) witnessOffer(ctx context.Context, from uint64) (*pipeline.WitnessOffer, error) {
	return l.n.Service.WitnessOffer(ctx, from)
}

func (l *localExchange) postCosignature(ctx context.Context, size uint64, vkey, line string) error {
	return l.n.Service.AddCosignature(ctx, size, vkey, line)
}

func (l *localExchange) leaves(ctx context.Context, from, to uint64) ([]custody.Head, error) {
	return l.n.Service.Leaves(ctx, from, to)
}

func (r *remoteExchange) leaves(ctx context.Context, from, to uint64) ([]custody.Head, error) {
	ls, err := r.c.Leaves(ctx, from, to)
	return ls, r.explain(err)
}

func (r *remoteExchange) witnessOffer(ctx context.Context, from uint64) (*pipeline.WitnessOffer, error) {
	o, err := r.c.WitnessOffer(ctx, from)
	return o, r.explain(err)
}

func (r *remoteExchange) postCosignature(ctx context.Context, size uint64, vkey, line string) error {
	return r.explain(r.c.PostCosignature(ctx, size, vkey, line))
}

// pullWitness is the witness round of evx pull --witness-key: checkpoints are checked with the
// key pull checks receipts with; with --json the round's outcome goes to stderr.
func pullWitness(ctx context.Context, x exchange, wf witnessFlags, pub crypto.PublicKey, asJSON bool, stdout, stderr io.Writer) int {
	out := stdout
	if asJSON {
		out = stderr
	}
	return witnessRound(ctx, x, wf, pub, "evx pull", false, out, stderr)
}
