package file

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"glarc/chunk"
)

// Directory names inside a data directory.
const (
	ActiveDirName = "active"
	SealedDirName = "chunks"
	tmpSuffix     = ".tmp"
)

// Options configure a Manager. The zero value is usable.
type Options struct {
	// MaxChunkBytes is the raw text an active chunk takes before it is
	// rotated and sealed in the background. Default DefaultMaxChunkBytes.
	MaxChunkBytes int64
	// BlockBytes is the raw text per compressed block. Default DefaultBlockBytes.
	BlockBytes int
	// Dictionary gives each sealed chunk a zstd dictionary, the first
	// DictBytes of its text: text frames about 6% smaller on a generated
	// syslog corpus, but decoded about 2.4 times slower (zstd takes a
	// slower path for frames with a dictionary), which selective queries
	// and scans pay for every block they read. Off by default.
	Dictionary bool
	// ReadOnly opens without the writer lock: no appends, no recovery.
	ReadOnly bool
	// Owner names the writer in the lock file, e.g. "glarc import".
	Owner string
	// Logger receives recovery and sealing events. Default: discard.
	Logger *slog.Logger
	// Now is the clock for WriteTS and chunk IDs. Default time.Now.
	Now func() time.Time
	// OnSealed, if set, is called (from the sealing goroutine) after each
	// chunk is sealed.
	OnSealed func(chunk.ChunkMeta)
	// BeforeRotate, if set, is called by Append when the active chunk is
	// full, before it is handed to sealing. The commit function it returns
	// (if not nil) is called from the sealing goroutine once the full
	// chunk's records are durable, before the chunk is sealed; its error
	// fails the seal. This lets a caller commit its own bookkeeping for the
	// full chunk without making Append wait for an fsync.
	BeforeRotate func(full chunk.ChunkMeta) (commit func() error)
	// Rollback, if set, is applied at writer open before recovery: chunks
	// after Rollback.Chunk are removed and that chunk, if still active, is
	// cut back to Rollback.Records records. An importer that crashed
	// between commits uses it to undo what it had not committed.
	Rollback *Mark
}

// Mark is a point in the archive's append history: every chunk before
// Chunk, and the first Records records of Chunk.
type Mark struct {
	Chunk   chunk.ChunkID
	Records uint64
}

// Manager is the file-backed chunk.Manager over one data directory.
type Manager struct {
	dir  string
	opts Options
	log  *slog.Logger
	lock *dirLock
	ids  *chunk.IDGenerator
	// dec decodes the meta frames of sealed chunks (see decoder).
	decOnce sync.Once
	dec     *zstd.Decoder
	decErr  error
	enc     encoders
	// spares holds the block memory of closed cursors that reused their
	// buffers, for the next such cursor (a count over many chunks then
	// decodes into a few blocks' worth of memory, not one per chunk).
	spares freeList[*decodedBlock]
	// readers holds the buffers of closed sealed readers.
	readers freeList[*readerBufs]
	// arena gives the memory of spares and readers.
	arena arena
	// texts holds the dictionary decoders of closed sealed readers.
	texts textDecoders

	// appendMu serializes writers (Append, Seal, Flush, Sync, Close).
	appendMu sync.Mutex

	// mu guards the fields below; it is never held while waiting on I/O of
	// the sealing goroutine.
	mu      sync.Mutex
	active  *activeWriter
	sealing map[chunk.ChunkID]bool // rotated, waiting to be sealed
	// durable holds, per rotated chunk not yet fsynced, a channel closed
	// once it is.
	durable map[chunk.ChunkID]chan struct{}
	metas   map[chunk.ChunkID]chunk.ChunkMeta
	sealErr error
	closed  bool

	sealQ   chan sealJob
	pending sync.WaitGroup // queued seals not yet done
	workers sync.WaitGroup // the sealing goroutine
}

var _ chunk.Manager = (*Manager)(nil)

