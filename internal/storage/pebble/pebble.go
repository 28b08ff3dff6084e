// Package pebble is SecantusDB's default storage engine: the storage.Engine
// interface on top of CockroachDB's Pebble, on disk or in memory.
//
// Transactions read from a Pebble snapshot and buffer their writes. Commit
// runs under one mutex that checks the write set against the keys other
// transactions committed since this one began (first committer wins), then
// applies the batch; fsync happens after the mutex is released, so
// concurrent durable commits share one WAL sync (group commit).
package pebble

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	pdb "github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/secantusdb/secantus/internal/storage"
)

// InMemory is the path that selects an ephemeral in-memory store.
const InMemory = ":memory:"

// Options configure Open.
type Options struct {
	// SyncInterval is how often writes committed without durable are
	// synced to disk (mongod's journal commit interval). Zero means 100ms.
	SyncInterval time.Duration
	// CacheSize is the block cache size in bytes; zero means 8 MiB.
	CacheSize int64
}

// Engine is a Pebble-backed storage.Engine.
type Engine struct {
	db     *pdb.DB
	inMem  bool
	dir    string
	fs     vfs.FS
	cache  *pdb.Cache
	closed chan struct{}
	wg     sync.WaitGroup

	mu       sync.Mutex // guards the fields below; held across commit
	seq      uint64     // commit counter: a txn's start is the seq it saw
	written  map[string]uint64
	active   map[*txn]struct{}
	dirty    bool // writes committed since the last background sync
	isClosed bool
}

var _ storage.Engine = (*Engine)(nil)

// Open opens (creating if needed) the store at path, or an in-memory store
// when path is InMemory.
func Open(path string, o Options) (*Engine, error) {
	if o.SyncInterval == 0 {
		o.SyncInterval = 100 * time.Millisecond
	}
	if o.CacheSize == 0 {
		o.CacheSize = 8 << 20
	}
	e := &Engine{
		dir:     path,
		closed:  make(chan struct{}),
		written: make(map[string]uint64),
		active:  make(map[*txn]struct{}),
		cache:   pdb.NewCache(o.CacheSize),
	}
	opts := &pdb.Options{
		Cache:                       e.cache,
		MemTableSize:                8 << 20,
		MemTableStopWritesThreshold: 4,
		Logger:                      quietLogger{},
	}
	if path == InMemory {
		e.inMem = true
		e.fs = vfs.NewMem()
		opts.FS = e.fs
		path = ""
		// The tables already live in memory: compressing them only costs
		// CPU on every block read of a scan.
		opts.ApplyCompressionSettings(func() pdb.DBCompressionSettings { return pdb.DBCompressionNone })
	} else {
		e.fs = vfs.Default
	}
	db, err := pdb.Open(path, opts)
	if err != nil {
		e.cache.Unref()
		return nil, fmt.Errorf("open storage at %q: %w", e.dir, err)
	}
	e.db = db
	if !e.inMem {
		e.wg.Add(1)
		go e.syncLoop(o.SyncInterval)
	}
	return e, nil
}

// quietLogger drops Pebble's informational messages; errors surface
// through return values.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// syncLoop makes non-durable commits durable within one interval, as
// mongod's journal does every 100ms.
func (e *Engine) syncLoop(every time.Duration) {
	defer e.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-e.closed:
			return
		case <-t.C:
			e.mu.Lock()
			dirty := e.dirty
			e.dirty = false
			e.mu.Unlock()
			if dirty {
				_ = e.Sync()
			}
		}
	}
}

// Sync implements storage.Engine.
func (e *Engine) Sync() error {
	if e.inMem {
		return nil
	}
	return e.db.LogData(nil, pdb.Sync)
}

// DeleteRange implements storage.Engine.
func (e *Engine) DeleteRange(lower, upper []byte) error {
	return e.db.DeleteRange(lower, upper, pdb.NoSync)
}

// Stats implements storage.Engine.
func (e *Engine) Stats() storage.Stats {
	m := e.db.Metrics()
	size := int64(m.DiskSpaceUsage())
	return storage.Stats{DiskSizeBytes: size, Engine: "pebble", Persisted: !e.inMem}
}

