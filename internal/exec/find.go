package exec

import (
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
}

// BuildFind plans a find over coll (nil when the collection does not
// exist) reading through tx, which the returned stage owns. The plan is
// an _id point lookup when the filter pins _id to one value, otherwise a
// collection scan; then sort, skip, limit and projection.
func BuildFind(tx storage.Txn, coll *catalog.Collection, spec FindSpec) Stage {
	var st Stage
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
		if id, ok := query.IDEquality(spec.RawFilter); ok && (spec.Sort == nil || natural) {
			st = NewIDLookup(tx, coll, id, spec.Filter)
		} else {
			st = NewCollScan(tx, coll, spec.Filter, reverse)
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
		st = &Sort{In: st, Spec: spec.Sort, Limit: topK, MemLimit: spec.MemLimit, AllowDiskUse: spec.AllowDiskUse}
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
