//go:build unix

package archive_test

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time this process has used, so a
// benchmark can report CPU per operation beside wall time (wall time alone
// misleads on a busy machine).
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