// Open opens (creating if needed) the data directory dir. Unless
// opts.ReadOnly is set it takes the writer lock, removes unfinished seals,
// recovers active chunks (truncating any partial tail), keeps appending to
// the newest and seals the others in the background.
func Open(dir string, opts Options) (*Manager, error) {
	opts.MaxChunkBytes = cmp.Or(opts.MaxChunkBytes, DefaultMaxChunkBytes)
	opts.BlockBytes = cmp.Or(opts.BlockBytes, DefaultBlockBytes)
	opts.Owner = cmp.Or(opts.Owner, "glarc")
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{dir: dir, opts: opts, log: log.With("component", "chunk", "type", "file", "instance", dir),
		sealing: make(map[chunk.ChunkID]bool), metas: make(map[chunk.ChunkID]chunk.ChunkMeta),
		durable: make(map[chunk.ChunkID]chan struct{})}
	var err error
	if opts.ReadOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("open data directory: %w", err)
		}
		return m, nil
	}
	for _, d := range []string{dir, filepath.Join(dir, ActiveDirName), filepath.Join(dir, SealedDirName)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open data directory: %w", err)
		}
	}
	if m.lock, err = lockDir(dir, opts.Owner); err != nil {
		return nil, err
	}
	if m.enc, err = newEncoders(); err != nil {
		m.release()
		return nil, err
	}
	m.enc.dict = opts.Dictionary
	if opts.Rollback != nil {
		if err := m.rollback(*opts.Rollback); err != nil {
			m.release()
			return nil, err
		}
	}
	toSeal, err := m.recover()
	if err != nil {
		m.release()
		return nil, err
	}
	m.sealQ = make(chan sealJob, 1)
	m.workers.Go(m.sealLoop)
	for _, st := range toSeal {
		m.queueSeal(sealJob{id: st.id, st: st})
	}
	return m, nil
}

func (m *Manager) release() {
	m.enc.close()
	m.closeDecoder()
	m.texts.close()
	m.dropSpares()
	m.lock.release()
}

// dropSpares lets go of the memory kept for cursors and readers; the
// arena is unmapped once the cursors still open are closed too.
func (m *Manager) dropSpares() {
	for _, d := range m.spares.drain() {
		d.mem.release()
	}
	for _, b := range m.readers.drain() {
		b.mem.release()
	}
	m.arena.close()
}

// decoder returns the manager's zstd decoder, made on first use: a query
// that the indexes answer alone never decodes a block.
func (m *Manager) decoder() (*zstd.Decoder, error) {
	m.decOnce.Do(func() { m.dec, m.decErr = newDecoder() })
	return m.dec, m.decErr
}

// closeDecoder closes the decoder if it was made, and keeps it from being
// made after.
func (m *Manager) closeDecoder() {
	m.decOnce.Do(func() { m.decErr = chunk.ErrClosed })
	if m.dec != nil {
		m.dec.Close()
	}
}

// Dir returns the data directory.
func (m *Manager) Dir() string { return m.dir }

// ChunkDir returns the directory of a sealed chunk, where indexes live.
func (m *Manager) ChunkDir(id chunk.ChunkID) string {
	return filepath.Join(m.dir, SealedDirName, id.String())
}

func (m *Manager) activeDir(id chunk.ChunkID) string {
	return filepath.Join(m.dir, ActiveDirName, id.String())
}

// recover runs at writer open. It returns the active chunks to seal.
func (m *Manager) recover() ([]*activeState, error) {
	sealed, err := m.readIDs(SealedDirName, true)
	if err != nil {
		return nil, err
	}
	actives, err := m.readIDs(ActiveDirName, true)
	if err != nil {
		return nil, err
	}
	floor := chunk.ChunkID{}
	if len(sealed) > 0 {
		floor = sealed[len(sealed)-1]
	}
	var toSeal []*activeState
	for i, id := range actives {
		if id.Micros() > floor.Micros() {
			floor = id
		}
		dir := m.activeDir(id)
		if _, err := os.Stat(m.ChunkDir(id)); err == nil {
			// Sealed before a crash, the active copy not yet removed.
			m.log.Info("removing active copy of sealed chunk", "chunk", id.String())
			if err := os.RemoveAll(dir); err != nil {
				return nil, err
			}
			continue
		}
		st, err := recoverActive(dir, id)
		if err != nil {
			return nil, fmt.Errorf("recover active chunk %s: %w", id, err)
		}
		if st.truncated != "" {
			m.log.Warn("recovered active chunk", "chunk", id.String(), "records", len(st.entries), "truncated", st.truncated)
		}
		switch {
		case len(st.entries) == 0:
			if err := os.RemoveAll(dir); err != nil {
				return nil, err
			}
		case i == len(actives)-1 && int64(st.rawSize) < m.opts.MaxChunkBytes:
			w, err := openActiveForAppend(dir, id, st)
			if err != nil {
				return nil, err
			}
			m.active = w
		default:
			toSeal = append(toSeal, st)
			m.sealing[id] = true
		}
	}
	m.ids = chunk.NewIDGenerator(floor, m.opts.Now)
	return toSeal, syncDir(filepath.Join(m.dir, ActiveDirName))
}

