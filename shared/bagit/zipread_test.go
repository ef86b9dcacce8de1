package bagit

import (
	"bytes"
	"io"
	"sync/atomic"
	"testing"
)

// countingReaderAt counts the bytes read through it, as an object store would bill
// ranged GETs.
type countingReaderAt struct {
	r *bytes.Reader
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// OpenZip over a ranged reader reads each payload byte once, in storage order.
func TestOpenZipReadsPayloadOnce(t *testing.T) {
	payload := []member{{Name: "data/b.bin", Data: bytes.Repeat([]byte("b"), 300_000)}, {Name: "data/a.bin", Data: bytes.Repeat([]byte("a"), 200_000)}}
	data := zipOf("case/", validBag(payload, ""), nil)
	ra := &countingReaderAt{r: bytes.NewReader(data)}
	b, err := OpenZip(ra, int64(len(data)), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	rep, err := b.Validate(Options{Consume: func(f File, r io.Reader) error {
		order = append(order, f.Path)
		return nil
	}})
	if err != nil || !rep.Valid() {
		t.Fatalf("Validate: %v %v", err, rep.Err())
	}
	if len(order) != 2 || order[0] != "data/b.bin" {
		t.Errorf("consumer order %v, want storage order [data/b.bin data/a.bin]", order)
	}
	if got, max := ra.n.Load(), int64(len(data))*11/10; got > max {
		t.Errorf("read %d bytes of a %d-byte zip, want at most %d", got, len(data), max)
	}
}
