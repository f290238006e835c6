package planner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/query"
)

func TestNeeds(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want kinds
	}{
		{"error", kindToken},
		{"4711", kindBlocks},
		{"173.234.31.186", kindBlocks},
		{`"failed password"`, kindToken},
		{`"port 22"`, kindToken | kindBlocks},
		{"auth*", kindToken},
		{"198.51.*", kindToken | kindBlocks},
		{"host=web1", kindAttr | kindKV},
		{"*=web1", 0},
		{"/fail/", 0},
		{"*", 0},
		{"error host=web1", kindToken | kindAttr | kindKV},
		{"NOT 4711 OR pid>10", kindBlocks | kindAttr | kindKV},
	} {
		q, err := query.Parse(tc.q)
		require.NoError(t, err, tc.q)
		require.Equal(t, tc.want, needs(q.Root()), "query %q", tc.q)
	}
}
