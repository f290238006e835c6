//go:build race

package query

// raceEnabled is set when the race detector is on: it changes escape
// analysis, so allocation counts do not hold.
const raceEnabled = true
