package commands

import (
	"context"
	"crypto/rand"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/pipeline"
	"github.com/secantusdb/secantus/internal/storage"
)

// The write side of pipelines: $out and $merge write through the same
// paths as insert and update, so that document validation, the unique
// _id index, the collection counters and the write concern apply to
// them as to any other write.

// outGroup is how many documents of a $out share a transaction.
const outGroup = 256

// ReplaceCollection implements pipeline.Namespaces for $out: it writes
// the documents of src into a temporary collection created with the
// target's options (its validator, collation, clustering), then renames
// it over the target in one catalog step. On any error the temporary
// collection is dropped and the target is left as it was.
func (n namespaces) ReplaceCollection(ctx context.Context, db, coll string, src exec.Stage, opts pipeline.WriteOptions) error {
	s := n.s
	s.Catalog.RLock()
	target := s.Catalog.Lookup(db, coll)
	var targetOpts bson.Raw
	var extraIndexes int
	if target != nil {
		targetOpts = target.Options()
		extraIndexes = len(target.Indexes()) - 1
	}
	_, _, isView := viewOf(target)
	s.Catalog.RUnlock()
	if isView {
		return viewNotCollection(db, coll)
	}
	if targetOpts.Lookup("capped").Type != 0 {
		return mongoerr.Newf(mongoerr.Location17152, "namespace '%s.%s' is capped so it can't be used for $out", db, coll)
	}
	if extraIndexes > 0 {
		// Secondary indexes cannot be created yet, so they could not be
		// carried over to the new contents.
		return mongoerr.Newf(mongoerr.NotImplemented, "$out to %s.%s would have to copy its secondary indexes, which SecantusDB cannot do yet", db, coll)
	}
	tmp := "tmp.agg_out." + newUUIDString()
	if _, err := s.Catalog.Create(db, tmp, catalog.CreateOptions{Raw: targetOpts}, true); err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			s.Catalog.Drop(db, tmp)
		}
	}()
	batch := make([]bson.Raw, 0, outGroup)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.insertDocs(ctx, db, tmp, batch, opts.Journaled, opts.BypassValidation)
		batch = batch[:0]
		return err
	}
	for {
		doc, more, err := src.Next(ctx)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		p, err := prepareInsert(doc)
		if err != nil {
			return err
		}
		batch = append(batch, append(bson.Raw(nil), p...))
		if len(batch) == outGroup {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	// mongod refuses to finish when the target changed shape while the
	// pipeline ran (renameIfOptionsAndIndexesHaveNotChanged).
	s.Catalog.RLock()
	now := s.Catalog.Lookup(db, coll)
	changed := (now == nil) != (target == nil) || now != nil && string(now.Options()) != string(targetOpts)
	s.Catalog.RUnlock()
	if changed {
		return mongoerr.Newf(mongoerr.CommandFailed, "collection options of target collection %s.%s changed during processing. Original options: %s", db, coll, bsonText(targetOpts))
	}
	if err := s.Catalog.Rename(db, tmp, db, coll, true); err != nil {
		return err
	}
	ok = true
	s.Cursors.KillNamespace(db + "." + coll)
	return nil
}

func bsonText(d bson.Raw) string {
	if len(d) == 0 {
		return "{}"
	}
	return d.String()
}

// newUUIDString returns a random (version 4) UUID in its text form.
func newUUIDString() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// Insert implements pipeline.Namespaces: doc goes into db.coll (created
// when missing) as an insert command would write it.
func (n namespaces) Insert(ctx context.Context, db, coll string, doc bson.Raw, opts pipeline.WriteOptions) error {
	p, err := prepareInsert(doc)
	if err != nil {
		return err
	}
	if err := n.s.insertDocs(ctx, db, coll, []bson.Raw{p}, opts.Journaled, opts.BypassValidation); err != nil {
		return err
	}
	n.s.Stats.Insert.Add(1)
	n.s.Stats.DocsInserted.Add(1)
	return nil
}

// Merge implements pipeline.Namespaces for $merge: in one transaction it
// finds the document of db.coll whose _id is id, asks decide what to
// store, and replaces it with that (or inserts that when there was no
// document). The collection is created only when something is inserted.
func (n namespaces) Merge(ctx context.Context, db, coll string, id bson.RawValue, opts pipeline.WriteOptions, decide func(current bson.Raw) (bson.Raw, error)) error {
	s := n.s
	insert := bson.Raw(nil)
	err := s.withCollectionWrite(ctx, db, coll, false, opts.Journaled, func(tx storage.Txn, c *catalog.Collection, d *statsDelta) error {
		insert = nil
		var rec catalog.Record
		found := false
		if c != nil {
			var err error
			if rec, found, err = c.FindID(tx, id); err != nil {
				return err
			}
		}
		if !found {
			doc, err := decide(nil)
			if err != nil || doc == nil {
				return err
			}
			if c == nil {
				// Create the collection outside this transaction.
				insert = doc
				return nil
			}
			p, err := prepareInsert(doc)
			if err != nil {
				return err
			}
			if err := s.validateWrite(c, nil, p, opts.BypassValidation); err != nil {
				return err
			}
			if _, err := c.Insert(tx, p); err != nil {
				return err
			}
			d.docs++
			d.bytes += int64(len(p))
			s.Stats.Insert.Add(1)
			s.Stats.DocsInserted.Add(1)
			return nil
		}
		cur := append(bson.Raw(nil), rec.Doc...)
		doc, err := decide(cur)
		if err != nil || doc == nil {
			return err
		}
		if len(doc) > MaxBSONObjectSize {
			return mongoerr.Newf(mongoerr.BSONObjectTooLarge, "Resulting document after update is larger than %d", MaxBSONObjectSize)
		}
		if err := checkStorageDepth(doc, 1); err != nil {
			return err
		}
		if string(doc) == string(cur) {
			return nil
		}
		if err := s.validateWrite(c, cur, doc, opts.BypassValidation); err != nil {
			return err
		}
		if err := c.Update(tx, rec.ID, cur, doc); err != nil {
			return err
		}
		d.bytes += int64(len(doc) - len(cur))
		s.Stats.Update.Add(1)
		s.Stats.DocsUpdated.Add(1)
		return nil
	})
	if err != nil || insert == nil {
		return err
	}
	// The target did not exist: insert creates it. A concurrent writer
	// may have created it with a document of this _id meanwhile; then
	// the insert fails with a duplicate key, as mongod's upsert can.
	return n.Insert(ctx, db, coll, insert, opts)
}
