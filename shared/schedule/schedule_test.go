package schedule_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/evx-project/evx/shared/schedule"
)

// TestRunDue: each task runs Every after its last run, by the scheduler's clock alone; a
// failing task is reported with its name and runs again at its next time.
func TestRunDue(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var log []string
	fail := true
	s := &schedule.Scheduler{Clock: func() time.Time { return now }, Tasks: []schedule.Task{
		{"resume", time.Minute, func(context.Context) error { log = append(log, "resume"); return nil }},
		{"requests", 5 * time.Minute, func(context.Context) error {
			log = append(log, "requests")
			if fail {
				return errors.New("ledger down")
			}
			return nil
		}},
		{"audit", 24 * time.Hour, func(context.Context) error { log = append(log, "audit"); return nil }},
		{"off", 0, func(context.Context) error { t.Error("a task with Every 0 ran"); return nil }},
	}}
	s.Start()
	for _, tc := range []struct {
		advance time.Duration
		want    []string
		err     bool
	}{
		{0, nil, false},
		{time.Minute, []string{"resume"}, false},
		{30 * time.Second, nil, false},
		{4 * time.Minute, []string{"resume", "requests"}, true},
		{5 * time.Minute, []string{"resume", "requests"}, false},
		{24 * time.Hour, []string{"resume", "requests", "audit"}, false},
	} {
		now = now.Add(tc.advance)
		if tc.advance == 5*time.Minute {
			fail = false
		}
		log = nil
		ran, err := s.RunDue(t.Context())
		if !slices.Equal(ran, tc.want) || !slices.Equal(log, tc.want) || (err != nil) != tc.err {
			t.Errorf("after +%v: ran %v (err %v), want %v (error %v)", tc.advance, ran, err, tc.want, tc.err)
		}
	}
}
