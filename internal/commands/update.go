package commands

import (
	"context"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
	"github.com/secantusdb/secantus/internal/storage"
	"github.com/secantusdb/secantus/internal/update"
)

func init() {
	register(&Command{Name: "update", Handler: updateCmd, Write: true, Help: "update documents"})
}

// updateStatement is one parsed entry of update's updates array (and the
// shape findAndModify's update reduces to).
type updateStatement struct {
	rawFilter bson.Raw
	filter    *query.Filter
	sort      *query.Sort
	upd       *update.Update
	upsert    bool
	multi     bool
	hint      bson.RawValue
	bypass    bool // bypassDocumentValidation
}

func parseUpdateStatement(req *Request, i int, doc bson.Raw) (*updateStatement, error) {
	st := &updateStatement{}
	elems, err := doc.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	var u, collation bson.RawValue
	var arrayFilters []bson.Raw
	var constants bson.Raw
	var ok bool
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "q":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, typeMismatch("update.updates.q", "object", v)
			}
			st.rawFilter = d
		case "u":
			u = v
		case "upsert":
			if st.upsert, err = boolValue("update.updates.upsert", v); err != nil {
				return nil, err
			}
		case "multi":
			if st.multi, err = boolValue("update.updates.multi", v); err != nil {
				return nil, err
			}
		case "arrayFilters":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, typeMismatch("update.updates.arrayFilters", "array", v)
			}
			vals, _ := arr.Values()
			for _, av := range vals {
				d, ok := av.DocumentOK()
				if !ok {
					return nil, typeMismatch("update.updates.arrayFilters", "object", av)
				}
				arrayFilters = append(arrayFilters, d)
			}
		case "hint":
			st.hint = v
		case "collation":
			collation = v
		case "sort":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, typeMismatch("update.updates.sort", "object", v)
			}
			if len(d) > 5 {
				if st.sort, err = query.ParseSort(d); err != nil {
					return nil, err
				}
			}
		case "c":
			if constants, ok = v.DocumentOK(); !ok {
				return nil, typeMismatch("update.updates.c", "object", v)
			}
		default:
			return nil, mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'update.updates.%s' is an unknown field.", e.Key())
		}
	}
	if st.rawFilter == nil {
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field 'update.updates.q' is missing but a required field")
	}
	if u.Type == 0 {
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field 'update.updates.u' is missing but a required field")
	}
	opts, err := queryOptions(req, "update.updates.collation", collation)
	if err != nil {
		return nil, err
	}
	if st.filter, err = query.ParseFilterWith(st.rawFilter, opts); err != nil {
		return nil, err
	}
	scope := opts.Scope
	if constants != nil {
		if u.Type != bson.TypeArray {
			return nil, mongoerr.New(mongoerr.Location51198, "Constant values may only be specified for pipeline updates")
		}
		if scope, err = scope.WithConstants(constants); err != nil {
			return nil, err
		}
	}
	if st.upd, err = update.ParseValue(u, update.Options{ArrayFilters: arrayFilters, Scope: scope, Collator: opts.Collator}); err != nil {
		return nil, err
	}
	if st.multi && st.upd.IsReplacement() {
		return nil, mongoerr.New(mongoerr.FailedToParse, "multi update is not supported for replacement-style update")
	}
	if st.multi && st.sort != nil {
		return nil, mongoerr.New(mongoerr.FailedToParse, "Cannot specify sort with multi=true")
	}
	return st, nil
}

func updateCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "updates", "ordered", "bypassDocumentValidation", "let", "stmtId", "stmtIds", "collectionUUID"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	if _, err := queryOptions(req, "", bson.RawValue{}); err != nil {
		return err
	}
	stmts, ordered, err := writeStatements(req, "updates")
	if err != nil {
		return err
	}
	bypass, err := boolArg(req, "bypassDocumentValidation")
	if err != nil {
		return err
	}
	durable := writeConcernJournaled(req)
	var w writeResult
	for i, raw := range stmts {
		st, err := parseUpdateStatement(req, i, raw)
		if err == nil {
			st.bypass = bypass
			var res updateOutcome
			res, err = s.runUpdate(ctx, req.DB, name, st, durable)
			if err == nil {
				w.n += res.matched
				w.nModified += res.modified
				if res.upsertedID.Type != 0 {
					w.n++
					w.upserted = append(w.upserted, upsertedID{index: i, id: res.upsertedID})
				}
			}
		}
		s.Stats.Update.Add(1)
		if err != nil {
			if !isWriteError(err) {
				return err
			}
			w.addError(i, err)
			if ordered {
				break
			}
		}
	}
	s.Stats.DocsUpdated.Add(int64(w.nModified))
	reply.AppendInt32("n", int32(w.n))
	reply.AppendInt32("nModified", int32(w.nModified))
	w.appendUpserted(reply)
	w.appendErrors(reply)
	return nil
}