// readIDs lists the chunk IDs under sub. With cleanTmp it removes
// unfinished seals (*.tmp) as a writer.
func (m *Manager) readIDs(sub string, cleanTmp bool) ([]chunk.ChunkID, error) {
	ents, err := os.ReadDir(filepath.Join(m.dir, sub))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ids := make([]chunk.ChunkID, 0, len(ents))
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, tmpSuffix) {
			if cleanTmp {
				m.log.Info("removing unfinished seal", "dir", name)
				if err := os.RemoveAll(filepath.Join(m.dir, sub, name)); err != nil {
					return nil, err
				}
			}
			continue
		}
		id, err := chunk.ParseID(name)
		if err != nil || !e.IsDir() {
			continue
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b chunk.ChunkID) int { return strings.Compare(string(a[:]), string(b[:])) })
	return ids, nil
}

// Append adds a record to the active chunk, rotating it when full.
func (m *Manager) Append(rec chunk.Record) (chunk.RecordRef, error) {
	m.appendMu.Lock()
	defer m.appendMu.Unlock()
	if m.opts.ReadOnly {
		return chunk.RecordRef{}, chunk.ErrReadOnly
	}
	m.mu.Lock()
	w, closed, serr := m.active, m.closed, m.sealErr
	m.mu.Unlock()
	if closed {
		return chunk.RecordRef{}, chunk.ErrClosed
	}
	if serr != nil {
		return chunk.RecordRef{}, serr
	}
	if w != nil && w.records > 0 && int64(w.rawSize-HeaderSize)+int64(len(rec.Raw)) > m.opts.MaxChunkBytes {
		var commit func() error
		if m.opts.BeforeRotate != nil {
			commit = m.opts.BeforeRotate(w.meta())
		}
		if err := m.rotate(commit); err != nil {
			return chunk.RecordRef{}, err
		}
		w = nil
	}
	if w == nil {
		id := m.ids.Next()
		var err error
		if w, err = createActive(m.activeDir(id), id); err != nil {
			return chunk.RecordRef{}, err
		}
		m.mu.Lock()
		m.active = w
		m.mu.Unlock()
	}
	// WriteTS is kept to the millisecond: finer adds bytes, not information.
	rec.WriteTS = m.opts.Now().Truncate(time.Millisecond)
	pos := w.records
	if err := w.append(&rec); err != nil {
		return chunk.RecordRef{}, fmt.Errorf("append to chunk %s: %w", w.id, err)
	}
	return chunk.RecordRef{Chunk: w.id, Pos: pos}, nil
}

// rotate closes the active chunk and queues it for sealing. appendMu held.
// The full chunk's writer goes to the sealing goroutine, which flushes,
// fsyncs and closes it there: Append does not wait for the disk.
func (m *Manager) rotate(commit func() error) error {
	m.mu.Lock()
	w := m.active
	m.mu.Unlock()
	if w == nil {
		return nil
	}
	// What was appended is written now (readers, and callers that
	// acknowledge after Flush, rely on it); only the fsync waits.
	if err := w.flush(); err != nil {
		return err
	}
	durable := make(chan struct{})
	m.mu.Lock()
	m.active = nil
	m.sealing[w.id] = true
	m.durable[w.id] = durable
	m.mu.Unlock()
	m.queueSeal(sealJob{id: w.id, w: w, commit: commit, durable: durable})
	return nil
}

