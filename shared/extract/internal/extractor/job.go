package extractor

import (
	"context"
	"errors"
	"io"
	"runtime/debug"
	"strings"
)

// Job is one extraction in progress: the input, the limits, the result being filled and
// the text written so far. A format reader is a func(*Job) error.
type Job struct {
	Ctx  context.Context
	Lim  Limits
	Res  *Result
	R    io.ReaderAt
	Size int64
	// Nested, when set, extracts a document found inside this one (an e-mail attachment, a
	// forwarded message's attachment) through the dispatcher, one level deeper; nil at the
	// deepest level allowed.
	Nested Nested

	text    strings.Builder
	objects int
	full    bool // the text cap was reached
}

// Nested extracts a document carried inside another; it is given by the dispatcher.
type Nested func(ctx context.Context, data []byte, name string) (*Result, error)

// Reader reads one format into a Job. It returns an error only when nothing could be read.
type Reader func(*Job) error

// Run reads the size bytes of r as mediaType with read, under lim. It applies the timeout,
// recovers a panic of the reader (a *PanicError: a stop reason when some text was read,
// else an *UnreadableError), and wraps any error of read as an *UnreadableError naming
// mediaType.
func Run(ctx context.Context, r io.ReaderAt, size int64, mediaType string, lim Limits, read Reader) (*Result, error) {
	return RunNested(ctx, r, size, mediaType, lim, read, nil)
}

// RunNested is Run with a way to extract the documents found inside this one.
func RunNested(ctx context.Context, r io.ReaderAt, size int64, mediaType string, lim Limits, read Reader, nested Nested) (res *Result, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if lim.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
	}
	res = &Result{Size: size, MediaType: mediaType}
	j := &Job{Ctx: ctx, Lim: lim, Res: res, R: r, Size: size, Nested: nested}
	defer func() {
		if v := recover(); v != nil {
			pe := &PanicError{Value: v, Stack: string(debug.Stack())}
			res.Text = j.text.String()
			if res.Text != "" || res.Meta.Pages > 0 {
				res.Halt(pe)
				err = nil
				return
			}
			res, err = nil, &UnreadableError{MediaType: mediaType, Err: pe}
		}
	}()
	if read != nil {
		err = read(j)
	}
	if err != nil {
		var ue *UnreadableError
		if errors.As(err, &ue) {
			return nil, err
		}
		return nil, &UnreadableError{MediaType: mediaType, Err: err}
	}
	res.Text = j.text.String()
	return res, nil
}

// Deadline reports whether the context is done, recording it as the stop reason.
func (j *Job) Deadline() bool {
	if j.Ctx.Err() != nil {
		j.Res.Halt(&LimitError{Limit: LimitDeadline})
		return true
	}
	return false
}

// Object counts one memory-heavy object and reports whether the cap was reached.
func (j *Job) Object() bool {
	j.objects++
	if j.Lim.MaxObjects > 0 && j.objects > j.Lim.MaxObjects {
		j.Res.Halt(&LimitError{Limit: LimitObjects, Max: int64(j.Lim.MaxObjects)})
		return true
	}
	return false
}

// Write appends text, honouring the text cap; it reports false once the cap is reached.
// A cut never splits a UTF-8 sequence.
func (j *Job) Write(s string) bool {
	if j.full {
		return false
	}
	if max := j.Lim.MaxTextBytes; max > 0 && j.text.Len()+len(s) > max {
		room := max - j.text.Len()
		for room > 0 && room < len(s) && !utf8Start(s[room]) {
			room--
		}
		if room > 0 {
			j.text.WriteString(s[:room])
		}
		j.full = true
		j.Res.Halt(&LimitError{Limit: LimitText, Max: int64(max)})
		return false
	}
	j.text.WriteString(s)
	return true
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Full reports whether the text cap was reached.
func (j *Job) Full() bool { return j.full }

// Text returns the text written so far.
func (j *Job) Text() string { return j.text.String() }

// TextLen returns the number of bytes of text written so far.
func (j *Job) TextLen() int { return j.text.Len() }

// ReadAll reads the whole input, up to max bytes (no cap when max <= 0); a longer input is
// cut and the stream limit recorded.
func (j *Job) ReadAll(max int64) ([]byte, error) {
	n := j.Size
	if max > 0 && n > max {
		n = max
		j.Res.Halt(&LimitError{Limit: LimitStream, Max: max})
	}
	buf := make([]byte, n)
	m, err := j.R.ReadAt(buf, 0)
	if err != nil && err != io.EOF && int64(m) < n {
		return nil, err
	}
	return buf[:m], nil
}

// ReadCapped reads r up to max bytes (no cap when max <= 0); past it, it returns the first
// max bytes and a *LimitError for the stream limit.
func ReadCapped(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		max = 1 << 62
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(b)) > max {
		return b[:max], &LimitError{Limit: LimitStream, Max: max}
	}
	return b, err
}

// CleanMeta makes a metadata value safe to show: valid UTF-8, no control characters but
// tabs, at most 4 KiB, trimmed.
func CleanMeta(s string) string {
	s = strings.ToValidUTF8(s, "\ufffd")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' {
			return -1
		}
		return r
	}, s)
	if len(s) > 4096 {
		s = s[:4096]
	}
	return strings.TrimSpace(s)
}

type languagesKey struct{}

// WithLanguages returns ctx carrying the languages a document is expected in (ISO 639-2/T
// codes, from its bundle's states): readers weigh them when they must guess an encoding.
func WithLanguages(ctx context.Context, langs []string) context.Context {
	return context.WithValue(ctx, languagesKey{}, langs)
}

// Languages returns the languages of WithLanguages, or nil.
func (j *Job) Languages() []string {
	l, _ := j.Ctx.Value(languagesKey{}).([]string)
	return l
}
