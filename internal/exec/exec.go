// Package exec holds the plan stages that run queries: scans that read a
// collection, and stages that filter, sort, skip, limit and project what
// flows through them. Stages are pull iterators over raw BSON documents,
// composed by the planner (for now BuildFind) into a tree.
package exec

import (
	"context"
	"encoding/binary"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
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
	// ShowRecordID appends each document's record id as a trailing
	// $recordId field (see RecordIDProject).
	ShowRecordID bool
	// Project, when set, shapes each matching document straight from the
	// engine's buffer (FindSpec.ScanProjection), saving the copy.
	Project *query.Projection
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
			if err := Interrupted(ctx); err != nil {
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
			if s.ShowRecordID {
				return appendRecordID(rec.Doc, rec.ID), true, nil
			}
			if s.Project != nil {
				out, err := s.Project.Apply(rec.Doc)
				return out, err == nil, err
			}
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
	// ShowRecordID appends the record id as a trailing $recordId field.
	ShowRecordID bool
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
	if s.ShowRecordID {
		return appendRecordID(rec.Doc, rec.ID), true, nil
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

// recordIDField is the field showRecordId adds, as mongod names it.
const recordIDField = "$recordId"

// recordIDTail is the size of a trailing {$recordId: <int64>} element:
// type byte, name and its NUL, eight value bytes.
const recordIDTail = 1 + len(recordIDField) + 1 + 8

// appendRecordID returns a copy of doc with $recordId: rid as its last
// field.
func appendRecordID(doc bson.Raw, rid int64) bson.Raw {
	out := make([]byte, 0, len(doc)+recordIDTail)
	out = append(out, doc[:len(doc)-1]...)
	out = append(out, byte(bson.TypeInt64))
	out = append(out, recordIDField...)
	out = append(out, 0)
	out = binary.LittleEndian.AppendUint64(out, uint64(rid))
	out = append(out, 0)
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	return out
}

// splitRecordID separates the trailing $recordId element appendRecordID
// added from the document; ok is false when doc does not end with one.
func splitRecordID(doc bson.Raw) (rest bson.Raw, rid int64, ok bool) {
	n := len(doc)
	if n < 5+recordIDTail {
		return doc, 0, false
	}
	tail := doc[n-1-recordIDTail : n-1]
	if tail[0] != byte(bson.TypeInt64) || string(tail[1:1+len(recordIDField)]) != recordIDField || tail[1+len(recordIDField)] != 0 {
		return doc, 0, false
	}
	rid = int64(binary.LittleEndian.Uint64(tail[recordIDTail-8:]))
	out := make([]byte, 0, n-recordIDTail)
	out = append(out, doc[:n-1-recordIDTail]...)
	out = append(out, 0)
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	return out, rid, true
}

// RecordIDProject finishes showRecordId: its input documents carry their
// record id as a trailing $recordId field (set by the scan, so that it
// survives sorting); it applies Proj (when set) to the rest and puts
// $recordId back last, as mongod's {$recordId: {$meta: "recordId"}}
// projection does.
type RecordIDProject struct {
	In   Stage
	Proj *query.Projection
	// Show puts $recordId back (showRecordId); without it the record id
	// only feeds the projection's {$meta: "recordId"}.
	Show bool
}

// Next implements Stage.
func (s *RecordIDProject) Next(ctx context.Context) (bson.Raw, bool, error) {
	doc, ok, err := s.In.Next(ctx)
	if !ok || err != nil {
		return nil, ok, err
	}
	if s.Proj == nil && s.Show {
		return doc, true, nil
	}
	rest, rid, has := splitRecordID(doc)
	out := rest
	if s.Proj != nil {
		if out, err = s.Proj.ApplyWith(rest, query.ApplyParams{RecordID: rid, HasRecordID: has}); err != nil {
			return nil, false, err
		}
	}
	if has && s.Show {
		out = appendRecordID(out, rid)
	}
	return out, true, nil
}

// Close implements Stage.
func (s *RecordIDProject) Close() { s.In.Close() }

// ReturnKey replaces each document by the index key that produced it,
// as find's returnKey does. A collection scan has no index key, so it
// yields an empty document; the _id point lookup yields {_id: <value>}.
type ReturnKey struct {
	In Stage
	// IDIndex is set when the plan reads through the _id index.
	IDIndex bool
}

var emptyDoc = bson.Raw{5, 0, 0, 0, 0}

// Next implements Stage.
func (s *ReturnKey) Next(ctx context.Context) (bson.Raw, bool, error) {
	doc, ok, err := s.In.Next(ctx)
	if !ok || err != nil {
		return nil, ok, err
	}
	if !s.IDIndex {
		return emptyDoc, true, nil
	}
	id, err := doc.LookupErr("_id")
	if err != nil {
		return emptyDoc, true, nil
	}
	out := make([]byte, 4, 4+1+4+len(id.Value)+1)
	out = append(out, byte(id.Type))
	out = append(out, "_id"...)
	out = append(out, 0)
	out = append(out, id.Value...)
	out = append(out, 0)
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	return out, true, nil
}

// Close implements Stage.
func (s *ReturnKey) Close() { s.In.Close() }

// Interrupted reports why work under ctx must stop: its deadline
// (maxTimeMS) has passed or it was cancelled. It reads the clock itself
// rather than waiting for ctx's timer, which a busy machine may fire
// late.
func Interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}
