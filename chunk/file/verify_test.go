package file

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// verifyFixture writes a data directory with one sealed chunk of several
// blocks and one active chunk, and returns the directory and both IDs.
func verifyFixture(t testing.TB) (dir string, sealed, active chunk.ChunkID) {
	t.Helper()
	dir = t.TempDir()
	m, err := Open(dir, Options{BlockBytes: 300, Now: testClock()})
	require.NoError(t, err)
	for i := range 40 {
		ref, err := m.Append(mkRecord(i, t0.Add(time.Duration(40-i)*time.Second)))
		require.NoError(t, err)
		sealed = ref.Chunk
	}
	require.NoError(t, m.Seal())
	for i := range 10 {
		ref, err := m.Append(mkRecord(100+i, t0.Add(time.Duration(i)*time.Minute)))
		require.NoError(t, err)
		active = ref.Chunk
	}
	require.NoError(t, m.Close())
	return dir, sealed, active
}

func runVerify(t *testing.T, dir string) (VerifyStats, []Problem) {
	t.Helper()
	var probs []Problem
	st, err := Verify(t.Context(), dir, func(p Problem) { probs = append(probs, p) })
	require.NoError(t, err)
	return st, probs
}

func TestVerifyClean(t *testing.T) {
	dir, _, _ := verifyFixture(t)
	st, probs := runVerify(t, dir)
	require.Empty(t, probs)
	require.Equal(t, 1, st.Sealed)
	require.Equal(t, 1, st.Active)
	require.EqualValues(t, 50, st.Records)
	require.Greater(t, st.Blocks, uint64(3), "the fixture should have several blocks")
	require.Zero(t, st.Problems)
	var size int64
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		if !fi.IsDir() && fi.Name() != LockName {
			size += fi.Size()
		}
		return nil
	})
	require.Equal(t, size, st.Bytes)
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if off < 0 {
		off += int64(len(b))
	}
	require.Less(t, off, int64(len(b)))
	b[off] ^= 0x40
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func truncateBy(t *testing.T, path string, n int64) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, fi.Size()-n))
}

func sealedLayout(t *testing.T, path string) (indexOff int64, blocks []blockEntry) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	tr, err := getTrailer(b[len(b)-TrailerSize:], path, 0)
	require.NoError(t, err)
	for i := range int(tr.blocks) {
		blocks = append(blocks, getBlockEntry(b[int(tr.indexOff)+i*BlockEntrySize:]))
	}
	return int64(tr.indexOff), blocks
}

