package pipeline_test

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/bagit"
)

const killHelperEnv = "EVX_KILL_HELPER_DATA"

// TestKillHelperProcess is not a test: TestSIGKILLDuringIngest runs it as a child that
// resumes the pending uploads of a data folder until it is killed.
func TestKillHelperProcess(t *testing.T) {
	dir := os.Getenv(killHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestSIGKILLDuringIngest")
	}
	n, err := local.OpenNode(context.Background(), dir, local.NodeOptions{Counterparts: testDirectory(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Service.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	os.Exit(0)
}

// TestSIGKILLDuringIngest kills a process working through pending uploads with SIGKILL at
// varying moments, again and again, then restarts once more: every bundle must end accepted
// once, delivered once per counterpart, with a verifying trail.
func TestSIGKILLDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	clock := newClock()
	n := openNode(t, dir, clock)
	cps := []string{"nl-om", "es-fge"}
	var ids []string
	for i := range 10 {
		in := info(cps...)
		in = append(in, bagitField("EVX-Test-Run", string(rune('a'+i))))
		ids = append(ids, upload(t, n, makeBag(t, evidence(t), in)))
	}
	n.Close()

	killed := 0
	for i := range 16 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), killHelperEnv+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-time.After(time.Duration(10+i*12) * time.Millisecond):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			killed++
		case err := <-done:
			if err != nil {
				t.Fatalf("helper run %d: %v", i, err)
			}
		}
	}
	t.Logf("%d of 16 runs killed", killed)
	// Restart on the real clock, as the helper runs: queue notices the helper sent are visible
	// from its time on, which a test clock behind the machine's would never reach.
	n, err := local.OpenNode(ctx, dir, local.NodeOptions{Counterparts: testDirectory(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.Service.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	assertBundlesDeliveredOnce(t, n, ids, cps)
	if p, _ := n.Uploads.Pending(ctx); len(p) != 0 {
		t.Errorf("%d uploads still pending", len(p))
	}
	var ok string
	if err := n.DB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check = %q, %v", ok, err)
	}
}

func bagitField(label, value string) bagit.Field { return bagit.Field{Label: label, Value: value} }
