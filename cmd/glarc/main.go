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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// GLARC_CPUPROFILE=FILE writes a CPU profile, for `go tool pprof`.
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
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	exit(code)
}

// exit runs deferred work of main (the profile) before exiting.
var exit = func(code int) {
	pprof.StopCPUProfile()
	os.Exit(code)
}

// defaultMemoryLimit is the soft Go heap limit when GOMEMLIMIT is not set.
const defaultMemoryLimit = 160 << 20
