package commands

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
	"github.com/secantusdb/secantus/internal/update"
)

func init() {
	register(&Command{Name: "findAndModify", Aliases: []string{"findandmodify"}, Handler: findAndModifyCmd, Write: true,
		Help: "atomically modify one document and return it"})
}

func findAndModifyCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "query", "sort", "remove", "update", "new", "fields", "upsert",
		"bypassDocumentValidation", "collation", "arrayFilters", "hint", "let", "stmtId", "collectionUUID"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	opts, err := queryOptions(req, "findAndModify.collation", req.Arg("collation"))
	if err != nil {
		return err
	}
	st := &updateStatement{hint: req.Arg("hint")}
	if st.bypass, err = boolArg(req, "bypassDocumentValidation"); err != nil {
		return err
	}
	if st.rawFilter, st.filter, err = filterArgWith(req, "query", opts); err != nil {
		return err
	}
	if srt, ok, err := docArg(req, "sort"); err != nil {
		return err
	} else if ok && len(srt) > 5 {
		if st.sort, err = query.ParseSortWith(srt, opts.Collator); err != nil {
			return err
		}
	}
	var proj *query.Projection
	if f, ok, err := docArg(req, "fields"); err != nil {
		return err
	} else if ok && len(f) > 5 {
		if proj, err = query.ParseFindProjection(f, st.filter, opts); err != nil {
			return err
		}
	}
	remove, err := boolArg(req, "remove")
	if err != nil {
		return err
	}
	returnNew, err := boolArg(req, "new")
	if err != nil {
		return err
	}
	if st.upsert, err = boolArg(req, "upsert"); err != nil {
		return err
	}
	u := req.Arg("update")
	switch {
	case remove && u.Type != 0:
		return mongoerr.New(mongoerr.FailedToParse, "Cannot specify both an update and remove=true")
	case remove && st.upsert:
		return mongoerr.New(mongoerr.FailedToParse, "Cannot specify both upsert=true and remove=true ")
	case remove && returnNew:
		return mongoerr.New(mongoerr.FailedToParse, "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document")
	case !remove && u.Type == 0:
		return mongoerr.New(mongoerr.FailedToParse, "Either an update or remove=true must be specified")
	}
	var arrayFilters []bson.Raw
	if v := req.Arg("arrayFilters"); v.Type != 0 {
		arr, ok := v.ArrayOK()
		if !ok {
			return typeMismatch("findAndModify.arrayFilters", "array", v)
		}
		vals, _ := arr.Values()
		for _, av := range vals {
			d, ok := av.DocumentOK()
			if !ok {
				return typeMismatch("findAndModify.arrayFilters", "object", av)
			}
			arrayFilters = append(arrayFilters, d)
		}
		if remove {
			return mongoerr.New(mongoerr.FailedToParse, "Cannot specify arrayFilters and remove=true")
		}
	}
	durable := writeConcernJournaled(req)
	leo := bsoncore.NewDocumentBuilder()
	var value bson.Raw
	if remove {
		n, doc, err := s.runDelete(ctx, req.DB, name, st.rawFilter, st.filter, st.sort, true, st.hint, durable)
		if err != nil {
			return err
		}
		s.Stats.Delete.Add(1)
		s.Stats.DocsDeleted.Add(int64(n))
		leo.AppendInt32("n", int32(n))
		value = doc
	} else {
		if st.upd, err = update.ParseValue(u, update.Options{ArrayFilters: arrayFilters, Scope: opts.Scope, Collator: opts.Collator}); err != nil {
			return err
		}
		res, err := s.runUpdate(ctx, req.DB, name, st, durable)
		if err != nil {
			return err
		}
		s.Stats.Update.Add(1)
		s.Stats.DocsUpdated.Add(int64(res.modified))
		n := res.matched
		if res.upsertedID.Type != 0 {
			n = 1
		}
		leo.AppendInt32("n", int32(n))
		leo.AppendBoolean("updatedExisting", res.matched > 0)
		if res.upsertedID.Type != 0 {
			leo.AppendValue("upserted", bsoncore.Value{Type: bsoncore.Type(res.upsertedID.Type), Data: res.upsertedID.Value})
		}
		if returnNew {
			value = res.after
		} else {
			value = res.before
		}
	}
	if value != nil && proj != nil {
		if value, err = proj.Apply(value); err != nil {
			return err
		}
	}
	reply.AppendDocument("lastErrorObject", leo.Build())
	if value == nil {
		reply.AppendNull("value")
	} else {
		reply.AppendDocument("value", value)
	}
	return nil
}
