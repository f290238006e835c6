package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"glarc/archive"
	"glarc/archive/listen"
	"glarc/archive/listen/ingest"
	"glarc/archive/listen/lokihttp"
	"glarc/archive/listen/syslogrx"
	"glarc/chunk"
	"glarc/index"
)

func serveCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "receive syslog (UDP, TCP) and Loki pushes into the archive",
		Description: `Keeps the archive in --data growing from live traffic until SIGINT or SIGTERM.
Enable each listener with its flag (host:port; port 0 picks a free port; the
bound addresses are printed on stderr as "listening NAME ADDR"):
  --syslog-udp   one RFC 3164 or RFC 5424 message per datagram
  --syslog-tcp   RFC 6587: octet counting or newline-delimited, per frame
  --loki         POST /loki/api/v1/push (JSON or snappy protobuf), GET /ready,
                 /readyz, /healthz, /metrics (Prometheus text format)
Syslog records get the sender's address as remote_ip; a push's X-Scope-OrgID
becomes the tenant attribute. A push is answered 204 once its records are in
the active chunk (fsynced first with --sync), 429 when the ingest queue is
full. glarc query reads the directory while serve runs; glarc import cannot
write to it at the same time.

Examples:
  glarc serve --data /srv/logs --syslog-udp :514 --syslog-tcp :514
  glarc serve --loki 127.0.0.1:3100 --sync --seal-after 1h`,
		Flags: []cli.Flag{
			dataFlag(),
			&cli.StringFlag{Name: "syslog-udp", Usage: "syslog over UDP on `ADDR`"},
			&cli.StringFlag{Name: "syslog-tcp", Usage: "syslog over TCP on `ADDR`"},
			&cli.StringFlag{Name: "loki", Usage: "Loki push API and health/metrics endpoints on `ADDR`"},
			&cli.StringFlag{Name: "loki-auth-file", Usage: "require credentials on push and /metrics: `FILE` with lines `bearer TOKEN` or `basic USER:PASSWORD`"},
			&cli.BoolFlag{Name: "sync", Usage: "fsync before acknowledging pushes (group commit)"},
			&cli.DurationFlag{Name: "seal-after", Usage: "seal the active chunk once it is this old (0: at the size limit only)", Value: time.Hour},
			&cli.Int64Flag{Name: "chunk-bytes", Usage: "raw text per chunk before it is sealed (0: the default)"},
			&cli.DurationFlag{Name: "shutdown-timeout", Usage: "longest graceful shutdown", Value: listen.DefaultShutdownTimeout},
			&cli.Int64Flag{Name: "max-body", Usage: "largest push body in bytes, as sent (413 beyond)", Value: lokihttp.DefaultMaxBodyBytes},
			&cli.Int64Flag{Name: "max-decoded", Usage: "largest push body in bytes after gzip/deflate (413 beyond)", Value: lokihttp.DefaultMaxDecodedBytes},
			&cli.IntFlag{Name: "max-line", Usage: "longest syslog message or pushed line in bytes", Value: syslogrx.DefaultMaxFrame},
			&cli.IntFlag{Name: "max-attrs", Usage: "most attributes per record", Value: syslogrx.DefaultMaxAttrs},
			&cli.IntFlag{Name: "max-conns", Usage: "most concurrent connections per TCP listener", Value: syslogrx.DefaultMaxConns},
			&cli.DurationFlag{Name: "idle-timeout", Usage: "close connections idle this long", Value: syslogrx.DefaultIdleTimeout},
			&cli.Int64Flag{Name: "queue-bytes", Usage: "memory for records waiting to be written", Value: ingest.DefaultMaxBytes},
			&cli.StringFlag{Name: "tz", Usage: "time zone of RFC 3164 stamps, e.g. UTC (default: the local zone)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return runServe(ctx, e, cmd)
		},
	}
}

