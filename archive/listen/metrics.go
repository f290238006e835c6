package listen

import (
	"fmt"
	"io"

	"glarc/archive/listen/ingest"
)

// WriteMetrics writes the server's counters in the Prometheus text format.
func (s *Server) WriteMetrics(w io.Writer) {
	per := []struct {
		name string
		c    *ingest.Counters
	}{{"syslog_udp", &s.udpC}, {"syslog_tcp", &s.tcpC}, {"loki", &s.lokiC}}
	family := func(name, typ, help string, val func(*ingest.Counters) int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, p := range per {
			fmt.Fprintf(w, "%s{listener=%q} %d\n", name, p.name, val(p.c))
		}
	}
	family("glarc_records_received_total", "counter", "Records received and queued for the archive.",
		func(c *ingest.Counters) int64 { return c.Received.Load() })
	family("glarc_records_rejected_total", "counter", "Frames, datagrams or push requests refused as malformed or too large.",
		func(c *ingest.Counters) int64 { return c.Rejected.Load() })
	family("glarc_records_dropped_total", "counter", "Records dropped or refused because the ingest queue was full or closed.",
		func(c *ingest.Counters) int64 { return c.Dropped.Load() })
	family("glarc_received_bytes_total", "counter", "Message bytes received (push bodies as sent).",
		func(c *ingest.Counters) int64 { return c.Bytes.Load() })
	var st ingest.Stats
	if q := s.q.Load(); q != nil {
		st = q.Stats()
	}
	single := func(name, typ, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	single("glarc_records_written_total", "counter", "Records appended to the archive.", st.Written)
	single("glarc_write_batches_total", "counter", "Batches flushed (or fsynced) to the active chunk.", st.Batches)
	single("glarc_ingest_queue_bytes", "gauge", "Estimated bytes of records waiting in the ingest queue.", st.Queued)
	single("glarc_chunks_sealed_total", "counter", "Chunks sealed.", s.sealed.Load())
	single("glarc_index_builds_total", "counter", "Sealed chunks indexed.", s.indexed.Load())
	single("glarc_index_build_errors_total", "counter", "Index builds that failed.", s.indexErrs.Load())
	single("glarc_index_builds_skipped_total", "counter", "Sealed chunks not indexed because the index queue was full.", s.indexDropped.Load())
	single("glarc_http_connections", "gauge", "Open HTTP connections.", s.conns.Load())
}
