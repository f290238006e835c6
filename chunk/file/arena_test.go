package file

import (
	"fmt"
	"maps"
	"reflect"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

func TestArenaTakeRelease(t *testing.T) {
	var nilArena *arena
	_, took := nilArena.take(100, false)
	require.False(t, took, "a nil arena has no room")

	a := &arena{}
	b1, took := a.take(100, false)
	require.True(t, took)
	require.Zero(t, len(b1))
	require.Equal(t, 100, cap(b1))
	b2, took := a.take(10, true) // the same user: no new reference
	require.True(t, took)
	require.Zero(t, uintptr(unsafe.Pointer(unsafe.SliceData(b2[:1])))%arenaAlign, "slices are aligned")
	require.Equal(t, 1, a.users)
	_, took = a.take(arenaSize/2+1, false)
	require.False(t, took, "too large for the arena")

	// Writes to one slice stay out of the next.
	b1 = append(b1, make([]byte, 100)...)
	for i := range b1 {
		b1[i] = 0xff
	}
	require.Zero(t, b2[:10][0])

	u := arenaUser{a: a}
	require.Len(t, u.alloc(4096)[:4096], 4096)
	require.True(t, u.held)
	require.Equal(t, 2, a.users)
	huge := u.alloc(arenaSize) // the heap's
	require.Equal(t, arenaSize, cap(huge))
	require.Equal(t, 2, a.users)

	// Closing keeps the mapping while users hold it.
	a.close()
	require.NotNil(t, a.mem)
	u.release()
	u.release() // once only
	require.Equal(t, 1, a.users)
	require.NotNil(t, a.mem)
	a.release()
	require.Nil(t, a.mem, "unmapped once closed and released")
	_, took = a.take(10, false)
	require.False(t, took, "a closed arena maps nothing new")
}

func TestResizeIn(t *testing.T) {
	a := &arena{}
	defer a.close()
	u := arenaUser{a: a}
	s := resizeIn(&u, []int64(nil), 1000)
	require.Len(t, s, 1000)
	require.True(t, u.held)
	for i := range s {
		s[i] = int64(i) << 40
	}
	r := resizeIn(&u, []uint32(nil), 1000)
	for i := range r {
		r[i] = ^uint32(i)
	}
	for i := range s {
		require.Equal(t, int64(i)<<40, s[i], "element %d", i)
	}
	require.Equal(t, unsafe.SliceData(s), unsafe.SliceData(resizeIn(&u, s, 900)), "memory that is large enough is kept")
	u.release()

	var heap arenaUser // no arena
	h := resizeIn(&heap, []uint64(nil), 10)
	require.Len(t, h, 10)
	require.False(t, heap.held)
}

// sealChunks writes n sealed chunks of small blocks (attributes of both
// column modes) and returns their IDs.
func sealChunks(t *testing.T, m *Manager, n int) []chunk.ChunkID {
	t.Helper()
	var ids []chunk.ChunkID
	for c := range n {
		for i := range 300 {
			j := c*1000 + i
			rec := mkRecord(j, t0.Add(time.Duration(j)*time.Second))
			if i%5 == 0 {
				rec.Attrs["pid"] = fmt.Sprint(1000 + j)
				rec.Raw = append(rec.Raw, fmt.Sprintf(" pid=%d chunk %d", 1000+j, c)...)
			}
			_, err := m.Append(rec)
			require.NoError(t, err)
		}
		act, _ := m.Active()
		require.NoError(t, m.Seal())
		ids = append(ids, act.ID)
	}
	return ids
}

// readReusing reads a chunk through a reusing cursor and compares every
// record with want; it returns the memory of the text of the last block.
func readReusing(t *testing.T, m *Manager, id chunk.ChunkID, want []chunk.Record) *byte {
	t.Helper()
	text, err := checkReusing(m, id, want)
	require.NoError(t, err)
	return text
}

func checkReusing(m *Manager, id chunk.ChunkID, want []chunk.Record) (*byte, error) {
	cur, err := m.OpenCursor(id)
	if err != nil {
		return nil, err
	}
	defer cur.Close()
	cur.(chunk.BufferReuser).ReuseBuffers(true)
	i := 0
	for rec, err := range chunk.Records(cur, false) {
		if err != nil {
			return nil, err
		}
		if i >= len(want) || string(want[i].Raw) != string(rec.Raw) || !maps.Equal(want[i].Attrs, rec.Attrs) || !want[i].SourceTS.Equal(rec.SourceTS) {
			return nil, fmt.Errorf("chunk %s record %d differs", id, i)
		}
		i++
	}
	if i != len(want) {
		return nil, fmt.Errorf("chunk %s: %d records, want %d", id, i, len(want))
	}
	text := unsafe.SliceData(cur.(*sealedCursor).blk.raw)
	return text, cur.Close()
}

// TestReuseAcrossChunks reads chunks one after another through reusing
// cursors: the second chunk decodes into the block memory and reads into
// the reader buffers the first one left, in the manager's arena, and the
// records stay right. The arena goes with the manager.
func TestReuseAcrossChunks(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{BlockBytes: 1024})
	ids := sealChunks(t, m, 3)
	want := make([][]chunk.Record, len(ids))
	for i, id := range ids {
		want[i] = collect(t, m, id, false)
	}

	text := readReusing(t, m, ids[0], want[0])
	require.Len(t, m.spares.free, 1, "the block went back")
	require.Len(t, m.readers.free, 1, "the reader buffers went back")
	blk, bufs := m.spares.free[0], m.readers.free[0]
	require.True(t, blk.mem.held, "the block's memory is the arena's")
	require.True(t, bufs.mem.held, "the reader's memory is the arena's")
	users := m.arena.users
	for i := 1; i < len(ids); i++ {
		require.Equal(t, text, readReusing(t, m, ids[i], want[i]), "chunk %d decodes into the same text memory", i)
		require.Equal(t, []*decodedBlock{blk}, m.spares.free)
		require.Equal(t, []*readerBufs{bufs}, m.readers.free)
	}
	require.Equal(t, users, m.arena.users, "no more arena users")

	// A cursor still open when the manager closes keeps the arena mapped
	// until it closes.
	cur, err := m.OpenCursor(ids[1])
	require.NoError(t, err)
	cur.(chunk.BufferReuser).ReuseBuffers(true)
	rec, _, err := cur.Next()
	require.NoError(t, err)
	require.Equal(t, string(want[1][0].Raw), string(rec.Raw))
	require.NoError(t, m.Close())
	require.NotNil(t, m.arena.mem)
	require.NoError(t, cur.Close())
	require.Zero(t, m.arena.users)
	require.Nil(t, m.arena.mem, "unmapped once the last cursor closed")
}

