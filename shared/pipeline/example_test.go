package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

// A bundle for two counterparts goes from upload to a signed receipt on the embedded node.
func Example() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "evx-example-")
	defer os.RemoveAll(tmp)

	node, err := local.OpenNode(ctx, filepath.Join(tmp, ".evx"), local.NodeOptions{Directory: "../../infra/counterparts.yaml"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer node.Close()

	// The uploader's bag.
	doc := filepath.Join(tmp, "report.txt")
	os.WriteFile(doc, []byte("seizure report\n"), 0o644)
	bagPath := filepath.Join(tmp, "bundle.zip")
	bagit.Create(bagPath, []string{doc}, bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelCounterpart, Value: "es-fge"},
		{Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"},
	}})
	raw, _ := os.ReadFile(bagPath)

	// The host spools the upload, submits it (now it may acknowledge), and processes it.
	id, size, _ := node.Uploads.Spool(ctx, bytes.NewReader(raw))
	node.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector", Size: size})
	st, err := node.Service.Process(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("accepted:", st.Ingest.Accepted, "deliveries:", len(st.Deliveries))

	// A counterpart lists, fetches and acknowledges.
	ds, _ := node.Service.ListDeliveries(ctx, "nl-om")
	m, _ := node.Service.Manifest(ctx, "nl-om", ds[0].ID)
	rc, _, _ := node.Service.FetchDocument(ctx, "nl-om", ds[0].ID, m.Documents[0].Name)
	rc.Close()
	receipt, _ := node.Service.PostReceipt(ctx, "nl-om", ds[0].ID, pipeline.ReceiptRequest{
		Accepted: true, Documents: []pipeline.ReceiptDocument{{Name: m.Documents[0].Name, SHA256: m.Documents[0].SHA256}},
	})
	fmt.Println("receipt:", receipt.Outcome, "verifies:", pipeline.VerifyReceipt(receipt, node.Signer.Public()) == nil)

	rep, err := node.Service.Verify(ctx, id, custody.VerifyOptions{})
	fmt.Println("trail events:", rep.Events, "verified:", err == nil)
	// Output:
	// accepted: true deliveries: 2
	// receipt: ConsignmentAcceptance verifies: true
	// trail events: 5 verified: true
}
