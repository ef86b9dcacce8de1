package sqlitequeue

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/backend/local/sqlitedb"
)

// The crash tests run the test binary again as a child that does the work, and kill it
// with SIGKILL midway; the parent then checks what is on disk.
const crashEnv = "EVX_LOCAL_CRASH_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(crashEnv) {
	case "send":
		os.Exit(crashChildSend())
	}
	os.Exit(m.Run())
}

// crashChildSend sends numbered messages until killed.
func crashChildSend() int {
	ctx := context.Background()
	db, err := sqlitedb.Open(ctx, os.Getenv("EVX_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	q, err := New(ctx, db, nil)
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
	q, err := New(ctx, db, nil)
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