// Close implements storage.Engine.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.isClosed {
		e.mu.Unlock()
		return nil
	}
	e.isClosed = true
	e.mu.Unlock()
	close(e.closed)
	e.wg.Wait()
	var err error
	if !e.inMem {
		err = e.db.LogData(nil, pdb.Sync)
		if ferr := e.db.Flush(); err == nil {
			err = ferr
		}
	}
	if cerr := e.db.Close(); err == nil {
		err = cerr
	}
	e.cache.Unref()
	return err
}

// Begin implements storage.Engine.
func (e *Engine) Begin() storage.Txn {
	e.mu.Lock()
	t := &txn{e: e, start: e.seq, snap: e.db.NewSnapshot()}
	e.active[t] = struct{}{}
	e.mu.Unlock()
	return t
}

type write struct {
	value   []byte
	deleted bool
}

type txn struct {
	e      *Engine
	start  uint64
	snap   *pdb.Snapshot
	writes map[string]write
	done   bool
}

func (t *txn) Get(key []byte) ([]byte, error) {
	if t.done {
		return nil, errors.New("storage: transaction finished")
	}
	if w, ok := t.writes[string(key)]; ok {
		if w.deleted {
			return nil, storage.ErrNotFound
		}
		return w.value, nil
	}
	v, closer, err := t.snap.Get(key)
	if errors.Is(err, pdb.ErrNotFound) {
		return nil, storage.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(v)
	closer.Close()
	return out, nil
}

func (t *txn) Set(key, value []byte) error {
	if t.writes == nil {
		t.writes = make(map[string]write)
	}
	t.writes[string(key)] = write{value: bytes.Clone(value)}
	return nil
}

func (t *txn) Delete(key []byte) error {
	if t.writes == nil {
		t.writes = make(map[string]write)
	}
	t.writes[string(key)] = write{deleted: true}
	return nil
}

func (t *txn) Writes() int { return len(t.writes) }

func (t *txn) NewIter(lower, upper []byte) storage.Iterator {
	base, err := t.snap.NewIter(&pdb.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return &errIter{err: err}
	}
	if len(t.writes) == 0 {
		return &pebbleIter{it: base}
	}
	var ws []pendingWrite
	for k, w := range t.writes {
		if (lower == nil || k >= string(lower)) && (upper == nil || k < string(upper)) {
			ws = append(ws, pendingWrite{key: []byte(k), write: w})
		}
	}
	sort.Slice(ws, func(i, j int) bool { return bytes.Compare(ws[i].key, ws[j].key) < 0 })
	return &mergeIter{base: base, writes: ws}
}

// Commit implements storage.Txn.
func (t *txn) Commit(durable bool) error {
	if t.done {
		return errors.New("storage: transaction finished")
	}
	e := t.e
	if len(t.writes) == 0 {
		t.finish()
		return nil
	}
	b := e.db.NewBatch()
	for k, w := range t.writes {
		if w.deleted {
			_ = b.Delete([]byte(k), nil)
		} else {
			_ = b.Set([]byte(k), w.value, nil)
		}
	}
	e.mu.Lock()
	if e.isClosed {
		e.mu.Unlock()
		b.Close()
		t.finish()
		return storage.ErrClosed
	}
	for k := range t.writes {
		if s, ok := e.written[k]; ok && s > t.start {
			e.mu.Unlock()
			b.Close()
			t.finish()
			return storage.ErrWriteConflict
		}
	}
	sync := durable && !e.inMem
	var err error
	if sync {
		err = e.db.ApplyNoSyncWait(b, pdb.Sync)
	} else {
		err = e.db.Apply(b, pdb.NoSync)
	}
	if err == nil {
		e.seq++
		for k := range t.writes {
			e.written[k] = e.seq
		}
		if !sync {
			e.dirty = true
		}
	}
	e.mu.Unlock()
	if err == nil && sync {
		err = b.SyncWait()
	}
	b.Close()
	t.finish()
	return err
}

func (t *txn) Rollback() {
	if !t.done {
		t.finish()
	}
}

// finish releases the snapshot and forgets conflict history that no
// active transaction can conflict with any more.
func (t *txn) finish() {
	t.done = true
	t.snap.Close()
	e := t.e
	e.mu.Lock()
	delete(e.active, t)
	if len(e.written) > 4096 {
		oldest := e.seq
		for a := range e.active {
			if a.start < oldest {
				oldest = a.start
			}
		}
		for k, s := range e.written {
			if s <= oldest {
				delete(e.written, k)
			}
		}
	}
	e.mu.Unlock()
}
