// Package catalog holds SecantusDB's durable metadata — databases,
// collections with their UUIDs and options, index specs — and the
// record-level operations that keep a collection's documents and index
// entries in step.
//
// Catalog changes (create, drop, rename) are serialised by the catalog's
// lock; data operations hold it shared for the duration of their
// transaction, so a collection cannot disappear under a write.
package catalog

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/storage"
)

// Catalog is the set of collections in a store.
type Catalog struct {
	eng storage.Engine

	mu     sync.RWMutex // DDL exclusive, data operations shared
	colls  map[string]*Collection
	nextID uint64
}

// Open loads the catalog of eng, initialising an empty store and refusing
// one written in an unknown format version.
func Open(eng storage.Engine) (*Catalog, error) {
	c := &Catalog{eng: eng, colls: make(map[string]*Collection), nextID: 1}
	tx := eng.Begin()
	defer tx.Rollback()
	v, err := tx.Get(formatKey)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		w := eng.Begin()
		w.Set(formatKey, []byte(strconv.Itoa(FormatVersion)))
		if err := w.Commit(true); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		n, err := strconv.Atoi(string(v))
		if err != nil || n != FormatVersion {
			return nil, fmt.Errorf("data directory has store format version %q; this build of SecantusDB reads only version %d", v, FormatVersion)
		}
	}
	it := tx.NewIter([]byte{tagCollection}, []byte{tagCollection + 1})
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		coll, err := decodeEntry(bson.Raw(it.Value()))
		if err != nil {
			return nil, fmt.Errorf("catalog entry %q: %w", it.Key(), err)
		}
		if coll.id >= c.nextID {
			c.nextID = coll.id + 1
		}
		if err := coll.loadCounters(tx); err != nil {
			return nil, err
		}
		coll.cat = c
		c.colls[coll.FullName()] = coll
	}
	return c, nil
}

// Engine returns the storage engine under the catalog.
func (c *Catalog) Engine() storage.Engine { return c.eng }

// RLock holds the catalog shared: collections looked up stay valid until
// RUnlock. Data operations hold it for the life of their transaction.
func (c *Catalog) RLock()   { c.mu.RLock() }
func (c *Catalog) RUnlock() { c.mu.RUnlock() }

// Lookup returns the collection db.name, or nil. Callers hold RLock.
func (c *Catalog) Lookup(db, name string) *Collection {
	return c.colls[db+"."+name]
}

// CreateOptions are the options of a new collection as given to create.
type CreateOptions struct {
	// Raw holds the options document as the user gave it, minus fields
	// that are not collection options; listCollections reports it.
	Raw bson.Raw
}

// Create makes the collection db.name. With mustNotExist false, an
// existing collection with the same options is not an error (implicit
// creation, and create's idempotence); NamespaceExists otherwise.
func (c *Catalog) Create(db, name string, opts CreateOptions, mustNotExist bool) (*Collection, error) {
	if err := ValidateCollection(db, name); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.createLocked(db, name, opts, mustNotExist)
}

func (c *Catalog) createLocked(db, name string, opts CreateOptions, mustNotExist bool) (*Collection, error) {
	if existing := c.colls[db+"."+name]; existing != nil {
		if mustNotExist {
			return nil, mongoerr.Newf(mongoerr.NamespaceExists, "Collection %s.%s already exists.", db, name)
		}
		return existing, nil
	}
	for ns := range c.colls {
		if d, _, _ := strings.Cut(ns, "."); strings.EqualFold(d, db) && d != db {
			return nil, mongoerr.Newf(mongoerr.DatabaseDifferCase, "db already exists with different case already have: [%s] trying to create [%s]", d, db)
		}
	}
	coll := &Collection{
		cat:     c,
		db:      db,
		name:    name,
		id:      c.nextID,
		options: opts.Raw,
		created: time.Now(),
	}
	if _, err := rand.Read(coll.uuid[:]); err != nil {
		return nil, err
	}
	coll.uuid[6] = coll.uuid[6]&0x0f | 0x40
	coll.uuid[8] = coll.uuid[8]&0x3f | 0x80
	idKey := bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", 1).Build())
	if ci, ok := opts.Raw.Lookup("clusteredIndex").DocumentOK(); ok {
		// A clustered collection is ordered by _id: its _id index is the
		// collection's order, reported with clustered: true.
		name, _ := ci.Lookup("name").StringValueOK()
		if name == "" {
			name = "_id_"
		}
		spec := bsoncore.NewDocumentBuilder().AppendInt32("v", 2).AppendDocument("key", idKey).
			AppendString("name", name).AppendBoolean("unique", true).AppendBoolean("clustered", true).Build()
		ix, err := indexFromSpec(1, bson.Raw(spec))
		if err != nil {
			return nil, err
		}
		coll.indexes = []*Index{ix}
	} else {
		coll.indexes = []*Index{newIndex(1, idKey, "_id_", true)}
	}
	coll.nextIndexID = 2
	if err := c.persist(coll); err != nil {
		return nil, err
	}
	c.nextID++
	c.colls[coll.FullName()] = coll
	return coll, nil
}

