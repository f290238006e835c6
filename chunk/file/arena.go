package file

import (
	"sync"
	"syscall"
	"unsafe"
)

// arenaSize is the memory of a manager's arena: one transparent huge page
// on amd64 and arm64 Linux.
const arenaSize = 2 << 20

// arenaAlign aligns the slices the arena hands out.
const arenaAlign = 64

// arena hands out the buffers of the memory that a manager keeps for
// reuse (decoded blocks of reusing cursors, reader buffers) from one
// anonymous mapping that the kernel is asked to back with a huge page. On
// the VMs glarc is measured on, a fault on fresh memory costs about 14 µs
// per 4 KiB page and a 2 MiB huge page about 0.2 ms: the text, meta and
// compressed buffers of two cursors (about 1 MiB) fault once instead of
// about 250 times. Where huge pages are not available the mapping is
// ordinary memory.
//
// The arena never reuses what it handed out: its users are the few items
// of the manager's free lists, which keep their buffers. Each user that
// took arena memory holds one reference (take, release); the mapping is
// unmapped once the manager is closed and every user released it, so a
// slice of it must not be kept past what the free lists allow (records of
// a reusing cursor are valid until it moves on or closes:
// chunk.BufferReuser).
type arena struct {
	mu     sync.Mutex
	mem    []byte // the mapping; nil before the first alloc, after unmap, or when mapping failed
	off    int
	users  int
	failed bool // no mapping: every alloc goes to the heap
	closed bool
}

// take returns an empty slice with capacity n from the arena when it has
// room (took is then true; a caller that does not hold a reference yet
// holds one now, until release). A nil arena has no room.
func (a *arena) take(n uint64, holds bool) (b []byte, took bool) {
	if a == nil || n == 0 || n > arenaSize/2 {
		return nil, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mem == nil && !a.failed && !a.closed {
		mem, err := syscall.Mmap(-1, 0, arenaSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			a.failed = true
		} else {
			adviseHugePages(mem)
			a.mem = mem
		}
	}
	if a.mem == nil || uint64(len(a.mem)-a.off) < n {
		return nil, false
	}
	b = a.mem[a.off : a.off : a.off+int(n)]
	a.off = min(len(a.mem), (a.off+int(n)+arenaAlign-1)&^(arenaAlign-1))
	if !holds {
		a.users++
	}
	return b, true
}

// release drops a reference taken by alloc.
func (a *arena) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users--
	a.unmapIfDone()
}

// close marks the arena's manager closed: the mapping goes once its
// users released it.
func (a *arena) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	a.unmapIfDone()
}

func (a *arena) unmapIfDone() {
	if a.closed && a.users == 0 && a.mem != nil {
		_ = unmap(a.mem)
		a.mem = nil
	}
}

// arenaUser is the reference that an item of a free list holds on the
// arena (the zero value holds none).
type arenaUser struct {
	a    *arena
	held bool
}

// alloc returns an empty slice of capacity n from the user's arena (the
// user then holds a reference) or the heap.
func (u *arenaUser) alloc(n uint64) []byte {
	b, took := u.a.take(n, u.held)
	if !took {
		return make([]byte, 0, n)
	}
	u.held = true
	return b
}

// plain are the element types that resizeIn may place in the arena: they
// hold no pointers (the garbage collector does not scan the arena).
type plain interface {
	~int64 | ~uint32 | ~uint64 | blockEntry
}

// resizeIn is resize taking new memory from u's arena when it has room.
func resizeIn[T plain](u *arenaUser, s []T, n uint64) []T {
	if uint64(cap(s)) >= n {
		return s[:n]
	}
	c := roomFor(n)
	var zero T
	size := uint64(unsafe.Sizeof(zero))
	if c <= arenaSize/size {
		if b, took := u.a.take(c*size, u.held); took {
			u.held = true
			// The arena's slices are aligned to arenaAlign, more than T needs.
			return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b[:1]))), c)[:n]
		}
	}
	return make([]T, n, c)
}

// release drops the user's reference, if it holds one.
func (u *arenaUser) release() {
	if u.held {
		u.held = false
		u.a.release()
	}
}
