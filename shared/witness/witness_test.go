package witness

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"golang.org/x/mod/sumdb/note"
)

const origin = "evx.test/custody"

func keeper(t testing.TB, seed string) *custody.Keeper {
	t.Helper()
	s := sha256.Sum256([]byte(seed))
	sg, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(s[:]))
	if err != nil {
		t.Fatal(err)
	}
	return &custody.Keeper{Ledger: custody.NewMemLedger(), Signer: sg, Origin: origin}
}

// grow records n events of bundle b; detail makes two logs differ.
func grow(t *testing.T, k *custody.Keeper, b string, n int, detail string) {
	t.Helper()
	for range n {
		if _, err := k.Record(context.Background(), b, custody.Hashed, custody.Actor{Kind: custody.ActorSystem, ID: "ingest"}, custody.Details{Reference: detail}); err != nil {
			t.Fatal(err)
		}
	}
}

// offer is the log's offer to a witness holding size from.
func offer(t *testing.T, k *custody.Keeper, from uint64) Offer {
	t.Helper()
	ctx := context.Background()
	cp, err := k.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := k.Ledger.LogSize(ctx)
	o := Offer{Checkpoint: cp, FromSize: from}
	if from > 0 && from < size {
		if o.Proof, err = custody.ConsistencyProof(ctx, k.Ledger, from, size); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func newWitness(t *testing.T, k *custody.Keeper, name string) *Witness {
	t.Helper()
	skey, vkey, err := GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(skey, t.TempDir(), k.Signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	if w.VerifierKey() != vkey {
		t.Fatalf("VerifierKey() = %s, want %s", w.VerifierKey(), vkey)
	}
	return w
}

func TestCosignExtends(t *testing.T) {
	k := keeper(t, "log")
	w := newWitness(t, k, "nl-om")
	grow(t, k, "B1", 3, "")
	r, err := w.Cosign(offer(t, k, 0))
	if err != nil || !r.First || r.Size != 3 {
		t.Fatalf("first Cosign = %+v, %v; want first use at size 3", r, err)
	}
	v, err := custody.CosignatureVerifier(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if got := custody.Cosigners(r.Cosigned, []note.Verifier{v}); len(got) != 1 {
		t.Fatalf("Cosigners(cosigned) = %v, want the witness", got)
	}
	// The same checkpoint again, then a larger one with its proof.
	if _, err := w.Cosign(offer(t, k, 3)); err != nil {
		t.Fatalf("Cosign(same size) = %v", err)
	}
	grow(t, k, "B2", 5, "")
	r, err = w.Cosign(offer(t, k, 3))
	if err != nil || r.HeldSize != 3 || r.Size != 8 {
		t.Fatalf("Cosign(extension) = %+v, %v; want 3 -> 8", r, err)
	}
	held, err := w.Held(origin)
	if err != nil || !strings.Contains(string(held), "\n8\n") {
		t.Fatalf("Held = %q, %v; want the size-8 checkpoint", held, err)
	}
}

func TestCosignRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		// show returns the offer after the witness cosigned the honest log at size 4.
		show      func(t *testing.T, honest *custody.Keeper) Offer
		want      any
		evidence  bool
		wantStale bool
	}{
		{"fork-larger", func(t *testing.T, honest *custody.Keeper) Offer {
			forked := keeper(t, "log") // same key, other history
			grow(t, forked, "B1", 6, "rewritten")
			o := offer(t, forked, 4)
			return o
		}, new(*ForkError), true, false},
		{"fork-equal-size", func(t *testing.T, honest *custody.Keeper) Offer {
			forked := keeper(t, "log")
			grow(t, forked, "B1", 4, "rewritten")
			return offer(t, forked, 4)
		}, new(*ForkError), true, false},
		{"rollback", func(t *testing.T, honest *custody.Keeper) Offer {
			older := keeper(t, "log")
			grow(t, older, "B1", 2, "")
			return offer(t, older, 0)
		}, new(*RollbackError), false, false},
		{"other-key", func(t *testing.T, honest *custody.Keeper) Offer {
			other := keeper(t, "another log key")
			grow(t, other, "B1", 6, "")
			return offer(t, other, 4)
		}, new(*custody.CheckpointError), false, false},
		{"stale-proof", func(t *testing.T, honest *custody.Keeper) Offer {
			grow(t, honest, "B1", 2, "")
			return offer(t, honest, 2)
		}, nil, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			honest := keeper(t, "log")
			w := newWitness(t, honest, "es-fge")
			grow(t, honest, "B1", 4, "")
			if _, err := w.Cosign(offer(t, honest, 0)); err != nil {
				t.Fatal(err)
			}
			before, _ := w.Held(origin)
			_, err := w.Cosign(tc.show(t, honest))
			switch {
			case tc.wantStale:
				if !errors.Is(err, ErrStaleProof) {
					t.Fatalf("Cosign = %v, want ErrStaleProof", err)
				}
			case !errors.As(err, tc.want):
				t.Fatalf("Cosign = %v, want %T", err, tc.want)
			}
			after, _ := w.Held(origin)
			if string(after) != string(before) {
				t.Fatal("the held checkpoint changed after a refusal")
			}
			var fe *ForkError
			if errors.As(err, &fe) != tc.evidence {
				t.Fatalf("ForkError = %v, want evidence %v", err, tc.evidence)
			}
			if fe != nil {
				for _, f := range []string{"held.checkpoint", "shown.checkpoint", "proof.txt", "README.txt"} {
					if _, err := os.Stat(filepath.Join(fe.Evidence, f)); err != nil {
						t.Errorf("evidence %s: %v", f, err)
					}
				}
				if !strings.HasPrefix(err.Error(), "ALERT: ") || !strings.Contains(err.Error(), "Nothing was cosigned") {
					t.Errorf("alert = %q, want a plain ALERT", err)
				}
			}
		})
	}
}
