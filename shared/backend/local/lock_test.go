package local

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

const lockHelperEnv = "EVX_LOCK_HELPER_DIR"

// TestLockHelperProcess is not a test: TestLockDataDir runs it as a second process.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestLockDataDir")
	}
	_, err := LockDataDir(dir)
	var iu *InUseError
	if errors.As(err, &iu) {
		os.Stdout.WriteString("in use " + strconv.Itoa(iu.PID) + "\n" + err.Error() + "\n")
		os.Exit(3)
	}
	os.Exit(0)
}

// A second process cannot take a data folder's lock while the first holds it, and is told
// the first's PID; once released, it can.
func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	l, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	second := func() (int, string) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockHelperEnv+"="+dir)
		out, _ := cmd.Output()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	code, out := second()
	if code != 3 || !strings.Contains(out, "in use "+strconv.Itoa(os.Getpid())) || !strings.Contains(out, "PID "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second process while locked: exit %d, %q; want the in-use error naming PID %d", code, out, os.Getpid())
	}
	l.Close()
	if code, out := second(); code != 0 {
		t.Fatalf("second process after release: exit %d, %q; want the lock", code, out)
	}
}
