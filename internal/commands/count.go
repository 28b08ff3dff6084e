package commands

import (
	"context"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(
		&Command{Name: "count", Handler: countCmd, Help: "count documents"},
		&Command{Name: "distinct", Handler: distinctCmd, Help: "distinct values of a field"},
	)
}

func countCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "query", "limit", "skip", "hint", "collation", "fields", "collectionUUID"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	if err := checkCollation("count.collation", req.Arg("collation")); err != nil {
		return err
	}
	var spec exec.FindSpec
	if spec.RawFilter, spec.Filter, err = filterArg(req, "query"); err != nil {
		return err
	}
	skip, _, err := intArg(req, "skip")
	if err != nil {
		return err
	}
	if skip < 0 {
		return mongoerr.New(mongoerr.BadValue, "skip value is negative in count query")
	}
	limit, _, err := intArg(req, "limit")
	if err != nil {
		return err
	}
	if limit < 0 {
		limit = -limit // mongod treats a negative count limit as its absolute value
	}
	spec.Skip, spec.Limit = skip, limit
	tx, coll := s.readTxn(req.DB, name)
	if err := checkHint(coll, req.Arg("hint")); err != nil {
		tx.Rollback()
		return err
	}
	s.Stats.Query.Add(1)
	var n int64
	if coll != nil && len(spec.RawFilter) <= 5 {
		// An empty query counts from the collection's counters, as mongod's
		// COUNT fast path reads the collection's record count.
		tx.Rollback()
		n = max(coll.Count()-skip, 0)
		if limit > 0 {
			n = min(n, limit)
		}
	} else {
		st := exec.BuildFind(tx, coll, spec)
		defer st.Close()
		for {
			_, ok, err := st.Next(ctx)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			n++
		}
	}
	reply.AppendInt32("n", int32(n))
	return nil
}

func distinctCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "key", "query", "collation", "hint", "collectionUUID", "querySettings"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	keyVal := req.Arg("key")
	key, ok := keyVal.StringValueOK()
	if !ok {
		if keyVal.Type == 0 {
			return mongoerr.New(mongoerr.Location40414, "BSON field 'distinct.key' is missing but a required field")
		}
		return typeMismatch("distinct.key", "string", keyVal)
	}
	if err := checkCollation("distinct.collation", req.Arg("collation")); err != nil {
		return err
	}
	var spec exec.FindSpec
	if spec.RawFilter, spec.Filter, err = filterArg(req, "query"); err != nil {
		return err
	}
	tx, coll := s.readTxn(req.DB, name)
	if err := checkHint(coll, req.Arg("hint")); err != nil {
		tx.Rollback()
		return err
	}
	s.Stats.Query.Add(1)
	st := exec.BuildFind(tx, coll, spec)
	defer st.Close()
	var values []bson.RawValue
	size := 0
	for {
		doc, ok, err := st.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		for _, v := range bsonx.DistinctValues(doc, key) {
			values = append(values, v)
			size += len(v.Value)
		}
		if size > 2*MaxBSONObjectSize {
			// Dedupe early so duplicates alone cannot exhaust memory.
			values = dedupeSorted(values)
			size = 0
			for _, v := range values {
				size += len(v.Value)
			}
			if size > MaxBSONObjectSize {
				return mongoerr.New(mongoerr.BSONObjectTooLarge, "distinct too big, 16mb cap")
			}
		}
	}
	// mongod collects distinct values in an ordered set: sorted, unique
	// under BSON comparison (so 1 and 1.0 are one value).
	values = dedupeSorted(values)
	size = 0
	for _, v := range values {
		size += len(v.Value)
	}
	if size > MaxBSONObjectSize {
		return mongoerr.New(mongoerr.BSONObjectTooLarge, "distinct too big, 16mb cap")
	}
	arr := bsoncore.NewArrayBuilder()
	for _, v := range values {
		arr.AppendValue(bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
	}
	reply.AppendArray("values", arr.Build())
	return nil
}

// dedupeSorted sorts values in BSON order and drops equal neighbours.
func dedupeSorted(values []bson.RawValue) []bson.RawValue {
	sort.SliceStable(values, func(i, j int) bool { return bsonx.Compare(values[i], values[j]) < 0 })
	out := values[:0]
	for i, v := range values {
		if i == 0 || bsonx.Compare(out[len(out)-1], v) != 0 {
			out = append(out, v)
		}
	}
	return out
}
