package custody

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// FuzzCheckpointHeads: the heads line parser never panics, and what it accepts it writes
// back unchanged.
func FuzzCheckpointHeads(f *testing.F) {
	f.Add([]byte("time 2026-10-02T14:30:00.250000000Z\nheads 3 " + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"))
	f.Add([]byte("heads 01 AAAA\n"))
	f.Add([]byte("heads 18446744073709551616 " + base64.StdEncoding.EncodeToString(make([]byte, 32))))
	f.Fuzz(func(t *testing.T, ext []byte) {
		hc, ok, err := CheckpointHeads(ext)
		if err != nil || !ok {
			return
		}
		line := fmt.Sprintf("heads %d %s", hc.Size, base64.StdEncoding.EncodeToString(hc.Root))
		if !slices.Contains(strings.Split(string(ext), "\n"), line) {
			t.Fatalf("CheckpointHeads(%q) = %d %x: no such line %q in the input", ext, hc.Size, hc.Root, line)
		}
	})
}

// FuzzCosigners: arbitrary signature blocks never panic Cosigners nor count a line no given
// key made.
func FuzzCosigners(f *testing.F) {
	body := "evx.test/custody\n3\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"
	f.Add([]byte(body + "\n\u2014 w.example/w AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"))
	f.Add([]byte(body + "\n\u2014 \n\u2014 a b\n"))
	_, vkey, err := note.GenerateKey(nil, "w.example/w")
	if err != nil {
		f.Fatal(err)
	}
	v, err := CosignatureVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if got := Cosigners(text, []note.Verifier{v}); len(got) != 0 {
			t.Fatalf("Cosigners(%q) = %v: a cosignature the fuzzer forged verified", text, got)
		}
	})
}

// TestHeadsTreeProofs: every head's proof of a tree of every size up to 17 verifies against
// the tree's root through checkHead's arithmetic, and no head verifies at another index.
func TestHeadsTreeProofs(t *testing.T) {
	for n := 1; n <= 17; n++ {
		var hs []Head
		for i := range n {
			hs = append(hs, Head{BundleID: string(rune('a'+i)) + "-bundle", Seq: uint64(i + 1), Hash: strings.Repeat("ab", 32), Leaf: uint64(i)})
		}
		tree, err := NewHeadsTree(hs)
		if err != nil {
			t.Fatal(err)
		}
		hc := HeadsCommitment{Size: tree.Size(), Root: tree.Root()}
		for _, h := range hs {
			hp, ok, err := tree.Proof(h.BundleID)
			if err != nil || !ok {
				t.Fatalf("Proof(%s) = %v, %v", h.BundleID, ok, err)
			}
			tr := &Trail{BundleID: h.BundleID, Events: []TrailEvent{{Event: Event{Seq: h.Seq, Hash: h.Hash}, Leaf: h.Leaf}}}
			if err := checkHead(tr, hp, hc, uint64(n), "test"); err != nil {
				t.Fatalf("n=%d %s: checkHead = %v", n, h.BundleID, err)
			}
			if n > 1 {
				hp.Index = (hp.Index + 1) % uint64(n)
				if _, ok := checkHead(tr, hp, hc, uint64(n), "test").(*HeadError); !ok {
					t.Fatalf("n=%d %s: a proof at another index verified", n, h.BundleID)
				}
			}
		}
	}
	if _, err := NewHeadsTree([]Head{{BundleID: "x"}, {BundleID: "x"}}); err == nil {
		t.Fatal("NewHeadsTree with a bundle twice: no error")
	}
}