func TestVerifyDamage(t *testing.T) {
	type paths struct{ dat, raw, idx, attr string }
	tests := []struct {
		name string
		harm func(t *testing.T, p paths)
		// want: the file named and a substring of section or reason, for
		// the first problem.
		file, want string
	}{
		{"sealed header magic", func(t *testing.T, p paths) { flip(t, p.dat, 0) }, SealedName, "header"},
		{"sealed header flags", func(t *testing.T, p paths) { flip(t, p.dat, 3) }, SealedName, "header"},
		{"sealed dictionary section", func(t *testing.T, p paths) { flip(t, p.dat, HeaderSize+5) }, SealedName, "dictionary"},
		{"sealed dictionary length", func(t *testing.T, p paths) { flip(t, p.dat, HeaderSize) }, SealedName, "dictionary"},
		{"sealed first block", func(t *testing.T, p paths) {
			_, blocks := sealedLayout(t, p.dat)
			flip(t, p.dat, int64(blocks[0].off)+7)
		}, SealedName, "block 0"},
		{"sealed middle block", func(t *testing.T, p paths) {
			_, blocks := sealedLayout(t, p.dat)
			flip(t, p.dat, int64(blocks[2].off)+int64(blocks[2].clen)/2)
		}, SealedName, "block 2"},
		{"sealed last block byte", func(t *testing.T, p paths) {
			off, _ := sealedLayout(t, p.dat)
			flip(t, p.dat, off-1)
		}, SealedName, "block "},
		{"sealed block index", func(t *testing.T, p paths) {
			off, _ := sealedLayout(t, p.dat)
			flip(t, p.dat, off+BlockEntrySize+21)
		}, SealedName, "block index"},
		{"sealed trailer field", func(t *testing.T, p paths) { flip(t, p.dat, -TrailerSize+trOffRecords) }, SealedName, "trailer"},
		{"sealed trailer checksum", func(t *testing.T, p paths) { flip(t, p.dat, -1) }, SealedName, "trailer"},
		{"sealed truncated", func(t *testing.T, p paths) { truncateBy(t, p.dat, 10) }, SealedName, "trailer"},
		{"sealed truncated to header", func(t *testing.T, p paths) {
			require.NoError(t, os.Truncate(p.dat, 3))
		}, SealedName, "trailer"},
		{"sealed bytes appended", func(t *testing.T, p paths) { appendBytes(t, p.dat, []byte("xx")) }, SealedName, "trailer"},
		{"sealed missing", func(t *testing.T, p paths) { require.NoError(t, os.Remove(p.dat)) }, SealedName, "no such file"},

		{"raw.log header", func(t *testing.T, p paths) { flip(t, p.raw, 1) }, RawLogName, "header"},
		{"raw.log header flags", func(t *testing.T, p paths) { flip(t, p.raw, 3) }, RawLogName, "header"},
		{"raw.log record byte", func(t *testing.T, p paths) { flip(t, p.raw, 200) }, IdxLogName, "raw.log"},
		{"raw.log truncated", func(t *testing.T, p paths) { truncateBy(t, p.raw, 5) }, IdxLogName, "point past the end"},
		{"raw.log bytes appended", func(t *testing.T, p paths) { appendBytes(t, p.raw, []byte("junk")) }, RawLogName, "past the last record"},
		{"attr.log header", func(t *testing.T, p paths) { flip(t, p.attr, 0) }, AttrLogName, "header"},
		{"attr.log set byte", func(t *testing.T, p paths) { flip(t, p.attr, HeaderSize+3) }, IdxLogName, "attr.log"},
		{"attr.log truncated", func(t *testing.T, p paths) { truncateBy(t, p.attr, 1) }, IdxLogName, "point past the end"},
		{"idx.log header", func(t *testing.T, p paths) { flip(t, p.idx, 2) }, IdxLogName, "header"},
		{"idx.log entry time", func(t *testing.T, p paths) { flip(t, p.idx, HeaderSize+3*IdxEntrySize+idxOffSource+1) }, IdxLogName, "entry 3"},
		{"idx.log entry checksum", func(t *testing.T, p paths) { flip(t, p.idx, HeaderSize+5*IdxEntrySize+idxOffCRC) }, IdxLogName, "entry 5"},
		{"idx.log entry reserved", func(t *testing.T, p paths) { flip(t, p.idx, HeaderSize+IdxEntrySize+idxOffReserved) }, IdxLogName, "reserved"},
		{"idx.log entry raw offset", func(t *testing.T, p paths) { flip(t, p.idx, HeaderSize+4*IdxEntrySize+idxOffRaw) }, IdxLogName, "entry 4"},
		{"idx.log entry raw length", func(t *testing.T, p paths) { flip(t, p.idx, HeaderSize+4*IdxEntrySize+idxOffRawLen+3) }, IdxLogName, "entry 4"},
		{"idx.log partial entry", func(t *testing.T, p paths) { truncateBy(t, p.idx, 10) }, IdxLogName, "partial entry"},
		{"idx.log missing", func(t *testing.T, p paths) { require.NoError(t, os.Remove(p.idx)) }, IdxLogName, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, sid, aid := verifyFixture(t)
			adir := filepath.Join(dir, ActiveDirName, aid.String())
			p := paths{
				dat:  filepath.Join(dir, SealedDirName, sid.String(), SealedName),
				raw:  filepath.Join(adir, RawLogName),
				idx:  filepath.Join(adir, IdxLogName),
				attr: filepath.Join(adir, AttrLogName),
			}
			tc.harm(t, p)
			st, probs := runVerify(t, dir)
			require.NotEmpty(t, probs)
			require.Positive(t, st.Problems)
			first := probs[0]
			require.False(t, first.Pending)
			require.Equal(t, tc.file, filepath.Base(first.Path), "%v", probs)
			require.Contains(t, first.String(), tc.want, "%v", probs)
			wantID := aid
			if tc.file == SealedName {
				wantID = sid
			}
			require.Equal(t, wantID, first.Chunk)
			// One flipped byte gives a handful of problems, not a flood.
			require.LessOrEqual(t, len(probs), 4, "%v", probs)
			// The other chunk was still checked.
			if tc.file == SealedName {
				require.Equal(t, 1, st.Active)
			} else {
				require.Equal(t, 1, st.Sealed)
				require.GreaterOrEqual(t, st.Records, uint64(40), "every sealed record was checked")
			}
		})
	}
}

func TestVerifyPendingWithWriter(t *testing.T) {
	dir, _, aid := verifyFixture(t)
	adir := filepath.Join(dir, ActiveDirName, aid.String())
	truncateBy(t, filepath.Join(adir, IdxLogName), 10)
	appendBytes(t, filepath.Join(adir, RawLogName), []byte("tail"))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, SealedDirName, "0000000000000.tmp"), 0o755))
	// A writer holds (or held) the lock: the tail is uncommitted, not damage.
	require.NoError(t, os.WriteFile(filepath.Join(dir, LockName), []byte("pid 1 on host: glarc serve\n"), 0o644))
	st, probs := runVerify(t, dir)
	require.Zero(t, st.Problems, "%v", probs)
	require.Len(t, probs, 3, "%v", probs)
	for _, p := range probs {
		require.True(t, p.Pending)
	}
	require.EqualValues(t, 49, st.Records)
}

