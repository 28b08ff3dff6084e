package commands

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
	"github.com/secantusdb/secantus/internal/storage"
)

func init() {
	register(&Command{Name: "delete", Handler: deleteCmd, Write: true, Help: "delete documents"})
}

type deleteStatement struct {
	rawFilter bson.Raw
	filter    *query.Filter
	one       bool
	hint      bson.RawValue
}

func parseDeleteStatement(req *Request, doc bson.Raw) (*deleteStatement, error) {
	st := &deleteStatement{}
	var collation bson.RawValue
	elems, err := doc.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	hasLimit := false
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "q":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, typeMismatch("delete.deletes.q", "object", v)
			}
			st.rawFilter = d
		case "limit":
			n, _, err := intValue("delete.deletes.limit", v)
			if err != nil {
				return nil, err
			}
			if n != 0 && n != 1 {
				return nil, mongoerr.Newf(mongoerr.FailedToParse, "The limit field in delete objects must be 0 or 1. Got %d", n)
			}
			st.one, hasLimit = n == 1, true
		case "hint":
			st.hint = v
		case "collation":
			collation = v
		default:
			return nil, mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'delete.deletes.%s' is an unknown field.", e.Key())
		}
	}
	if st.rawFilter == nil {
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field 'delete.deletes.q' is missing but a required field")
	}
	if !hasLimit {
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field 'delete.deletes.limit' is missing but a required field")
	}
	opts, err := queryOptions(req, "delete.deletes.collation", collation)
	if err != nil {
		return nil, err
	}
	st.filter, err = query.ParseFilterWith(st.rawFilter, opts)
	return st, err
}

func deleteCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "deletes", "ordered", "let", "stmtId", "stmtIds", "collectionUUID"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	if _, err := queryOptions(req, "", bson.RawValue{}); err != nil {
		return err
	}
	stmts, ordered, err := writeStatements(req, "deletes")
	if err != nil {
		return err
	}
	durable := writeConcernJournaled(req)
	var w writeResult
	for i, raw := range stmts {
		st, err := parseDeleteStatement(req, raw)
		if err == nil {
			var n int
			n, _, err = s.runDelete(ctx, req.DB, name, st.rawFilter, st.filter, nil, st.one, st.hint, durable)
			w.n += n
		}
		s.Stats.Delete.Add(1)
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
	s.Stats.DocsDeleted.Add(int64(w.n))
	reply.AppendInt32("n", int32(w.n))
	w.appendErrors(reply)
	return nil
}

// runDelete removes the matching documents (the first by sort when one
// is set) in one transaction and returns how many, and the last removed.
func (s *Service) runDelete(ctx context.Context, db, name string, raw bson.Raw, f *query.Filter, srt *query.Sort, one bool, hint bson.RawValue, durable bool) (int, bson.Raw, error) {
	var n int
	var last bson.Raw
	err := s.withCollectionWrite(ctx, db, name, false, durable, func(tx storage.Txn, coll *catalog.Collection, d *statsDelta) error {
		n, last = 0, nil
		if err := checkHint(coll, hint); err != nil {
			return err
		}
		if coll == nil {
			return nil
		}
		recs, err := selectRecords(ctx, tx, coll, raw, f, srt, one)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := coll.Delete(tx, rec.ID, rec.Doc); err != nil {
				return err
			}
			n++
			last = rec.Doc
			d.docs--
			d.bytes -= int64(len(rec.Doc))
		}
		return nil
	})
	return n, last, err
}