func (c *Catalog) persist(coll *Collection) error {
	tx := c.eng.Begin()
	tx.Set(collectionKey(coll.db, coll.name), coll.encodeEntry())
	return tx.Commit(true)
}

// Drop removes db.name with its documents and indexes. It reports whether
// the collection existed.
func (c *Catalog) Drop(db, name string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropLocked(db, name)
}

func (c *Catalog) dropLocked(db, name string) (bool, error) {
	coll := c.colls[db+"."+name]
	if coll == nil {
		return false, nil
	}
	tx := c.eng.Begin()
	tx.Delete(collectionKey(db, name))
	if err := tx.Commit(true); err != nil {
		return false, err
	}
	delete(c.colls, coll.FullName())
	coll.dropped.Store(true)
	// The data is unreachable once the entry is gone; reclaim it.
	lo, hi := recordRange(coll.id)
	if err := c.eng.DeleteRange(lo, hi); err != nil {
		return true, err
	}
	lo, hi = collIndexRange(coll.id)
	return true, c.eng.DeleteRange(lo, hi)
}

// DropDatabase drops every collection of db and returns their names.
func (c *Catalog) DropDatabase(db string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var dropped []string
	for _, coll := range c.collectionsLocked(db) {
		if _, err := c.dropLocked(db, coll.name); err != nil {
			return dropped, err
		}
		dropped = append(dropped, coll.name)
	}
	return dropped, nil
}

// SetOptions replaces the stored options of db.name (collMod).
func (c *Catalog) SetOptions(db, name string, opts bson.Raw) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	coll := c.colls[db+"."+name]
	if coll == nil {
		return mongoerr.Newf(mongoerr.NamespaceNotFound, "ns does not exist: %s.%s", db, name)
	}
	old := coll.options
	coll.setOptions(opts)
	if err := c.persist(coll); err != nil {
		coll.setOptions(old)
		return err
	}
	return nil
}

// Rename moves collection from to to, dropping an existing target when
// dropTarget is set.
func (c *Catalog) Rename(fromDB, fromName, toDB, toName string, dropTarget bool) error {
	if err := ValidateCollection(toDB, toName); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	src := c.colls[fromDB+"."+fromName]
	if src == nil {
		return mongoerr.New(mongoerr.NamespaceNotFound, "Source collection "+fromDB+"."+fromName+" does not exist")
	}
	if fromDB == toDB && fromName == toName {
		return mongoerr.New(mongoerr.IllegalOperation, "Can't rename a collection to itself")
	}
	if dst := c.colls[toDB+"."+toName]; dst != nil {
		if !dropTarget {
			return mongoerr.New(mongoerr.NamespaceExists, "target namespace exists")
		}
		if _, err := c.dropLocked(toDB, toName); err != nil {
			return err
		}
	}
	moved := src.renamed(toDB, toName)
	tx := c.eng.Begin()
	tx.Delete(collectionKey(fromDB, fromName))
	tx.Set(collectionKey(toDB, toName), moved.encodeEntry())
	if err := tx.Commit(true); err != nil {
		return err
	}
	delete(c.colls, src.FullName())
	src.dropped.Store(true)
	c.colls[moved.FullName()] = moved
	return nil
}

// Collections returns the collections of db sorted by name (all
// databases when db is ""). Callers hold RLock.
func (c *Catalog) Collections(db string) []*Collection {
	return c.collectionsLocked(db)
}

func (c *Catalog) collectionsLocked(db string) []*Collection {
	var out []*Collection
	for _, coll := range c.colls {
		if db == "" || coll.db == db {
			out = append(out, coll)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullName() < out[j].FullName() })
	return out
}

// Databases returns the names of the databases that have collections,
// sorted. Callers hold RLock.
func (c *Catalog) Databases() []string {
	seen := map[string]bool{}
	var out []string
	for _, coll := range c.colls {
		if !seen[coll.db] {
			seen[coll.db] = true
			out = append(out, coll.db)
		}
	}
	sort.Strings(out)
	return out
}
