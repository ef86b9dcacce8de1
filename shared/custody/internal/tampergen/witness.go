package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/evx-project/evx/shared/custody"
)

// The witness vectors (witness-cases.tsv): the good trail exported with a checkpoint cosigned
// by witnesses, and the ways that can fail. Each line names the trail, the error, the quorum
// asked and the witness keys given (comma-separated vkey files). Cosignatures are made here,
// by the C2SP tlog-cosignature rule itself, with a fixed timestamp, so that the files are
// deterministic and are a second implementation of the format beside x/mod + formats.

// witnessKey is a witness's deterministic Ed25519 key.
type witnessKey struct {
	name string
	priv ed25519.PrivateKey
}

func newWitnessKey(name string) witnessKey {
	s := sha256.Sum256([]byte("evx tamper vectors: witness " + name))
	return witnessKey{name: name, priv: ed25519.NewKeyFromSeed(s[:])}
}

// pubAlg is 0x04 || public key, the cosignature/v1 key material.
func (w witnessKey) pubAlg() []byte {
	return append([]byte{0x04}, w.priv.Public().(ed25519.PublicKey)...)
}

func (w witnessKey) keyHash() uint32 {
	h := sha256.Sum256(append([]byte(w.name+"\n"), w.pubAlg()...))
	return binary.BigEndian.Uint32(h[:4])
}

// vkey is the witness's verifier key, as evx verify --witness reads it.
func (w witnessKey) vkey() string {
	return fmt.Sprintf("%s+%08x+%s\n", w.name, w.keyHash(), base64.StdEncoding.EncodeToString(w.pubAlg()))
}

// cosign returns the cosignature/v1 line over the checkpoint note's body at time t (Unix
// seconds): Ed25519 over "cosignature/v1\ntime <t>\n" || body, encoded as
// key hash (4) || t (8, big-endian) || signature (64).
func (w witnessKey) cosign(note string, t uint64) string {
	body, _, _ := strings.Cut(note, "\n\n")
	msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s\n", t, body)
	sig := ed25519.Sign(w.priv, []byte(msg))
	raw := binary.BigEndian.AppendUint32(nil, w.keyHash())
	raw = binary.BigEndian.AppendUint64(raw, t)
	raw = append(raw, sig...)
	return "\u2014 " + w.name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
}

const cosignTime = 1790951400 // 2026-10-02T14:30:00Z

var witnesses = []witnessKey{newWitnessKey("nl-om.example/witness"), newWitnessKey("es-fge.example/witness")}

// wcase is one witness vector.
type wcase struct {
	name, want string
	quorum     int
	keys       []string // vkey files
	t          *custody.Trail
}

// witnessCases builds the witness vectors from the keeper of the good trail.
func witnessCases(ctx context.Context, k *custody.Keeper, good *custody.Trail, files map[string][]byte) ([]wcase, error) {
	cp, err := k.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	cosigned := func(note string, ws ...witnessKey) []byte {
		out := note
		for i, w := range ws {
			out += w.cosign(note, cosignTime+uint64(i))
		}
		return []byte(out)
	}
	keys := []string{"witness-nl.vkey", "witness-es.vkey"}
	files[keys[0]] = []byte(witnesses[0].vkey())
	files[keys[1]] = []byte(witnesses[1].vkey())
	export := func(w []byte) (*custody.Trail, error) {
		return k.Export(ctx, Bundle, custody.ExportOptions{ConsistencyFrom: 6, Witnessed: w})
	}
	var out []wcase
	twice, err := export(cosigned(string(cp), witnesses...))
	if err != nil {
		return nil, err
	}
	out = append(out, wcase{"witnessed-good", "ok", 2, keys, twice})
	once, err := export(cosigned(string(cp), witnesses[0]))
	if err != nil {
		return nil, err
	}
	out = append(out, wcase{"witnessed-missing-cosignature", "QuorumError", 2, keys, once})
	out = append(out, wcase{"witnessed-one-of-one", "ok", 1, keys, once})
	// A trail exported before any witness cosigned, asked for a quorum.
	out = append(out, wcase{"witnessed-none", "QuorumError", 1, keys, good})

	// A cosignature by a key no one gave, under the name of a trusted witness.
	impostor := witnessKey{name: witnesses[1].name, priv: newWitnessKey("impostor").priv}
	forgedCos, err := export(cosigned(string(cp), witnesses[0], impostor))
	if err != nil {
		return nil, err
	}
	out = append(out, wcase{"witnessed-cosignature-by-other-key", "QuorumError", 2, keys, forgedCos})

	// A fork: the witnesses cosigned a checkpoint of the rewritten history (same key, same
	// size), which the trail's log does not extend.
	_, _, rk, err := build(trusted, true)
	if err != nil {
		return nil, err
	}
	fcp, err := rk.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	forked := clone(twice)
	forked.Witnessed = &custody.WitnessedRecord{Checkpoint: string(cosigned(string(fcp), witnesses...)), Consistency: []string{}, Head: twice.Witnessed.Head}
	out = append(out, wcase{"witnessed-forked-log", "ConsistencyError", 2, keys, forked})

	// Cut at the end by someone holding evx's key: the last event removed and the trail's
	// checkpoint re-signed with heads that end the bundle there. The cosigned checkpoint
	// still commits to the removed event.
	cut := clone(twice)
	cut.Events = cut.Events[:len(cut.Events)-1]
	size, _ := k.Ledger.LogSize(ctx)
	heads, err := k.Ledger.(custody.HeadLister).Heads(ctx, size)
	if err != nil {
		return nil, err
	}
	last := cut.Events[len(cut.Events)-1]
	for i := range heads {
		if heads[i].BundleID == Bundle {
			heads[i] = custody.Head{BundleID: Bundle, Seq: last.Event.Seq, Hash: last.Event.Hash, Leaf: last.Leaf}
		}
	}
	ht, err := custody.NewHeadsTree(heads)
	if err != nil {
		return nil, err
	}
	body, _, _ := strings.Cut(good.Checkpoint, "\n\n")
	lines := strings.Split(body, "\n")
	at, err := time.Parse(custody.TimeFormat, strings.TrimPrefix(lines[3], "time "))
	if err != nil {
		return nil, err
	}
	recp, err := custody.SignCheckpointHeads(ctx, trusted, Origin, checkpointSize(body), checkpointRoot(body), at, ht)
	if err != nil {
		return nil, err
	}
	cut.Checkpoint = string(recp)
	if cut.Head, _, err = ht.Proof(Bundle); err != nil {
		return nil, err
	}
	out = append(out, wcase{"witnessed-cut-at-end", "TruncatedError", 2, keys, cut})
	return out, nil
}
