package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/witness"
)

// record appends one event of bundle b through a keeper on the node's ledger.
func recordOne(t *testing.T, k *custody.Keeper, b string) {
	t.Helper()
	if _, err := k.Record(context.Background(), b, custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "test"}, custody.Details{}); err != nil {
		t.Fatal(err)
	}
}

// TestWitnessOffersAndExports: witnesses asking while the log does not grow get one
// checkpoint; a grown log gets a new one with its consistency proof; an export carries the
// most cosigned of the recent checkpoints; cosignatures are capped per checkpoint.
func TestWitnessOffersAndExports(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)}
	n := openNode(t, t.TempDir(), clock)
	svc := n.Service
	k := &custody.Keeper{Ledger: n.Ledger, Signer: n.Signer, Origin: svc.Origin(), Now: clock.Now}
	recordOne(t, k, "W-1")
	recordOne(t, k, "W-2")

	a, err := svc.WitnessOffer(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.WitnessOffer(ctx, 0)
	if err != nil || b.Checkpoint != a.Checkpoint || a.Size != 2 {
		t.Fatalf("second offer = %+v, %v; want the same checkpoint of size 2", b, err)
	}
	ws := make([]*witness.Witness, 3)
	vkeys := make([]string, 3)
	for i := range ws {
		skey, vkey, err := witness.GenerateKey("w" + string(rune('a'+i)) + ".example/witness")
		if err != nil {
			t.Fatal(err)
		}
		if ws[i], err = witness.New(skey, t.TempDir(), n.Signer.Public()); err != nil {
			t.Fatal(err)
		}
		vkeys[i] = vkey
	}
	cosign := func(w *witness.Witness, o *pipeline.WitnessOffer) {
		t.Helper()
		res, err := w.Cosign(witness.Offer{Checkpoint: []byte(o.Checkpoint), FromSize: o.FromSize, Proof: o.Proof})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.AddCosignature(ctx, res.Size, w.VerifierKey(), string(res.Cosignature)); err != nil {
			t.Fatal(err)
		}
	}
	cosign(ws[0], a)
	cosign(ws[1], a)
	// The log grows; the third witness cosigns the new checkpoint, from the size it holds.
	recordOne(t, k, "W-1")
	clock.Advance(time.Minute)
	if _, err := ws[2].Cosign(witness.Offer{Checkpoint: []byte(a.Checkpoint)}); err != nil {
		t.Fatal(err)
	}
	c, err := svc.WitnessOffer(ctx, 2)
	if err != nil || c.Size != 3 || c.FromSize != 2 || len(c.Proof) == 0 || c.Checkpoint == a.Checkpoint {
		t.Fatalf("offer after growth = %+v, %v; want a new checkpoint of size 3 with a proof from 2", c, err)
	}
	cosign(ws[2], c)
	if _, err := svc.WitnessOffer(ctx, 9); err == nil {
		t.Fatal("offer from a size beyond the log: no error")
	}

	// The export carries the checkpoint of size 2 (two cosignatures) rather than 3 (one).
	tr, err := svc.Export(ctx, "W-1", custody.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Witnessed == nil || !strings.Contains(tr.Witnessed.Checkpoint, "\n2\n") {
		t.Fatalf("exported witnessed checkpoint %+v, want the one of size 2", tr.Witnessed)
	}
	rep, err := custody.Verify(tr, n.Signer.Public(), custody.VerifyOptions{Witnesses: vkeys[:2], Quorum: 2})
	if err != nil || !rep.Complete.Witnessed || rep.Complete.Size != 2 {
		t.Fatalf("Verify(quorum of the two) = %+v, %v", rep, err)
	}
	// W-1's event at leaf 2 is after the witnessed checkpoint: the trail still holds it, and
	// is complete as of size 2.
	if len(tr.Events) != 2 {
		t.Fatalf("trail of W-1 has %d events, want 2", len(tr.Events))
	}

	// A cosignature by the wrong key, an unknown checkpoint, garbage: typed refusals.
	var ce *pipeline.CosignatureError
	if err := svc.AddCosignature(ctx, 2, vkeys[2], "\u2014 wa.example/witness AAAA"); !errors.As(err, &ce) {
		t.Fatalf("AddCosignature(forged) = %v, want *CosignatureError", err)
	}
	if err := svc.AddCosignature(ctx, 77, vkeys[0], "x"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("AddCosignature(unknown size) = %v, want ErrNotFound", err)
	}
	if err := svc.AddCosignature(ctx, 2, "not a key", "x"); !errors.As(err, &ce) {
		t.Fatalf("AddCosignature(bad vkey) = %v, want *CosignatureError", err)
	}
	// Leaves: paged, and refused beyond the log.
	ls, err := svc.Leaves(ctx, 1, 100)
	if err != nil || len(ls) != 2 || ls[0].Leaf != 1 || ls[1].Key != custody.BundleKey("W-1") || ls[1].BundleID != "" || ls[1].Seq != 2 {
		t.Fatalf("Leaves(1, 100) = %+v, %v", ls, err)
	}
	if _, err := svc.Leaves(ctx, 5, 6); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("Leaves beyond the log = %v, want ErrNotFound", err)
	}
}

