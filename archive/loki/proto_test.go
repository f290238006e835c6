package loki

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// referenceProto decodes with the generated push types (test only: they
// are not linked into glarc).
func referenceProto(buf []byte) ([]Entry, error) {
	var req push.PushRequest
	if err := req.Unmarshal(buf); err != nil {
		return nil, err
	}
	var out []Entry
	for _, s := range req.Streams {
		stream, err := ParseLabels(s.Labels)
		if err != nil {
			return nil, err
		}
		for _, e := range s.Entries {
			labels := maps.Clone(stream)
			if labels == nil {
				labels = chunk.Attributes{}
			}
			for _, l := range e.StructuredMetadata {
				addMetadata(labels, l.Name, l.Value)
			}
			for _, l := range e.Parsed {
				addMetadata(labels, l.Name, l.Value)
			}
			out = append(out, Entry{Timestamp: e.Timestamp.UTC(), Labels: labels, Line: []byte(e.Line)})
		}
	}
	return out, nil
}

func randomPush(rng *rand.Rand) push.PushRequest {
	var req push.PushRequest
	for s := range rng.IntN(4) {
		st := push.Stream{Labels: fmt.Sprintf(`{app="a%d", host="h%d"}`, s, rng.IntN(3)), Hash: rng.Uint64()}
		for range rng.IntN(5) {
			e := push.Entry{Timestamp: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC(), Line: fmt.Sprintf("line %d \x00 ü", rng.IntN(1e6))}
			for range rng.IntN(3) {
				e.StructuredMetadata = append(e.StructuredMetadata, push.LabelAdapter{Name: fmt.Sprintf("k%d", rng.IntN(3)), Value: "v"})
			}
			if rng.IntN(4) == 0 {
				e.StructuredMetadata = append(e.StructuredMetadata, push.LabelAdapter{Name: "app", Value: "clash"})
			}
			st.Entries = append(st.Entries, e)
		}
		req.Streams = append(req.Streams, st)
	}
	return req
}

func TestDecodeProtoMatchesGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 300 {
		req := randomPush(rng)
		buf, err := req.Marshal()
		require.NoError(t, err)
		want, err := referenceProto(buf)
		require.NoError(t, err)
		got, err := decodeProto(buf)
		require.NoError(t, err, "case %d", i)
		require.Len(t, got, len(want))
		for j := range want {
			require.True(t, want[j].Timestamp.Equal(got[j].Timestamp), "case %d entry %d", i, j)
			require.Equal(t, string(want[j].Line), string(got[j].Line))
			require.Equal(t, want[j].Labels, got[j].Labels)
		}
		// Every truncation is an error or a prefix of the entries, never a panic.
		for n := range len(buf) {
			_, _ = decodeProto(buf[:n])
		}
	}
}
