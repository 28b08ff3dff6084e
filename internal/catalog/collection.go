package catalog

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/keystring"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/storage"
)

// Collection is one collection's metadata and the operations that keep
// its documents and index entries consistent.
type Collection struct {
	cat         *Catalog
	db, name    string
	id          uint64
	uuid        [16]byte
	options     bson.Raw
	indexes     []*Index
	nextIndexID uint32
	created     time.Time

	nextRecordID atomic.Int64
	count        atomic.Int64
	size         atomic.Int64
	dropped      atomic.Bool
	statsMu      sync.Mutex

	memoMu sync.Mutex
	memo   map[string]any // values derived from options; see Memo
}

// DB returns the collection's database name.
func (c *Collection) DB() string { return c.db }

// Name returns the collection's name.
func (c *Collection) Name() string { return c.name }

// FullName returns the namespace "db.name".
func (c *Collection) FullName() string { return c.db + "." + c.name }

// UUID returns the collection's UUID.
func (c *Collection) UUID() bson.Binary { return bson.Binary{Subtype: 4, Data: c.uuid[:]} }

// Options returns the options the collection was created with.
func (c *Collection) Options() bson.Raw { return c.options }

// Memo returns the value build derives from the collection's options
// (a parsed validator, say), computing it once and again only after the
// options change. build runs with the options as they are now.
func (c *Collection) Memo(key string, build func(opts bson.Raw) any) any {
	c.memoMu.Lock()
	defer c.memoMu.Unlock()
	if v, ok := c.memo[key]; ok {
		return v
	}
	v := build(c.options)
	if c.memo == nil {
		c.memo = map[string]any{}
	}
	c.memo[key] = v
	return v
}

// setOptions replaces the options and forgets what was derived from them.
func (c *Collection) setOptions(opts bson.Raw) {
	c.memoMu.Lock()
	defer c.memoMu.Unlock()
	c.options = opts
	c.memo = nil
}

// Indexes returns the collection's indexes, the _id index first.
func (c *Collection) Indexes() []*Index { return c.indexes }

// Count returns the number of documents.
func (c *Collection) Count() int64 { return c.count.Load() }

// DataSize returns the total BSON size of the documents.
func (c *Collection) DataSize() int64 { return c.size.Load() }

// Dropped reports whether the collection has been dropped or renamed away.
func (c *Collection) Dropped() bool { return c.dropped.Load() }

// AddStats adjusts the document count and size after a committed write.
func (c *Collection) AddStats(docs, bytes int64) {
	c.count.Add(docs)
	c.size.Add(bytes)
}

func (c *Collection) renamed(db, name string) *Collection {
	n := &Collection{cat: c.cat, db: db, name: name, id: c.id, uuid: c.uuid, options: c.options,
		indexes: c.indexes, nextIndexID: c.nextIndexID, created: c.created}
	n.nextRecordID.Store(c.nextRecordID.Load())
	n.count.Store(c.count.Load())
	n.size.Store(c.size.Load())
	return n
}

func (c *Collection) encodeEntry() []byte {
	b := bsoncore.NewDocumentBuilder().
		AppendString("db", c.db).
		AppendString("name", c.name).
		AppendInt64("id", int64(c.id)).
		AppendBinary("uuid", 4, c.uuid[:]).
		AppendDateTime("created", c.created.UnixMilli()).
		AppendInt32("nextIndexID", int32(c.nextIndexID))
	if len(c.options) > 0 {
		b.AppendDocument("options", c.options)
	}
	arr := bsoncore.NewArrayBuilder()
	for _, ix := range c.indexes {
		arr.AppendDocument(bsoncore.NewDocumentBuilder().
			AppendInt32("id", int32(ix.id)).
			AppendDocument("spec", ix.Spec).Build())
	}
	b.AppendArray("indexes", arr.Build())
	return b.Build()
}

