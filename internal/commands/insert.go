package commands

import (
	"context"
	"sync"
	"time"

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

// maxStorageDepth is how deeply documents may nest when stored
// (mongod's BSONDepth::getMaxDepthForUserStorage: 200 less 20 kept for
// the system).
const maxStorageDepth = 180

// prepareInsert checks a document for insertion and returns it as mongod
// stores it: _id first (a new ObjectId when it has none) and top-level
// Timestamp(0, 0) values replaced by the current time.
func prepareInsert(doc bson.Raw) (bson.Raw, error) {
	if len(doc) > MaxBSONObjectSize {
		return nil, tooLargeToInsert(len(doc))
	}
	if err := checkStorageDepth(doc, 1); err != nil {
		return nil, err
	}
	// MongoDB 5.0+ stores $-prefixed and dotted field names (outside _id)
	// as they are.
	elems, err := doc.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	idPos, zeroTS := -1, false
	for i, e := range elems {
		switch k := e.Key(); {
		case k == "_id":
			if idPos >= 0 {
				return nil, mongoerr.New(mongoerr.BadValue, "can't have multiple _id fields in one document")
			}
			idPos = i
			if err := validateID(e.Value()); err != nil {
				return nil, err
			}
		case e.Value().Type == bson.TypeTimestamp:
			if t, i := e.Value().Timestamp(); t == 0 && i == 0 {
				zeroTS = true
			}
		}
	}
	if idPos == 0 && !zeroTS {
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
		if i == idPos {
			continue
		}
		v := e.Value()
		if t, inc, ok := v.TimestampOK(); ok && t == 0 && inc == 0 {
			t, inc = nextTimestamp()
			b.AppendTimestamp(e.Key(), t, inc)
			continue
		}
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
	}
	out := bson.Raw(b.Build())
	if len(out) > MaxBSONObjectSize {
		return nil, tooLargeToInsert(len(out))
	}
	return out, nil
}

func tooLargeToInsert(size int) error {
	return mongoerr.Newf(mongoerr.BadValue, "object to insert too large. size in bytes: %d, max size: %d", size, MaxBSONObjectSize)
}

// checkStorageDepth refuses documents nested deeper than mongod stores;
// empty embedded documents and arrays do not count. It runs on every
// insert, so it walks the bytes without decoding or allocating.
func checkStorageDepth(doc []byte, depth int) error {
	if len(doc) < 5 {
		return nil
	}
	for rest := doc[4 : len(doc)-1]; len(rest) > 0; {
		elem, r, ok := bsoncore.ReadElement(rest)
		if !ok {
			return nil // malformed BSON is the wire layer's to refuse
		}
		rest = r
		v := elem.Value()
		if v.Type != bsoncore.TypeEmbeddedDocument && v.Type != bsoncore.TypeArray || len(v.Data) <= 5 {
			continue
		}
		if depth == maxStorageDepth {
			return mongoerr.Newf(mongoerr.Overflow, "cannot insert document because it exceeds %d levels of nesting", maxStorageDepth)
		}
		if err := checkStorageDepth(v.Data, depth+1); err != nil {
			return err
		}
	}
	return nil
}

var tsClock struct {
	sync.Mutex
	secs, inc uint32
}

// nextTimestamp returns a timestamp later than every one it returned
// before: the current second and a counter within it, as mongod fills in
// Timestamp(0, 0) on insert.
func nextTimestamp() (t, i uint32) {
	tsClock.Lock()
	defer tsClock.Unlock()
	now := uint32(time.Now().Unix())
	if now > tsClock.secs {
		tsClock.secs, tsClock.inc = now, 0
	}
	tsClock.inc++
	return tsClock.secs, tsClock.inc
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
