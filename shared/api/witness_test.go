package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/witness"
)

// witnessRound runs one round of w against the server as who and returns the result.
func witnessRound(t *testing.T, e *env, who string, w *witness.Witness, from uint64) *witness.Result {
	t.Helper()
	code, body, _ := e.do(who, "GET", "/v1/log/witness?from="+itoa(from), nil)
	if code != http.StatusOK {
		t.Fatalf("offer as %s = %d %s", who, code, body)
	}
	o := decode[pipeline.WitnessOffer](t, body)
	res, err := w.Cosign(witness.Offer{Checkpoint: []byte(o.Checkpoint), FromSize: o.FromSize, Proof: o.Proof})
	if err != nil {
		t.Fatalf("Cosign as %s: %v", who, err)
	}
	post(t, e, who, api.CosignatureRequest{Size: res.Size, VKey: w.VerifierKey(), Cosignature: string(res.Cosignature)}, http.StatusCreated)
	return res
}

func itoa(n uint64) string { b, _ := json.Marshal(n); return string(b) }

func post(t *testing.T, e *env, who string, req api.CosignatureRequest, want int) []byte {
	t.Helper()
	b, _ := json.Marshal(req)
	code, body, _ := e.do(who, "POST", "/v1/log/cosignatures", b)
	if code != want {
		t.Fatalf("POST cosignature as %s = %d %s, want %d", who, code, body, want)
	}
	return body
}

func newTestWitness(t *testing.T, e *env, name string) *witness.Witness {
	t.Helper()
	skey, _, err := witness.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(skey, t.TempDir(), e.node.Service.Signer().Public())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestWitnessing: every role may witness and read cosigned checkpoints, no one
// unauthenticated; a cosignature is kept only if it verifies with the key it names, so no
// party can post one in another witness's name; the trail legal staff export then carries the
// cosigned checkpoint and verifies with a quorum of two.
func TestWitnessing(t *testing.T) {
	e := newEnv(t, api.Limits{})
	if code, body, _ := e.do("alice", "POST", "/v1/bundles", bag(t, "nl-om", "es-fge")); code != http.StatusCreated {
		t.Fatalf("upload = %d %s", code, body)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/v1/log/witness?from=0"}, {"GET", "/v1/log/checkpoints/latest"}, {"POST", "/v1/log/cosignatures"},
	} {
		for _, who := range []string{"anon", "forged"} {
			if code, body, _ := e.do(who, tc.method, tc.path, nil); code != http.StatusUnauthorized {
				t.Errorf("%s %s as %s = %d %s, want 401", tc.method, tc.path, who, code, body)
			}
		}
	}
	if code, body, _ := e.do("legal", "GET", "/v1/log/checkpoints/latest", nil); code != http.StatusNotFound {
		t.Errorf("cosigned checkpoint before any witness = %d %s, want 404", code, body)
	}
	if code, body, _ := e.do("nl-om", "GET", "/v1/log/witness?from=x", nil); code != http.StatusBadRequest {
		t.Errorf("offer from=x = %d %s, want 400", code, body)
	}
	if code, body, _ := e.do("nl-om", "GET", "/v1/log/witness?from=99999", nil); code != http.StatusConflict {
		t.Errorf("offer from a size beyond the log = %d %s, want 409", code, body)
	}
	if code, body, _ := e.do("anon", "GET", "/v1/log/leaves?from=0&to=5", nil); code != http.StatusUnauthorized {
		t.Errorf("leaves as anon = %d %s, want 401", code, body)
	}
	if code, body, _ := e.do("nl-om", "GET", "/v1/log/leaves?from=3&to=1", nil); code != http.StatusBadRequest {
		t.Errorf("leaves 3..1 = %d %s, want 400", code, body)
	}
	code, body, _ := e.do("es-fge", "GET", "/v1/log/leaves?from=0&to=100000", nil)
	leaves := decode[struct{ Leaves []api.LeafEntry }](t, body).Leaves
	size, _ := e.node.Ledger.LogSize(t.Context())
	if code != 200 || uint64(len(leaves)) != size || leaves[0].Seq != 1 || leaves[0].Leaf != 0 {
		t.Fatalf("leaves = %d %s, want the %d leaves of the log", code, body, size)
	}
	nl, es := newTestWitness(t, e, "nl-om.example/witness"), newTestWitness(t, e, "es-fge.example/witness")
	res := witnessRound(t, e, "nl-om", nl, 0)

	// es-fge posts nl-om's line under its own key, and its own line under nl-om's key.
	post(t, e, "es-fge", api.CosignatureRequest{Size: res.Size, VKey: es.VerifierKey(), Cosignature: string(res.Cosignature)}, http.StatusUnprocessableEntity)
	code, body, _ = e.do("es-fge", "GET", "/v1/log/witness?from=0", nil)
	if code != 200 {
		t.Fatal(code, string(body))
	}
	o := decode[pipeline.WitnessOffer](t, body)
	if o.Size != res.Size {
		t.Fatalf("second witness offered size %d, the first %d: want the same checkpoint while the log does not grow", o.Size, res.Size)
	}
	esRes, err := es.Cosign(witness.Offer{Checkpoint: []byte(o.Checkpoint)})
	if err != nil {
		t.Fatal(err)
	}
	post(t, e, "es-fge", api.CosignatureRequest{Size: res.Size, VKey: nl.VerifierKey(), Cosignature: string(esRes.Cosignature)}, http.StatusUnprocessableEntity)
	post(t, e, "es-fge", api.CosignatureRequest{Size: 12345, VKey: es.VerifierKey(), Cosignature: string(esRes.Cosignature)}, http.StatusNotFound)
	post(t, e, "es-fge", api.CosignatureRequest{Size: res.Size, VKey: es.VerifierKey(), Cosignature: string(esRes.Cosignature)}, http.StatusCreated)
	// A legal clerk or an uploader may witness too.
	witnessRound(t, e, "legal", newTestWitness(t, e, "court.example/witness"), 0)

	code, body, _ = e.do("alice", "GET", "/v1/log/checkpoints/latest", nil)
	if code != 200 || strings.Count(string(body), "\u2014 ") != 4 {
		t.Fatalf("cosigned checkpoint = %d %q, want evx's signature and three cosignatures", code, body)
	}

	// The trail carries the cosigned checkpoint; a quorum of nl-om and es-fge verifies.
	_, list, _ := e.do("legal", "GET", "/v1/bundles", nil)
	var bs struct {
		Bundles []struct {
			Bundle string `json:"bundle"`
		} `json:"bundles"`
	}
	json.Unmarshal(list, &bs)
	if len(bs.Bundles) != 1 {
		t.Fatalf("bundles = %s", list)
	}
	_, trail, _ := e.do("legal", "GET", "/v1/bundles/"+bs.Bundles[0].Bundle+"/trail", nil)
	rep, err := custody.VerifyTrail(trail, e.node.Service.Signer().Public(), custody.VerifyOptions{
		Witnesses: []string{nl.VerifierKey(), es.VerifierKey()}, Quorum: 2})
	if err != nil || rep.Complete == nil || !rep.Complete.Witnessed || len(rep.Complete.Cosigners) != 2 {
		t.Fatalf("VerifyTrail(quorum 2) = %+v, %v; want complete and witnessed by both", rep, err)
	}
}
