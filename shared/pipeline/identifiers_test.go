package pipeline_test

import (
	"context"
	"errors"
	"testing"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/identify"
	"github.com/evx-project/evx/shared/pipeline"
)

// TestDocumentIdentifiers: the identifiers of a bundle's documents are read from their
// extraction records: valid values apart from look-alikes, phone numbers in national form
// read with the requesting state as region; an unknown bundle is not found.
func TestDocumentIdentifiers(t *testing.T) {
	ctx := context.Background()
	n, err := local.OpenNode(ctx, t.TempDir(), local.NodeOptions{Counterparts: matchDirectory(t), Clock: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	id := matchBundle(t, n, "Seizure report: container CSQU 305438 3, tel. 06 1234 5678; also MSCU 123456 0\n", "H1", "")
	got, err := n.Service.DocumentIdentifiers(ctx, id)
	if err != nil || len(got) != 1 {
		t.Fatalf("DocumentIdentifiers = %+v, %v", got, err)
	}
	d := got[0]
	values := map[identify.Type]string{}
	for _, f := range d.Identifiers {
		values[f.Type] = f.Value
		if !f.Valid {
			t.Errorf("identifier %+v is not valid", f)
		}
	}
	if values[identify.Container] != "CSQU3054383" || values[identify.Phone] != "+31612345678" {
		t.Errorf("identifiers of %s = %+v; want container CSQU3054383 and phone +31612345678 (NL, the requesting state)", d.Name, d.Identifiers)
	}
	if len(d.LookAlikes) != 1 || d.LookAlikes[0].Type != identify.Container || d.LookAlikes[0].Valid {
		t.Errorf("look-alikes = %+v; want the container MSCU 123456 0, whose check digit fails", d.LookAlikes)
	}
	if d.Extraction == "" || d.SHA256 == "" || d.Missing != "" {
		t.Errorf("document %+v: want its hashes and nothing missing", d)
	}
	var nf *pipeline.BundleNotFoundError
	if _, err := n.Service.DocumentIdentifiers(ctx, "no-such-bundle"); !errors.As(err, &nf) {
		t.Errorf("DocumentIdentifiers(unknown) = %v, want *BundleNotFoundError", err)
	}
}
