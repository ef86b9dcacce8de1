package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Body deadlines (Limits.BodyIdle, BodyMinRate, BodyGrace): a client that stops sending, or
// sends slower than the minimum rate once the grace period is over, has its request ended
// with 408, so that slow clients cannot hold the server's connections and upload slots.
const (
	DefaultBodyIdle    = 30 * time.Second
	DefaultBodyMinRate = 1 << 10 // bytes a second
	DefaultBodyGrace   = 10 * time.Second
	DefaultMaxUploads  = 16
)

// BodyTimeoutError: the request body did not arrive in time. Idle says which deadline passed:
// no byte within BodyIdle, or fewer than MinRate bytes a second on average after the grace
// period (Read bytes in Elapsed).
type BodyTimeoutError struct {
	Idle    bool
	Read    int64
	Elapsed time.Duration
	MinRate int64
	Err     error
}

func (e *BodyTimeoutError) Error() string {
	if e.Idle {
		return fmt.Sprintf("request body stalled: nothing arrived for too long (%d bytes in %s)", e.Read, e.Elapsed.Round(time.Millisecond))
	}
	return fmt.Sprintf("request body too slow: %d bytes in %s, under the minimum of %d bytes a second", e.Read, e.Elapsed.Round(time.Millisecond), e.MinRate)
}
func (e *BodyTimeoutError) Unwrap() error { return e.Err }

// deadlineBody enforces the body deadlines through the connection's read deadline, set
// before each Read to the earlier of now+idle and the time by which the bytes read so far
// would fall under the minimum rate.
type deadlineBody struct {
	r       io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64
	grace   time.Duration
	start   time.Time
	n       int64
	off     bool // the connection does not support deadlines
}

func newDeadlineBody(w http.ResponseWriter, r *http.Request, lim Limits) *deadlineBody {
	return &deadlineBody{r: r.Body, rc: http.NewResponseController(w), idle: lim.BodyIdle, minRate: lim.BodyMinRate,
		grace: lim.BodyGrace, start: time.Now()}
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	now := time.Now()
	idleAt := now.Add(b.idle)
	rateAt := b.start.Add(b.grace + time.Duration(float64(b.n+1)/float64(b.minRate)*float64(time.Second)))
	at, idle := idleAt, true
	if rateAt.Before(idleAt) {
		at, idle = rateAt, false
	}
	if !b.off {
		if err := b.rc.SetReadDeadline(at); errors.Is(err, http.ErrNotSupported) {
			b.off = true
		}
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, &BodyTimeoutError{Idle: idle, Read: b.n, Elapsed: time.Since(b.start), MinRate: b.minRate, Err: err}
	}
	return n, err
}

func (b *deadlineBody) Close() error {
	if !b.off {
		b.rc.SetReadDeadline(time.Time{})
	}
	return b.r.Close()
}
