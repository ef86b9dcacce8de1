// Package schedule is evx's one scheduler: every periodic task of a deployment (finishing
// pending work and expiring deliveries, the request clocks' sweep of deadlines and reminders,
// the fixity audit) runs from one loop that reads the time through a Clock, so a test or a
// faketime run moves every task's time alike.
//
// A task is due Every after it last ran (after the scheduler started, for its first run).
// Tasks run one at a time, in the order given, never concurrently with themselves; a task
// that fails is logged and runs again at its next time.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Task is one periodic job.
type Task struct {
	Name  string
	Every time.Duration // zero or less: never runs
	Run   func(ctx context.Context) error
}

// Scheduler runs Tasks at their times.
type Scheduler struct {
	Tasks []Task
	// Clock tells the time; time.Now when nil.
	Clock func() time.Time
	// Tick is how often Run looks at the clock; one second when zero.
	Tick time.Duration
	Log  *slog.Logger
	next []time.Time
}

func (s *Scheduler) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock()
}

// Start fixes each task's first time, Every after now. RunDue and Run call it when needed.
func (s *Scheduler) Start() {
	now := s.now()
	s.next = make([]time.Time, len(s.Tasks))
	for i, t := range s.Tasks {
		s.next[i] = now.Add(t.Every)
	}
}

// RunDue runs, once each, the tasks whose time has come and returns their names and the
// errors of those that failed, joined (each wrapped with its task's name).
func (s *Scheduler) RunDue(ctx context.Context) (ran []string, err error) {
	if s.next == nil {
		s.Start()
	}
	var errs []error
	for i, t := range s.Tasks {
		if t.Every <= 0 || s.now().Before(s.next[i]) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		terr := t.Run(ctx)
		ran = append(ran, t.Name)
		s.next[i] = s.now().Add(t.Every)
		if terr != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.Name, terr))
		}
	}
	return ran, errors.Join(errs...)
}

// Run calls RunDue every Tick until ctx ends, logging failures.
func (s *Scheduler) Run(ctx context.Context) {
	tick := s.Tick
	if tick <= 0 {
		tick = time.Second
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if s.next == nil {
		s.Start()
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
				log.Error("scheduled task failed", "err", err)
			}
		}
	}
}
