package exec

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/query"
	"github.com/secantusdb/secantus/internal/storage"
)

// FindSpec is a parsed find: what to select and how to shape it.
type FindSpec struct {
	Filter       *query.Filter
	RawFilter    bson.Raw
	Sort         *query.Sort
	Projection   *query.Projection
	Skip, Limit  int64
	MemLimit     int64
	AllowDiskUse bool
	// TempDir is where a blocking sort spills ("" means os.TempDir()).
	TempDir string
	// ShowRecordID adds $recordId (int64) to each document returned.
	ShowRecordID bool
	// ReturnKey returns the index key of each match instead of the
	// document.
	ReturnKey bool
	// ScanProjection, when set, is applied by the scan to each matching
	// document as it reads it (before any sort): an aggregation pipeline
	// keeps only the fields it reads this way. It must build a new
	// document (an inclusion does).
	ScanProjection *query.Projection
}

// BuildFind plans a find over coll (nil when the collection does not
// exist) reading through tx, which the returned stage owns. The plan is
// an _id point lookup when the filter pins _id to one value, otherwise a
// collection scan; then sort, skip, limit and projection.
func BuildFind(tx storage.Txn, coll *catalog.Collection, spec FindSpec) Stage {
	var st Stage
	idIndex := false
	switch {
	case coll == nil:
		tx.Rollback()
		st = Empty{}
	default:
		reverse := false
		natural := false
		if spec.Sort != nil {
			if dir, ok := spec.Sort.Natural(); ok {
				natural, reverse = true, dir < 0
			}
		}
		showRID := (spec.ShowRecordID || needsRecordID(spec.Projection)) && !spec.ReturnKey
		if id, ok := query.IDEquality(spec.RawFilter); ok && (spec.Sort == nil || natural) && !spec.Filter.Collated() {
			l := NewIDLookup(tx, coll, id, spec.Filter)
			l.ShowRecordID = showRID
			st, idIndex = l, true
			if spec.ScanProjection != nil {
				st = &Project{In: st, Proj: spec.ScanProjection}
			}
		} else {
			cs := NewCollScan(tx, coll, spec.Filter, reverse)
			cs.ShowRecordID = showRID
			cs.Project = spec.ScanProjection
			st = cs
		}
		if natural {
			spec.Sort = nil
		}
	}
	if spec.Sort != nil && !spec.Sort.IsEmpty() {
		var topK int64
		if spec.Limit > 0 {
			topK = spec.Skip + spec.Limit
		}
		st = &Sort{In: st, Spec: spec.Sort, Limit: topK, MemLimit: spec.MemLimit,
			AllowDiskUse: spec.AllowDiskUse, TempDir: spec.TempDir}
	}
	if spec.Skip > 0 {
		st = &Skip{In: st, N: spec.Skip}
	}
	if spec.Limit > 0 {
		st = &Limit{In: st, N: spec.Limit}
	}
	switch {
	case spec.ReturnKey:
		// mongod's RETURN_KEY stage ignores the projection (apart from
		// sort-key metadata, which SecantusDB does not produce).
		st = &ReturnKey{In: st, IDIndex: idIndex}
	case spec.ShowRecordID || needsRecordID(spec.Projection):
		st = &RecordIDProject{In: st, Proj: spec.Projection, Show: spec.ShowRecordID}
	case spec.Projection != nil:
		st = &Project{In: st, Proj: spec.Projection}
	}
	return st
}

// needsRecordID reports a projection with {$meta: "recordId"}, which needs
// the scan to carry each document's record id.
func needsRecordID(p *query.Projection) bool { return p != nil && p.NeedsRecordID() }

// BuildOver applies spec's filter, sort, skip, limit and projection to
// the documents of src (a view's output), as BuildFind does over a
// collection scan.
func BuildOver(src Stage, spec FindSpec) Stage {
	st := src
	if spec.Filter != nil {
		st = &Filter{In: st, F: spec.Filter}
	}
	if spec.Sort != nil && !spec.Sort.IsEmpty() {
		if _, natural := spec.Sort.Natural(); !natural {
			var topK int64
			if spec.Limit > 0 {
				topK = spec.Skip + spec.Limit
			}
			st = &Sort{In: st, Spec: spec.Sort, Limit: topK, MemLimit: spec.MemLimit,
				AllowDiskUse: spec.AllowDiskUse, TempDir: spec.TempDir}
		}
	}
	if spec.Skip > 0 {
		st = &Skip{In: st, N: spec.Skip}
	}
	if spec.Limit > 0 {
		st = &Limit{In: st, N: spec.Limit}
	}
	if spec.Projection != nil {
		st = &Project{In: st, Proj: spec.Projection}
	}
	return st
}

// Filter passes on the documents a filter matches.
type Filter struct {
	In Stage
	F  *query.Filter
	n  int
}

// Next implements Stage.
func (f *Filter) Next(ctx context.Context) (bson.Raw, bool, error) {
	for {
		d, ok, err := f.In.Next(ctx)
		if !ok || err != nil {
			return nil, ok, err
		}
		if f.n++; f.n%256 == 0 {
			if err := Interrupted(ctx); err != nil {
				return nil, false, err
			}
		}
		if m, err := f.F.MatchesErr(d); err != nil {
			return nil, false, err
		} else if m {
			return d, true, nil
		}
	}
}

// Close implements Stage.
func (f *Filter) Close() { f.In.Close() }
