// Command gencorpus writes a synthetic but realistic syslog corpus for
// benchmarks, with rare "needle" lines planted a known number of times.
//
//	go run ./scripts/gencorpus -size 1GB -o corpus.log -needles needles.tsv
//	go run ./scripts/gencorpus -size 200MB -seed 7 -format rfc3339 -o corpus.log
//
// The lines look like a fleet's /var/log/syslog: 500 hosts with Zipf
// frequencies (lb1, app01, web1 are the busiest), sshd, CRON, kernel,
// systemd, sudo, su, dhclient, ntpd, nginx, postfix, postgres, kubelet and
// key=value application logs, IPv4 addresses from skewed pools, pids stable
// per (host, program) that change when the program restarts, timestamps
// increasing over 30 days (-days) that end at a fixed date (-end).
//
// The output is the same for the same -seed, -size, -format, -end and
// -days, whatever the number of workers.
//
// The -needles file is a small tab-separated table, one query per line:
//
//	# name	count	query
//	needle	8	xyzzy-needle
//	ip	21	198.51.100.23
//	kv	5	user=plover
//	phrase	3	"quota exceeded for volume plugh"
//	error	123456	error
//	web1_error	5678	host=web1 error
//	web1	567890	host=web1
//	lines	9876543	*
//
// count is the exact number of lines that the glarc query matches (and
// that `rg -c -w -i` finds for words, `rg -c -F` for the address). "error"
// appears only as a whole word with no '-' next to it, so glarc's token
// rules and rg's -w rules agree on it; host names never appear in message
// text between spaces, so `rg -c ' web1 '` counts web1's lines.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gencorpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "1GB", "corpus size: bytes, or with a unit KB MB GB (10^3) or KiB MiB GiB (2^10)")
	out := fs.String("o", "-", "output file (- for stdout)")
	seed := fs.Uint64("seed", 1, "random seed")
	needles := fs.String("needles", "", "write the planted needles and expected counts to this file")
	format := fs.String("format", "rfc3164", "timestamp format: rfc3164 (Mar  1 06:55:42) or rfc3339")
	end := fs.String("end", "2026-03-02T00:00:00Z", "the corpus ends just before this time (RFC 3339)")
	days := fs.Int("days", 30, "days of logs before -end")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "generator goroutines")
	quiet := fs.Bool("q", false, "no summary on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := Config{Seed: *seed, Span: time.Duration(*days) * 24 * time.Hour, Workers: *workers}
	var err error
	if cfg.Size, err = ParseSize(*size); err != nil {
		fmt.Fprintf(stderr, "gencorpus: -size: %v\n", err)
		return 2
	}
	if cfg.Format, err = ParseFormat(*format); err != nil {
		fmt.Fprintf(stderr, "gencorpus: -format: %v\n", err)
		return 2
	}
	if cfg.End, err = time.Parse(time.RFC3339, *end); err != nil {
		fmt.Fprintf(stderr, "gencorpus: -end: %v\n", err)
		return 2
	}
	if *days <= 0 {
		fmt.Fprintln(stderr, "gencorpus: -days must be positive")
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gencorpus: unexpected arguments %q\n", fs.Args())
		return 2
	}
	start := time.Now()
	counts, err := generateTo(ctx, *out, stdout, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "gencorpus: %v\n", err)
		return 1
	}
	el := time.Since(start)
	if *needles != "" {
		if err := writeNeedles(*needles, cfg, counts); err != nil {
			fmt.Fprintf(stderr, "gencorpus: %v\n", err)
			return 1
		}
	}
	if !*quiet {
		fmt.Fprintf(stderr, "gencorpus: %d lines, %d bytes in %.2fs (%.0f MB/s); error in %d lines (%.2f%%), web1 %d lines\n",
			counts.Lines, counts.Bytes, el.Seconds(), float64(counts.Bytes)/el.Seconds()/1e6,
			counts.Error, 100*float64(counts.Error)/float64(max(counts.Lines, 1)), counts.Web1)
	}
	return 0
}

func generateTo(ctx context.Context, path string, stdout io.Writer, cfg Config) (Counts, error) {
	if path == "-" {
		return Generate(ctx, stdout, cfg)
	}
	f, err := os.Create(path)
	if err != nil {
		return Counts{}, err
	}
	counts, err := Generate(ctx, f, cfg)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return counts, err
}

// writeNeedles writes the expected-count table (see the package doc).
func writeNeedles(path string, cfg Config, counts Counts) error {
	c, err := newCorpus()
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "# gencorpus seed=%d format=%s size=%d bytes=%d lines=%d end=%s days=%d\n",
		cfg.Seed, cfg.Format, cfg.Size, counts.Bytes, counts.Lines, cfg.End.Format(time.RFC3339), int(cfg.Span.Hours()/24))
	fmt.Fprintf(w, "# name\tcount\tquery\n")
	for i, n := range c.needles {
		fmt.Fprintf(w, "%s\t%d\t%s\n", n.name, counts.NeedleHits[i], n.query)
	}
	fmt.Fprintf(w, "error\t%d\terror\n", counts.Error)
	fmt.Fprintf(w, "web1_error\t%d\thost=web1 error\n", counts.Web1Error)
	fmt.Fprintf(w, "web1\t%d\thost=web1\n", counts.Web1)
	fmt.Fprintf(w, "lines\t%d\t*\n", counts.Lines)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var errBadSize = errors.New("bad size")

// ParseSize parses "1GB", "200MB", "64MiB", "1.5GB", "12345".
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"B", 1},
	}
	up := strings.ToUpper(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(up, u.suffix) {
			up, mult = strings.TrimSpace(strings.TrimSuffix(up, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(up, 64)
	if err != nil || !(v > 0 && v*mult <= 1<<50) || int64(v*mult) < 1 {
		return 0, fmt.Errorf("%w %q (want e.g. 200MB, 1GB, 64MiB)", errBadSize, s)
	}
	return int64(v * mult), nil
}
