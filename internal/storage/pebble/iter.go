package pebble

import (
	"bytes"

	pdb "github.com/cockroachdb/pebble/v2"
)

// pebbleIter adapts a Pebble iterator when a transaction has no writes.
type pebbleIter struct{ it *pdb.Iterator }

func (p *pebbleIter) First() bool          { return p.it.First() }
func (p *pebbleIter) Last() bool           { return p.it.Last() }
func (p *pebbleIter) Next() bool           { return p.it.Next() }
func (p *pebbleIter) Prev() bool           { return p.it.Prev() }
func (p *pebbleIter) SeekGE(k []byte) bool { return p.it.SeekGE(k) }
func (p *pebbleIter) SeekLT(k []byte) bool { return p.it.SeekLT(k) }
func (p *pebbleIter) Valid() bool          { return p.it.Valid() }
func (p *pebbleIter) Key() []byte          { return p.it.Key() }
func (p *pebbleIter) Value() []byte        { return p.it.Value() }
func (p *pebbleIter) Close() error         { return p.it.Close() }

type errIter struct{ err error }

func (e *errIter) First() bool        { return false }
func (e *errIter) Last() bool         { return false }
func (e *errIter) Next() bool         { return false }
func (e *errIter) Prev() bool         { return false }
func (e *errIter) SeekGE([]byte) bool { return false }
func (e *errIter) SeekLT([]byte) bool { return false }
func (e *errIter) Valid() bool        { return false }
func (e *errIter) Key() []byte        { return nil }
func (e *errIter) Value() []byte      { return nil }
func (e *errIter) Close() error       { return e.err }

type pendingWrite struct {
	key []byte
	write
}

// mergeIter overlays a transaction's sorted pending writes on its snapshot
// iterator. Pending deletes hide snapshot keys.
type mergeIter struct {
	base   *pdb.Iterator
	writes []pendingWrite
	wi     int  // index of the current pending write candidate
	dir    int  // +1 forward, -1 reverse, 0 unpositioned
	fromW  bool // current entry comes from writes
	valid  bool
	key    []byte
	value  []byte
}

func (m *mergeIter) First() bool {
	m.dir = 1
	m.base.First()
	m.wi = 0
	return m.settle()
}

func (m *mergeIter) Last() bool {
	m.dir = -1
	m.base.Last()
	m.wi = len(m.writes) - 1
	return m.settle()
}

func (m *mergeIter) SeekGE(k []byte) bool {
	m.dir = 1
	m.base.SeekGE(k)
	m.wi = searchGE(m.writes, k)
	return m.settle()
}

func (m *mergeIter) SeekLT(k []byte) bool {
	m.dir = -1
	m.base.SeekLT(k)
	m.wi = searchGE(m.writes, k) - 1
	return m.settle()
}

func searchGE(ws []pendingWrite, k []byte) int {
	lo, hi := 0, len(ws)
	for lo < hi {
		mid := (lo + hi) / 2
		if bytes.Compare(ws[mid].key, k) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (m *mergeIter) Next() bool {
	if !m.valid {
		return false
	}
	if m.dir != 1 {
		return m.SeekGE(append(bytes.Clone(m.key), 0))
	}
	m.step()
	return m.settle()
}

func (m *mergeIter) Prev() bool {
	if !m.valid {
		return false
	}
	if m.dir != -1 {
		return m.SeekLT(bytes.Clone(m.key))
	}
	m.step()
	return m.settle()
}

// step moves past the current entry in the current direction.
func (m *mergeIter) step() {
	if m.fromW {
		if m.base.Valid() && bytes.Equal(m.base.Key(), m.writes[m.wi].key) {
			m.advanceBase()
		}
		m.wi += m.dir
	} else {
		m.advanceBase()
	}
}

func (m *mergeIter) advanceBase() {
	if m.dir == 1 {
		m.base.Next()
	} else {
		m.base.Prev()
	}
}

// settle picks the next visible entry in the current direction.
func (m *mergeIter) settle() bool {
	for {
		haveW := m.wi >= 0 && m.wi < len(m.writes)
		haveB := m.base.Valid()
		if !haveW && !haveB {
			m.valid = false
			return false
		}
		useW := haveW
		if haveW && haveB {
			c := bytes.Compare(m.writes[m.wi].key, m.base.Key())
			useW = c*m.dir <= 0
		}
		if useW {
			w := m.writes[m.wi]
			if w.deleted {
				m.fromW = true
				m.step()
				continue
			}
			m.fromW, m.valid, m.key, m.value = true, true, w.key, w.value
			return true
		}
		m.fromW, m.valid, m.key, m.value = false, true, m.base.Key(), m.base.Value()
		return true
	}
}

func (m *mergeIter) Valid() bool   { return m.valid }
func (m *mergeIter) Key() []byte   { return m.key }
func (m *mergeIter) Value() []byte { return m.value }
func (m *mergeIter) Close() error  { return m.base.Close() }
