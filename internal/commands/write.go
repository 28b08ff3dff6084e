package commands

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/storage"
)

// statsDelta collects a write's effect on a collection's counters; it is
// applied only once the transaction has committed.
type statsDelta struct {
	docs, bytes int64
}

// writeOp is one unit of work inside a write transaction.
type writeOp func(tx storage.Txn, coll *catalog.Collection, d *statsDelta) error

// withCollectionWrite runs op in a transaction on db.name, creating the
// collection first when create is set and it does not exist. op sees
// coll == nil when the collection does not exist and create is false.
// Write conflicts with concurrent writers are retried here, so a
// single-document write never fails with one.
func (s *Service) withCollectionWrite(ctx context.Context, db, name string, create, durable bool, op writeOp) error {
	for attempt := 0; ; attempt++ {
		err := s.tryWrite(db, name, create, durable, op)
		if !errors.Is(err, storage.ErrWriteConflict) {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// Back off a little, more each time, so the winner can finish.
		time.Sleep(time.Duration(rand.IntN(50*(attempt+1))) * time.Microsecond)
	}
}

func (s *Service) tryWrite(db, name string, create, durable bool, op writeOp) error {
	cat := s.Catalog
	cat.RLock()
	coll := cat.Lookup(db, name)
	if coll == nil && create {
		cat.RUnlock()
		if _, err := cat.Create(db, name, catalog.CreateOptions{}, false); err != nil {
			return err
		}
		cat.RLock()
		coll = cat.Lookup(db, name)
	}
	defer cat.RUnlock()
	if _, _, view := viewOf(coll); view {
		return viewNotCollection(db, name)
	}
	tx := cat.Engine().Begin()
	var d statsDelta
	if err := op(tx, coll, &d); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(durable); err != nil {
		if errors.Is(err, storage.ErrWriteConflict) {
			return err
		}
		return mongoerr.Newf(mongoerr.InternalError, "commit failed: %v", err)
	}
	if coll != nil && (d.docs != 0 || d.bytes != 0) {
		coll.AddStats(d.docs, d.bytes)
	}
	return nil
}

// readTxn begins a snapshot for reading db.name and returns the
// collection (nil when it does not exist). The caller owns tx.
func (s *Service) readTxn(db, name string) (storage.Txn, *catalog.Collection) {
	cat := s.Catalog
	cat.RLock()
	defer cat.RUnlock()
	return cat.Engine().Begin(), cat.Lookup(db, name)
}
