package bagit

import (
	"bytes"
	"fmt"
	"io"
	"sync"
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

// blockReaderAt records the 64 KiB blocks read through it, as a ranged reader with read-ahead
// fetches whole blocks.
type blockReaderAt struct {
	r      *bytes.Reader
	mu     sync.Mutex
	blocks map[int64]bool
}

func (b *blockReaderAt) ReadAt(p []byte, off int64) (int, error) {
	b.mu.Lock()
	for i := off >> 16; i <= (off+int64(len(p))-1)>>16; i++ {
		b.blocks[i] = true
	}
	b.mu.Unlock()
	return b.r.ReadAt(p, off)
}

// OpenZip reads the central directory and the tag files, not the payload members' local
// headers: over ranged GETs with read-ahead those reads would fetch nearly the whole bag.
func TestOpenZipReadsNoPayload(t *testing.T) {
	var payload []member
	for i := range 50 {
		payload = append(payload, member{Name: fmt.Sprintf("data/f%02d.bin", i), Data: bytes.Repeat([]byte{byte(i)}, 100_000)})
	}
	data := zipOf("case/", validBag(payload, ""), nil)
	ra := &blockReaderAt{r: bytes.NewReader(data), blocks: map[int64]bool{}}
	if _, err := OpenZip(ra, int64(len(data)), DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	if got := len(ra.blocks); got > 4 {
		t.Errorf("OpenZip read %d of the %d blocks of 64 KiB of the zip, want at most 4 (the tag files, the central directory)", got, len(data)>>16+1)
	}
}
