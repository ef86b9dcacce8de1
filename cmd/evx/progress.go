package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Progress of long work (bag create and validate, upload, pull, verify of a big trail) goes
// to stderr: on a terminal one line rewritten in place (bytes done of the total, rate, time
// left, the file at hand), elsewhere a plain line every plainEvery, and nothing at all with
// --json or for work that ends within the first second.

const (
	termEvery  = 200 * time.Millisecond // redraw interval on a terminal
	plainEvery = 10 * time.Second       // interval of plain lines when stderr is not a terminal
	quietFirst = time.Second            // nothing is shown for work shorter than this
)

// terminal is implemented by writers that are terminals (for tests: a buffer that says so).
type terminal interface{ IsTerminal() bool }

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	switch t := w.(type) {
	case terminal:
		return t.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(t.Fd()))
	}
	return false
}

// meter shows the progress of one piece of work of a known total (0: unknown). Its methods
// may be called from any goroutine; a nil *meter does nothing.
type meter struct {
	mu      sync.Mutex
	w       io.Writer
	term    bool
	verb    string
	total   int64
	done    int64
	files   int
	item    string
	start   time.Time
	last    time.Time
	shown   bool
	now     func() time.Time
	longest int
}

// newMeter returns a meter printing to w, or nil when off (--json).
func newMeter(w io.Writer, off bool, verb string, total int64) *meter {
	if off {
		return nil
	}
	m := &meter{w: w, term: isTerminal(w), verb: verb, total: total, now: time.Now}
	m.start = m.now()
	m.last = m.start
	return m
}

// Write counts p as done, so that a meter can sit in an io.MultiWriter or io.TeeReader.
func (m *meter) Write(p []byte) (int, error) {
	m.add(int64(len(p)))
	return len(p), nil
}

// add counts n more bytes done.
func (m *meter) add(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	m.maybeShow()
}

// file names the file at hand; a new name counts one more file.
func (m *meter) file(name string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if name != m.item {
		m.files++
		m.item = name
	}
	m.maybeShow()
}

// stage starts another stage of the same work (bag create's hashing, then writing).
func (m *meter) stage(verb string, total int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.verb == verb {
		return
	}
	m.verb, m.total, m.done, m.files, m.item = verb, total, 0, 0, ""
	m.start = m.now()
}

func (m *meter) maybeShow() {
	now := m.now()
	if now.Sub(m.start) < quietFirst && !m.shown {
		return
	}
	every := plainEvery
	if m.term {
		every = termEvery
	}
	if m.shown && now.Sub(m.last) < every {
		return
	}
	m.last, m.shown = now, true
	line := m.line(now)
	if m.term {
		pad := ""
		if n := m.longest - len(line); n > 0 {
			pad = fmt.Sprintf("%*s", n, "")
		}
		m.longest = max(m.longest, len(line))
		fmt.Fprintf(m.w, "\r%s%s", line, pad)
	} else {
		fmt.Fprintln(m.w, "evx: "+line)
	}
}

// line is the progress text: "uploading 1.2 GiB of 4.0 GiB (30%), 85.3 MiB/s, 34s left: data/x.pdf".
func (m *meter) line(now time.Time) string {
	el := now.Sub(m.start).Seconds()
	s := m.verb + " " + humanBytes(m.done)
	if m.total > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", humanBytes(m.total), min(100, m.done*100/m.total))
	}
	if el > 0 {
		rate := float64(m.done) / el
		s += fmt.Sprintf(", %s/s", humanBytes(int64(rate)))
		if m.total > 0 && rate > 0 && m.done < m.total {
			left := time.Duration(float64(m.total-m.done) / rate * float64(time.Second))
			s += ", " + humanDuration(left) + " left"
		}
	}
	if m.files > 1 {
		s += fmt.Sprintf(", file %d", m.files)
	}
	if m.item != "" {
		s += ": " + m.item
	}
	return s
}

// finish clears the terminal line (plain output keeps its lines).
func (m *meter) finish() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.term && m.shown {
		fmt.Fprint(m.w, "\r\033[K")
	}
	m.shown = false
}

// humanBytes is a size in binary units: "512 bytes", "1 byte", "3.4 MiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return count(n, "byte")
	}
	const units = "KMGTPE"
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f %ciB", v, units[i])
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}

// humanDuration rounds d for a person: "45s", "3m20s", "2h05m".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// countingReader passes reads through to r and counts them on m.
type countingReader struct {
	r io.Reader
	m *meter
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.m.add(int64(n))
	return n, err
}
