package s3heads

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

func hex64(c byte) string { return strings.Repeat(string(c), 64) }

// The heads a ledger lists come back from Marshal and Parse sorted by key, as the heads tree
// sorts them, with the same tree root.
func TestRoundTrip(t *testing.T) {
	heads := []custody.Head{
		{BundleID: "bundle-b", Seq: 3, Hash: hex64('b'), Leaf: 9},
		{BundleID: "bundle-a", Seq: 1, Hash: hex64('a'), Leaf: 0},
		{Key: hex64('c'), Seq: 12, Hash: hex64('d'), Leaf: 10},
	}
	b, err := Marshal(11, heads)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("evx-heads/1 11 3\n")) || bytes.Count(b, []byte("\n")) != 4 {
		t.Errorf("object:\n%s", b)
	}
	got, err := Parse(bytes.NewReader(b), 11)
	if err != nil {
		t.Fatal(err)
	}
	want, err := custody.NewHeadsTree(heads)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := custody.NewHeadsTree(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tree.Root(), want.Root()) || tree.Size() != 3 {
		t.Errorf("parsed heads give root %x (%d), want %x", tree.Root(), tree.Size(), want.Root())
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Key >= got[i].Key {
			t.Errorf("heads not sorted by key: %+v", got)
		}
	}
	if b, err := Marshal(0, nil); err != nil || string(b) != "evx-heads/1 0 0\n" {
		t.Errorf("Marshal(0, nil) = %q, %v", b, err)
	}
	if hs, err := Parse(strings.NewReader("evx-heads/1 0 0\n"), 0); err != nil || len(hs) != 0 {
		t.Errorf("Parse(empty log) = %v, %v", hs, err)
	}
	if Key(42) != "checkpoints/heads/00000000000000000042" {
		t.Errorf("Key(42) = %q", Key(42))
	}
}

func TestMarshalRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		heads []custody.Head
	}{
		{"leaf at the size", []custody.Head{{BundleID: "a", Seq: 1, Hash: hex64('a'), Leaf: 5}}},
		{"short hash", []custody.Head{{BundleID: "a", Seq: 1, Hash: "ab", Leaf: 0}}},
		{"bundle twice", []custody.Head{{BundleID: "a", Seq: 1, Hash: hex64('a'), Leaf: 0}, {BundleID: "a", Seq: 2, Hash: hex64('b'), Leaf: 1}}},
		{"upper-case key", []custody.Head{{Key: hex64('A'), Seq: 1, Hash: hex64('a'), Leaf: 0}}},
	} {
		if _, err := Marshal(5, tc.heads); err == nil {
			t.Errorf("%s: Marshal = nil error", tc.name)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	k1, k2, h := hex64('1'), hex64('2'), hex64('e')
	line := func(k string, seq, leaf any) string { return fmt.Sprintf("%s %v %s %v\n", k, seq, h, leaf) }
	long := "evx-heads/1 5 1\n" + k1 + " 1 " + h + " " + strings.Repeat("1", 200) + "\n"
	for _, tc := range []struct {
		name, in string
		line     int
	}{
		{"empty", "", 0},
		{"other magic", "evx-heads/2 5 0\n", 1},
		{"header fields", "evx-heads/1 5\n", 1},
		{"other size", "evx-heads/1 6 0\n", 1},
		{"leading zero", "evx-heads/1 05 0\n", 1},
		{"too many", fmt.Sprintf("evx-heads/1 5 %d\n", MaxHeads+1), 1},
		{"fewer than stated", "evx-heads/1 5 2\n" + line(k1, 1, 0), 0},
		{"more than stated", "evx-heads/1 5 1\n" + line(k1, 1, 0) + line(k2, 1, 1), 3},
		{"three fields", "evx-heads/1 5 1\n" + k1 + " 1 " + h + "\n", 2},
		{"seq 0", "evx-heads/1 5 1\n" + line(k1, 0, 0), 2},
		{"seq with sign", "evx-heads/1 5 1\n" + line(k1, "+1", 0), 2},
		{"leaf at size", "evx-heads/1 5 1\n" + line(k1, 1, 5), 2},
		{"short key", "evx-heads/1 5 1\n" + line("abc", 1, 0), 2},
		{"upper-case hash", "evx-heads/1 5 1\n" + k1 + " 1 " + hex64('E') + " 0\n", 2},
		{"out of order", "evx-heads/1 5 2\n" + line(k2, 1, 0) + line(k1, 1, 1), 3},
		{"repeated", "evx-heads/1 5 2\n" + line(k1, 1, 0) + line(k1, 2, 1), 3},
		{"line too long", long, 2},
		{"tab separated", "evx-heads/1\t5\t0\n", 1},
		{"carriage return", "evx-heads/1 5 0\r\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), 5)
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Line != tc.line {
				t.Errorf("Parse = %v, want *FormatError at line %d", err, tc.line)
			}
		})
	}
}

// Whatever the bytes, Parse returns heads that Marshal writes back to the same bytes, or a
// *FormatError; it never panics.
func FuzzParse(f *testing.F) {
	b, _ := Marshal(11, []custody.Head{{BundleID: "a", Seq: 1, Hash: hex64('a'), Leaf: 0}, {BundleID: "b", Seq: 2, Hash: hex64('b'), Leaf: 10}})
	f.Add(b, uint64(11))
	f.Add([]byte("evx-heads/1 0 0\n"), uint64(0))
	f.Add([]byte("evx-heads/1 0 0\r"), uint64(0))
	f.Add([]byte("evx-heads/1 5 1\n"+hex64('1')+" 1 "+hex64('e')+" 4"), uint64(5))
	f.Fuzz(func(t *testing.T, in []byte, size uint64) {
		hs, err := Parse(bytes.NewReader(in), size)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %T: %v", err, err)
			}
			return
		}
		out, err := Marshal(size, hs)
		if err != nil {
			t.Fatalf("Marshal(Parse(%q)) = %v", in, err)
		}
		// Parse accepts a missing final newline; Marshal always writes one.
		if want := strings.TrimSuffix(string(in), "\n") + "\n"; string(out) != want {
			t.Fatalf("Marshal(Parse(%q)) = %q", in, out)
		}
	})
}