// sealJob is a chunk to seal: a full writer to close first, or the state
// of a chunk recovered at open.
type sealJob struct {
	id chunk.ChunkID
	w  *activeWriter
	st *activeState
	// bulk, when set instead of w and st, is a bulk writer's chunk in
	// memory; commit runs once it is sealed.
	bulk   *bulkJob
	commit func() error
	// durable is closed once w's records are fsynced (or that failed).
	durable chan struct{}
}

func (m *Manager) queueSeal(j sealJob) {
	m.pending.Add(1)
	m.sealQ <- j
}

// sealLoop seals rotated chunks one at a time until sealQ is closed.
func (m *Manager) sealLoop() {
	for j := range m.sealQ {
		meta, err := m.sealJob(j)
		m.mu.Lock()
		delete(m.sealing, j.id)
		if err != nil {
			m.sealErr = cmp.Or(m.sealErr, err)
		} else {
			m.metas[j.id] = meta
		}
		m.mu.Unlock()
		if err != nil {
			m.log.Error("seal failed", "chunk", j.id.String(), "err", err)
		} else if m.opts.OnSealed != nil {
			m.opts.OnSealed(meta)
		}
		m.pending.Done()
	}
}

// sealJob makes a full chunk durable, runs its commit, and seals it.
func (m *Manager) sealJob(j sealJob) (chunk.ChunkMeta, error) {
	if j.bulk != nil {
		return m.sealBulk(j.bulk, j.commit)
	}
	st := j.st
	if j.w != nil {
		err := j.w.close()
		m.mu.Lock()
		delete(m.durable, j.id)
		m.mu.Unlock()
		close(j.durable)
		if err != nil {
			return chunk.ChunkMeta{}, fmt.Errorf("seal chunk %s: %w", j.id, err)
		}
		st = j.w.state()
		j.w.entries = nil
	}
	if j.commit != nil {
		if err := j.commit(); err != nil {
			return chunk.ChunkMeta{}, fmt.Errorf("seal chunk %s: commit: %w", j.id, err)
		}
	}
	return m.sealOne(st)
}

func (m *Manager) sealOne(st *activeState) (chunk.ChunkMeta, error) {
	start := time.Now()
	meta, err := sealActive(st, m.ChunkDir(st.id), m.opts.BlockBytes, m.enc)
	if err != nil {
		return meta, fmt.Errorf("seal chunk %s: %w", st.id, err)
	}
	if err := os.RemoveAll(st.dir); err != nil {
		return meta, fmt.Errorf("seal chunk %s: remove active files: %w", st.id, err)
	}
	if err := syncDir(filepath.Dir(st.dir)); err != nil {
		return meta, fmt.Errorf("seal chunk %s: %w", st.id, err)
	}
	m.log.Debug("sealed chunk", "chunk", st.id.String(), "records", meta.Records,
		"raw_bytes", meta.RawBytes, "stored_bytes", meta.StoredBytes, "took", time.Since(start))
	return meta, nil
}

// Seal seals the active chunk and waits for every queued seal to finish.
func (m *Manager) Seal() error {
	m.appendMu.Lock()
	defer m.appendMu.Unlock()
	if m.opts.ReadOnly {
		return chunk.ErrReadOnly
	}
	m.mu.Lock()
	w, closed := m.active, m.closed
	m.mu.Unlock()
	if closed {
		return chunk.ErrClosed
	}
	var err error
	if w == nil || w.records == 0 {
		err = chunk.ErrNoActiveChunk
	} else {
		err = m.rotate(nil)
	}
	m.pending.Wait()
	m.mu.Lock()
	serr := m.sealErr
	m.mu.Unlock()
	return cmp.Or(serr, err)
}

// WaitSealed waits until every rotated chunk is sealed and returns the
// first sealing error.
func (m *Manager) WaitSealed() error {
	if m.opts.ReadOnly {
		return nil
	}
	m.pending.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sealErr
}

// Flush writes buffered records to the active chunk's files, making them
// visible to readers in other processes.
func (m *Manager) Flush() error {
	m.appendMu.Lock()
	defer m.appendMu.Unlock()
	m.mu.Lock()
	w := m.active
	m.mu.Unlock()
	if w == nil {
		return nil
	}
	return w.flush()
}

