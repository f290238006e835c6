// Command glarc archives, indexes and searches log files.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
)

func main() {
	os.Exit(process())
}

// process runs glarc as a process: SIGINT and SIGTERM cancel the context
// (commands then stop cleanly; `query --follow` and `serve` exit 0), a soft
// heap limit applies, and GLARC_CPUPROFILE=FILE writes a CPU profile for
// `go tool pprof`. It returns the exit code.
func process() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if p := os.Getenv("GLARC_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer f.Close()
				defer pprof.StopCPUProfile()
			}
		}
	}
	// A soft heap limit keeps long imports and serve within a bounded RSS
	// (the GC works harder near it); GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	return run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
}

// defaultMemoryLimit is the soft Go heap limit when GOMEMLIMIT is not set.
const defaultMemoryLimit = 224 << 20
