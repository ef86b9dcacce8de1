package fsync

import "os"

// behindChunk is how many bytes a Behind writer lets pile up before it starts writing them
// out; it waits for the chunk before that, so at most two chunks are ever dirty.
const behindChunk = 32 << 20

// Behind writes to f and, on Linux, has the kernel write each finished 32 MiB chunk to disk
// while the next is written (sync_file_range), waits for the chunk before it and drops that
// one from the page cache (posix_fadvise DONTNEED). A file of gigabytes then never holds more
// than 64 MiB of dirty pages, and evidence written once does not push the database out of
// the cache. It makes nothing durable: the caller still syncs the file (f.Sync) before
// relying on it. Elsewhere it only writes.
type Behind struct {
	f       *os.File
	off     int64 // bytes written
	started int64 // bytes handed to the kernel to write out
	last    int64 // where the chunk last handed out begins
	keep    bool
}

// NewBehind returns a Behind writer over f, whose offset must be 0.
func NewBehind(f *os.File) *Behind { return &Behind{f: f} }

// KeepCached makes b leave the pages it has written in the page cache, for a file that is
// read again soon.
func (b *Behind) KeepCached() *Behind { b.keep = true; return b }

// Write writes p to the file.
func (b *Behind) Write(p []byte) (int, error) {
	n, err := b.f.Write(p)
	b.off += int64(n)
	if err == nil && b.off-b.started >= behindChunk {
		writeBehind(b.f, b.last, b.started, b.off, !b.keep)
		b.last, b.started = b.started, b.off
	}
	return n, err
}

// Written is the number of bytes written.
func (b *Behind) Written() int64 { return b.off }
