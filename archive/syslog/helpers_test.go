package syslog

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// requireSubslice checks that msg lies inside in (or is empty).
func requireSubslice(tb testing.TB, in, msg []byte) {
	tb.Helper()
	require.True(tb, isSubslice(in, msg), "Message is not a sub-slice of the input")
}

func isSubslice(in, msg []byte) bool {
	if len(msg) == 0 {
		return true
	}
	if len(in) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(in)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(msg)))
	return p >= start && p+uintptr(len(msg)) <= start+uintptr(len(in))
}
