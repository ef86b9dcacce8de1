package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
)

// evx serve --audit-every re-hashes the stored documents on its schedule: a flipped byte in
// a stored document is found, logged and recorded without anyone running evx audit.
func TestServeAuditEvery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	args, _ := serveArgs(t, "legal-token-0000001 legal clerk\n")
	data := args[3] // serveArgs: --tokens F --data DIR ...
	code, out, errs := runCmd(t, uploadArgs(data, sampleFiles(t))...)
	if code != exitOK {
		t.Fatalf("upload = %d\n%s\n%s", code, out, errs)
	}
	bundle := strings.Fields(out)[1]
	n, err := local.OpenNode(context.Background(), data, local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := n.Ledger.Events(context.Background(), bundle)
	doc := evs[0].Event.Details.Documents[0]
	n.Close()
	p := filepath.Join(data, local.BlobsDir, doc.SHA256[0:2], doc.SHA256[2:4], doc.SHA256)
	os.Chmod(p, 0o600)
	b, _ := os.ReadFile(p)
	b[0] ^= 0x80
	os.WriteFile(p, b, 0o400)

	child, logs := startServeLogged(t, append(args, "--audit-every", "200ms")...)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "with_mismatch=1") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	child.cmd.Process.Signal(syscall.SIGTERM)
	child.cmd.Wait()
	l := logs.String()
	if !strings.Contains(l, "with_mismatch=1") || !strings.Contains(l, "FIXITY MISMATCH") || !strings.Contains(l, doc.Name) {
		t.Fatalf("serve log %q: want a scheduled audit finding the altered %s", l, doc.Name)
	}
}
