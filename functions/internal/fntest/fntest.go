// Package fntest helps the function hosts' tests: it runs the real embedded backends
// (local.OpenNode in a temporary folder) behind a function's handler, feeds it events from
// testdata through lambda.NewHandler, as the Lambda runtime would, and compares the responses
// with golden files (go test -update rewrites them).
package fntest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/directory"
	"github.com/evx-project/evx/shared/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// T0 is the fixed time the node's clock starts at.
var T0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// Clock is a settable clock.
type Clock struct{ T time.Time }

// Now tells the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Issuer is the identity provider of the tests' tokens, shared by evx's own staff and the
// counterparts (each counterpart with its own client id), as one Cognito user pool would be.
const Issuer = "https://idp.example.org"

// Directory is the counterpart directory of the tests.
func Directory(t testing.TB) *directory.Directory {
	d, err := directory.New([]pipeline.Counterpart{
		{ID: "nl-om", Name: "Openbaar Ministerie", Country: "NL", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1", "H2", "H3"}, Active: true,
			Issuer: Issuer, ClientID: "client-nl-om"},
		{ID: "es-fge", Name: "Fiscalía Especial Antidroga", Country: "ES", LegalBases: []string{"EU-EIO"}, HandlingCodes: []string{"H0", "H1", "H2"}, Active: true,
			Issuer: Issuer, ClientID: "client-es-fge"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Node opens an embedded node in a temporary folder with the test directory and clock.
func Node(t testing.TB, clock *Clock) *local.Node {
	t.Helper()
	n, err := local.OpenNode(context.Background(), t.TempDir(), local.NodeOptions{Counterparts: Directory(t), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// Bag builds a zip bag of three small documents for counterparts and returns its bytes.
func Bag(t testing.TB, counterparts ...string) []byte {
	t.Helper()
	return BagOf(t, map[string][]byte{
		"seizure-report.txt": []byte("Seizure report 2026/114\nPort of Rotterdam, container MSCU 123456-7\n"),
		"ledger.csv":         []byte("date,amount,currency\n2026-10-01,25000,EUR\n"),
	}, counterparts...)
}

// BagOf builds a zip bag of docs (name to content) for counterparts, with Bag's request
// fields, and returns its bytes.
func BagOf(t testing.TB, docs map[string][]byte, counterparts ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	var srcs []string
	for name, body := range docs {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, p)
	}
	var in bagit.Info
	for _, c := range counterparts {
		in = append(in, bagit.Field{Label: bagit.LabelCounterpart, Value: c})
	}
	in = append(in,
		bagit.Field{Label: bagit.LabelRequestReference, Value: "EIO-2026-0042"},
		bagit.Field{Label: bagit.LabelRequestingState, Value: "NL"},
		bagit.Field{Label: bagit.LabelRequestedState, Value: "ES"},
		bagit.Field{Label: bagit.LabelLegalBasis, Value: "EU-EIO"},
		bagit.Field{Label: bagit.LabelHandlingCode, Value: "H0"},
	)
	out := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := bagit.Create(out, srcs, bagit.CreateOptions{Info: in}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bucket stands in for the evidence bucket on one machine: objects are files under a folder,
// and Submit spools the named one into the node's uploads, as the AWS host records an S3
// object.
type Bucket struct {
	Name string
	Dir  string
	Node *local.Node
}

// Put stores an object.
func (b *Bucket) Put(t testing.TB, key string, body []byte) {
	p := filepath.Join(b.Dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Submit spools the object into the node's uploads and submits it.
func (b *Bucket) Submit(ctx context.Context, bucket, key, version, uploader string, size int64) (pipeline.Upload, error) {
	if bucket != b.Name {
		return pipeline.Upload{}, fmt.Errorf("bucket %s: want %s", bucket, b.Name)
	}
	f, err := os.Open(filepath.Join(b.Dir, filepath.FromSlash(key)))
	if err != nil {
		return pipeline.Upload{}, err
	}
	defer f.Close()
	id, n, err := b.Node.Uploads.Spool(ctx, f)
	if err != nil {
		return pipeline.Upload{}, err
	}
	return b.Node.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: uploader, Size: n})
}

// Event reads testdata/events/name.
func Event(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Invoke feeds event to handler as the Lambda runtime does and returns the response, or the
// error the runtime would report.
func Invoke(t testing.TB, handler any, event []byte) ([]byte, error) {
	t.Helper()
	return lambda.NewHandler(handler).Invoke(context.Background(), event)
}

// Golden compares got (JSON) with testdata/name.golden.json, indented; -update rewrites it.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: response is not JSON: %v: %s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s: got\n%s\nwant\n%s", name, buf.Bytes(), want)
	}
}
