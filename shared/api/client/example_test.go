package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/evx-project/evx/shared/api"
	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
)

// An uploader sends a bag; the counterpart lists its deliveries, fetches each document,
// checks its hash and posts its receipt, whose signature it checks with evx's key.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "evx-client-example-")
	defer os.RemoveAll(dir)
	srvURL, stop := exampleServer(ctx, dir)
	defer stop()

	// The uploader.
	os.WriteFile(filepath.Join(dir, "report.txt"), []byte("Seizure report (sample)\n"), 0o644)
	bag := filepath.Join(dir, "bag.zip")
	if _, err := bagit.Create(bag, []string{filepath.Join(dir, "report.txt")}, bagit.CreateOptions{Info: bagit.Info{
		{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"}}}); err != nil {
		log.Fatal(err)
	}
	up, _ := client.New(srvURL, client.WithToken("uploader-token-0001"))
	f, _ := os.Open(bag)
	fi, _ := f.Stat()
	st, err := up.Upload(ctx, f, fi.Size())
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accepted:", st.Ingest.Accepted, "deliveries:", len(st.Deliveries))

	// The counterpart.
	cp, _ := client.New(srvURL, client.WithToken("nl-om-token-000001"))
	pub, err := cp.PublicKey(ctx) // better: a copy of evx's key obtained otherwise
	if err != nil {
		log.Fatal(err)
	}
	ds, _ := cp.Deliveries(ctx)
	for _, d := range ds {
		if client.CheckDeliveryID(d.ID) != nil {
			continue // never a file name
		}
		m, _ := cp.Manifest(ctx, d.ID)
		var req pipeline.ReceiptRequest
		for _, doc := range m.Documents {
			body, err := cp.Document(ctx, d.ID, doc.Name)
			if err != nil {
				log.Fatal(err)
			}
			var buf bytes.Buffer
			io.Copy(&buf, body.Body)
			body.Body.Close()
			req.Documents = append(req.Documents, pipeline.ReceiptDocument{Name: doc.Name, SHA256: sha256Hex(buf.Bytes())})
			fmt.Println(doc.Name, "matches:", sha256Hex(buf.Bytes()) == doc.SHA256)
		}
		req.Accepted = true
		rc, err := cp.PostReceipt(ctx, d.ID, req)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("receipt:", rc.Outcome, "signature ok:", pipeline.VerifyReceipt(rc, pub) == nil)
	}
	// Output:
	// accepted: true deliveries: 1
	// data/report.txt matches: true
	// receipt: ConsignmentAcceptance signature ok: true
}

func exampleServer(ctx context.Context, dir string) (url string, stop func()) {
	n, err := local.OpenNode(ctx, filepath.Join(dir, "data"), local.NodeOptions{Directory: filepath.Join("..", "..", "..", "infra", "counterparts.yaml")})
	if err != nil {
		log.Fatal(err)
	}
	toks, _ := api.ParseTokens(strings.NewReader("uploader-token-0001 uploader alice\nnl-om-token-000001 counterpart nl-om\n"))
	srv := httptest.NewServer(api.New(n.Service, n.Uploads, toks, api.Limits{}, nil))
	return srv.URL, func() { srv.Close(); n.Close() }
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
