package catalog

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/storage"
)

// ValidateResult is the outcome of Collection.Validate.
type ValidateResult struct {
	Records          int64
	InvalidDocuments int64
	Indexes          []IndexValidation
	Errors           []string
}

// IndexValidation is one index's part of a ValidateResult.
type IndexValidation struct {
	Name  string
	Keys  int64
	Valid bool
}

// Validate checks every document (valid BSON) and every index (one
// entry per document, each entry the key its document derives).
func (c *Collection) Validate(ctx context.Context, tx storage.Txn) (ValidateResult, error) {
	var res ValidateResult
	expected := make([]map[string]bool, len(c.indexes))
	for i := range expected {
		expected[i] = map[string]bool{}
	}
	it := c.Scan(tx, false)
	for {
		rec, ok := it.Next()
		if !ok {
			break
		}
		res.Records++
		if err := bson.Raw(rec.Doc).Validate(); err != nil {
			res.InvalidDocuments++
			res.Errors = append(res.Errors, fmt.Sprintf("record %d is not valid BSON: %v", rec.ID, err))
			continue
		}
		for i, ix := range c.indexes {
			k, err := ix.entryKey(c.id, rec.Doc, rec.ID)
			if err != nil {
				return res, err
			}
			expected[i][string(k)] = true
		}
		if res.Records%1024 == 0 {
			if err := ctx.Err(); err != nil {
				it.Close()
				return res, err
			}
		}
	}
	it.Close()
	for i, ix := range c.indexes {
		p := indexPrefix(c.id, ix.id)
		iit := tx.NewIter(p, prefixEnd(p))
		v := IndexValidation{Name: ix.Name, Valid: true}
		for ok := iit.First(); ok; ok = iit.Next() {
			v.Keys++
			if !expected[i][string(iit.Key())] {
				v.Valid = false
			}
			delete(expected[i], string(iit.Key()))
		}
		iit.Close()
		if len(expected[i]) > 0 {
			v.Valid = false
		}
		if !v.Valid {
			res.Errors = append(res.Errors, fmt.Sprintf("index %s is inconsistent with the collection's documents", ix.Name))
		}
		res.Indexes = append(res.Indexes, v)
	}
	return res, nil
}
