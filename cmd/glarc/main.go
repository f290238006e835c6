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
//
// `glarc query` catches them only with --follow or when it writes to a
// terminal (printQuery): a count, or a query piped or redirected, holds
// nothing that needs cleaning up, so SIGINT ends it the default way, as it
// ends grep. Catching signals costs start-up two goroutines and two
// threads (os/signal's locked one and the runtime's template thread).
// While a CPU profile is written every command catches them, so that an
// interrupted run still leaves a whole profile.
func process() int {
	profiling := false
	if p := os.Getenv("GLARC_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				profiling = true
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
	e := newEnv(os.Stdin, os.Stdout, os.Stderr)
	e.signals, e.profiling = true, profiling
	return e.run(context.Background(), os.Args)
}

// defaultMemoryLimit is the soft Go heap limit when GOMEMLIMIT is not set.
const defaultMemoryLimit = 224 << 20

// interruptible returns ctx, cancelled on SIGINT or SIGTERM when e runs as
// the process (e.signals); the caller calls stop when done.
func (e *env) interruptible(ctx context.Context) (_ context.Context, stop context.CancelFunc) {
	if !e.signals {
		return ctx, func() {}
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}
