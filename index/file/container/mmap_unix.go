//go:build unix

package container

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// mapPath maps the file at path read-only; mapped reports whether unmap is
// needed. It opens the file with the bare system calls (open, fstat, mmap,
// close): an os.File would also register the descriptor with the runtime's
// poller and set it back to blocking for Fd, five more calls per index file
// for a descriptor that lives only until the file is mapped.
func mapPath(path string) (data []byte, mapped bool, err error) {
	var fd int
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, false, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, false, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	size := st.Size
	if size == 0 {
		return nil, false, nil
	}
	if int64(int(size)) != size {
		return nil, false, fmt.Errorf("mmap %s: %d bytes do not fit in memory", path, size)
	}
	b, err := syscall.Mmap(fd, 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		// Some file systems cannot map; reading is slower but correct.
		b, err = os.ReadFile(path)
		if err != nil {
			return nil, false, fmt.Errorf("read index: %w", err)
		}
		return b, false, nil
	}
	return b, true, nil
}

func unmap(b []byte) error { return syscall.Munmap(b) }
