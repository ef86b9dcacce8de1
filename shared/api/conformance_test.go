package api_test

import (
	"testing"

	"github.com/evx-project/evx/shared/multipart/multiparttest"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestResumableConformance runs the protocol's conformance suite against evx serve; the api
// function on AWS runs the same suite (functions/api TestIntegrationResumableProtocol).
func TestResumableConformance(t *testing.T) {
	e := newResumableEnv(t, nil)
	multiparttest.Run(t, multiparttest.Backend{
		URL: e.srv.URL, Tokens: [2]string{tokens["alice"], tokens["bob"]},
		PartSize: testPart, MinPartSize: 64, MaxOpen: 2, Enforced: true,
		Bag: func(t *testing.T) []byte { return bag(t, "nl-om") },
		Completed: func(t *testing.T, st *pipeline.Status, b []byte) {
			if st == nil || st.Ingest == nil || !st.Ingest.Accepted || st.Upload.BundleID != hexSum(b) {
				t.Errorf("completed = %+v, want the bag accepted as bundle %s", st, hexSum(b))
			}
		},
	})
}
