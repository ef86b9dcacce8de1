package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
)

// evx audit re-hashes every stored document: intact, exit 0 and a clean FixityCheck; after
// one byte of a stored document is flipped, exit 1 naming the document, and the mismatch is
// on the trail.
func TestAudit(t *testing.T) {
	data := filepath.Join(t.TempDir(), "evx")
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	code, out, errs = runCmd(t, "audit", "--data", data, "--directory", testDirectory)
	if code != exitOK || !strings.Contains(out, "ok        "+bundle) {
		t.Fatalf("audit of an intact folder = %d\n%s\n%s; want 0 and ok", code, out, errs)
	}

	// Flip one byte of one stored document.
	n, err := local.OpenNode(context.Background(), data, local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := n.Ledger.Events(context.Background(), bundle)
	doc := evs[0].Event.Details.Documents[0]
	n.Close()
	p := filepath.Join(data, local.BlobsDir, doc.SHA256[0:2], doc.SHA256[2:4], doc.SHA256)
	os.Chmod(p, 0o600)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	os.WriteFile(p, b, 0o400)

	code, out, errs = runCmd(t, "audit", "--json", "--data", data, "--directory", testDirectory)
	var res struct {
		Intact  bool
		Bundles []struct {
			Bundle     string
			Mismatches []string
		}
	}
	json.Unmarshal([]byte(out), &res)
	if code != exitInvalid || res.Intact || len(res.Bundles) != 1 || len(res.Bundles[0].Mismatches) != 1 || !strings.Contains(res.Bundles[0].Mismatches[0], doc.Name) {
		t.Fatalf("audit after a flipped byte = %d\n%s\n%s; want 1 naming %s", code, out, errs, doc.Name)
	}
	n, err = local.OpenNode(context.Background(), data, local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	evs, _ = n.Ledger.Events(context.Background(), bundle)
	var fixity []custody.Event
	for _, en := range evs {
		if en.Event.Type == custody.FixityCheck {
			fixity = append(fixity, en.Event)
		}
	}
	if len(fixity) != 2 || len(fixity[0].Details.Reasons) != 0 || len(fixity[1].Details.Reasons) != 1 {
		t.Errorf("FixityCheck events %+v, want a clean one, then one with the mismatch", fixity)
	}
}