// Sync flushes and fsyncs the active chunk, and waits until full chunks
// handed to sealing are fsynced too: every record appended before Sync
// returns survives a crash.
func (m *Manager) Sync() error {
	m.appendMu.Lock()
	defer m.appendMu.Unlock()
	m.mu.Lock()
	w := m.active
	waits := slices.Collect(maps.Values(m.durable))
	m.mu.Unlock()
	for _, ch := range waits {
		<-ch
	}
	m.mu.Lock()
	serr := m.sealErr
	m.mu.Unlock()
	if serr != nil {
		return serr
	}
	if w == nil {
		return nil
	}
	return w.sync()
}

// Active returns the active chunk's metadata.
func (m *Manager) Active() (chunk.ChunkMeta, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.active == nil {
		return chunk.ChunkMeta{}, false
	}
	return m.active.meta(), true
}

// Meta returns one chunk's metadata.
func (m *Manager) Meta(id chunk.ChunkID) (chunk.ChunkMeta, error) {
	m.mu.Lock()
	if meta, ok := m.metas[id]; ok {
		m.mu.Unlock()
		return meta, nil
	}
	if m.active != nil && m.active.id == id {
		meta := m.active.meta()
		m.mu.Unlock()
		return meta, nil
	}
	m.mu.Unlock()
	meta, err := readSealedMeta(filepath.Join(m.ChunkDir(id), SealedName))
	if err == nil {
		m.mu.Lock()
		m.metas[id] = meta
		m.mu.Unlock()
		return meta, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return meta, fmt.Errorf("chunk %s: %w", id, err)
	}
	st, aerr := readActive(m.activeDir(id), id, false)
	if aerr == nil {
		return st.meta(), nil
	}
	if errors.Is(aerr, fs.ErrNotExist) {
		// It may have been sealed in between.
		if meta, err := readSealedMeta(filepath.Join(m.ChunkDir(id), SealedName)); err == nil {
			return meta, nil
		}
		return chunk.ChunkMeta{}, fmt.Errorf("chunk %s: %w", id, chunk.ErrChunkNotFound)
	}
	return chunk.ChunkMeta{}, fmt.Errorf("chunk %s: %w", id, aerr)
}

// List returns every chunk, sealed and active, ordered by ID.
func (m *Manager) List() ([]chunk.ChunkMeta, error) {
	// Active first: a chunk sealed between the two listings is then seen
	// in the sealed listing.
	actives, err := m.readIDs(ActiveDirName, false)
	if err != nil {
		return nil, err
	}
	sealed, err := m.readIDs(SealedDirName, false)
	if err != nil {
		return nil, err
	}
	ids := slices.Concat(actives, sealed)
	slices.SortFunc(ids, func(a, b chunk.ChunkID) int { return strings.Compare(string(a[:]), string(b[:])) })
	ids = slices.Compact(ids)
	metas := make([]chunk.ChunkMeta, 0, len(ids))
	for _, id := range ids {
		meta, err := m.Meta(id)
		if errors.Is(err, chunk.ErrChunkNotFound) {
			continue
		}
		if err != nil {
			return metas, err
		}
		metas = append(metas, meta)
	}
	return metas, nil
}

// OpenCursor opens a cursor over a sealed or active chunk. A cursor over
// the active chunk sees the records appended before it was opened.
func (m *Manager) OpenCursor(id chunk.ChunkID) (chunk.RecordCursor, error) {
	m.mu.Lock()
	closed := m.closed
	isActive := m.active != nil && m.active.id == id
	m.mu.Unlock()
	if closed {
		return nil, chunk.ErrClosed
	}
	if isActive {
		if err := m.Flush(); err != nil {
			return nil, err
		}
	}
	c, err := m.openSealedCursor(id)
	if !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	ac, err := openActiveCursor(m.activeDir(id), id)
	if errors.Is(err, fs.ErrNotExist) {
		if c, err := m.openSealedCursor(id); !errors.Is(err, fs.ErrNotExist) {
			return c, err
		}
		return nil, fmt.Errorf("chunk %s: %w", id, chunk.ErrChunkNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", id, err)
	}
	return ac, nil
}

func (m *Manager) openSealedCursor(id chunk.ChunkID) (chunk.RecordCursor, error) {
	dec, err := m.decoder()
	if err != nil {
		return nil, err
	}
	r, err := openSealed(filepath.Join(m.ChunkDir(id), SealedName), dec, &m.texts, &m.readers, &m.arena)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("chunk %s: %w", id, err)
	}
	c := newSealedCursor(r)
	c.spares, c.arena = &m.spares, &m.arena
	return c, nil
}

