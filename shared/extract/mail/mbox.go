package mail

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/evx-project/evx/shared/extract/internal/extractor"
)

// ReadMbox reads an mbox file: messages that each start with a "From " envelope line at the
// start of the file or after an empty line. Each message is read as by [Read], its text
// ended by a form feed; Meta.Pages counts the messages and the other metadata are the first
// message's. Lines quoted as ">From " (mboxrd) lose one '>'. Each message is at most
// MaxStreamBytes and counts as one object.
func ReadMbox(j *extractor.Job) error {
	br := bufio.NewReaderSize(io.NewSectionReader(j.R, 0, j.Size), 64<<10)
	var msg bytes.Buffer
	n, failed := 0, 0
	var firstErr error
	cut := false
	flush := func() bool {
		if msg.Len() == 0 {
			return true
		}
		n++
		if j.Object() || j.Deadline() || j.Full() {
			return false
		}
		if err := readMessage(j, bytes.NewReader(msg.Bytes()), 0, n == 1); err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
			j.Res.AddPageError(n, err)
		}
		j.Write("\f")
		msg.Reset()
		cut = false
		return true
	}
	prevBlank := true
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull { // a very long line: keep reading it
			for err == bufio.ErrBufferFull {
				appendLine(&msg, line, j.Lim.MaxStreamBytes, &cut)
				line, err = br.ReadSlice('\n')
			}
		}
		if len(line) > 0 {
			if prevBlank && bytes.HasPrefix(line, []byte("From ")) {
				if !flush() {
					break
				}
			} else {
				if q := bytes.TrimLeft(line, ">"); len(q) < len(line) && bytes.HasPrefix(q, []byte("From ")) {
					line = line[1:]
				}
				appendLine(&msg, line, j.Lim.MaxStreamBytes, &cut)
			}
			prevBlank = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if err != nil {
			flush()
			break
		}
	}
	j.Res.Meta.Pages = n
	if n > 0 && failed == n {
		return fmt.Errorf("no message of %d could be read: %w", n, firstErr)
	}
	return nil
}

// appendLine adds a line to the message being collected, up to max bytes.
func appendLine(msg *bytes.Buffer, line []byte, max int64, cut *bool) {
	if max > 0 && int64(msg.Len()+len(line)) > max {
		*cut = true
		return
	}
	msg.Write(line)
}
