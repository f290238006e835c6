package syslog

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWireCaptures parses every frame and datagram of the util-linux logger
// captures in shared/testdata/syslog_wire/captures.json with Parse.
func TestWireCaptures(t *testing.T) {
	path := filepath.Join(sharedTestdata, "syslog_wire", "captures.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared test material not found at %s", path)
	}
	require.NoError(t, err)
	var captures []struct {
		RFC       string   `json:"rfc"`
		Frames    []string `json:"frames"`
		Datagrams []struct {
			RFC     string `json:"rfc"`
			Payload string `json:"payload"`
		} `json:"datagrams"`
	}
	require.NoError(t, json.Unmarshal(data, &captures))
	type msg struct{ rfc, text string }
	var msgs []msg
	for _, c := range captures {
		for _, f := range c.Frames {
			msgs = append(msgs, msg{c.RFC, f})
		}
		for _, d := range c.Datagrams {
			msgs = append(msgs, msg{d.RFC, d.Payload})
		}
	}
	require.GreaterOrEqual(t, len(msgs), 12)
	formats := map[string]Format{"3164": RFC3164, "5424": RFC5424}
	var sawNote bool
	for _, mm := range msgs {
		m, err := Parse([]byte(mm.text), Options{Year: 2026, Location: time.UTC})
		require.NoError(t, err, "%q", mm.text)
		require.Equal(t, formats[mm.rfc], m.Format, "%q", mm.text)
		require.NotEmpty(t, m.AppName, "%q", mm.text)
		require.GreaterOrEqual(t, m.Priority, 0)
		if m.Hostname == "" {
			require.Equal(t, "<13>1 - - udp5424 - - - no time no host", mm.text)
			require.True(t, m.Timestamp.IsZero())
			continue
		}
		require.Equal(t, "vm", m.Hostname, "%q", mm.text)
		require.Equal(t, 2026, m.Timestamp.Year())
		if note, ok := m.StructuredData["origin@32473"]["note"]; ok {
			require.Equal(t, `a "quoted" \ value`, note)
			require.Equal(t, "192.0.2.1", m.Attrs()["ip"])
			sawNote = true
		}
	}
	require.True(t, sawNote)
}
