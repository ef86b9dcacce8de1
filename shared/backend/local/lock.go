package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the file in the data folder that the running evx serve holds locked.
const LockFile = "serve.lock"

// InUseError: another process holds the data folder's lock (LockDataDir). PID is the process
// id the lock file names (0 if it could not be read).
type InUseError struct {
	Dir string
	PID int
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("data folder %s is in use by another evx serve (PID %d); stop it first, or give another --data", e.Dir, e.PID)
	}
	return fmt.Sprintf("data folder %s is in use by another evx serve; stop it first, or give another --data", e.Dir)
}

// DirLock is a held data-folder lock; Close releases it.
type DirLock struct {
	f *os.File
}

// LockDataDir takes the data folder's lock for this process, so that two evx serve cannot
// run on one folder side by side: a second gets an *InUseError naming the first's PID. The
// lock is an advisory flock(2) on dir/serve.lock, released by the kernel when the process
// ends, however it ends; the file holds the holder's PID.
func LockDataDir(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	p := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data folder lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
			return nil, &InUseError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("data folder lock %s: %w", p, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// Close releases the lock.
func (l *DirLock) Close() error {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