func runServe(ctx context.Context, e *env, cmd *cli.Command) error {
	if cmd.NArg() > 0 {
		return usagef("serve: unexpected argument %q", cmd.Args().First())
	}
	for _, f := range []string{"max-body", "max-decoded", "queue-bytes", "chunk-bytes"} {
		if cmd.Int64(f) < 0 {
			return usagef("serve: --%s must not be negative", f)
		}
	}
	for _, f := range []string{"max-line", "max-attrs", "max-conns"} {
		if cmd.Int(f) <= 0 {
			return usagef("serve: --%s must be positive", f)
		}
	}
	cfg := listen.Config{
		SyslogUDP:       cmd.String("syslog-udp"),
		SyslogTCP:       cmd.String("syslog-tcp"),
		Loki:            cmd.String("loki"),
		Sync:            cmd.Bool("sync"),
		SealAfter:       cmd.Duration("seal-after"),
		ShutdownTimeout: cmd.Duration("shutdown-timeout"),
		MaxHTTPConns:    int(cmd.Int("max-conns")),
		HTTPIdleTimeout: cmd.Duration("idle-timeout"),
		Queue:           ingest.Options{MaxBytes: cmd.Int64("queue-bytes")},
		Syslog: syslogrx.Options{
			MaxFrame:    int(cmd.Int("max-line")),
			MaxConns:    int(cmd.Int("max-conns")),
			IdleTimeout: cmd.Duration("idle-timeout"),
			MaxAttrs:    int(cmd.Int("max-attrs")),
		},
		Push: lokihttp.Options{
			MaxBodyBytes:    cmd.Int64("max-body"),
			MaxDecodedBytes: cmd.Int64("max-decoded"),
			MaxLineBytes:    int(cmd.Int("max-line")),
			MaxAttrs:        int(cmd.Int("max-attrs")),
		},
		Logger: e.log,
	}
	// Sealed chunks are indexed in the background by the helper, which
	// exists once the archive is open (Index only runs inside Run).
	var helper *index.BuildHelper
	cfg.Index = func(ctx context.Context, meta chunk.ChunkMeta) error {
		return helper.BuildMissing(ctx, meta)
	}
	if tz := cmd.String("tz"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return usagef("serve: --tz %q: %v", tz, err)
		}
		cfg.Syslog.Location = loc
	}
	if path := cmd.String("loki-auth-file"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("serve: --loki-auth-file: %w", unwrapPath(err))
		}
		if cfg.Push.Auth, err = lokihttp.ParseAuth(data); err != nil {
			return usagef("serve: --loki-auth-file %s: %v", path, err)
		}
	}
	srv, err := listen.New(cfg)
	if err != nil {
		return usagef("serve: %v", err)
	}
	a, err := archive.Open(cmd.String("data"), archive.Options{Owner: "glarc serve", MaxChunkBytes: cmd.Int64("chunk-bytes"),
		Logger: e.log, OnSealed: srv.Sealed})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	helper = index.NewBuildHelper(a.Chunks(), newIndexes(), index.BuildOptions{
		Dir: a.Files().ChunkDir, Parallel: 1, Logger: e.log})
	// Chunks sealed before a crash but never indexed are indexed now.
	if metas, err := a.Chunks().List(); err == nil {
		for _, m := range metas {
			if m.Sealed && len(helper.Missing(m)) > 0 {
				srv.Sealed(m)
			}
		}
	}
	addrs := srv.Addrs()
	for _, l := range []struct {
		name string
		addr fmt.Stringer
	}{{"syslog-udp", addrs.SyslogUDP}, {"syslog-tcp", addrs.SyslogTCP}, {"loki", addrs.Loki}} {
		if l.addr != nil && l.addr.String() != "" {
			fmt.Fprintf(e.stderr, "listening %s %s\n", l.name, l.addr)
		}
	}
	rerr := srv.Run(ctx, a)
	cerr := a.Close()
	if rerr != nil || cerr != nil {
		if rerr != nil {
			fmt.Fprintf(e.stderr, "glarc: serve: %v\n", rerr)
		}
		if cerr != nil {
			fmt.Fprintf(e.stderr, "glarc: serve: close archive: %v\n", cerr)
		}
		return errReported
	}
	fmt.Fprintln(e.stderr, "stopped")
	return nil
}