// TestReuseTurnedOff turns reuse off on a cursor that decoded into arena
// memory: that memory goes back to the manager and the records that
// follow are decoded into fresh memory.
func TestReuseTurnedOff(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{BlockBytes: 1024})
	ids := sealChunks(t, m, 1)
	want := collect(t, m, ids[0], false)
	cur, err := m.OpenCursor(ids[0])
	require.NoError(t, err)
	defer cur.Close()
	cur.(chunk.BufferReuser).ReuseBuffers(true)
	rec, _, err := cur.Next()
	require.NoError(t, err)
	require.Equal(t, string(want[0].Raw), string(rec.Raw))
	cur.(chunk.BufferReuser).ReuseBuffers(false)
	require.Len(t, m.spares.free, 1, "the arena block went back")
	// The next record is of the same block: it must not be read from the
	// memory that went back.
	same, _, err := cur.Next()
	require.NoError(t, err)
	starts := cur.(chunk.BlockLayout).BlockStarts()
	require.Greater(t, len(starts), 2)
	require.Greater(t, starts[1], uint64(1), "the first two records share a block")
	require.NoError(t, cur.Seek(starts[2]))
	var kept []chunk.Record
	for rec, err := range chunk.Records(cur, false) {
		require.NoError(t, err)
		kept = append(kept, rec)
	}
	require.Equal(t, want[starts[2]:], kept, "records read without reuse stay valid")
	// Another cursor decoding into the memory that went back leaves them be.
	other, err := m.OpenCursor(ids[0])
	require.NoError(t, err)
	other.(chunk.BufferReuser).ReuseBuffers(true)
	for _, err := range chunk.Records(other, false) {
		require.NoError(t, err)
	}
	require.NoError(t, other.Close())
	require.Equal(t, want[1], same, "a record of the block current when reuse was turned off")
	require.Equal(t, want[starts[2]:], kept)
}

// TestReuseConcurrent counts chunks from several goroutines at once
// through reusing cursors, as query.Count does, so that blocks and reader
// buffers move between goroutines (run it with -race).
func TestReuseConcurrent(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{BlockBytes: 1024})
	ids := sealChunks(t, m, 4)
	want := make([][]chunk.Record, len(ids))
	for i, id := range ids {
		want[i] = collect(t, m, id, false)
	}
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for r := range 5 {
				i := (g + r) % len(ids)
				if _, err := checkReusing(m, ids[i], want[i]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	require.LessOrEqual(t, len(m.spares.free), 3)
}

// TestPlainHoldsNoPointers guards the arena: a struct type that resizeIn
// places there must not hold pointers (the garbage collector does not see
// them).
func TestPlainHoldsNoPointers(t *testing.T) {
	typ := reflect.TypeFor[blockEntry]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		switch f.Type.Kind() {
		case reflect.Int64, reflect.Uint64, reflect.Uint32, reflect.Int32:
		default:
			t.Errorf("blockEntry.%s is a %s: the arena holds only plain numbers", f.Name, f.Type)
		}
	}
}
