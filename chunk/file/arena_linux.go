package file

import "syscall"

// adviseHugePages asks the kernel to back b with transparent huge pages
// (it may not: the advice is only a hint, and memory works either way).
func adviseHugePages(b []byte) { _ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) }
