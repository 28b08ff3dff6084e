// Package storage defines the engine interface SecantusDB is built on: an
// ordered key-value store with snapshot-isolated transactions.
//
// Every write — a single insert as much as a multi-document transaction —
// goes through a Txn. A Txn reads from the snapshot taken when it began plus
// its own pending writes; at Commit its writes are applied atomically, or
// ErrWriteConflict is returned when another transaction committed a write to
// one of the same keys after this one began (first committer wins).
package storage

import "errors"

// ErrNotFound is returned by Txn.Get for a key that does not exist.
var ErrNotFound = errors.New("storage: key not found")

// ErrWriteConflict is returned by Txn.Commit when a concurrent transaction
// committed a write to a key this transaction also wrote.
var ErrWriteConflict = errors.New("storage: write conflict")

// ErrClosed is returned by operations on a closed engine.
var ErrClosed = errors.New("storage: engine closed")

// Engine is an ordered key-value store with transactions.
type Engine interface {
	// Begin starts a transaction reading from a snapshot of the store as
	// of now.
	Begin() Txn
	// DeleteRange removes every key in [lower, upper) outside any
	// transaction. It is for data no transaction can reach any more (the
	// records and indexes of a dropped collection).
	DeleteRange(lower, upper []byte) error
	// Sync makes every committed write durable.
	Sync() error
	// Stats reports engine statistics for serverStatus and dbStats.
	Stats() Stats
	// Close flushes and closes the engine. Open transactions must have
	// been finished first.
	Close() error
}

// Stats is a summary of an engine's state.
type Stats struct {
	DiskSizeBytes int64
	// Engine is the engine's name as reported in serverStatus.storageEngine.
	Engine    string
	Persisted bool
}

// Txn is a snapshot-isolated transaction. A Txn is not safe for concurrent
// use; it must be ended with Commit or Rollback.
type Txn interface {
	// Get returns the value of key, or ErrNotFound. The returned slice is
	// valid until the transaction ends.
	Get(key []byte) ([]byte, error)
	// Set writes key = value within the transaction.
	Set(key, value []byte) error
	// Delete removes key within the transaction.
	Delete(key []byte) error
	// NewIter iterates the keys in [lower, upper) as the transaction sees
	// them: its snapshot overlaid with its own writes.
	NewIter(lower, upper []byte) Iterator
	// Writes reports how many keys the transaction has written.
	Writes() int
	// Commit applies the writes atomically. With durable set, it returns
	// only once they are on stable storage (j:true); otherwise they are
	// made durable by the next group sync.
	Commit(durable bool) error
	// Rollback discards the transaction. It is safe to call after Commit.
	Rollback()
}

// Iterator walks keys in order. Key and Value are valid until the next
// positioning call.
type Iterator interface {
	First() bool
	Last() bool
	Next() bool
	Prev() bool
	// SeekGE positions at the first key >= key.
	SeekGE(key []byte) bool
	// SeekLT positions at the last key < key.
	SeekLT(key []byte) bool
	Valid() bool
	Key() []byte
	Value() []byte
	Close() error
}
