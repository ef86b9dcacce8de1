package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/pipeline"
)

func TestAudit(t *testing.T) {
	clock := &fntest.Clock{T: fntest.T0}
	n := fntest.Node(t, clock)
	ctx := context.Background()
	var ups []pipeline.Upload
	for _, cps := range [][]string{{"nl-om"}, {"es-fge"}} {
		id, size, err := n.Uploads.Spool(ctx, bytes.NewReader(fntest.Bag(t, cps...)))
		if err != nil {
			t.Fatal(err)
		}
		u, err := n.Service.Submit(ctx, pipeline.Upload{BundleID: id, Uploader: "inspector-1", Size: size})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Service.Process(ctx, id); err != nil {
			t.Fatal(err)
		}
		u.State = pipeline.UploadRouted
		ups = append(ups, u)
	}
	// Both bags hold the same documents: change one stored blob, and both bundles mismatch.
	trail, err := n.Service.Events(ctx, ups[0].BundleID)
	if err != nil {
		t.Fatal(err)
	}
	sum := trail[0].Event.Details.Documents[0].SHA256
	p := filepath.Join(n.Dir, local.BlobsDir, sum[0:2], sum[2:4], sum)
	os.Chmod(p, 0o600)
	if err := os.WriteFile(p, []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	h := &Handler{Service: n.Service, Window: 24 * time.Hour, Clock: clock.Now, Metrics: &metrics,
		Recent: func(ctx context.Context, since time.Time) ([]pipeline.Upload, error) { return ups, nil }}

	// Hourly: expiry only, nothing due yet.
	got, err := fntest.Invoke(t, h.Handle, fntest.Event(t, "expiry.json"))
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "expiry-none-due", got)
	if metrics.Len() != 0 {
		t.Errorf("expiry run wrote metrics %q", metrics.String())
	}

	// Daily, past every deadline: two fixity checks that mismatch, two expiries.
	clock.T = clock.T.Add(15 * 24 * time.Hour)
	got, err = fntest.Invoke(t, h.Handle, fntest.Event(t, "daily.json"))
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "daily", got)
	var emf struct {
		AWS struct {
			CloudWatchMetrics []struct {
				Namespace string
				Metrics   []struct{ Name string }
			}
		} `json:"_aws"`
		FixityMismatch int
	}
	if err := json.Unmarshal(metrics.Bytes(), &emf); err != nil || emf.FixityMismatch != 2 || emf.AWS.CloudWatchMetrics[0].Namespace != "evx" ||
		!strings.Contains(metrics.String(), `"Name":"FixityMismatch"`) {
		t.Errorf("metric line %q (%v): want FixityMismatch 2 in namespace evx", metrics.String(), err)
	}
	trail, _ = n.Service.Events(ctx, ups[0].BundleID)
	var fixity, expiry int
	for _, e := range trail {
		switch e.Event.Type {
		case custody.FixityCheck:
			fixity++
		case custody.AcceptanceRejectionExpiry:
			expiry++
		}
	}
	if fixity != 1 || expiry != 1 {
		t.Errorf("trail has %d FixityCheck, %d expiries; want 1 and 1", fixity, expiry)
	}
}
