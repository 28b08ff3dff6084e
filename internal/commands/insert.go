package commands

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/storage"
)

func init() {
	register(&Command{Name: "insert", Handler: insertCmd, Write: true, Help: "insert documents"})
}

// insertGroup is how many documents of one insert share a transaction;
// on any error the group is redone one document at a time, as mongod
// does, so that writeErrors name the exact failing documents.
const insertGroup = 256

func insertCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "documents", "ordered", "bypassDocumentValidation", "stmtId", "stmtIds", "collectionUUID"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	docs, ordered, err := writeStatements(req, "documents")
	if err != nil {
		return err
	}
	bypass, err := boolArg(req, "bypassDocumentValidation")
	if err != nil {
		return err
	}
	durable := writeConcernJournaled(req)
	var w writeResult
	prepared := make([]bson.Raw, len(docs))
	for i, d := range docs {
		p, err := prepareInsert(d)
		if err != nil {
			w.addError(i, err)
			if ordered {
				docs = docs[:i]
				break
			}
			continue
		}
		prepared[i] = p
	}
	stop := len(docs)
	if ordered && len(w.errors) > 0 {
		stop = w.errors[0].index
	}
	for start := 0; start < stop; start += insertGroup {
		end := min(start+insertGroup, stop)
		group := prepared[start:end]
		err := s.insertDocs(ctx, req.DB, name, group, durable, bypass)
		if err == nil {
			for _, doc := range group {
				if doc != nil {
					w.n++
				}
			}
			continue
		}
		if ctx.Err() != nil {
			return err
		}
		// Redo the group one document at a time to find the failures.
		for i := start; i < end; i++ {
			if prepared[i] == nil {
				continue
			}
			err := s.insertDocs(ctx, req.DB, name, prepared[i:i+1], durable, bypass)
			if err != nil {
				if !isWriteError(err) {
					return err
				}
				w.addError(i, err)
				if ordered {
					stop = i
					break
				}
				continue
			}
			w.n++
		}
		if ordered && len(w.errors) > 0 {
			break
		}
	}
	s.Stats.Insert.Add(int64(w.n))
	s.Stats.DocsInserted.Add(int64(w.n))
	w.sortErrors()
	reply.AppendInt32("n", int32(w.n))
	w.appendErrors(reply)
	return nil
}

// insertDocs inserts the non-nil documents into db.name in one
// transaction: all of them or, on an error, none.
// Unless bypass is set, each must satisfy the collection's validator.
func (s *Service) insertDocs(ctx context.Context, db, name string, docs []bson.Raw, durable, bypass bool) error {
	return s.withCollectionWrite(ctx, db, name, true, durable, func(tx storage.Txn, coll *catalog.Collection, d *statsDelta) error {
		for _, doc := range docs {
			if doc == nil {
				continue
			}
			if err := s.validateWrite(coll, nil, doc, bypass); err != nil {
				return err
			}
			if _, err := coll.Insert(tx, doc); err != nil {
				return err
			}
			d.docs++
			d.bytes += int64(len(doc))
		}
		return nil
	})
}

// checkBatchSize enforces maxWriteBatchSize as mongod does.
func checkBatchSize(n int) error {
	if n == 0 {
		return mongoerr.New(mongoerr.InvalidLength, "Write batch sizes must be between 1 and 100000. Got 0 operations.")
	}
	if n > MaxWriteBatchSize {
		return mongoerr.Newf(mongoerr.InvalidLength, "Write batch sizes must be between 1 and 100000. Got %d operations.", n)
	}
	return nil
}

// prepareInsert checks a document for insertion and returns it with _id
// first, adding a new ObjectId when it has none, as mongod stores it.
func prepareInsert(doc bson.Raw) (bson.Raw, error) {
	if len(doc) > MaxBSONObjectSize {
		return nil, mongoerr.Newf(mongoerr.BSONObjectTooLarge, "object to insert too large. size in bytes: %d, max size: %d", len(doc), MaxBSONObjectSize)
	}
	// MongoDB 5.0+ stores $-prefixed and dotted field names (outside _id)
	// as they are.
	elems, err := doc.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	idPos := -1
	for i, e := range elems {
		k := e.Key()
		if k == "_id" {
			if idPos >= 0 {
				return nil, mongoerr.New(mongoerr.BadValue, "can't have multiple _id fields in one document")
			}
			idPos = i
			if err := validateID(e.Value()); err != nil {
				return nil, err
			}
		}
	}
	if idPos == 0 {
		return doc, nil
	}
	b := bsoncore.NewDocumentBuilder()
	if idPos < 0 {
		b.AppendObjectID("_id", bson.NewObjectID())
	} else {
		v := elems[idPos].Value()
		b.AppendValue("_id", bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
	}
	for i, e := range elems {
		if i != idPos {
			b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
		}
	}
	out := bson.Raw(b.Build())
	if len(out) > MaxBSONObjectSize {
		return nil, mongoerr.Newf(mongoerr.BSONObjectTooLarge, "object to insert too large. size in bytes: %d, max size: %d", len(out), MaxBSONObjectSize)
	}
	return out, nil
}

// validateID rejects _id values mongod refuses to store.
func validateID(v bson.RawValue) error {
	switch v.Type {
	case bson.TypeArray:
		return mongoerr.New(mongoerr.BadValue, "can't use an array for _id")
	case bson.TypeRegex:
		return mongoerr.New(mongoerr.BadValue, "can't use a regex for _id")
	case bson.TypeUndefined:
		return mongoerr.New(mongoerr.BadValue, "can't use a undefined for _id")
	case bson.TypeEmbeddedDocument:
		elems, _ := v.Document().Elements()
		for _, e := range elems {
			if len(e.Key()) > 0 && e.Key()[0] == '$' {
				return mongoerr.Newf(mongoerr.DollarPrefixedFieldName, "_id fields may not contain '$'-prefixed fields: %s is not valid for storage.", e.Key())
			}
		}
	}
	return nil
}
