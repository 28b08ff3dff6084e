// Package cursor keeps the server's open cursors: the result streams that
// find, aggregate and list commands leave behind for getMore, with their
// owner session, idle timeout and batching by count and by bytes.
package cursor

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Source produces a cursor's documents. Next returns ok false at the end.
// Close releases what the source holds (its snapshot, iterators).
type Source interface {
	Next(ctx context.Context) (doc bson.Raw, ok bool, err error)
	Close()
}

// MaxBatchBytes bounds the documents of one batch (16 MiB, as mongod).
const MaxBatchBytes = 16 * 1024 * 1024

// Cursor is an open cursor.
type Cursor struct {
	ID int64
	// NS is the namespace getMore must name: "db.coll" (for commands
	// such as listCollections, "db.$cmd.listCollections").
	NS string
	// Session is the owning logical session id (empty when none).
	Session string
	// NoTimeout disables the idle timeout.
	NoTimeout bool
	// Comment is the comment the cursor was opened with.
	Comment bson.RawValue
	// Created and LastUsed are for currentOp and the idle timeout.
	Created  time.Time
	LastUsed time.Time
	// NReturned counts documents returned so far.
	NReturned int64
	// Limit, when positive, caps the total number of documents returned;
	// reaching it exhausts the cursor (as mongod's LIMIT stage reports EOF).
	Limit int64
	// AwaitData marks a tailable awaitData cursor: only its getMore may
	// carry maxTimeMS.
	AwaitData bool
	// MaxTimeLeft is what remains of the time limit (maxTimeMS) of the
	// command that opened the cursor; HasMaxTime says whether there is
	// one. As on mongod, that budget is shared by every later getMore of
	// a non-awaitData cursor.
	MaxTimeLeft time.Duration
	HasMaxTime  bool

	src     Source
	pending bson.Raw // read but did not fit the previous batch
	inUse   bool
	done    bool
}

// New wraps src as a cursor (not yet registered).
func New(ns string, src Source) *Cursor {
	now := time.Now()
	return &Cursor{NS: ns, src: src, Created: now, LastUsed: now}
}

// NextBatch returns up to n documents (n <= 0: no count limit), bounded
// by MaxBatchBytes; exhausted reports that the source is finished.
func (c *Cursor) NextBatch(ctx context.Context, n int) (docs []bson.Raw, exhausted bool, err error) {
	// A batch is a point at which a killed or timed-out operation stops,
	// even if the source itself would not look at ctx before it ends.
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	size := 0
	for n <= 0 || len(docs) < n {
		if c.Limit > 0 && c.NReturned+int64(len(docs)) >= c.Limit {
			c.done = true
			break
		}
		var doc bson.Raw
		if c.pending != nil {
			doc, c.pending = c.pending, nil
		} else {
			var ok bool
			doc, ok, err = c.src.Next(ctx)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				c.done = true
				break
			}
		}
		if size+len(doc) > MaxBatchBytes && len(docs) > 0 {
			c.pending = doc
			break
		}
		size += len(doc)
		docs = append(docs, doc)
	}
	c.NReturned += int64(len(docs))
	if c.Limit > 0 && c.NReturned >= c.Limit {
		c.done = true
	}
	return docs, c.done && c.pending == nil, nil
}

// Close releases the cursor's source.
func (c *Cursor) Close() {
	if c.src != nil {
		c.src.Close()
		c.src = nil
	}
}

// Manager holds the open cursors.
type Manager struct {
	mu       sync.Mutex
	cursors  map[int64]*Cursor
	timeout  func() time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup
	timedOut int64
}

// NewManager returns a manager whose reaper closes cursors idle for
// longer than timeout() (checked every few seconds, or more often for a
// short timeout).
func NewManager(timeout func() time.Duration) *Manager {
	m := &Manager{cursors: make(map[int64]*Cursor), timeout: timeout, stop: make(chan struct{})}
	m.wg.Add(1)
	go m.reap()
	return m
}

