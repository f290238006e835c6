//go:build !unix

package archive_test

import "time"

// processCPU is not available here; benchmarks then skip the cpu metric.
func processCPU() (time.Duration, bool) { return 0, false }
