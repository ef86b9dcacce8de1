//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/evx-project/evx/functions/internal/lambdatest"
	"github.com/evx-project/evx/shared/backend/aws/awsenv"
)

// Cold start of each function under aws-lambda-rie, configured as template.yaml deploys it
// (the signing public key given): the emulator starts the bootstrap on the first invocation,
// so its REPORT "Init Duration" leaves out the function's own init (SDK configuration, the
// counterpart directory). The figure here is the wall time of a first invocation that does
// almost nothing, less that of the second (warm) one. Every AWS call goes through a wire in
// front of the emulator: the cold invocation must make exactly the calls the warm one makes,
// so init itself makes none (no GetPublicKey, no queue URL lookup, no credential fetch). Each
// bootstrap, built with the deployed flags, weighs at most 16 MiB as deployed (arm64; the
// builds this machine runs, amd64, are some 8% larger and are only logged).
func TestIntegrationColdStart(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL") == "" || os.Getenv("EVX_LAMBDA_RIE") == "" {
		t.Skip("no emulators: run through infra/integration.sh")
	}
	ctx := context.Background()
	root := moduleRoot(t)
	st := newStack(t, ctx, root)
	w := newWire(t, os.Getenv("AWS_ENDPOINT_URL"))
	trivial := map[string]any{
		"ingest": map[string]any{"Records": []any{}},
		"route":  map[string]any{"Records": []any{}},
		"api":    map[string]any{"version": "2.0", "rawPath": "/v1/public-key", "requestContext": map[string]any{"http": map[string]string{"method": "GET"}}},
		"audit":  map[string]any{"task": "expiry"},
		"sweep":  map[string]any{"detail-type": "CloudWatch Alarm State Change", "detail": map[string]any{"alarmName": "other", "state": map[string]string{"value": "OK"}}},
	}
	// The agencies' key changes recorded beforehand (the audit function's first run records
	// them, once), so that audit's cold and warm invocations do the same work.
	env, err := awsenv.Open(ctx, st.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.SyncAgencyKeys(ctx, env.Directory.Counterparts(), time.Now()); err != nil {
		t.Fatal(err)
	}
	fns := startFunctions(t, ctx, root, append(st.environ(), "AWS_ENDPOINT_URL="+w.URL), "ingest", "route", "api", "audit", "sweep")
	for _, name := range []string{"ingest", "route", "api", "audit", "sweep"} {
		ev, _ := json.Marshal(trivial[name])
		var walls [2]time.Duration
		var calls [2][]string
		w.take()
		for i := range walls {
			t0 := time.Now()
			if _, err := fns[name].Invoke(ctx, ev); err != nil {
				t.Fatal(err)
			}
			walls[i] = time.Since(t0)
			calls[i] = w.take()
		}
		if !slices.Equal(calls[0], calls[1]) {
			t.Errorf("%s: the cold invocation made the calls %q, the warm one %q: want none at init", name, calls[0], calls[1])
		}
		var init time.Duration
		for _, r := range fns[name].Reports() {
			init += r.InitDuration
		}
		fi, err := os.Stat(fns[name].Bootstrap)
		if err != nil {
			t.Fatal(err)
		}
		// The budget is the deployed bootstrap's: arm64, built with the same flags.
		deployed := filepath.Join(t.TempDir(), name+"-arm64")
		if err := lambdatest.BuildFor(ctx, root, "./functions/"+name, deployed, "arm64"); err != nil {
			t.Fatal(err)
		}
		arm, err := os.Stat(deployed)
		if err != nil {
			t.Fatal(err)
		}
		if arm.Size() > maxBootstrap {
			t.Errorf("%s: arm64 bootstrap of %.2f MiB, want at most 16 MiB (infra/lambda-size.sh %s lists what weighs)", name, float64(arm.Size())/(1<<20), name)
		}
		t.Logf("cold start %-6s first invoke %7.1f ms, warm %5.1f ms, function init ~%6.1f ms (RIE Init Duration %v), AWS calls at init: %d, bootstrap %.2f MiB (arm64 %.2f MiB)", name,
			ms(walls[0]), ms(walls[1]), ms(walls[0]-walls[1]), init, len(calls[0])-len(calls[1]), float64(fi.Size())/(1<<20), float64(arm.Size())/(1<<20))
	}
}

// maxBootstrap is the most a bootstrap built with functions/lambda.mk's flags may weigh: the
// AWS deployment issue's goal.
const maxBootstrap = 16 << 20

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
