// Package exec holds the plan stages that run queries: scans that read a
// collection, and stages that filter, sort, skip, limit and project what
// flows through them. Stages are pull iterators over raw BSON documents,
// composed by the planner (for now BuildFind) into a tree.
package exec

import (
	"context"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
	"github.com/secantusdb/secantus/internal/storage"
)

// Stage is one node of a running plan.
type Stage interface {
	// Next returns the next document; ok is false at the end.
	Next(ctx context.Context) (doc bson.Raw, ok bool, err error)
	// Close releases the stage and its inputs.
	Close()
}

// Record is a document with its record id, as scans produce them.
type Record = catalog.Record

// CollScan reads a collection in natural order, keeping the documents the
// filter matches. It owns tx and rolls it back on Close.
type CollScan struct {
	it     *catalog.RecordIterator
	tx     storage.Txn
	filter *query.Filter
	n      int
	// LastRecordID is the record id of the last document returned.
	LastRecordID int64
	// Examined counts documents read.
	Examined int64
}

// NewCollScan starts a scan of coll as tx sees it.
func NewCollScan(tx storage.Txn, coll *catalog.Collection, filter *query.Filter, reverse bool) *CollScan {
	return &CollScan{it: coll.Scan(tx, reverse), tx: tx, filter: filter}
}

// Next implements Stage.
func (s *CollScan) Next(ctx context.Context) (bson.Raw, bool, error) {
	for {
		rec, ok := s.it.Next()
		if !ok {
			return nil, false, nil
		}
		s.Examined++
		// Check for cancellation (maxTimeMS, killOp) every so often.
		if s.n++; s.n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, false, err
			}
		}
		ok, err := s.filter.MatchesErr(rec.Doc)
		if err != nil {
			return nil, false, err
		}
		if ok {
			s.LastRecordID = rec.ID
			// The engine reuses the iterator's buffer: hand out a copy.
			return append(bson.Raw(nil), rec.Doc...), true, nil
		}
	}
}

// Close implements Stage.
func (s *CollScan) Close() {
	if s.it != nil {
		s.it.Close()
		s.it = nil
	}
	if s.tx != nil {
		s.tx.Rollback()
		s.tx = nil
	}
}

// IDLookup returns the one document with a given _id (through the _id
// index) if it matches the filter. It owns tx.
type IDLookup struct {
	tx     storage.Txn
	coll   *catalog.Collection
	id     bson.RawValue
	filter *query.Filter
	done   bool
}

// NewIDLookup prepares a point lookup of id in coll.
func NewIDLookup(tx storage.Txn, coll *catalog.Collection, id bson.RawValue, filter *query.Filter) *IDLookup {
	return &IDLookup{tx: tx, coll: coll, id: id, filter: filter}
}

// Next implements Stage.
func (s *IDLookup) Next(context.Context) (bson.Raw, bool, error) {
	if s.done {
		return nil, false, nil
	}
	s.done = true
	rec, found, err := s.coll.FindID(s.tx, s.id)
	if err != nil || !found {
		return nil, false, err
	}
	if ok, err := s.filter.MatchesErr(rec.Doc); !ok || err != nil {
		return nil, false, err
	}
	return rec.Doc, true, nil
}

// Close implements Stage.
func (s *IDLookup) Close() {
	if s.tx != nil {
		s.tx.Rollback()
		s.tx = nil
	}
}

// Empty produces nothing (a find on a missing collection).
type Empty struct{}

// Next implements Stage.
func (Empty) Next(context.Context) (bson.Raw, bool, error) { return nil, false, nil }

// Close implements Stage.
func (Empty) Close() {}

// Skip drops the first n documents of its input.
type Skip struct {
	In Stage
	N  int64
}

// Next implements Stage.
func (s *Skip) Next(ctx context.Context) (bson.Raw, bool, error) {
	for s.N > 0 {
		_, ok, err := s.In.Next(ctx)
		if !ok || err != nil {
			return nil, false, err
		}
		s.N--
	}
	return s.In.Next(ctx)
}

// Close implements Stage.
func (s *Skip) Close() { s.In.Close() }

// Limit passes at most N documents.
type Limit struct {
	In Stage
	N  int64
}

// Next implements Stage.
func (s *Limit) Next(ctx context.Context) (bson.Raw, bool, error) {
	if s.N <= 0 {
		return nil, false, nil
	}
	s.N--
	return s.In.Next(ctx)
}

// Close implements Stage.
func (s *Limit) Close() { s.In.Close() }

// Project applies a projection to each document.
type Project struct {
	In   Stage
	Proj *query.Projection
}

// Next implements Stage.
func (s *Project) Next(ctx context.Context) (bson.Raw, bool, error) {
	doc, ok, err := s.In.Next(ctx)
	if !ok || err != nil {
		return nil, ok, err
	}
	out, err := s.Proj.Apply(doc)
	return out, err == nil, err
}

// Close implements Stage.
func (s *Project) Close() { s.In.Close() }

// Sort is a blocking sort. With Limit > 0 it keeps only the first Limit
// documents (a top-k sort). It fails with mongod's error 292 when its
// buffered documents exceed MemLimit bytes and AllowDiskUse is off.
type Sort struct {
	In           Stage
	Spec         *query.Sort
	Limit        int64
	MemLimit     int64
	AllowDiskUse bool

	docs   []sortItem
	pos    int
	loaded bool
}

type sortItem struct {
	key query.SortKey
	doc bson.Raw
	seq int
}

// Next implements Stage.
func (s *Sort) Next(ctx context.Context) (bson.Raw, bool, error) {
	if !s.loaded {
		if err := s.load(ctx); err != nil {
			return nil, false, err
		}
	}
	if s.pos >= len(s.docs) {
		return nil, false, nil
	}
	d := s.docs[s.pos].doc
	s.docs[s.pos] = sortItem{}
	s.pos++
	return d, true, nil
}

func (s *Sort) load(ctx context.Context) error {
	s.loaded = true
	var mem int64
	less := func(a, b sortItem) bool {
		if c := s.Spec.CompareKeys(a.key, b.key); c != 0 {
			return c < 0
		}
		return a.seq < b.seq
	}
	for seq := 0; ; seq++ {
		doc, ok, err := s.In.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		s.docs = append(s.docs, sortItem{key: s.Spec.Key(doc), doc: doc, seq: seq})
		mem += int64(len(doc))
		if s.Limit > 0 && int64(len(s.docs)) >= 2*s.Limit+64 {
			sort.SliceStable(s.docs, func(i, j int) bool { return less(s.docs[i], s.docs[j]) })
			s.docs = s.docs[:s.Limit]
			mem = 0
			for _, d := range s.docs {
				mem += int64(len(d.doc))
			}
		}
		if s.MemLimit > 0 && mem > s.MemLimit && !s.AllowDiskUse {
			return mongoerr.Newf(mongoerr.QueryExceededMemoryLimitNoDiskUseAllowed,
				"Sort exceeded memory limit of %d bytes, but did not opt in to external sorting.", s.MemLimit)
		}
	}
	sort.SliceStable(s.docs, func(i, j int) bool { return less(s.docs[i], s.docs[j]) })
	if s.Limit > 0 && int64(len(s.docs)) > s.Limit {
		s.docs = s.docs[:s.Limit]
	}
	return nil
}

// Close implements Stage.
func (s *Sort) Close() {
	s.docs = nil
	s.In.Close()
}
