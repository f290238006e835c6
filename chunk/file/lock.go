//go:build unix

package file

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockName is the lock file in a data directory.
const LockName = "LOCK"

// ErrLocked means another process holds the data directory's writer lock.
var ErrLocked = errors.New("data directory is locked by another writer")

// LockedError names the holder of the lock.
type LockedError struct {
	Dir    string
	Holder string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("data directory %s is locked by another writer (%s); reading needs no lock, writing must wait until it exits", e.Dir, e.Holder)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// dirLock is an exclusive flock on DIR/LOCK. The file holds a line that
// names the holder; the kernel drops the lock when the process dies.
type dirLock struct {
	f *os.File
}

func lockDir(dir, owner string) (*dirLock, error) {
	p := filepath.Join(dir, LockName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(p)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := strings.TrimSpace(string(b))
			if holder == "" {
				holder = "holder unknown"
			}
			return nil, &LockedError{Dir: dir, Holder: holder}
		}
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s: %s, since %s\n", os.Getpid(), host, owner, time.Now().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(info), 0)
	}
	return &dirLock{f: f}, nil
}

func (l *dirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return errors.Join(err, l.f.Close())
}
