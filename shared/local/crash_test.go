package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	case "send":
		os.Exit(crashChildSend())
	}
	os.Exit(m.Run())
}

const crashBlobSize = 8 << 20

// crashChildPut stores a blob read from stdin, which the parent never finishes writing.
func crashChildPut() int {
	b, err := NewBlobs(os.Getenv("EVX_ROOT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	err = b.Put(context.Background(), blobtest.GenerateSum(1, crashBlobSize), crashBlobSize, os.Stdin)
	fmt.Fprintln(os.Stderr, "put returned:", err)
	return 4
}

// crashChildSend sends numbered messages until killed.
func crashChildSend() int {
	ctx := context.Background()
	db, err := OpenSQLite(ctx, os.Getenv("EVX_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	q, err := NewQueue(ctx, db, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	for i := 0; ; i++ {
		if err := q.Send(ctx, "cp-a", "m-"+strconv.Itoa(i), []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		if i == 20 {
			os.WriteFile(os.Getenv("EVX_DB")+".started", nil, 0o600)
		}
	}
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

	b, err := NewBlobs(root)
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

func TestQueueCrashDuringSend(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "evx.db")
	cmd := startChild(t, "send", "EVX_DB="+dbPath)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	waitUntil(t, "the child to send 20 messages", func() bool {
		_, err := os.Stat(dbPath + ".started")
		return err == nil
	})
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	ctx := context.Background()
	db := openDBAt(t, dbPath)
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var msgs, dedups, orphans int
	db.QueryRow(`SELECT count(*) FROM queue_messages`).Scan(&msgs)
	db.QueryRow(`SELECT count(*) FROM queue_dedup`).Scan(&dedups)
	db.QueryRow(`SELECT count(*) FROM queue_dedup d LEFT JOIN queue_messages m ON m.id = d.message_id WHERE m.id IS NULL`).Scan(&orphans)
	if msgs < 21 || msgs != dedups || orphans != 0 {
		t.Fatalf("after the crash: %d messages, %d dedup ids, %d dedup ids without a message; want equal counts (at least 21) and none", msgs, dedups, orphans)
	}
	// The restarted sender redoes everything from the start: no message twice.
	q, err := NewQueue(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range msgs + 5 {
		if err := q.Send(ctx, "cp-a", "m-"+strconv.Itoa(i), []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for {
		ms, err := q.Receive(ctx, "cp-a", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			if seen[string(m.Body)] {
				t.Fatalf("%s delivered twice", m.Body)
			}
			seen[string(m.Body)] = true
		}
	}
	if len(seen) != msgs+5 {
		t.Errorf("received %d messages, want %d", len(seen), msgs+5)
	}
}
