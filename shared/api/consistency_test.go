package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestVerificationWithCheckpoint: legal staff check a bundle's trail against a checkpoint
// they kept; the log grew since, consistently. A checkpoint of the same size with another
// root, signed by evx's key (history rewritten), verifies false; a checkpoint evx did not
// sign, or no checkpoint at all, is 400.
func TestVerificationWithCheckpoint(t *testing.T) {
	e := newEnv(t, api.Limits{})
	code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om"))
	if code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	id := decode[pipeline.Status](t, body).Upload.BundleID
	_, kept, _ := e.do("anon", "GET", "/v1/checkpoint", nil)
	lines := strings.SplitN(string(kept), "\n", 3)
	size, _ := strconv.ParseUint(lines[1], 10, 64)
	if code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "es-fge")); code != http.StatusCreated {
		t.Fatalf("second upload = %d %s", code, body)
	}
	rewritten, err := custody.SignCheckpoint(context.Background(), e.node.Signer, lines[0], size, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	other, err := custody.NewEd25519Signer(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := custody.SignCheckpoint(context.Background(), other, lines[0], size, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/bundles/" + id + "/verification"
	for _, c := range []struct {
		name     string
		who      string
		body     []byte
		code     int
		verified bool
		want     string
	}{
		{"kept checkpoint", "legal", kept, 200, true, `"checkpoint_size": ` + lines[1]},
		{"rewritten history", "legal", rewritten, 200, false, "not consistent with the checkpoint"},
		{"another key", "legal", stranger, 400, false, "not a checkpoint signed by this evx"},
		{"not a checkpoint", "legal", []byte("hello\n"), 400, false, "not a checkpoint"},
		{"empty", "legal", nil, 400, false, "not a checkpoint"},
		{"uploader", "alice", kept, 403, false, ""},
		{"counterpart", "nl-om", kept, 403, false, ""},
		{"anonymous", "anon", kept, 401, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body, _ := e.do(c.who, "POST", path, c.body)
			if code != c.code || !strings.Contains(string(body), c.want) {
				t.Fatalf("POST %s = %d %s, want %d with %q", path, code, body, c.code, c.want)
			}
			if code == 200 {
				if got := decode[struct{ Verified bool }](t, body).Verified; got != c.verified {
					t.Errorf("verified = %v, want %v: %s", got, c.verified, body)
				}
			}
		})
	}
	if code, _, _ := e.do("legal", "POST", "/v1/bundles/"+strings.Repeat("0", 64)+"/verification", kept); code != http.StatusNotFound {
		t.Errorf("an unknown bundle = %d, want 404", code)
	}
}