func TestVerifyManyBadEntriesCapped(t *testing.T) {
	dir, _, aid := verifyFixture(t)
	idx := filepath.Join(dir, ActiveDirName, aid.String(), IdxLogName)
	for i := range 10 {
		flip(t, idx, int64(HeaderSize+i*IdxEntrySize+idxOffReserved))
	}
	st, probs := runVerify(t, dir)
	require.Equal(t, 10, st.Problems)
	require.Len(t, probs, 10)
	require.EqualValues(t, 40, st.Records)
}

func TestVerifyNoDir(t *testing.T) {
	_, err := Verify(t.Context(), filepath.Join(t.TempDir(), "nope"), func(Problem) {})
	require.Error(t, err)
	// An empty directory is a clean, empty archive.
	st, err := Verify(t.Context(), t.TempDir(), func(p Problem) { t.Errorf("problem %v", p) })
	require.NoError(t, err)
	require.Zero(t, st.Chunks())
	// A cancelled context stops before the first chunk.
	dir, _, _ := verifyFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Verify(ctx, dir, func(p Problem) { t.Errorf("problem %v", p) })
	require.ErrorIs(t, err, context.Canceled)
}

func TestProblemString(t *testing.T) {
	p := Problem{Chunk: chunk.IDFromMicros(1), Path: "data/chunks/x/chunk.dat", Section: "block 2", Offset: 77, Reason: "checksum 1, stored 2"}
	require.Equal(t, "chunk 0000000000002: data/chunks/x/chunk.dat: block 2 at offset 77: checksum 1, stored 2", p.String())
	p = Problem{Path: "data/manifest", Offset: -1, Reason: "bad"}
	require.Equal(t, "data/manifest: bad", p.String())
}

// FuzzVerifySealed feeds damaged chunk.dat files to the verifier: it must
// report, never panic. Seeded with a real chunk and cut and flipped copies.
func FuzzVerifySealed(f *testing.F) {
	dir, sid, _ := verifyFixture(f)
	good, err := os.ReadFile(filepath.Join(dir, SealedDirName, sid.String(), SealedName))
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:len(good)/2])
	bad := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(bad[len(bad)-TrailerSize+trOffBlocks:], 1<<31)
	f.Add(bad)
	f.Add(toV1(f, good))
	dictPath, _ := dictFixture(f)
	withDict, err := os.ReadFile(dictPath)
	require.NoError(f, err)
	f.Add(withDict)
	dec, err := newDecoder()
	require.NoError(f, err)
	defer dec.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		var st VerifyStats
		n := 0
		rep := &fileReporter{id: sid, path: "chunk.dat", report: func(p Problem) {
			n++
			if strings.TrimSpace(p.Reason) == "" {
				t.Fatalf("problem without a reason: %+v", p)
			}
		}}
		verifySealedData(rep, data, sid, dec, &st)
		if n > maxProblemsPerFile+1 {
			t.Fatalf("%d problems reported, cap is %d", n, maxProblemsPerFile)
		}
	})
}

// FuzzVerifyActive feeds damaged active chunk logs to the verifier: it
// must report, never panic, and never count a record whose checksum fails.
// Seeded with a real active chunk and cut copies.
func FuzzVerifyActive(f *testing.F) {
	dir, _, aid := verifyFixture(f)
	adir := filepath.Join(dir, ActiveDirName, aid.String())
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(adir, name))
		require.NoError(f, err)
		return b
	}
	raw, attr, idx := read(RawLogName), read(AttrLogName), read(IdxLogName)
	f.Add(raw, attr, idx)
	f.Add(raw[:len(raw)-7], attr, idx)
	f.Add(raw, attr[:5], idx[:len(idx)-20])
	f.Fuzz(func(t *testing.T, raw, attr, idx []byte) {
		d := t.TempDir()
		for name, b := range map[string][]byte{RawLogName: raw, AttrLogName: attr, IdxLogName: idx} {
			require.NoError(t, os.WriteFile(filepath.Join(d, name), b, 0o644))
		}
		var st VerifyStats
		n := 0
		VerifyActive(d, aid, false, &st, func(p Problem) {
			n++
			require.NotEmpty(t, strings.TrimSpace(p.Reason))
		})
		entries := uint64(max(len(idx)-HeaderSize, 0) / IdxEntrySize)
		require.LessOrEqual(t, st.Records, entries)
		require.LessOrEqual(t, n, 3*(maxProblemsPerFile+1)+3)
	})
}
