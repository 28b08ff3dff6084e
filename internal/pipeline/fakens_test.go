package pipeline

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// fakeNamespaces is an in-memory Namespaces for the corpus: collections
// by "db.coll" name, in insertion order.
type fakeNamespaces struct {
	colls map[string][]bson.Raw
}

func newFakeNamespaces() *fakeNamespaces {
	return &fakeNamespaces{colls: map[string][]bson.Raw{}}
}

func (f *fakeNamespaces) Open(_ context.Context, db, coll string) (exec.Stage, error) {
	return &sliceIter{docs: f.colls[db+"."+coll]}, nil
}

// sliceIter streams a list of documents.
type sliceIter struct {
	docs []bson.Raw
	pos  int
}

func (s *sliceIter) Next(context.Context) (bson.Raw, bool, error) {
	if s.pos >= len(s.docs) {
		return nil, false, nil
	}
	s.pos++
	return s.docs[s.pos-1], true, nil
}

func (s *sliceIter) Close() {}

// The write side: documents get an _id when they have none, and a
// second document with the same _id is mongod's E11000 error.

var fakeStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const fakeHost = "fakehost:27017"

func withID(doc bson.Raw) bson.Raw {
	if doc.Lookup("_id").Type != 0 {
		return doc
	}
	b := bsoncore.NewDocumentBuilder().AppendObjectID("_id", bson.NewObjectID())
	elems, _ := doc.Elements()
	for _, e := range elems {
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
	}
	return bson.Raw(b.Build())
}

func fakeDupKey(ns string, id bson.RawValue) error {
	kv := bsoncore.NewDocumentBuilder().AppendValue("_id", bsoncore.Value{Type: bsoncore.Type(id.Type), Data: id.Value}).Build()
	e := mongoerr.Newf(mongoerr.DuplicateKey, "E11000 duplicate key error collection: %s index: _id_ dup key: { _id: %s }", ns, bsonx.Format(id))
	e.Extra = []mongoerr.Field{
		{Key: "keyPattern", Value: bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", 1).Build())},
		{Key: "keyValue", Value: bson.Raw(kv)},
	}
	return e
}

func findID(docs []bson.Raw, id bson.RawValue) int {
	for i, d := range docs {
		if bsonx.Compare(d.Lookup("_id"), id) == 0 {
			return i
		}
	}
	return -1
}

func (f *fakeNamespaces) ReplaceCollection(ctx context.Context, db, coll string, src exec.Stage, _ WriteOptions) error {
	ns := db + "." + coll
	var docs []bson.Raw
	for {
		d, ok, err := src.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		d = withID(append(bson.Raw(nil), d...))
		if findID(docs, d.Lookup("_id")) >= 0 {
			return fakeDupKey(ns, d.Lookup("_id"))
		}
		docs = append(docs, d)
	}
	f.colls[ns] = docs
	return nil
}

func (f *fakeNamespaces) Insert(_ context.Context, db, coll string, doc bson.Raw, _ WriteOptions) error {
	ns := db + "." + coll
	doc = withID(append(bson.Raw(nil), doc...))
	if findID(f.colls[ns], doc.Lookup("_id")) >= 0 {
		return fakeDupKey(ns, doc.Lookup("_id"))
	}
	f.colls[ns] = append(f.colls[ns], doc)
	return nil
}

func (f *fakeNamespaces) Merge(_ context.Context, db, coll string, id bson.RawValue, _ WriteOptions, decide func(bson.Raw) (bson.Raw, error)) error {
	ns := db + "." + coll
	i := findID(f.colls[ns], id)
	var cur bson.Raw
	if i >= 0 {
		cur = f.colls[ns][i]
	}
	doc, err := decide(cur)
	if err != nil || doc == nil {
		return err
	}
	doc = append(bson.Raw(nil), doc...)
	if i >= 0 {
		f.colls[ns][i] = doc
	} else {
		f.colls[ns] = append(f.colls[ns], withID(doc))
	}
	return nil
}

func (f *fakeNamespaces) CollectionStats(_ context.Context, db, coll string) (CollectionStats, error) {
	out := CollectionStats{Host: fakeHost}
	docs, ok := f.colls[db+"."+coll]
	if !ok {
		return out, nil
	}
	out.Exists = true
	for _, d := range docs {
		out.Count++
		out.Size += int64(len(d))
	}
	key := bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", 1).Build())
	spec := bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("v", 2).AppendDocument("key", key).AppendString("name", "_id_").Build())
	out.Indexes = []IndexStats{{Name: "_id_", Key: key, Spec: spec, Size: out.Count * 32, Since: fakeStart}}
	return out, nil
}

func (f *fakeNamespaces) CurrentOp(context.Context, CurrentOpOptions) ([]bson.Raw, error) {
	return []bson.Raw{bson.Raw(bsoncore.NewDocumentBuilder().AppendString("type", "op").AppendBoolean("active", true).
		AppendString("op", "command").Build())}, nil
}

func (f *fakeNamespaces) LocalSessions(_ context.Context, opts LocalSessionsOptions) ([]bson.Raw, error) {
	if len(opts.Users) > 0 {
		return nil, nil
	}
	return []bson.Raw{bson.Raw(bsoncore.NewDocumentBuilder().
		AppendDocument("_id", bsoncore.NewDocumentBuilder().AppendBinary("id", 4, make([]byte, 16)).Build()).
		AppendDateTime("lastUse", fakeStart.UnixMilli()).Build())}, nil
}