// TestWitnessOfferStoredOnly: with OfferStoredOnly the offer never signs: it serves the
// latest checkpoint PublishCheckpoint kept (ErrNotFound before the first), with the
// consistency proof to it, also while the log has grown past it; a second publication at the
// same size keeps the first, so every witness cosigns one checkpoint.
func TestWitnessOfferStoredOnly(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)}
	n := openNode(t, t.TempDir(), clock)
	svc, err := pipeline.New(pipeline.Config{
		Blobs: n.Blobs, Ledger: n.Ledger, Signer: n.Signer, Queue: n.Queue, Directory: n.Directory,
		Deliveries: n.Deliveries, Uploads: n.Uploads, Bags: n.Uploads, Checkpoints: n.Checkpoints,
		Origin: n.Service.Origin(), Clock: clock.Now, OfferStoredOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	k := &custody.Keeper{Ledger: n.Ledger, Signer: n.Signer, Origin: svc.Origin(), Now: clock.Now}
	recordOne(t, k, "S-1")
	if o, err := svc.WitnessOffer(ctx, 0); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("offer before any publication = %+v, %v; want ErrNotFound", o, err)
	}
	if sizes, _ := n.Checkpoints.RecentCheckpoints(ctx, 1); len(sizes) != 0 {
		t.Fatalf("the offer stored checkpoints %v, want none", sizes)
	}
	first, err := svc.PublishCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	again, err := svc.PublishCheckpoint(ctx)
	if err != nil || string(again) == string(first) {
		t.Fatalf("second publication = %q, %v; want a checkpoint signed afresh", again, err)
	}
	recordOne(t, k, "S-2")
	recordOne(t, k, "S-1")
	o, err := svc.WitnessOffer(ctx, 0)
	if err != nil || o.Checkpoint != string(first) || o.Size != 1 {
		t.Fatalf("offer of a grown log = %+v, %v; want the first checkpoint published, of size 1", o, err)
	}
	if _, err := svc.PublishCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	o, err = svc.WitnessOffer(ctx, 1)
	if err != nil || o.Size != 3 || o.FromSize != 1 || len(o.Proof) == 0 {
		t.Fatalf("offer from 1 after publication at 3 = %+v, %v; want size 3 with a proof", o, err)
	}
	skey, vkey, err := witness.GenerateKey("ws.example/witness")
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(skey, t.TempDir(), n.Signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Cosign(witness.Offer{Checkpoint: []byte(o.Checkpoint)})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AddCosignature(ctx, res.Size, vkey, string(res.Cosignature)); err != nil {
		t.Fatal(err)
	}
	if cp, err := svc.CosignedCheckpoint(ctx, 0); err != nil || !strings.HasPrefix(string(cp), o.Checkpoint) || len(cp) == len(o.Checkpoint) {
		t.Fatalf("CosignedCheckpoint(latest) = %q, %v; want the published checkpoint with its cosignature", cp, err)
	}
	recordOne(t, k, "S-3")
	if o, err := svc.WitnessOffer(ctx, 4); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("offer from a size past the latest publication = %+v, %v; want ErrNotFound", o, err)
	}
}