func (m *Manager) reap() {
	defer m.wg.Done()
	for {
		every := m.timeout() / 4
		if every > 5*time.Second {
			every = 5 * time.Second
		}
		if every < 10*time.Millisecond {
			every = 10 * time.Millisecond
		}
		select {
		case <-m.stop:
			return
		case <-time.After(every):
		}
		limit := m.timeout()
		now := time.Now()
		var idle []*Cursor
		m.mu.Lock()
		for id, c := range m.cursors {
			if !c.inUse && !c.NoTimeout && now.Sub(c.LastUsed) > limit {
				delete(m.cursors, id)
				idle = append(idle, c)
			}
		}
		m.timedOut += int64(len(idle))
		m.mu.Unlock()
		for _, c := range idle {
			c.Close()
		}
	}
}

// Register stores c under a new random id (never 0) and returns it.
func (m *Manager) Register(c *Cursor) int64 {
	var b [8]byte
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		rand.Read(b[:])
		id := int64(binary.LittleEndian.Uint64(b[:]) &^ (1 << 63))
		if id != 0 && m.cursors[id] == nil {
			c.ID = id
			m.cursors[id] = c
			return id
		}
	}
}

// Checkout takes cursor id for a getMore on ns from session; it must be
// given back with Return (or Kill). Errors are mongod's.
func (m *Manager) Checkout(id int64, ns, session string) (*Cursor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cursors[id]
	if c == nil {
		return nil, mongoerr.Newf(mongoerr.CursorNotFound, "cursor id %d not found", id)
	}
	if c.NS != ns {
		return nil, mongoerr.Newf(mongoerr.Unauthorized, "Requested getMore on namespace '%s', but cursor belongs to a different namespace %s", ns, c.NS)
	}
	if c.Session != "" && session != "" && c.Session != session {
		return nil, mongoerr.Newf(mongoerr.Code(50738), "Cannot run getMore on cursor %d, which was created in session %s, in session %s", id, c.Session, session)
	}
	if c.inUse {
		return nil, mongoerr.Newf(mongoerr.CursorInUse, "cursor id %d is already in use", id)
	}
	c.inUse = true
	return c, nil
}

// Return gives back a checked-out cursor; an exhausted one is closed.
func (m *Manager) Return(c *Cursor, exhausted bool) {
	c.LastUsed = time.Now()
	m.mu.Lock()
	c.inUse = false
	if exhausted {
		delete(m.cursors, c.ID)
	}
	m.mu.Unlock()
	if exhausted {
		c.Close()
	}
}

// Kill closes cursor id if it exists and is on namespace ns ("" for any).
func (m *Manager) Kill(id int64, ns string) bool {
	m.mu.Lock()
	c := m.cursors[id]
	if c == nil || (ns != "" && c.NS != ns) {
		m.mu.Unlock()
		return false
	}
	delete(m.cursors, id)
	m.mu.Unlock()
	if !c.inUse {
		c.Close()
	}
	return true
}

// KillSession closes every cursor owned by session; it returns how many.
func (m *Manager) KillSession(session string) int {
	return m.killWhere(func(c *Cursor) bool { return c.Session == session })
}

// KillAll closes every cursor.
func (m *Manager) KillAll() int { return m.killWhere(func(*Cursor) bool { return true }) }

// KillNamespace closes the cursors on ns (after a drop or rename).
func (m *Manager) KillNamespace(ns string) int {
	return m.killWhere(func(c *Cursor) bool { return c.NS == ns })
}

func (m *Manager) killWhere(match func(*Cursor) bool) int {
	m.mu.Lock()
	var killed []*Cursor
	for id, c := range m.cursors {
		if match(c) {
			delete(m.cursors, id)
			killed = append(killed, c)
		}
	}
	m.mu.Unlock()
	for _, c := range killed {
		if !c.inUse {
			c.Close()
		}
	}
	return len(killed)
}

// Stats reports the open and timed-out cursor counts.
func (m *Manager) Stats() (open, timedOut int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.cursors)), m.timedOut
}

// Close stops the reaper and closes every cursor.
func (m *Manager) Close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	m.wg.Wait()
	m.KillAll()
}

// WithMaxTime returns ctx bounded by what remains of the cursor's time
// limit, and a function to call when the batch is done: it records the
// time left for the next getMore and releases the context.
func (c *Cursor) WithMaxTime(ctx context.Context) (context.Context, func()) {
	if !c.HasMaxTime {
		return ctx, func() {}
	}
	deadline := time.Now().Add(c.MaxTimeLeft)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	return ctx, func() {
		c.MaxTimeLeft = max(time.Until(deadline), 0)
		cancel()
	}
}
