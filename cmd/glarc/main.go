// Command glarc archives, indexes and searches log files.
package main

import (
	"context"
	"os"
	"os/signal"
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
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	exit(code)
}

// exit runs deferred work of main (the profile) before exiting.
var exit = func(code int) {
	pprof.StopCPUProfile()
	os.Exit(code)
}
