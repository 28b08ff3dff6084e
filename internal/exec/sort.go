package exec

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// sortItemOverhead approximates what one buffered document costs beyond
// its bytes (the item, its sort key slice header), so that many tiny
// documents still count against the memory limit.
const sortItemOverhead = 64

// Sort is a blocking sort, as mongod's SORT stage.
//
// Within MemLimit bytes it sorts in memory. Above it, without
// AllowDiskUse, it fails with QueryExceededMemoryLimitNoDiskUseAllowed
// (292); with AllowDiskUse it writes sorted runs to temporary files under
// TempDir and merges them while streaming its output. With Limit > 0 it
// is a top-k sort (mongod coalesces a limit into the sort): only the best
// Limit documents are kept. Documents with equal sort keys keep their
// input order. The temporary files are removed when the output is
// exhausted or the stage is closed.
type Sort struct {
	In           Stage
	Spec         *query.Sort
	Limit        int64
	MemLimit     int64
	AllowDiskUse bool
	// TempDir is where spilled runs go ("" means os.TempDir()).
	TempDir string

	// Spills counts the runs written to disk (explain's "spills").
	Spills int

	loaded bool
	seq    int64
	mem    int64
	items  []sortItem // the in-memory buffer (a max-heap in top-k mode)
	// cutoff, in top-k mode once a full run has been spilled, is the
	// worst document that can still be among the best Limit.
	cutoff   *sortItem
	runs     []*sortRun
	out      sortOutput
	returned int64
}

type sortItem struct {
	key query.SortKey
	doc bson.Raw
	seq int64
}

func (s *Sort) cmp(a, b *sortItem) int {
	if c := s.Spec.CompareKeys(a.key, b.key); c != 0 {
		return c
	}
	switch {
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

func itemSize(it *sortItem) int64 {
	return int64(len(it.doc)) + sortItemOverhead + 16*int64(len(it.key))
}

// Next implements Stage.
func (s *Sort) Next(ctx context.Context) (bson.Raw, bool, error) {
	if !s.loaded {
		s.loaded = true
		if err := s.load(ctx); err != nil {
			s.release()
			return nil, false, err
		}
	}
	if s.out == nil || (s.Limit > 0 && s.returned >= s.Limit) {
		s.release()
		return nil, false, nil
	}
	if s.returned++; s.returned%256 == 0 {
		if err := Interrupted(ctx); err != nil {
			return nil, false, err
		}
	}
	doc, ok, err := s.out.next()
	if err != nil || !ok {
		s.release()
		return nil, false, err
	}
	return doc, true, nil
}

func (s *Sort) topK() bool { return s.Limit > 0 }

func (s *Sort) load(ctx context.Context) error {
	for {
		doc, ok, err := s.In.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		it := sortItem{key: s.Spec.Key(doc), doc: doc, seq: s.seq}
		s.seq++
		if s.topK() {
			s.addTopK(it)
		} else {
			s.items = append(s.items, it)
			s.mem += itemSize(&it)
		}
		if s.MemLimit > 0 && s.mem > s.MemLimit {
			if !s.AllowDiskUse {
				return mongoerr.Newf(mongoerr.QueryExceededMemoryLimitNoDiskUseAllowed,
					"Sort exceeded memory limit of %d bytes, but did not opt in to external sorting.", s.MemLimit)
			}
			if err := s.spill(); err != nil {
				return err
			}
		}
	}
	s.sortItems()
	if len(s.runs) == 0 {
		s.out = &sliceOutput{items: s.items}
		s.items = nil
		return nil
	}
	m := &mergeOutput{s: s}
	for _, r := range s.runs {
		if err := m.add(r); err != nil {
			return err
		}
	}
	if len(s.items) > 0 {
		if err := m.add(&memRun{items: s.items}); err != nil {
			return err
		}
		s.items = nil
	}
	s.out = m
	return nil
}

// addTopK keeps it if it is among the best Limit seen so far. s.items
// is then a max-heap: its root is the worst document kept.
func (s *Sort) addTopK(it sortItem) {
	if s.cutoff != nil && s.cmp(&it, s.cutoff) >= 0 {
		return
	}
	h := (*worstFirst)(s)
	if int64(len(s.items)) < s.Limit {
		heap.Push(h, it)
		s.mem += itemSize(&it)
		return
	}
	if s.cmp(&it, &s.items[0]) >= 0 {
		return
	}
	s.mem += itemSize(&it) - itemSize(&s.items[0])
	s.items[0] = it
	heap.Fix(h, 0)
}

// worstFirst orders a Sort's items as a max-heap for top-k.
type worstFirst Sort

func (h *worstFirst) Len() int           { return len(h.items) }
func (h *worstFirst) Less(i, j int) bool { return (*Sort)(h).cmp(&h.items[i], &h.items[j]) > 0 }
func (h *worstFirst) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *worstFirst) Push(x any)         { h.items = append(h.items, x.(sortItem)) }
func (h *worstFirst) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}

func (s *Sort) sortItems() {
	slices.SortFunc(s.items, func(a, b sortItem) int { return s.cmp(&a, &b) })
}

