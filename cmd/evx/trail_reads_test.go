package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestTrailReads: legal staff's reads through the server are recorded on reads:BUNDLE;
// evx trail --reads exports that record, which evx verify checks like any trail, and the
// bundle's own trail is the same events before and after the reads.
func TestTrailReads(t *testing.T) {
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	dir := t.TempDir()
	toks, _ := api.ParseTokens(strings.NewReader("clerk-token-00000001 legal nl-om j.devries\n"))
	serve := func() (remote []string, stop func()) {
		n, err := local.OpenNode(t.Context(), data, local.NodeOptions{Directory: testDirectory})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil))
		return []string{"--server", srv.URL, "--token", "clerk-token-00000001"}, func() { srv.Close(); n.Close() }
	}

	// Before any read there is no record of reads.
	remote, stop := serve()
	if code, _, errs := runCmd(t, append(append([]string{"trail", "--reads"}, remote...), bundle)...); code != exitInvalid || !strings.Contains(errs, "404") {
		t.Errorf("trail --reads before any read = %d %s, want 1 and 404", code, errs)
	}
	stop()
	// A read on the data folder is recorded too (TestLocalLegalReads).
	before := filepath.Join(dir, "before.json")
	if code, out, errs := runCmd(t, "trail", "--data", data, "--directory", testDirectory, "--reader", "nl-om/a.jansen", "--out", before, bundle); code != exitOK {
		t.Fatalf("trail = %d\n%s\n%s", code, out, errs)
	}
	remote, stop = serve()
	defer stop()
	served := filepath.Join(dir, "served.json")
	if code, out, errs := runCmd(t, append(append([]string{"trail", "--out", served}, remote...), bundle)...); code != exitOK {
		t.Fatalf("trail from the server = %d\n%s\n%s", code, out, errs)
	}
	reads, key := filepath.Join(dir, "reads.json"), filepath.Join(dir, "evx.pem")
	if code, out, errs := runCmd(t, append(append([]string{"trail", "--reads", "--out", reads, "--key-out", key}, remote...), bundle)...); code != exitOK || !strings.Contains(out, "bundle "+pipeline.ReadsSubject(bundle)) {
		t.Fatalf("trail --reads = %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runCmd(t, "verify", "--key", key, reads); code != exitOK {
		t.Errorf("evx verify of the reads trail = %d\n%s\n%s", code, out, errs)
	}
	tr := readTrailFile(t, reads)
	if len(tr.Events) != 2 {
		t.Fatalf("reads trail of %d events, want 2 (the data folder's and the server's trail reads; the reads trail's own read is recorded after it)", len(tr.Events))
	}
	if ev := tr.Events[0].Event; ev.Type != pipeline.LegalAccess || ev.Actor.Agency != "nl-om" || ev.Actor.Person != "a.jansen" || ev.Details.Reasons[0] != "read=trail" {
		t.Errorf("the data folder's read recorded as %s by %+v %q", ev.Type, ev.Actor, ev.Details.Reasons)
	}
	if ev := tr.Events[1].Event; ev.Type != pipeline.LegalAccess || ev.Actor.Agency != "nl-om" || ev.Actor.Person != "j.devries" || ev.Details.Reasons[0] != "read=trail" {
		t.Errorf("read recorded as %s by %+v %q", ev.Type, ev.Actor, ev.Details.Reasons)
	}
	a, b := readTrailFile(t, before), readTrailFile(t, served)
	if len(a.Events) != len(b.Events) {
		t.Fatalf("bundle trail of %d events after reads, %d before", len(b.Events), len(a.Events))
	}
	for i := range a.Events {
		if a.Events[i].Event.Hash != b.Events[i].Event.Hash {
			t.Errorf("event %d of the bundle changed under reads", i+1)
		}
	}
}
