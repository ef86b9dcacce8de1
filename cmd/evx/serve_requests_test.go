package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/api/client"
	"github.com/evx-project/evx/shared/backend/local"
	"github.com/evx-project/evx/shared/custody"
	"github.com/evx-project/evx/shared/request"
)

// TestServeSweepsRequestClocks: evx serve's scheduler sweeps the request clocks every
// --requests-every: an EIO received 31 days ago (recorded on a clock set back) is found
// overdue and DeadlineMissed is recorded, once, with the overdue reminder.
func TestServeSweepsRequestClocks(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	past := time.Now().UTC().Add(-31 * 24 * time.Hour)
	n, err := local.OpenNode(t.Context(), data, local.NodeOptions{Directory: testDirectory, Clock: func() time.Time { return past }})
	if err != nil {
		t.Fatal(err)
	}
	q := request.Request{ID: "EIO-HOME-5", Type: request.EIO, Issuer: local.DefaultAgency, IssuerPerson: "ana", Addressee: "nl-om", LegalBasis: "EU-EIO"}
	if _, err := n.Requests.Issue(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Requests.Act(t.Context(), q.ID, request.Actor{Agency: "nl-om", Person: "x"}, request.Action{Type: custody.RequestReceived}); err != nil {
		t.Fatal(err)
	}
	n.Close()
	tok := filepath.Join(dir, "tokens")
	os.WriteFile(tok, []byte("legal-token-0000001 legal clerk\n"), 0o600)
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		done <- run(ctx, []string{"serve", "--tokens", tok, "--data", data, "--directory", testDirectory, "--addr", "127.0.0.1:0",
			"--requests-every", "200ms"}, pw, &errb)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no serving line: %v; stderr %s", err, errb.String())
	}
	go io.Copy(io.Discard, pr)
	c, err := client.New(strings.Fields(line)[2], client.WithToken("legal-token-0000001"))
	if err != nil {
		t.Fatal(err)
	}
	// The scheduler looks every second; wait (up to a minute, on a loaded machine) for the sweep.
	for deadline := time.Now().Add(time.Minute); ; {
		s, err := c.Request(t.Context(), q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Deadline("recognition").Status == request.ClockMissed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recognition = %s a minute after serving, want missed", s.Deadline("recognition").Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a few more sweeps, which must record nothing more
	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	n, err = local.OpenNode(t.Context(), data, local.NodeOptions{Directory: testDirectory})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	es, err := n.Requests.Events(t.Context(), q.ID)
	if err != nil {
		t.Fatal(err)
	}
	missed, reminders := 0, 0
	for _, e := range es {
		switch e.Event.Type {
		case custody.DeadlineMissed:
			missed++
		case custody.RequestReminder:
			reminders++
		}
	}
	if missed != 1 || reminders != 1 {
		t.Errorf("after serving: %d DeadlineMissed, %d reminders; want 1 and 1 (stderr %s)", missed, reminders, errb.String())
	}
}