// Close flushes and syncs the active chunk (it stays active and is
// recovered by the next writer), waits for queued seals and releases the
// lock.
func (m *Manager) Close() error {
	m.appendMu.Lock()
	defer m.appendMu.Unlock()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	w := m.active
	m.mu.Unlock()
	if m.opts.ReadOnly {
		m.closeDecoder()
		m.texts.close()
		m.dropSpares()
		return nil
	}
	var errs []error
	if w != nil {
		errs = append(errs, w.close())
	}
	close(m.sealQ)
	m.workers.Wait()
	m.mu.Lock()
	errs = append(errs, m.sealErr)
	m.mu.Unlock()
	m.release()
	return errors.Join(errs...)
}

// Mark returns the current end of the append history: the active chunk and
// its record count, or the newest chunk when none is active.
func (m *Manager) Mark() (Mark, error) {
	m.appendMu.Lock()
	defer m.appendMu.Unlock()
	m.mu.Lock()
	w := m.active
	m.mu.Unlock()
	if w != nil {
		return Mark{Chunk: w.id, Records: w.records}, nil
	}
	list, err := m.List()
	if err != nil || len(list) == 0 {
		return Mark{}, err
	}
	last := list[len(list)-1]
	return Mark{Chunk: last.ID, Records: last.Records}, nil
}

// rollback undoes everything appended after mark (see Options.Rollback).
func (m *Manager) rollback(mark Mark) error {
	for _, sub := range []string{SealedDirName, ActiveDirName} {
		ids, err := m.readIDs(sub, false)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if id.Micros() <= mark.Chunk.Micros() {
				continue
			}
			m.log.Warn("rolling back uncommitted chunk", "chunk", id.String(), "dir", sub)
			if err := os.RemoveAll(filepath.Join(m.dir, sub, id.String())); err != nil {
				return fmt.Errorf("roll back chunk %s: %w", id, err)
			}
		}
		if err := syncDir(filepath.Join(m.dir, sub)); err != nil {
			return err
		}
	}
	dir := m.activeDir(mark.Chunk)
	if meta, err := readSealedMeta(filepath.Join(m.ChunkDir(mark.Chunk), SealedName)); err == nil {
		if meta.Records > mark.Records {
			return fmt.Errorf("roll back chunk %s to %d records: it is sealed with %d", mark.Chunk, mark.Records, meta.Records)
		}
		return os.RemoveAll(dir) // the active copy, if any, is stale
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	st, err := readActive(dir, mark.Chunk, true)
	if err != nil {
		return fmt.Errorf("roll back chunk %s: %w", mark.Chunk, err)
	}
	if uint64(len(st.entries)) <= mark.Records {
		return nil
	}
	keep := st.entries[:mark.Records]
	rawSize, attrSize := uint64(HeaderSize), uint64(HeaderSize)
	for _, e := range keep {
		rawSize = e.rawOff + uint64(e.rawLen)
		attrSize = max(attrSize, e.attrOff+uint64(e.attrLen))
	}
	m.log.Warn("rolling back uncommitted records", "chunk", mark.Chunk.String(),
		"records", len(st.entries), "kept", mark.Records)
	for name, size := range map[string]uint64{RawLogName: rawSize, AttrLogName: attrSize, IdxLogName: HeaderSize + mark.Records*IdxEntrySize} {
		if err := os.Truncate(filepath.Join(dir, name), int64(size)); err != nil {
			return fmt.Errorf("roll back chunk %s: %w", mark.Chunk, err)
		}
	}
	return nil
}
