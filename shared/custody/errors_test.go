package custody_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/internal/decls"
)

func TestFailureOf(t *testing.T) {
	root1, root2 := []byte{0xab, 0xcd}, []byte{0x01, 0x02}
	cases := []struct {
		err  error
		want custody.Failure
	}{
		{&custody.FormatError{Err: errors.New("bad json")}, custody.Failure{Kind: "FormatError"}},
		{&custody.BundleError{Position: 3, Want: "B1", Got: "B2"},
			custody.Failure{Kind: "BundleError", Position: 3, HasPosition: true, Want: "B1", Got: "B2"}},
		{&custody.BreakError{Seq: 4, Want: "h3", Got: "hx"},
			custody.Failure{Kind: "BreakError", Seq: 4, HasSeq: true, Want: "h3", Got: "hx"}},
		{&custody.SequenceError{Position: 2, Want: 3, Got: 5},
			custody.Failure{Kind: "SequenceError", Position: 2, HasPosition: true, Want: uint64(3), Got: uint64(5)}},
		{&custody.EventHashError{Seq: 6, Want: "stated", Got: "computed"},
			custody.Failure{Kind: "EventHashError", Seq: 6, HasSeq: true, Want: "stated", Got: "computed"}},
		{&custody.SignatureError{Seq: 7, WantKeyID: "k1", GotKeyID: "k2"},
			custody.Failure{Kind: "SignatureError", Seq: 7, HasSeq: true, Want: "k1", Got: "k2"}},
		{&custody.TimeOrderError{Seq: 8, Previous: "t1", Got: "t0"},
			custody.Failure{Kind: "TimeOrderError", Seq: 8, HasSeq: true, Want: "not before t1", Got: "t0"}},
		{&custody.FutureEventError{Seq: 2, Bound: "export", Limit: "t1", Got: "t9"},
			custody.Failure{Kind: "FutureEventError", Seq: 2, HasSeq: true, Want: "not after t1", Got: "t9", Facts: []custody.Fact{{Name: "bound", Value: "export"}}}},
		{&custody.FutureEventError{Seq: 3, Bound: "clock", Limit: "t1", Got: "t9", Tolerance: 5 * time.Minute},
			custody.Failure{Kind: "FutureEventError", Seq: 3, HasSeq: true, Want: "not after t1", Got: "t9",
				Facts: []custody.Fact{{Name: "bound", Value: "clock"}, {Name: "tolerance", Value: "5m0s"}}}},
		{&custody.CheckpointError{Reason: "no valid signature", Want: "o+1", Got: "o+2"},
			custody.Failure{Kind: "CheckpointError", Want: "o+1", Got: "o+2", Facts: []custody.Fact{{Name: "reason", Value: "no valid signature"}}}},
		{&custody.InclusionError{Seq: 9, Leaf: 8, Size: 12, Want: root1, Got: root2},
			custody.Failure{Kind: "InclusionError", Seq: 9, HasSeq: true, Want: "abcd", Got: "0102",
				Facts: []custody.Fact{{Name: "leaf_index", Value: uint64(8)}, {Name: "log_size", Value: uint64(12)}}}},
		{&custody.InclusionError{Seq: 9, Leaf: 8, Size: 12, Want: root1, Err: errors.New("short proof")},
			custody.Failure{Kind: "InclusionError", Seq: 9, HasSeq: true, Want: "abcd", Got: "",
				Facts: []custody.Fact{{Name: "leaf_index", Value: uint64(8)}, {Name: "log_size", Value: uint64(12)}}}},
		{&custody.DocumentHashError{Name: "a.pdf", Path: "/d/a.pdf", Want: "w", Got: "g"},
			custody.Failure{Kind: "DocumentHashError", Want: "w", Got: "g", Facts: []custody.Fact{{Name: "document", Value: "a.pdf"}}}},
		{&custody.ConsistencyError{OldSize: 4, NewSize: 9, Want: root1, Got: root2},
			custody.Failure{Kind: "ConsistencyError", Want: "abcd", Got: "0102",
				Facts: []custody.Fact{{Name: "older_size", Value: uint64(4)}, {Name: "size", Value: uint64(9)}}}},
	}
	described := map[string]bool{}
	for _, tc := range cases {
		// Callers see the errors wrapped: FailureOf finds them through the chain.
		got, ok := custody.FailureOf(fmt.Errorf("verify trail.json: %w", tc.err))
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FailureOf(%T) = %+v, %v, want %+v, true", tc.err, got, ok, tc.want)
		}
		if name := reflect.TypeOf(tc.err).Elem().Name(); got.Kind != name {
			t.Errorf("FailureOf(%T).Kind = %q, want the type name %q", tc.err, got.Kind, name)
		}
		described[got.Kind] = true
	}
	for _, err := range []error{nil, errors.New("disk on fire"), &custody.ConflictError{}} {
		if got, ok := custody.FailureOf(err); ok {
			t.Errorf("FailureOf(%v) = %+v, true, want false", err, got)
		}
	}
	// Every error type declared in errors.go is described by a case above.
	decls.CheckErrorTypes(t, "errors.go", described)
}

func TestFailureFact(t *testing.T) {
	f, _ := custody.FailureOf(&custody.ConsistencyError{OldSize: 4, NewSize: 9})
	if got := f.Fact("older_size"); got != uint64(4) {
		t.Errorf("Fact(older_size) = %v, want 4", got)
	}
	if got := f.Fact("document"); got != nil {
		t.Errorf("Fact(document) = %v, want nil", got)
	}
}