// spill writes the buffered documents, sorted, as one run file.
func (s *Sort) spill() error {
	s.sortItems()
	dir := s.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sort: creating spill directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "extsort-")
	if err != nil {
		return fmt.Errorf("sort: creating spill file: %w", err)
	}
	r := &sortRun{f: f}
	s.runs = append(s.runs, r)
	w := bufio.NewWriterSize(f, 256<<10)
	var hdr [binary.MaxVarintLen64]byte
	for i := range s.items {
		n := binary.PutUvarint(hdr[:], uint64(s.items[i].seq))
		if _, err := w.Write(hdr[:n]); err != nil {
			return fmt.Errorf("sort: writing spill file: %w", err)
		}
		if _, err := w.Write(s.items[i].doc); err != nil {
			return fmt.Errorf("sort: writing spill file: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("sort: writing spill file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("sort: rewinding spill file: %w", err)
	}
	r.r = bufio.NewReaderSize(f, 64<<10)
	s.Spills++
	if s.topK() && int64(len(s.items)) == s.Limit {
		// Nothing worse than this run's last document can make the top k.
		worst := s.items[len(s.items)-1]
		if s.cutoff == nil || s.cmp(&worst, s.cutoff) < 0 {
			s.cutoff = &worst
		}
	}
	clear(s.items)
	s.items = s.items[:0]
	s.mem = 0
	return nil
}

// release drops buffered documents and removes spill files.
func (s *Sort) release() {
	s.items = nil
	s.out = nil
	for _, r := range s.runs {
		r.close()
	}
	s.runs = nil
}

// Close implements Stage.
func (s *Sort) Close() {
	s.release()
	s.In.Close()
}

// sortOutput yields the sorted documents.
type sortOutput interface {
	next() (bson.Raw, bool, error)
}

type sliceOutput struct {
	items []sortItem
	pos   int
}

func (o *sliceOutput) next() (bson.Raw, bool, error) {
	if o.pos >= len(o.items) {
		return nil, false, nil
	}
	d := o.items[o.pos].doc
	o.items[o.pos] = sortItem{}
	o.pos++
	return d, true, nil
}

// run is one sorted input of the merge.
type run interface {
	read() (doc bson.Raw, seq int64, ok bool, err error)
}

// sortRun is a spilled run: records of uvarint(seq) followed by the
// document's BSON bytes (which carry their own length).
type sortRun struct {
	f *os.File
	r *bufio.Reader
}

func (r *sortRun) read() (bson.Raw, int64, bool, error) {
	seq, err := binary.ReadUvarint(r.r)
	if errors.Is(err, io.EOF) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("sort: reading spill file: %w", err)
	}
	var lenBuf [4]byte
	if _, err := io.ReadFull(r.r, lenBuf[:]); err != nil {
		return nil, 0, false, fmt.Errorf("sort: reading spill file: %w", err)
	}
	n := binary.LittleEndian.Uint32(lenBuf[:])
	if n < 5 || n > 64<<20 {
		return nil, 0, false, fmt.Errorf("sort: corrupt spill file (document length %d)", n)
	}
	doc := make([]byte, n)
	copy(doc, lenBuf[:])
	if _, err := io.ReadFull(r.r, doc[4:]); err != nil {
		return nil, 0, false, fmt.Errorf("sort: reading spill file: %w", err)
	}
	return doc, int64(seq), true, nil
}

func (r *sortRun) close() {
	if r.f != nil {
		name := r.f.Name()
		r.f.Close()
		os.Remove(name)
		r.f = nil
	}
}

// memRun is the last, unspilled buffer taking part in a merge.
type memRun struct {
	items []sortItem
	pos   int
}

func (r *memRun) read() (bson.Raw, int64, bool, error) {
	if r.pos >= len(r.items) {
		return nil, 0, false, nil
	}
	it := r.items[r.pos]
	r.items[r.pos] = sortItem{}
	r.pos++
	return it.doc, it.seq, true, nil
}

// mergeOutput is a k-way merge of sorted runs by (sort key, input order),
// holding one document per run.
type mergeOutput struct {
	s     *Sort
	heads []mergeHead
}

type mergeHead struct {
	item sortItem
	src  run
}

func (m *mergeOutput) add(r run) error {
	doc, seq, ok, err := r.read()
	if err != nil || !ok {
		return err
	}
	heap.Push(m, mergeHead{item: sortItem{key: m.s.Spec.Key(doc), doc: doc, seq: seq}, src: r})
	return nil
}

func (m *mergeOutput) Len() int { return len(m.heads) }
func (m *mergeOutput) Less(i, j int) bool {
	return m.s.cmp(&m.heads[i].item, &m.heads[j].item) < 0
}
func (m *mergeOutput) Swap(i, j int) { m.heads[i], m.heads[j] = m.heads[j], m.heads[i] }
func (m *mergeOutput) Push(x any)    { m.heads = append(m.heads, x.(mergeHead)) }
func (m *mergeOutput) Pop() any {
	h := m.heads[len(m.heads)-1]
	m.heads = m.heads[:len(m.heads)-1]
	return h
}

func (m *mergeOutput) next() (bson.Raw, bool, error) {
	if len(m.heads) == 0 {
		return nil, false, nil
	}
	top := &m.heads[0]
	out := top.item.doc
	doc, seq, ok, err := top.src.read()
	if err != nil {
		return nil, false, err
	}
	if ok {
		top.item = sortItem{key: m.s.Spec.Key(doc), doc: doc, seq: seq}
		heap.Fix(m, 0)
	} else {
		heap.Pop(m)
	}
	return out, true, nil
}
