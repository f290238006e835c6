package archive_test

// Import throughput and compression, with zstd -3 (klauspost's SpeedDefault)
// over the same bytes as the in-process reference.
//
// Compare two versions with benchstat:
//
//	go test -run '^$' -bench 'Import|Zstd3' -count 6 ./archive > old.txt
//	(change something)
//	go test -run '^$' -bench 'Import|Zstd3' -count 6 ./archive > new.txt
//	benchstat old.txt new.txt
//
// (benchstat: go install golang.org/x/perf/cmd/benchstat@latest.) -short
// uses an 8 MiB corpus instead of 64 MiB. The end-to-end figures beside the
// zstd and rg command-line tools come from scripts/bench.sh.

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"glarc/archive"
)

// benchCorpus writes about size bytes of syslog lines to a file and returns
// its path and contents. The lines are deterministic: a few hundred hosts
// with skewed frequencies, a dozen programs, addresses, users, request ids,
// key=value fields and increasing timestamps, so the ratio resembles real
// logs (scripts/gencorpus makes the richer corpus used by scripts/bench.sh).
func benchCorpus(b *testing.B, size int) (string, []byte) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	zipf := func(n int) int { // rank 0 is the commonest
		return int(float64(n) * r.Float64() * r.Float64() * r.Float64())
	}
	hosts := make([]string, 300)
	for i := range hosts {
		hosts[i] = []string{"web", "app", "db", "node-", "cache"}[i%5] + strconv.Itoa(i/5+1)
	}
	ips := make([]string, 2000)
	for i := range ips {
		ips[i] = strconv.Itoa(1+r.IntN(223)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(1+r.IntN(254))
	}
	users := []string{"root", "ubuntu", "deploy", "admin", "www-data", "postgres", "git", "alice", "bob", "jenkins"}
	paths := []string{"/healthz", "/api/v1/orders", "/metrics", "/api/v1/cart", "/login", "/static/app.js", "/"}
	statuses := []string{"200", "200", "200", "200", "304", "404", "201", "500"}
	ts := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	buf := make([]byte, 0, size+512)
	pid := func(h, app int) int { return 300 + (h*7919+app*104729)%60000 }
	for len(buf) < size {
		ts = ts.Add(time.Duration(r.IntN(400)) * time.Millisecond)
		h := zipf(len(hosts))
		buf = ts.AppendFormat(buf, time.Stamp)
		buf = append(buf, ' ')
		buf = append(buf, hosts[h]...)
		switch k := r.IntN(100); {
		case k < 40:
			buf = append(buf, " nginx["...)
			buf = strconv.AppendInt(buf, int64(pid(h, 1)), 10)
			buf = append(buf, "]: 10.0."...)
			buf = strconv.AppendInt(buf, int64(r.IntN(4)), 10)
			buf = append(buf, '.')
			buf = strconv.AppendInt(buf, int64(zipf(256)), 10)
			buf = append(buf, ` - - "GET `...)
			buf = append(buf, paths[zipf(len(paths))]...)
			buf = append(buf, ` HTTP/1.1" `...)
			buf = append(buf, statuses[r.IntN(len(statuses))]...)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(r.IntN(60000)), 10)
			buf = append(buf, " rt=0."...)
			buf = strconv.AppendInt(buf, int64(100+r.IntN(900)), 10)
			buf = append(buf, " request_id="...)
			buf = strconv.AppendUint(buf, r.Uint64(), 16)
		case k < 65:
			buf = append(buf, " api["...)
			buf = strconv.AppendInt(buf, int64(pid(h, 2)), 10)
			buf = append(buf, `]: level=info msg="request completed" path=`...)
			buf = append(buf, paths[zipf(len(paths))]...)
			buf = append(buf, " status="...)
			buf = append(buf, statuses[r.IntN(len(statuses))]...)
			buf = append(buf, " duration_ms="...)
			buf = strconv.AppendInt(buf, int64(1<<r.IntN(12)+r.IntN(100)), 10)
			buf = append(buf, " user="...)
			buf = append(buf, users[zipf(len(users))]...)
		case k < 85:
			buf = append(buf, " sshd["...)
			buf = strconv.AppendInt(buf, int64(10000+r.IntN(900000)), 10)
			if r.IntN(3) == 0 {
				buf = append(buf, "]: Accepted publickey for "...)
			} else {
				buf = append(buf, "]: Failed password for "...)
			}
			buf = append(buf, users[zipf(len(users))]...)
			buf = append(buf, " from "...)
			buf = append(buf, ips[zipf(len(ips))]...)
			buf = append(buf, " port "...)
			buf = strconv.AppendInt(buf, int64(1024+r.IntN(64000)), 10)
			buf = append(buf, " ssh2"...)
		case k < 95:
			buf = append(buf, " CRON["...)
			buf = strconv.AppendInt(buf, int64(10000+r.IntN(900000)), 10)
			buf = append(buf, "]: pam_unix(cron:session): session opened for user "...)
			buf = append(buf, users[zipf(len(users))]...)
			buf = append(buf, "(uid=0) by (uid=0)"...)
		case k < 99:
			buf = append(buf, " kernel: [UFW BLOCK] IN=eth0 OUT= SRC="...)
			buf = append(buf, ips[zipf(len(ips))]...)
			buf = append(buf, " DST=10.0.0."...)
			buf = strconv.AppendInt(buf, int64(r.IntN(256)), 10)
			buf = append(buf, " PROTO=TCP SPT="...)
			buf = strconv.AppendInt(buf, int64(1024+r.IntN(64000)), 10)
			buf = append(buf, " DPT=22"...)
		default:
			buf = append(buf, " api["...)
			buf = strconv.AppendInt(buf, int64(pid(h, 2)), 10)
			buf = append(buf, `]: level=error msg="upstream failed" err="connection refused" status=500`...)
		}
		buf = append(buf, '\n')
	}
	path := filepath.Join(b.TempDir(), "bench.log")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.Fatal(err)
	}
	return path, buf
}

