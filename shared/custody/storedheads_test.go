package custody

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// keptHeadsLedger keeps heads only at the sizes in kept, as the AWS backend keeps those of the
// checkpoints its audit function signed.
type keptHeadsLedger struct {
	*MemLedger
	kept map[uint64]bool
}

func (l keptHeadsLedger) Heads(ctx context.Context, size uint64) ([]Head, error) {
	if !l.kept[size] {
		return nil, fmt.Errorf("heads at %d: %w", size, ErrHeadsUnknown)
	}
	return l.MemLedger.Heads(ctx, size)
}

// A ledger that keeps heads at some sizes only: checkpoints and trails at the others carry no
// heads line and no head record (and verify, not proven complete); a witnessed checkpoint at a
// kept size gives completeness; one whose heads are no longer kept is refused at export, since
// a trail without its head record would fail verification.
func TestHeadsKeptAtSomeSizes(t *testing.T) {
	ctx := context.Background()
	w := newWitnessLog(t)
	mem := w.k.Ledger.(*MemLedger)
	cosigned := w.checkpoint(t, 3, 0) // signed while every size's heads are known
	kept := keptHeadsLedger{MemLedger: mem, kept: map[uint64]bool{3: true}}
	k := &Keeper{Ledger: kept, Signer: w.k.Signer, Origin: w.k.Origin, Now: w.k.Now}
	pub := k.Signer.Public()

	cp, err := k.CheckpointAt(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cp), "\nheads ") {
		t.Errorf("checkpoint at a size without heads kept has a heads line:\n%s", cp)
	}
	if cp, err = k.CheckpointAt(ctx, 3); err != nil || !strings.Contains(string(cp), "\nheads 2 ") {
		t.Errorf("checkpoint at a kept size = %q, %v; want a heads line of 2 bundles", cp, err)
	}

	tr, err := k.Export(ctx, "B", ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Head != nil {
		t.Errorf("trail at size 5 carries a head record %+v; no heads are kept there", tr.Head)
	}
	rep, err := Verify(tr, pub, VerifyOptions{})
	if err != nil || rep.Complete != nil {
		t.Errorf("Verify(trail without heads) = %+v, %v; want verified, completeness not proven", rep, err)
	}

	tr, err = k.Export(ctx, "B", ExportOptions{Witnessed: cosigned})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Witnessed == nil || tr.Witnessed.Head == nil {
		t.Fatalf("witnessed record %+v, want the head proof at the kept size 3", tr.Witnessed)
	}
	rep, err = Verify(tr, pub, VerifyOptions{Witnesses: w.vkeys, Quorum: 1})
	if err != nil || rep.Complete == nil || rep.Complete.Size != 3 || !rep.Complete.Witnessed {
		t.Errorf("Verify(quorum 1) = %+v, %v; want complete as of the witnessed checkpoint, 3", rep, err)
	}

	delete(kept.kept, 3)
	if _, err := k.Export(ctx, "B", ExportOptions{Witnessed: cosigned}); !errors.Is(err, ErrHeadsUnknown) {
		t.Errorf("export with a witnessed checkpoint whose heads are no longer kept = %v, want ErrHeadsUnknown", err)
	}
	// A witnessed checkpoint without a heads line needs none.
	plain, err := k.CheckpointAt(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if tr, err = k.Export(ctx, "B", ExportOptions{Witnessed: w.cosign(t, plain, 0)}); err != nil || tr.Witnessed == nil || tr.Witnessed.Head != nil {
		t.Errorf("export witnessed by a checkpoint without heads = %+v, %v", tr, err)
	}

	if hc, has, err := NoteHeads(cosigned); err != nil || !has || hc.Size != 2 {
		t.Errorf("NoteHeads(cosigned checkpoint of size 3) = %+v, %v, %v; want 2 heads", hc, has, err)
	}
	if _, has, err := NoteHeads(plain); err != nil || has {
		t.Errorf("NoteHeads(checkpoint without heads) = %v, %v; want none", has, err)
	}
	if _, _, err := NoteHeads([]byte("not a checkpoint")); err == nil {
		t.Error("NoteHeads(garbage) = nil error")
	}

	// Any other error of the lister is the export's.
	broken := &Keeper{Ledger: brokenHeads{mem}, Signer: k.Signer, Origin: k.Origin}
	if _, err := broken.Export(ctx, "B", ExportOptions{}); err == nil || errors.Is(err, ErrHeadsUnknown) {
		t.Errorf("export over a failing head lister = %v, want its error", err)
	}
}

type brokenHeads struct{ *MemLedger }

func (brokenHeads) Heads(context.Context, uint64) ([]Head, error) {
	return nil, errors.New("scan failed")
}
