package custody_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/internal/decls"
)

// witnessCase is one line of testdata/tamper/witness-cases.tsv.
type witnessCase struct {
	name, want string
	quorum     int
	keys       []string
}

func witnessCases(t testing.TB) []witnessCase {
	t.Helper()
	var out []witnessCase
	for _, line := range strings.Split(strings.TrimSpace(string(fixture(t, "witness-cases.tsv"))), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		q, err := strconv.Atoi(f[2])
		if len(f) != 4 || err != nil {
			t.Fatalf("witness-cases.tsv line %q: want name, want, quorum, keys", line)
		}
		out = append(out, witnessCase{f[0], f[1], q, strings.Split(f[3], ",")})
	}
	return out
}

// TestWitnessVectors: a quorum of cosignatures is required and counted once per trusted
// witness key; a cosigned checkpoint of another history and a trail cut at the end under a
// cosigned checkpoint fail with their typed errors.
func TestWitnessVectors(t *testing.T) {
	pub := fixtureKey(t, "key.pem")
	cases := witnessCases(t)
	if len(cases) < 6 {
		t.Fatalf("%d witness cases, want at least 6", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for _, k := range tc.keys {
				keys = append(keys, string(fixture(t, k)))
			}
			rep, err := custody.VerifyTrail(fixture(t, tc.name+".json"), pub, custody.VerifyOptions{
				Documents: filepath.Join("testdata", "tamper", "documents"), Older: fixture(t, "older.txt"),
				Witnesses: keys, Quorum: tc.quorum})
			if got := errorType(err); got != tc.want {
				t.Fatalf("VerifyTrail(%s) = %v (%s), want %s", tc.name, err, got, tc.want)
			}
			if err == nil && (rep.Complete == nil || !rep.Complete.Witnessed || len(rep.Complete.Cosigners) < tc.quorum) {
				t.Errorf("VerifyTrail(%s) completeness %+v, want witnessed by %d", tc.name, rep.Complete, tc.quorum)
			}
		})
	}
	// Without a quorum asked, the cut trail still fails: the cosigned checkpoint it carries
	// commits to the removed event, whoever signed the trail's own checkpoint.
	_, err := custody.VerifyTrail(fixture(t, "witnessed-cut-at-end.json"), pub, custody.VerifyOptions{})
	if got := errorType(err); got != "TruncatedError" {
		t.Errorf("VerifyTrail(witnessed-cut-at-end, no quorum) = %v, want TruncatedError", err)
	}
}

// TestCompletenessReported: the good trail is complete as of its checkpoint; the cut one is a
// *TruncatedError naming the missing event.
func TestCompletenessReported(t *testing.T) {
	pub := fixtureKey(t, "key.pem")
	rep, err := custody.VerifyTrail(fixture(t, "good.json"), pub, custody.VerifyOptions{})
	if err != nil || rep.Complete == nil || rep.Complete.Size != 10 || rep.Complete.Witnessed {
		t.Fatalf("VerifyTrail(good) = %+v, %v; want complete as of size 10, not witnessed", rep, err)
	}
	_, err = custody.VerifyTrail(fixture(t, "cut-at-end.json"), pub, custody.VerifyOptions{})
	te, ok := err.(*custody.TruncatedError)
	if !ok || te.WantSeq != 8 || te.GotSeq != 7 || te.Size != 10 {
		t.Fatalf("VerifyTrail(cut-at-end) = %v, want *TruncatedError seq 8 of size 10, trail ending at 7", err)
	}
}

// TestCutByKeyHolderWithoutWitnesses holds docs/witnesses.md's limit to the code: someone
// holding evx's key who cuts a trail and re-signs its checkpoint with heads that end the
// bundle there is caught only by a cosigned checkpoint; without one the cut trail verifies.
func TestCutByKeyHolderWithoutWitnesses(t *testing.T) {
	pub := fixtureKey(t, "key.pem")
	tr, err := custody.ParseTrail(fixture(t, "witnessed-cut-at-end.json"))
	if err != nil {
		t.Fatal(err)
	}
	tr.Witnessed = nil
	rep, err := custody.Verify(tr, pub, custody.VerifyOptions{})
	if err != nil || rep.Complete == nil || rep.Complete.Witnessed {
		t.Fatalf("Verify(cut, re-signed, no cosigned checkpoint) = %+v, %v; want it to pass on evx's word", rep, err)
	}
	if _, err := custody.Verify(tr, pub, custody.VerifyOptions{Witnesses: []string{string(fixture(t, "witness-nl.vkey"))}, Quorum: 1}); errorType(err) != "QuorumError" {
		t.Fatalf("Verify(cut, re-signed, quorum 1) = %v, want QuorumError", err)
	}
}

// TestWitnessFailureOf: the completeness and quorum errors taken apart, as evx verify --json
// and the report show them; every error type of witnessed.go is described.
func TestWitnessFailureOf(t *testing.T) {
	cases := []struct {
		err  error
		want custody.Failure
	}{
		{&custody.QuorumError{Want: 2, Got: []string{"w1+01"}, Keys: 3},
			custody.Failure{Kind: "QuorumError", Want: "2", Got: "1", Facts: []custody.Fact{{Name: "cosigners", Value: "w1+01"}, {Name: "reason", Value: ""}}}},
		{&custody.TruncatedError{At: "trail checkpoint", Size: 10, WantSeq: 8, WantHash: "h8", GotSeq: 7},
			custody.Failure{Kind: "TruncatedError", Seq: 7, HasSeq: true, Want: uint64(8), Got: uint64(7),
				Facts: []custody.Fact{{Name: "checkpoint", Value: "trail checkpoint"}, {Name: "log_size", Value: uint64(10)}, {Name: "head", Value: "h8"}}}},
		{&custody.HeadError{At: "witnessed checkpoint", Reason: "r"},
			custody.Failure{Kind: "HeadError", Facts: []custody.Fact{{Name: "checkpoint", Value: "witnessed checkpoint"}, {Name: "reason", Value: "r"}}}},
	}
	described := map[string]bool{}
	for _, tc := range cases {
		got, ok := custody.FailureOf(fmt.Errorf("verify: %w", tc.err))
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FailureOf(%T) = %+v, %v, want %+v", tc.err, got, ok, tc.want)
		}
		if tc.err.Error() == "" {
			t.Errorf("%T: empty message", tc.err)
		}
		described[got.Kind] = true
	}
	decls.CheckErrorTypes(t, "witnessed.go", described)
}
