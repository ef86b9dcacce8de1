package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidSum(t *testing.T) {
	// echo -n | sha256sum
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	tests := []struct {
		sum  string
		want bool
	}{
		{empty, true},
		{strings.Repeat("0", 64), true},
		{strings.Repeat("f", 64), true},
		{"", false},
		{empty[:63], false},
		{empty + "0", false},
		{strings.ToUpper(empty), false},
		{"E" + empty[1:], false},
		{"g" + empty[1:], false},
		{"../" + empty[3:], false},
		{empty[:63] + "\x00", false},
		{"é" + empty[2:], false},
	}
	for _, tc := range tests {
		if got := ValidSum(tc.sum); got != tc.want {
			t.Errorf("ValidSum(%q) = %v, want %v", tc.sum, got, tc.want)
		}
	}
}

func TestCheckSend(t *testing.T) {
	tests := []struct {
		name, queue, dedup, body string
		ok                       bool
	}{
		{"json", "cp-nl-om", "b-1:nl-om", `{"a":1}`, true},
		{"utf8", "cp_es", "d", "Fiscalía — Bogotá 😀", true},
		{"tab-newline-cr", "q", "d", "a\tb\nc\r", true},
		{"max-body", "q", "d", strings.Repeat("x", MaxBody), true},
		{"max-dedup", "q", strings.Repeat("!", MaxDedupID), "x", true},
		{"max-queue", strings.Repeat("q", MaxQueueName), "d", "x", true},
		{"body-empty", "q", "d", "", false},
		{"body-long", "q", "d", strings.Repeat("x", MaxBody+1), false},
		{"body-nul", "q", "d", "a\x00b", false},
		{"body-control", "q", "d", "a\x1bb", false},
		{"body-invalid-utf8", "q", "d", "a\xffb", false},
		{"body-surrogate-encoded", "q", "d", "\xed\xa0\x80", false},
		{"body-fffe", "q", "d", "\uFFFE", false},
		{"dedup-empty", "q", "", "x", false},
		{"dedup-long", "q", strings.Repeat("d", MaxDedupID+1), "x", false},
		{"dedup-space", "q", "a b", "x", false},
		{"dedup-non-ascii", "q", "é", "x", false},
		{"queue-empty", "", "d", "x", false},
		{"queue-long", strings.Repeat("q", MaxQueueName+1), "d", "x", false},
		{"queue-dot", "q.fifo", "d", "x", false},
		{"queue-slash", "a/b", "d", "x", false},
	}
	for _, tc := range tests {
		err := CheckSend(tc.queue, tc.dedup, []byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("CheckSend(%s) = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidQueueArg) {
			t.Errorf("CheckSend(%s) = %v, want it to wrap ErrInvalidQueueArg", tc.name, err)
		}
	}
}

func TestCheckReceive(t *testing.T) {
	tests := []struct {
		name string
		max  int
		vis  time.Duration
		ok   bool
	}{
		{"one", 1, time.Second, true},
		{"most", MaxReceive, MaxVisibility, true},
		{"sub-second", 1, time.Millisecond, true},
		{"max-0", 0, time.Second, false},
		{"max-over", MaxReceive + 1, time.Second, false},
		{"vis-0", 1, 0, false},
		{"vis-negative", 1, -1, false},
		{"vis-over", 1, MaxVisibility + 1, false},
	}
	for _, tc := range tests {
		err := CheckReceive("q", tc.max, tc.vis)
		if (err == nil) != tc.ok {
			t.Errorf("CheckReceive(%s) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestMismatchErrors(t *testing.T) {
	d := &DigestMismatchError{Key: "k", Want: "aa", Got: "bb"}
	if got, want := d.Error(), "k: sha256 is bb, want aa"; got != want {
		t.Errorf("DigestMismatchError.Error() = %q, want %q", got, want)
	}
	s := &SizeMismatchError{Key: "k", Want: 10, Got: 11}
	if got, want := s.Error(), "k: size is 11 bytes, want 10"; got != want {
		t.Errorf("SizeMismatchError.Error() = %q, want %q", got, want)
	}
}

func FuzzCheckSend(f *testing.F) {
	f.Add("cp-a", "d-1", []byte(`{"a":1}`))
	f.Add("q", "", []byte("\xff"))
	f.Fuzz(func(t *testing.T, queue, dedup string, body []byte) {
		if CheckSend(queue, dedup, body) != nil {
			return
		}
		// Accepted input is within every SQS limit.
		if len(body) == 0 || len(body) > MaxBody || len(dedup) == 0 || len(dedup) > MaxDedupID ||
			len(queue) == 0 || len(queue) > MaxQueueName || strings.ContainsAny(queue, "./ ") {
			t.Fatalf("CheckSend accepted %q %q (%d bytes)", queue, dedup, len(body))
		}
	})
}