func benchSize() int {
	if testing.Short() {
		return 8 << 20
	}
	return 64 << 20
}

// BenchmarkImport imports the corpus into a fresh archive per iteration
// (open, import, seal, close) and reports stored/raw beside zstd3/raw, the
// ratio of a plain zstd -3 over the same bytes.
func BenchmarkImport(b *testing.B) {
	path, raw := benchCorpus(b, benchSize())
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		b.Fatal(err)
	}
	zlen := len(enc.EncodeAll(raw, nil))
	_ = enc.Close()
	lines := bytes.Count(raw, []byte("\n"))
	src, err := archive.FileSource(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	root := b.TempDir()
	var stored, records uint64
	iters := 0
	var cpu time.Duration
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		cpu0, _ := processCPU()
		dir := filepath.Join(root, "data"+strconv.Itoa(iters))
		a, err := archive.Open(dir, archive.Options{Owner: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Import(ctx, []archive.Source{src}, archive.ImportOptions{Year: 2026, Location: time.UTC}); err != nil {
			b.Fatal(err)
		}
		metas, err := a.Chunks().List()
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
		stored, records = 0, 0
		for _, m := range metas {
			stored += m.StoredBytes
			records += m.Records
		}
		iters++
		cpu1, cpuOK := processCPU()
		cpu += cpu1 - cpu0
		b.StopTimer()
		if !cpuOK {
			cpu = -1
		}
		if records != uint64(lines) {
			b.Fatalf("archived %d records, the corpus has %d lines", records, lines)
		}
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(stored)/float64(len(raw)), "stored/raw")
	b.ReportMetric(float64(zlen)/float64(len(raw)), "zstd3/raw")
	b.ReportMetric(float64(records)*float64(iters)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(len(raw))/float64(lines), "bytes/record")
	if cpu >= 0 {
		// CPU seconds per raw MB: wall MB/s can be read off directly, but
		// this one holds still when other processes compete for the CPUs.
		b.ReportMetric(cpu.Seconds()/float64(iters)/(float64(len(raw))/1e6), "cpu-s/MB")
	}
}

// BenchmarkZstd3 is the speed reference for BenchmarkImport: klauspost's
// zstd at SpeedDefault (about zstd -3) over the same bytes, streaming with
// its default concurrency (GOMAXPROCS), like `zstd -3 -T0`.
func BenchmarkZstd3(b *testing.B) {
	_, raw := benchCorpus(b, benchSize())
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	var out bytes.Buffer
	out.Grow(len(raw) / 3)
	cpu0, cpuOK := processCPU()
	iters := 0
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		iters++
		out.Reset()
		enc.Reset(&out)
		if _, err := enc.Write(raw); err != nil {
			b.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.Len())/float64(len(raw)), "zstd3/raw")
	if cpu1, ok := processCPU(); ok && cpuOK {
		b.ReportMetric((cpu1-cpu0).Seconds()/float64(iters)/(float64(len(raw))/1e6), "cpu-s/MB")
	}
}

// processCPU returns the user+system CPU time this process has used, so the
// benchmarks can report CPU per MB beside wall time (wall time alone misleads
// on a busy machine). Unix only, like the chunk store this package sits on.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