func decodeEntry(raw bson.Raw) (*Collection, error) {
	var e struct {
		DB          string      `bson:"db"`
		Name        string      `bson:"name"`
		ID          int64       `bson:"id"`
		UUID        bson.Binary `bson:"uuid"`
		Created     time.Time   `bson:"created"`
		NextIndexID int32       `bson:"nextIndexID"`
		Options     bson.Raw    `bson:"options"`
		Indexes     []struct {
			ID   int32    `bson:"id"`
			Spec bson.Raw `bson:"spec"`
		} `bson:"indexes"`
	}
	if err := bson.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	c := &Collection{db: e.DB, name: e.Name, id: uint64(e.ID), created: e.Created,
		nextIndexID: uint32(e.NextIndexID), options: e.Options}
	copy(c.uuid[:], e.UUID.Data)
	for _, ix := range e.Indexes {
		idx, err := indexFromSpec(uint32(ix.ID), ix.Spec)
		if err != nil {
			return nil, err
		}
		c.indexes = append(c.indexes, idx)
	}
	return c, nil
}

// loadCounters restores the next record id, count and size by scanning.
func (c *Collection) loadCounters(tx storage.Txn) error {
	lo, hi := recordRange(c.id)
	it := tx.NewIter(lo, hi)
	defer it.Close()
	var n, size int64
	for ok := it.First(); ok; ok = it.Next() {
		n++
		size += int64(len(it.Value()))
	}
	if it.Last() {
		c.nextRecordID.Store(RecordIDFromKey(it.Key()))
	}
	c.count.Store(n)
	c.size.Store(size)
	return nil
}

// NewRecordID allocates the next record id. Ids only increase, so natural
// order is insertion order; a rolled-back insert leaves a gap.
func (c *Collection) NewRecordID() int64 { return c.nextRecordID.Add(1) }

// Record is one stored document.
type Record struct {
	ID  int64
	Doc bson.Raw
}

// Get returns the document with record id rid.
func (c *Collection) Get(tx storage.Txn, rid int64) (bson.Raw, error) {
	v, err := tx.Get(RecordKey(c.id, rid))
	if err != nil {
		return nil, err
	}
	return bson.Raw(v), nil
}

// FindID looks a document up by _id through the _id index. found is false
// when no document has that _id.
func (c *Collection) FindID(tx storage.Txn, id bson.RawValue) (Record, bool, error) {
	ix := c.indexes[0]
	key := keystring.AppendValue(indexPrefix(c.id, ix.id), id, false)
	v, err := tx.Get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, err
	}
	rid, err := keystring.DecodeRecordID(v)
	if err != nil {
		return Record{}, false, err
	}
	doc, err := c.Get(tx, rid)
	if err != nil {
		return Record{}, false, fmt.Errorf("index _id_ points at missing record %d: %w", rid, err)
	}
	return Record{ID: rid, Doc: doc}, true, nil
}

// Clustered reports whether the collection is clustered by _id.
func (c *Collection) Clustered() bool { return c.indexes[0].clustered }

// Scan iterates the documents in natural order (reverse when reverse is
// set) as tx sees them: record id order, or _id order for a clustered
// collection.
func (c *Collection) Scan(tx storage.Txn, reverse bool) *RecordIterator {
	if c.Clustered() {
		p := indexPrefix(c.id, c.indexes[0].id)
		return &RecordIterator{it: tx.NewIter(p, prefixEnd(p)), reverse: reverse, tx: tx, coll: c}
	}
	lo, hi := recordRange(c.id)
	return &RecordIterator{it: tx.NewIter(lo, hi), reverse: reverse}
}

// RecordIterator walks a collection's records.
type RecordIterator struct {
	it      storage.Iterator
	reverse bool
	started bool
	// For a clustered collection the iterator walks the _id index and
	// reads each record through tx.
	tx   storage.Txn
	coll *Collection
}

