//go:build unix

package container

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps f read-only; mapped reports whether unmap is needed.
func mapFile(f *os.File) (data []byte, mapped bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("stat index: %w", err)
	}
	size := fi.Size()
	if size == 0 {
		return nil, false, nil
	}
	if int64(int(size)) != size {
		return nil, false, fmt.Errorf("mmap %s: %d bytes do not fit in memory", f.Name(), size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		// Some file systems cannot map; reading is slower but correct.
		b, err = readAll(f)
		return b, false, err
	}
	return b, true, nil
}

func unmap(b []byte) error { return syscall.Munmap(b) }
