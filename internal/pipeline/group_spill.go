package pipeline

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
)

// Spilling $group: when the groups in memory exceed the limit they are
// written, sorted by their key encoding, to a run file as records
//
//	uvarint(len(key)) key  BSON{i: <_id>, a: [<partial state>, …]}
//
// and the table starts afresh. At the end the runs are merged: records
// of equal key, taken in the order the runs were written (so that
// $first, $push and friends see their input in order), are folded into
// one group through the accumulators' Merge, and each merged group is
// output as soon as its key is done. Memory then holds one record per
// run and one group.

// groupSpiller owns the run files of one $group.
type groupSpiller struct {
	dir  string
	runs []*groupRun
}

type groupRun struct {
	f *os.File
	r *bufio.Reader
}

// spillGroups writes the in-memory groups as one run and empties the
// table.
func (g *groupStage) spillGroups() error {
	if g.spill == nil {
		dir := g.env.TempDir
		if dir == "" {
			dir = os.TempDir()
		}
		g.spill = &groupSpiller{dir: dir}
	}
	slices.SortFunc(g.order, func(a, b *group) int { return bytes.Compare([]byte(a.key), []byte(b.key)) })
	if err := g.spill.write(g.order); err != nil {
		return err
	}
	clear(g.groups)
	clear(g.order)
	g.order = g.order[:0]
	g.mem = 0
	return nil
}

func (s *groupSpiller) write(groups []*group) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("group: creating spill directory: %w", err)
	}
	f, err := os.CreateTemp(s.dir, "groupspill-")
	if err != nil {
		return fmt.Errorf("group: creating spill file: %w", err)
	}
	run := &groupRun{f: f}
	s.runs = append(s.runs, run)
	w := bufio.NewWriterSize(f, 256<<10)
	var hdr [binary.MaxVarintLen64]byte
	for _, gr := range groups {
		n := binary.PutUvarint(hdr[:], uint64(len(gr.key)))
		w.Write(hdr[:n])
		w.WriteString(gr.key)
		b := bsonx.NewBuilder()
		b.AppendRaw("i", gr.id)
		arr := bsonx.NewArrayBuilder()
		for _, a := range gr.accs {
			arr.AppendRaw(arr.NextKey(), a.Partial())
		}
		b.AppendArray("a", arr.Finish())
		if _, err := w.Write(b.Finish()); err != nil {
			return fmt.Errorf("group: writing spill file: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("group: writing spill file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("group: rewinding spill file: %w", err)
	}
	run.r = bufio.NewReaderSize(f, 64<<10)
	return nil
}

// read returns the run's next record; ok is false at its end.
func (r *groupRun) read() (key []byte, rec bson.Raw, ok bool, err error) {
	n, err := binary.ReadUvarint(r.r)
	if errors.Is(err, io.EOF) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("group: reading spill file: %w", err)
	}
	if n > 64<<20 {
		return nil, nil, false, fmt.Errorf("group: corrupt spill file (key length %d)", n)
	}
	key = make([]byte, n)
	if _, err := io.ReadFull(r.r, key); err != nil {
		return nil, nil, false, fmt.Errorf("group: reading spill file: %w", err)
	}
	var lenBuf [4]byte
	if _, err := io.ReadFull(r.r, lenBuf[:]); err != nil {
		return nil, nil, false, fmt.Errorf("group: reading spill file: %w", err)
	}
	size := binary.LittleEndian.Uint32(lenBuf[:])
	if size < 5 || size > 1<<30 {
		return nil, nil, false, fmt.Errorf("group: corrupt spill file (record length %d)", size)
	}
	rec = make([]byte, size)
	copy(rec, lenBuf[:])
	if _, err := io.ReadFull(r.r, rec[4:]); err != nil {
		return nil, nil, false, fmt.Errorf("group: reading spill file: %w", err)
	}
	return key, rec, true, nil
}

func (s *groupSpiller) close() {
	for _, r := range s.runs {
		if r.f != nil {
			name := r.f.Name()
			r.f.Close()
			os.Remove(name)
			r.f = nil
		}
	}
	s.runs = nil
}

// mergeHead is the current record of one run.
type groupHead struct {
	key []byte
	rec bson.Raw
	run int
}

// groupMerge merges the runs by key, earlier runs first among equals.
type groupMerge struct {
	g     *groupStage
	s     *groupSpiller
	heads []groupHead
}

func (m *groupMerge) Len() int { return len(m.heads) }
func (m *groupMerge) Less(i, j int) bool {
	if c := bytes.Compare(m.heads[i].key, m.heads[j].key); c != 0 {
		return c < 0
	}
	return m.heads[i].run < m.heads[j].run
}
func (m *groupMerge) Swap(i, j int) { m.heads[i], m.heads[j] = m.heads[j], m.heads[i] }
func (m *groupMerge) Push(x any)    { m.heads = append(m.heads, x.(groupHead)) }
func (m *groupMerge) Pop() any {
	h := m.heads[len(m.heads)-1]
	m.heads = m.heads[:len(m.heads)-1]
	return h
}

func (s *groupSpiller) merge(g *groupStage) (*groupMerge, error) {
	m := &groupMerge{g: g, s: s}
	for i, r := range s.runs {
		key, rec, ok, err := r.read()
		if err != nil {
			return nil, err
		}
		if ok {
			m.heads = append(m.heads, groupHead{key: key, rec: rec, run: i})
		}
	}
	heap.Init(m)
	return m, nil
}

// advance replaces the top record by its run's next one.
func (m *groupMerge) advance() error {
	top := &m.heads[0]
	key, rec, ok, err := m.s.runs[top.run].read()
	if err != nil {
		return err
	}
	if !ok {
		heap.Pop(m)
		return nil
	}
	top.key, top.rec = key, rec
	heap.Fix(m, 0)
	return nil
}

func (m *groupMerge) next() (bson.Raw, bool, error) {
	if len(m.heads) == 0 {
		return nil, false, nil
	}
	key := m.heads[0].key
	rec := m.heads[0].rec
	gr, err := m.g.newGroup(string(key), cloneValue(rec.Lookup("i")))
	if err != nil {
		return nil, false, err
	}
	for len(m.heads) > 0 && bytes.Equal(m.heads[0].key, key) {
		parts, _ := m.heads[0].rec.Lookup("a").Array().Values()
		if len(parts) != len(gr.accs) {
			return nil, false, fmt.Errorf("group: corrupt spill file (%d partial states for %d accumulators)", len(parts), len(gr.accs))
		}
		for i, p := range parts {
			if err := gr.accs[i].Merge(p); err != nil {
				return nil, false, err
			}
		}
		if err := m.advance(); err != nil {
			return nil, false, err
		}
	}
	return m.g.spec.result(gr), true, nil
}
