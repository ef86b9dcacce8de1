package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evx-project/evx/shared/custody"
)

// Two hosts (or a retry racing the first attempt) processing the same upload at once still
// record one acceptance and one delivery per counterpart.
func TestConcurrentProcessIsOnce(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om", "es-fge")))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = n.Service.Process(ctx, id)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Process #%d = %v", i, err)
		}
	}
	assertDeliveredOnce(t, n, id, []string{"nl-om", "es-fge"})
}

// A stored blob changed behind evx's back is named by the next FixityCheck.
func TestFixityFindsAlteredBlob(t *testing.T) {
	ctx := context.Background()
	n := openNode(t, t.TempDir(), newClock())
	id := upload(t, n, makeBag(t, evidence(t), info("nl-om")))
	st, err := n.Service.Process(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	doc := st.Ingest.Documents[0]
	p := filepath.Join(n.Blobs.Root(), doc.SHA256[:2], doc.SHA256[2:4], doc.SHA256)
	os.Chmod(p, 0o600)
	if err := os.WriteFile(p, []byte("altered"), 0o600); err != nil {
		t.Fatal(err)
	}
	fx, err := n.Service.Fixity(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if fx.Event.Type != custody.FixityCheck || len(fx.Event.Details.Reasons) != 1 || !strings.Contains(fx.Event.Details.Reasons[0], doc.Name) {
		t.Errorf("FixityCheck reasons %q, want one naming %s", fx.Event.Details.Reasons, doc.Name)
	}
	verifyTrail(t, n, id)
}
