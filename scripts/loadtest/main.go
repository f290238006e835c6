// Command loadtest measures glarc serve under N concurrent TCP syslog
// senders and checks that every line sent is queryable exactly once.
//
//	go build -o /tmp/glarc ./cmd/glarc
//	go run ./scripts/loadtest -glarc /tmp/glarc -senders 8 -duration 10s [-sync]
//
// It starts `glarc serve --syslog-tcp 127.0.0.1:0` on a fresh data
// directory, lets each sender write numbered RFC 3164 lines as fast as the
// server takes them (TCP backpressure) for -duration, stops serve with
// SIGTERM, then reads everything back with `glarc query -o raw` and counts
// each (sender, seq) pair. It prints messages/s sent, the time serve took
// to drain and stop, peak RSS of serve (ru_maxrss) and the archive size.
// Exit status 1 if any line is missing or duplicated.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var lineRE = regexp.MustCompile(`loadtest sender=(\d+) seq=(\d+) `)

func main() {
	glarc := flag.String("glarc", "glarc", "glarc binary")
	senders := flag.Int("senders", 8, "concurrent TCP senders")
	duration := flag.Duration("duration", 10*time.Second, "how long the senders send")
	syncFlag := flag.Bool("sync", false, "run serve with --sync")
	keep := flag.Bool("keep", false, "keep the data directory")
	flag.Parse()
	if err := run(*glarc, *senders, *duration, *syncFlag, *keep); err != nil {
		log.Fatal(err)
	}
}

func run(glarc string, senders int, duration time.Duration, syncFlag, keep bool) error {
	dir, err := os.MkdirTemp("", "glarc-loadtest-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	data := filepath.Join(dir, "data")
	args := append([]string{"serve", "--data", data, "--syslog-tcp", "127.0.0.1:0", "--seal-after", "0"}, flag.Args()...)
	if syncFlag {
		args = append(args, "--sync")
	}
	cmd := exec.Command(glarc, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	addrCh := make(chan string, 1)
	var serveLog bytes.Buffer
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`^listening syslog-tcp (\S+)$`)
		for sc.Scan() {
			logMu.Lock()
			serveLog.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addrCh <- m[1]
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		return fmt.Errorf("serve did not start")
	}

	// Sample RSS while it runs.
	var peakSampled atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(context.Background())
	defer stopSampling()
	go func() {
		for sampleCtx.Err() == nil {
			if kb := rssKB(cmd.Process.Pid); kb > peakSampled.Load() {
				peakSampled.Store(kb)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	sent := make([]int64, senders)
	sentBytes := make([]int64, senders)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(duration)
	for s := range senders {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				log.Printf("sender %d: %v", s, err)
				return
			}
			defer c.Close()
			w := bufio.NewWriterSize(c, 64<<10)
			var buf []byte
			for seq := int64(0); ; seq++ {
				if seq%256 == 0 && time.Now().After(deadline) {
					break
				}
				buf = buf[:0]
				buf = fmt.Appendf(buf, "<14>Nov 25 20:40:%02d web%d app[%d]: loadtest sender=%d seq=%d user=u%d GET /api/items/%d 200 %dms\n",
					seq%60, s%4, 1000+s, s, seq, seq%97, seq%1000, seq%250)
				if _, err := w.Write(buf); err != nil {
					log.Printf("sender %d: %v", s, err)
					return
				}
				sent[s] = seq + 1
				sentBytes[s] += int64(len(buf))
			}
			if err := w.Flush(); err != nil {
				log.Printf("sender %d: flush: %v", s, err)
			}
		})
	}
	wg.Wait()
	sendTime := time.Since(start)
	var total, totalBytes int64
	for s := range sent {
		total += sent[s]
		totalBytes += sentBytes[s]
	}
	stopStart := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		logMu.Lock()
		defer logMu.Unlock()
		return fmt.Errorf("serve: %v\n%s", err, serveLog.String())
	}
	stopTime := time.Since(stopStart)
	stopSampling()
	maxRSS := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux

	// Everything sent must be queryable exactly once.
	qstart := time.Now()
	q := exec.Command(glarc, "query", "--data", data, "-o", "raw", "loadtest")
	out, err := q.StdoutPipe()
	if err != nil {
		return err
	}
	q.Stderr = os.Stderr
	if err := q.Start(); err != nil {
		return err
	}
	seen := make([][]uint8, senders)
	for s := range seen {
		seen[s] = make([]uint8, sent[s])
	}
	var dups, unknown, got int64
	br := bufio.NewReaderSize(out, 1<<20)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			got++
			s, seq := -1, int64(-1)
			if m := lineRE.FindSubmatch(line); m != nil {
				s, _ = strconv.Atoi(string(m[1]))
				seq, _ = strconv.ParseInt(string(m[2]), 10, 64)
			}
			switch {
			case s < 0 || s >= senders || seq < 0 || seq >= sent[s]:
				unknown++
			case seen[s][seq] > 0:
				dups++
			default:
				seen[s][seq] = 1
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if err := q.Wait(); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	var missing int64
	for s := range seen {
		for _, v := range seen[s] {
			if v == 0 {
				missing++
			}
		}
	}
	size := dirSize(data)
	fmt.Printf("senders=%d duration=%v sync=%v\n", senders, sendTime.Round(time.Millisecond), syncFlag)
	fmt.Printf("sent=%d lines  %.0f msg/s  %.1f MB/s of text\n", total, float64(total)/sendTime.Seconds(), float64(totalBytes)/sendTime.Seconds()/1e6)
	fmt.Printf("serve stop (drain+flush+close) took %v\n", stopTime.Round(time.Millisecond))
	fmt.Printf("peak RSS of serve: %.1f MiB (ru_maxrss), %.1f MiB sampled\n", float64(maxRSS)/1024, float64(peakSampled.Load())/1024)
	fmt.Printf("archive on disk: %.1f MiB\n", float64(size)/(1<<20))
	fmt.Printf("query read back %d lines in %v: missing=%d duplicated=%d unknown=%d\n", got, time.Since(qstart).Round(time.Millisecond), missing, dups, unknown)
	if missing+dups+unknown > 0 {
		logMu.Lock()
		os.Stderr.Write(serveLog.Bytes())
		logMu.Unlock()
		return fmt.Errorf("FAIL: not every line archived exactly once")
	}
	fmt.Println("OK: every line queryable exactly once")
	return nil
}

func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	i := bytes.Index(b, []byte("VmRSS:"))
	if i < 0 {
		return 0
	}
	f := bytes.Fields(b[i+6:])
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return n
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