// updateOutcome is what one update statement did.
type updateOutcome struct {
	matched, modified int
	upsertedID        bson.RawValue
	before, after     bson.Raw // the (last) document before and after
}

// runUpdate applies one update statement in one transaction.
func (s *Service) runUpdate(ctx context.Context, db, name string, st *updateStatement, durable bool) (updateOutcome, error) {
	var out updateOutcome
	err := s.withCollectionWrite(ctx, db, name, st.upsert, durable, func(tx storage.Txn, coll *catalog.Collection, d *statsDelta) error {
		out = updateOutcome{}
		if err := checkHint(coll, st.hint); err != nil {
			return err
		}
		if coll == nil {
			return nil
		}
		recs, err := selectRecords(ctx, tx, coll, st.rawFilter, st.filter, st.sort, !st.multi)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			out.matched++
			ao := update.ApplyOptions{MatchedIndex: update.NoMatch}
			if st.upd.UsesPositional() {
				// The positional $ names the array element the query matched.
				_, idx, err := st.filter.MatchArrayIndex(rec.Doc)
				if err != nil {
					return err
				}
				ao.MatchedIndex = idx
			}
			newDoc, changed, err := st.upd.ApplyWith(rec.Doc, ao)
			if err != nil {
				return err
			}
			out.before, out.after = rec.Doc, newDoc
			if !changed {
				continue
			}
			if len(newDoc) > MaxBSONObjectSize {
				return mongoerr.Newf(mongoerr.BSONObjectTooLarge, "Resulting document after update is larger than %d", MaxBSONObjectSize)
			}
			if err := s.validateWrite(coll, rec.Doc, newDoc, st.bypass); err != nil {
				return err
			}
			if err := coll.Update(tx, rec.ID, rec.Doc, newDoc); err != nil {
				return err
			}
			out.modified++
			d.bytes += int64(len(newDoc) - len(rec.Doc))
		}
		if len(recs) > 0 || !st.upsert {
			return nil
		}
		seed, err := st.upd.UpsertSeed(st.rawFilter)
		if err != nil {
			return err
		}
		doc, _, err := st.upd.Apply(seed, true)
		if err != nil {
			return err
		}
		if doc, err = prepareInsert(doc); err != nil {
			return err
		}
		if err := s.validateWrite(coll, nil, doc, st.bypass); err != nil {
			return err
		}
		if _, err := coll.Insert(tx, doc); err != nil {
			return err
		}
		out.upsertedID = doc.Lookup("_id")
		out.after = doc
		d.docs++
		d.bytes += int64(len(doc))
		return nil
	})
	return out, err
}

// selectRecords finds the documents a write statement targets: all
// matches, or with one set only the first (by sort when given).
func selectRecords(ctx context.Context, tx storage.Txn, coll *catalog.Collection, raw bson.Raw, f *query.Filter, srt *query.Sort, one bool) ([]catalog.Record, error) {
	if srt != nil {
		if _, natural := srt.Natural(); natural {
			srt = nil
		}
	}
	if id, ok := query.IDEquality(raw); ok && !f.Collated() {
		rec, found, err := coll.FindID(tx, id)
		if err != nil || !found {
			return nil, err
		}
		if ok, err := f.MatchesErr(rec.Doc); err != nil || !ok {
			return nil, err
		}
		rec.Doc = append(bson.Raw(nil), rec.Doc...)
		return []catalog.Record{rec}, nil
	}
	it := coll.Scan(tx, false)
	defer it.Close()
	var out []catalog.Record
	for n := 0; ; n++ {
		rec, ok := it.Next()
		if !ok {
			break
		}
		if n%256 == 255 {
			if err := exec.Interrupted(ctx); err != nil {
				return nil, err
			}
		}
		if ok, err := f.MatchesErr(rec.Doc); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		rec.Doc = append(bson.Raw(nil), rec.Doc...)
		out = append(out, rec)
		if one && srt == nil {
			break
		}
	}
	if srt != nil && len(out) > 1 {
		sort.SliceStable(out, func(i, j int) bool { return srt.Compare(out[i].Doc, out[j].Doc) < 0 })
	}
	if one && len(out) > 1 {
		out = out[:1]
	}
	return out, nil
}
