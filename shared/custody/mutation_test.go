package custody_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// TestEveryMutationIsCaught flips one bit in many bytes of the good trail: whenever the result
// still parses as JSON and says something different, verification (with the documents and the
// older checkpoint) must fail. Nothing in a trail escapes verification.
func TestEveryMutationIsCaught(t *testing.T) {
	dir := filepath.Join("testdata", "tamper")
	good := fixture(t, "good.json")
	pub := fixtureKey(t, "key.pem")
	older := fixture(t, "older.txt")
	opt := custody.VerifyOptions{Documents: filepath.Join(dir, "documents"), Older: older}
	var want any
	if err := json.Unmarshal(good, &want); err != nil {
		t.Fatal(err)
	}
	stride := 13
	if testing.Short() {
		stride = 61
	}
	checked := 0
	for i := 0; i < len(good); i += stride {
		m := append([]byte(nil), good...)
		m[i] ^= 1 << (i % 7)
		var got any
		if json.Unmarshal(m, &got) != nil || reflect.DeepEqual(got, want) {
			continue // not JSON, or the same JSON spelled differently
		}
		checked++
		if _, err := custody.VerifyTrail(m, pub, opt); err == nil {
			t.Errorf("byte %d (%q -> %q) changed, trail still verifies", i, good[i], m[i])
		}
	}
	if checked < len(good)/stride/3 {
		t.Errorf("only %d mutations were meaningful JSON; the test checks too little", checked)
	}
}
