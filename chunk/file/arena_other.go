//go:build unix && !linux

package file

// adviseHugePages does nothing where transparent huge pages cannot be
// asked for.
func adviseHugePages([]byte) {}
