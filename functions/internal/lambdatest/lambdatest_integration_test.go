//go:build integration

package lambdatest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evx-project/evx/functions/internal/lambdatest"
)

// A real bootstrap (the echo function in testdata) answers through aws-lambda-rie, and the
// emulator reports its cold start.
func TestIntegrationEcho(t *testing.T) {
	rie := os.Getenv("EVX_LAMBDA_RIE")
	if rie == "" {
		t.Skip("EVX_LAMBDA_RIE not set: run through infra/integration.sh")
	}
	ctx := context.Background()
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	if err := lambdatest.Build(ctx, ".", "./testdata/echo", bootstrap); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bootstrap: %.2f MiB", float64(st.Size())/(1<<20))

	f, err := lambdatest.Start(rie, bootstrap, []string{"AWS_LAMBDA_FUNCTION_TIMEOUT=10"}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	var took []time.Duration
	for i, event := range []string{`{"n":1}`, `{"n":2,"s":"é"}`} {
		start := time.Now()
		out, err := f.Invoke(ctx, []byte(event))
		took = append(took, time.Since(start))
		if err != nil {
			t.Fatalf("invoke %d: %v\n%s", i, err, f.Output())
		}
		var resp struct {
			Event     json.RawMessage `json:"event"`
			RequestID string          `json:"request_id"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("invoke %d: %s: %v", i, out, err)
		}
		if string(resp.Event) != event || resp.RequestID == "" {
			t.Errorf("invoke %d = %s, want the event %s back with a request id", i, out, event)
		}
	}
	// The REPORT lines reach the output just after the responses.
	var rs []lambdatest.Report
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if rs = f.Reports(); len(rs) >= 2 {
			break
		}
	}
	if len(rs) != 2 {
		t.Fatalf("%d REPORT lines, want 2:\n%s", len(rs), f.Output())
	}
	if rs[0].InitDuration <= 0 || rs[1].InitDuration != 0 {
		t.Errorf("init durations %v, %v: want the first invocation cold, the second warm", rs[0].InitDuration, rs[1].InitDuration)
	}
	t.Logf("emulator report: Init Duration %v, Duration %v then %v; wall clock per invoke %v (cold) then %v",
		rs[0].InitDuration, rs[0].Duration, rs[1].Duration, took[0].Round(time.Microsecond), took[1].Round(time.Microsecond))

	if err := f.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Invoke(ctx, []byte(`{}`)); err == nil {
		t.Error("invoke after Stop succeeded")
	}
}
