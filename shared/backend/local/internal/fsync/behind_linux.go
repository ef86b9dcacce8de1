package fsync

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeBehind starts writing [from, to) to disk, then waits for [prev, from) (the previous
// call's chunk) and, with drop, drops it from the page cache. Errors are ignored: they show at the
// caller's fsync, which is what decides durability.
func writeBehind(f *os.File, prev, from, to int64, drop bool) {
	fd := int(f.Fd())
	_ = unix.SyncFileRange(fd, from, to-from, unix.SYNC_FILE_RANGE_WRITE)
	if from == prev {
		return
	}
	_ = unix.SyncFileRange(fd, prev, from-prev, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	if drop {
		_ = unix.Fadvise(fd, prev, from-prev, unix.FADV_DONTNEED)
	}
}
