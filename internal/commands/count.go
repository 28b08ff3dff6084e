package commands

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strings"

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
	opts, err := queryOptions(req, "count.collation", req.Arg("collation"))
	if err != nil {
		return err
	}
	var spec exec.FindSpec
	if spec.RawFilter, spec.Filter, err = filterArgWith(req, "query", opts); err != nil {
		return err
	}
	skip, err := countSkipArg(req.Arg("skip"))
	if err != nil {
		return err
	}
	limit, err := countLimitArg(req.Arg("limit"))
	if err != nil {
		return err
	}
	if _, err := maxTimeArg(req); err != nil {
		return err
	}
	spec.Skip, spec.Limit = skip, limit
	st, coll, err := s.readSource(ctx, req, req.DB, name, spec, opts)
	if err != nil {
		return err
	}
	s.Stats.Query.Add(1)
	var n int64
	if _, _, view := viewOf(coll); coll != nil && !view && len(spec.RawFilter) <= 5 {
		// An empty query counts from the collection's counters, as mongod's
		// COUNT fast path reads the collection's record count.
		st.Close()
		n = max(coll.Count()-skip, 0)
		if limit > 0 {
			n = min(n, limit)
		}
	} else {
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
	appendNumber(reply, "n", n)
	return nil
}

// countLimitArg parses count's limit: any integral number, a negative
// one meaning its absolute value (count has no "single batch").
func countLimitArg(v bson.RawValue) (int64, error) {
	if v.Type == 0 {
		return 0, nil
	}
	if !isNumber(v) {
		return 0, mongoerr.New(mongoerr.BadValue, "limit value is not a valid number")
	}
	n, err := bsonx.IntegerElement("limit", v)
	if err != nil {
		return 0, err
	}
	if n == math.MinInt64 {
		return 0, mongoerr.New(mongoerr.BadValue, "limit value for count cannot be min long")
	}
	if n < 0 {
		n = -n
	}
	return n, nil
}

// countSkipArg parses count's skip: a non-negative integral number.
func countSkipArg(v bson.RawValue) (int64, error) {
	if v.Type == 0 {
		return 0, nil
	}
	if !isNumber(v) {
		return 0, mongoerr.New(mongoerr.BadValue, "skip value is not a valid number")
	}
	n, err := bsonx.IntegerElement("skip", v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, mongoerr.Newf(mongoerr.FailedToParse, "Expected a non-negative number in: skip: %s", bsonx.Format(v))
	}
	return n, nil
}

func isNumber(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return true
	}
	return false
}

// maxDistinctBytes is mongod's cap on distinct's values (16 MiB less
// room for the rest of the reply).
const maxDistinctBytes = MaxBSONObjectSize - 4096

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
	opts, err := queryOptions(req, "distinct.collation", req.Arg("collation"))
	if err != nil {
		return err
	}
	var spec exec.FindSpec
	if spec.RawFilter, spec.Filter, err = filterArgWith(req, "query", opts); err != nil {
		return err
	}
	if _, err := maxTimeArg(req); err != nil {
		return err
	}
	st, _, err := s.readSource(ctx, req, req.DB, name, spec, opts)
	if err != nil {
		return err
	}
	s.Stats.Query.Add(1)
	defer st.Close()
	leaf := key[strings.LastIndexByte(key, '.')+1:]
	set := distinctSet{seen: map[string]struct{}{}}
	for {
		doc, ok, err := st.Next(ctx)
		if err != nil {
			return executorError(err, "distinct command")
		}
		if !ok {
			break
		}
		for _, v := range bsonx.DistinctValues(doc, key) {
			if !set.add(v, leaf) {
				continue
			}
			// mongod's running estimate: the size of each new value's
			// element, checked as values are collected.
			if set.bytes >= maxDistinctBytes {
				return executorError(mongoerr.New(mongoerr.Location17217, "distinct too big, 16mb cap"), "distinct command")
			}
		}
	}
	// mongod collects distinct values in an ordered set: the reply lists
	// them sorted in BSON order, once each under BSON equality (so 1,
	// NumberLong(1) and 1.0 are one value, the first one found).
	// Under a collation, strings equal by it are one value too.
	cmp := bsonx.Compare
	if opts.Collator != nil {
		cmp = func(a, b bson.RawValue) int { return bsonx.CompareWith(a, b, opts.Collator) }
	}
	values := set.values
	slices.SortStableFunc(values, cmp)
	values = slices.CompactFunc(values, func(a, b bson.RawValue) bool { return cmp(a, b) == 0 })
	arr := bsoncore.NewArrayBuilder()
	for _, v := range values {
		arr.AppendValue(bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
	}
	built := arr.Build()
	if 4+1+len("values")+1+len(built)+1 >= maxDistinctBytes {
		return mongoerr.New(mongoerr.Location31299, "distinct too big, 16mb cap")
	}
	reply.AppendArray("values", built)
	return nil
}

// distinctSet gathers distinct's values, dropping exact repeats as they
// arrive so that memory follows the number of distinct values, not of
// documents. Values that are equal only under BSON comparison (1 and
// 1.5-1+0.5, or {a: 1} and {a: 1.0}) may both be kept here; the final
// sort merges them.
type distinctSet struct {
	seen   map[string]struct{}
	values []bson.RawValue
	bytes  int
}

func (d *distinctSet) add(v bson.RawValue, field string) bool {
	k := distinctKey(v)
	if _, ok := d.seen[k]; ok {
		return false
	}
	d.seen[k] = struct{}{}
	d.values = append(d.values, v)
	d.bytes += 1 + len(field) + 1 + len(v.Value)
	return true
}

// distinctKey is a map key for v under which numerically equal numbers
// of different types collide, as they compare equal in BSON.
func distinctKey(v bson.RawValue) string {
	var buf [9]byte
	num := func(n int64) string {
		buf[0] = 'n'
		binary.LittleEndian.PutUint64(buf[1:], uint64(n))
		return string(buf[:])
	}
	switch v.Type {
	case bson.TypeInt32:
		return num(int64(v.Int32()))
	case bson.TypeInt64:
		return num(v.Int64())
	case bson.TypeDouble:
		f := v.Double()
		if math.IsNaN(f) {
			return "NaN"
		}
		if f == math.Trunc(f) && f >= -0x1p63 && f < 0x1p63 {
			return num(int64(f))
		}
		buf[0] = 'd'
		binary.LittleEndian.PutUint64(buf[1:], math.Float64bits(f))
		return string(buf[:])
	case bson.TypeDecimal128:
		if n, err := bsonx.IntegerElement("", v); err == nil {
			return num(n)
		}
	}
	return string(rune(v.Type)) + string(v.Value)
}