// Next returns the next record; ok is false at the end.
func (r *RecordIterator) Next() (rec Record, ok bool) {
	switch {
	case !r.started && r.reverse:
		ok = r.it.Last()
	case !r.started:
		ok = r.it.First()
	case r.reverse:
		ok = r.it.Prev()
	default:
		ok = r.it.Next()
	}
	r.started = true
	if !ok {
		return Record{}, false
	}
	if r.coll != nil {
		rid, err := keystring.DecodeRecordID(r.it.Value())
		if err != nil {
			return Record{}, false
		}
		doc, err := r.coll.Get(r.tx, rid)
		if err != nil {
			return Record{}, false
		}
		return Record{ID: rid, Doc: doc}, true
	}
	return Record{ID: RecordIDFromKey(r.it.Key()), Doc: bson.Raw(r.it.Value())}, true
}

// Close releases the iterator.
func (r *RecordIterator) Close() error { return r.it.Close() }

// Insert writes doc (which must already carry its _id) and its index
// entries within tx, returning the new record id. A duplicate unique key
// is a DuplicateKey error.
func (c *Collection) Insert(tx storage.Txn, doc bson.Raw) (int64, error) {
	rid := c.NewRecordID()
	for _, ix := range c.indexes {
		if err := c.addIndexEntry(tx, ix, doc, rid); err != nil {
			return 0, err
		}
	}
	return rid, tx.Set(RecordKey(c.id, rid), doc)
}

// Update replaces the document at rid (currently old) with doc, keeping
// index entries in step.
func (c *Collection) Update(tx storage.Txn, rid int64, old, doc bson.Raw) error {
	for _, ix := range c.indexes {
		oldKey, err := ix.entryKey(c.id, old, rid)
		if err != nil {
			return err
		}
		newKey, err := ix.entryKey(c.id, doc, rid)
		if err != nil {
			return err
		}
		if string(oldKey) == string(newKey) {
			continue
		}
		tx.Delete(oldKey)
		if err := c.addIndexEntry(tx, ix, doc, rid); err != nil {
			return err
		}
	}
	return tx.Set(RecordKey(c.id, rid), doc)
}

// Delete removes the document at rid (currently doc) and its index entries.
func (c *Collection) Delete(tx storage.Txn, rid int64, doc bson.Raw) error {
	for _, ix := range c.indexes {
		k, err := ix.entryKey(c.id, doc, rid)
		if err != nil {
			return err
		}
		tx.Delete(k)
	}
	return tx.Delete(RecordKey(c.id, rid))
}

func (c *Collection) addIndexEntry(tx storage.Txn, ix *Index, doc bson.Raw, rid int64) error {
	key, err := ix.entryKey(c.id, doc, rid)
	if err != nil {
		return err
	}
	if ix.Unique {
		if _, err := tx.Get(key); err == nil {
			return c.duplicateKey(ix, doc)
		} else if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		return tx.Set(key, keystring.AppendRecordID(nil, rid))
	}
	return tx.Set(key, nil)
}

// duplicateKey builds mongod's E11000 error for doc violating ix.
func (c *Collection) duplicateKey(ix *Index, doc bson.Raw) error {
	vals := ix.values(doc)
	keyValue := bsoncore.NewDocumentBuilder()
	shown := "{ "
	for i, f := range ix.fields {
		keyValue.AppendValue(f, bsoncore.Value{Type: bsoncore.Type(vals[i].Type), Data: vals[i].Value})
		if i > 0 {
			shown += ", "
		}
		shown += f + ": " + bsonx.Format(vals[i])
	}
	shown += " }"
	e := mongoerr.Newf(mongoerr.DuplicateKey, "E11000 duplicate key error collection: %s index: %s dup key: %s",
		c.FullName(), ix.Name, shown)
	e.Extra = []mongoerr.Field{
		{Key: "keyPattern", Value: ix.Key},
		{Key: "keyValue", Value: bson.Raw(keyValue.Build())},
	}
	return e
}
