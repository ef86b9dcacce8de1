//go:build integration

package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/extract"
	"github.com/evx-project/evx/shared/pipeline"
)

// counter counts SDK calls by service and operation.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func (c *counter) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("evxCount", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		c.mu.Lock()
		c.n[awsmw.GetServiceID(ctx)+" "+awsmw.GetOperationName(ctx)]++
		c.mu.Unlock()
		return next.HandleInitialize(ctx, in)
	}), middleware.After)
}

func format(n map[string]int) string {
	var keys []string
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, n[k])
	}
	return b.String()
}

// The AWS calls one bundle of 100 MiB (four documents of 25 MiB, two counterparts) costs, step
// by step, as the functions make them: the figures README's cost estimate starts from. The
// steps run in this process over the same awsenv wiring the functions use. (Four documents,
// not more: a receipt over more is longer than kmssign.MaxRaw and is signed as a DIGEST, which
// moto_server 5.2.1 does not implement.)
func TestIntegrationCallsPerBundle(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cnt := &counter{n: map[string]int{}}
	cfg.APIOptions = append(cfg.APIOptions, cnt.middleware)
	c := st.cfg
	c.Intake = pipeline.BagIntake(extract.Record(extract.DefaultLimits()), bagit.Limits{}) // the ingest function's wiring
	env, err := awsenv.OpenWith(ctx, c, cfg, nil, awsenv.WithS3())
	if err != nil {
		t.Fatal(err)
	}

	src := t.TempDir()
	var srcs []string
	for i := range 4 {
		p := filepath.Join(src, fmt.Sprintf("image-%02d.bin", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.CopyN(f, rand.Reader, 25<<20); err != nil {
			t.Fatal(err)
		}
		f.Close()
		srcs = append(srcs, p)
	}
	bagPath := filepath.Join(t.TempDir(), "bundle.zip")
	info := bagit.Info{{Label: bagit.LabelCounterpart, Value: "nl-om"}, {Label: bagit.LabelCounterpart, Value: "es-fge"},
		{Label: bagit.LabelRequestReference, Value: "EIO-2026-0042"}, {Label: bagit.LabelRequestingState, Value: "NL"},
		{Label: bagit.LabelRequestedState, Value: "ES"}, {Label: bagit.LabelLegalBasis, Value: "EU-EIO"}, {Label: bagit.LabelHandlingCode, Value: "H1"}}
	if _, err := bagit.Create(bagPath, srcs, bagit.CreateOptions{Info: info}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(bagPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	key := "incoming/big.zip"
	put, err := env.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &st.uploads, Key: &key, Body: f, ContentLength: ptr(fi.Size())})
	if err != nil {
		t.Fatal(err)
	}
	cnt.take()
	step := func(name string, fn func() error) {
		t0 := time.Now()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("calls %-8s %6.0f ms  %s", name, float64(time.Since(t0).Microseconds())/1000, format(cnt.take()))
	}
	var id string
	step("ingest", func() error {
		u, err := env.Submit(ctx, st.uploads, key, *put.VersionId, "s3:test", fi.Size())
		if err != nil {
			return err
		}
		id = u.BundleID
		res, err := env.Service.Ingest(ctx, id)
		if err != nil || !res.Accepted {
			return fmt.Errorf("ingest: %+v, %v", res, err)
		}
		if err := env.State.SetUploadState(ctx, id, pipeline.UploadAccepted); err != nil {
			return err
		}
		return env.Queue.Send(ctx, awsenv.AcceptedQueue, id, []byte(`{"bundle":"`+id+`"}`))
	})
	step("route", func() error {
		if _, err := env.Service.Route(ctx, id); err != nil {
			return err
		}
		return env.State.SetUploadState(ctx, id, pipeline.UploadRouted)
	})
	for _, cp := range []string{"nl-om", "es-fge"} {
		step("pull", func() error {
			d := pipeline.DeliveryID(id, cp)
			if _, err := env.Service.ListDeliveries(ctx, cp); err != nil {
				return err
			}
			m, err := env.Service.Manifest(ctx, cp, d)
			if err != nil {
				return err
			}
			var req pipeline.ReceiptRequest
			req.Accepted = true
			for _, doc := range m.Documents {
				rc, _, err := env.Service.FetchDocument(ctx, cp, d, doc.Name)
				if err != nil {
					return err
				}
				io.Copy(io.Discard, rc)
				rc.Close()
				req.Documents = append(req.Documents, pipeline.ReceiptDocument{Name: doc.Name, SHA256: doc.SHA256})
			}
			_, err = env.Service.PostReceipt(ctx, cp, d, req)
			return err
		})
	}
	// The first check reads the multipart documents in full (their composite checksums not yet
	// bound to the recorded SHA-256); the next compares S3's stored checksums, HeadObject alone,
	// but for a document whose full-read day it is (one in 30).
	step("fixity", func() error { _, err := env.Service.Fixity(ctx, id); return err })
	step("fixity2", func() error { _, err := env.Service.Fixity(ctx, id); return err })
}

func ptr[T any](v T) *T { return &v }
