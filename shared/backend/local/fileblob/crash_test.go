package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/pipeline/blobtest"
)

// The crash tests run the test binary again as a child that does the work, and kill it
// with SIGKILL midway; the parent then checks what is on disk.
const crashEnv = "EVX_LOCAL_CRASH_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(crashEnv) {
	case "put":
		os.Exit(crashChildPut())
	}
	os.Exit(m.Run())
}

const crashBlobSize = 8 << 20

// crashChildPut stores a blob read from stdin, which the parent never finishes writing.
func crashChildPut() int {
	b, err := New(os.Getenv("EVX_ROOT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	err = b.Put(context.Background(), blobtest.GenerateSum(1, crashBlobSize), crashBlobSize, os.Stdin)
	fmt.Fprintln(os.Stderr, "put returned:", err)
	return 4
}

func startChild(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), crashEnv+"="+mode), env...)
	cmd.Stderr = os.Stderr
	return cmd
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBlobsCrashDuringPut(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	cmd := startChild(t, "put", "EVX_ROOT="+root)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	// Half the blob, then the child is killed while it waits for the rest.
	if _, err := io.CopyN(stdin, blobtest.Generate(1, crashBlobSize), crashBlobSize/2); err != nil {
		t.Fatal(err)
	}
	sum := blobtest.GenerateSum(1, crashBlobSize)
	dir := filepath.Join(root, sum[:2], sum[2:4])
	waitUntil(t, "the temporary file to hold half the blob", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
		if len(m) != 1 {
			return false
		}
		fi, err := os.Stat(m[0])
		return err == nil && fi.Size() >= crashBlobSize/2-256<<10
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	b, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(context.Background(), sum); !errors.Is(err, pipeline.ErrNotFound) {
		t.Fatalf("Open after a crash during Put = %v, want ErrNotFound", err)
	}
	if n, err := b.RemoveTemp(); n != 1 || err != nil {
		t.Fatalf("RemoveTemp() = %d, %v; want 1, nil", n, err)
	}
	// Redoing the work succeeds.
	if err := b.Put(context.Background(), sum, crashBlobSize, blobtest.Generate(1, crashBlobSize)); err != nil {
		t.Fatalf("Put after the crash = %v", err)
	}
}
