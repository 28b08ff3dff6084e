package query

import (
	"math"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

type cmpOp int

const (
	opEQ cmpOp = iota
	opGT
	opGTE
	opLT
	opLTE
)

var cmpOps = map[string]cmpOp{"$eq": opEQ, "$ne": opEQ, "$gt": opGT, "$gte": opGTE, "$lt": opLT, "$lte": opLTE}

// cmpPred compares a value with a constant in MongoDB's order: only
// values of the constant's type bracket match (a number bound never
// matches a string), except MinKey/MaxKey bounds, and null matches a
// missing value.
type cmpPred struct {
	op   cmpOp
	val  bson.RawValue
	coll Collator
}

func (p *parser) cmp(op cmpOp, v bson.RawValue) *cmpPred {
	return &cmpPred{op: op, val: v, coll: p.opts.Collator}
}

func (c *cmpPred) expand() bool { return true }

func (c *cmpPred) inclusive() bool { return c.op == opEQ || c.op == opGTE || c.op == opLTE }

func (c *cmpPred) test(v bson.RawValue) bool {
	if c.val.Type == bson.TypeNull {
		return (v.Type == 0 || v.Type == bson.TypeNull) && c.inclusive()
	}
	if v.Type == 0 {
		return false
	}
	if bsonx.CanonicalType(bsoncoreType(v.Type)) != bsonx.CanonicalType(bsoncoreType(c.val.Type)) {
		switch c.val.Type {
		case bson.TypeMaxKey:
			return c.op == opLT || c.op == opLTE
		case bson.TypeMinKey:
			return c.op == opGT || c.op == opGTE
		}
		return false
	}
	if vn, cn := isNaN(v), isNaN(c.val); vn || cn {
		return vn && cn && c.inclusive()
	}
	r := compareValues(v, c.val, c.coll)
	switch c.op {
	case opEQ:
		return r == 0
	case opGT:
		return r > 0
	case opGTE:
		return r >= 0
	case opLT:
		return r < 0
	}
	return r <= 0
}

func parseCmp(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	if arg.Type == bson.TypeUndefined {
		return nil, mongoerr.New(mongoerr.BadValue, "cannot compare to undefined")
	}
	if arg.Type == bson.TypeRegex {
		switch name {
		case "$ne":
			return nil, mongoerr.New(mongoerr.BadValue, "Can't have regex as arg to $ne.")
		case "$gt", "$gte", "$lt", "$lte":
			return nil, mongoerr.Newf(mongoerr.BadValue, "Can't have RegEx as arg to predicate over field '%s'.", p.path)
		}
	}
	c := p.cmp(cmpOps[name], arg)
	if name == "$ne" {
		return notPred{c}, nil
	}
	return c, nil
}

// inPred matches values equal to any of a set of constants, or matching
// any of its regexes. Large sets are sorted for binary search.
type inPred struct {
	vals    []bson.RawValue
	regexes []*regexPred
	hasNull bool
	sorted  bool
	coll    Collator
}

func (in *inPred) expand() bool { return true }

func (in *inPred) test(v bson.RawValue) bool {
	if v.Type == 0 || v.Type == bson.TypeNull {
		return in.hasNull
	}
	for _, r := range in.regexes {
		if r.test(v) {
			return true
		}
	}
	if in.sorted {
		i := sort.Search(len(in.vals), func(i int) bool { return compareValues(in.vals[i], v, in.coll) >= 0 })
		return i < len(in.vals) && compareValues(in.vals[i], v, in.coll) == 0
	}
	for _, x := range in.vals {
		if bsonx.CanonicalType(bsoncoreType(x.Type)) == bsonx.CanonicalType(bsoncoreType(v.Type)) && compareValues(x, v, in.coll) == 0 {
			return true
		}
	}
	return false
}

func parseIn(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	arr, ok := arg.ArrayOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.BadValue, "%s needs an array", name)
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	in := &inPred{coll: p.opts.Collator}
	for _, v := range vals {
		if _, isOp := operatorDoc(v, false); isOp {
			return nil, mongoerr.New(mongoerr.BadValue, "cannot nest $ under $in")
		}
		switch v.Type {
		case bson.TypeRegex:
			pat, opts := v.Regex()
			r, err := newRegexPred(pat, opts)
			if err != nil {
				return nil, err
			}
			in.regexes = append(in.regexes, r)
		case bson.TypeUndefined:
			return nil, mongoerr.New(mongoerr.BadValue, "InMatchExpression equality cannot be undefined")
		case bson.TypeNull:
			in.hasNull = true
		default:
			in.vals = append(in.vals, v)
		}
	}
	if len(in.vals) > 8 {
		sort.SliceStable(in.vals, func(i, j int) bool { return compareValues(in.vals[i], in.vals[j], in.coll) < 0 })
		in.sorted = true
	}
	if name == "$nin" {
		return notPred{in}, nil
	}
	return in, nil
}

// existsPred matches any value that is there.
type existsPred struct{}

func (existsPred) test(v bson.RawValue) bool { return v.Type != 0 }
func (existsPred) expand() bool              { return false }

func parseExists(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	if expr.Truthy(arg) {
		return existsPred{}, nil
	}
	return notPred{existsPred{}}, nil
}

func parseNot(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	if arg.Type == bson.TypeRegex {
		pat, opts := arg.Regex()
		r, err := newRegexPred(pat, opts)
		if err != nil {
			return nil, err
		}
		return notPred{r}, nil
	}
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.BadValue, "$not needs a regex or a document")
	}
	if len(d) <= 5 {
		return nil, mongoerr.New(mongoerr.BadValue, "$not cannot be empty")
	}
	sub, err := p.parseOps(d)
	if err != nil {
		return nil, err
	}
	return notPred{sub}, nil
}

// sizePred matches arrays of exactly n elements.
type sizePred int

func (s sizePred) expand() bool { return false }

func (s sizePred) test(v bson.RawValue) bool {
	if v.Type != bson.TypeArray {
		return false
	}
	n := 0
	forEach(v.Value, func(int, []byte, bson.RawValue) bool { n++; return false })
	return n == int(s)
}

func parseSize(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	if !bsonx.IsNumber(arg.Type) {
		return nil, mongoerr.New(mongoerr.BadValue, "$size needs a number")
	}
	var n int64
	switch arg.Type {
	case bson.TypeInt32, bson.TypeInt64:
		n = arg.AsInt64()
	default:
		f := numberFloat(arg)
		if f != math.Trunc(f) {
			return nil, mongoerr.New(mongoerr.BadValue, "$size must be a whole number")
		}
		if math.IsInf(f, 0) {
			return alwaysPred(false), nil
		}
		n = int64(f)
	}
	if n < 0 {
		return nil, mongoerr.New(mongoerr.BadValue, "$size may not be negative")
	}
	if n > math.MaxInt32 {
		return alwaysPred(false), nil
	}
	return sizePred(n), nil
}

// typePred matches values of any of a set of BSON types.
type typePred struct {
	types  map[bson.Type]bool
	number bool
}

func (t *typePred) expand() bool { return true }

func (t *typePred) test(v bson.RawValue) bool {
	if v.Type == 0 {
		return false
	}
	return t.types[v.Type] || t.number && bsonx.IsNumber(v.Type)
}

func parseType(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	t := &typePred{types: map[bson.Type]bool{}}
	add := func(v bson.RawValue) error {
		switch {
		case bsonx.IsNumber(v.Type):
			f := numberFloat(v)
			code := int64(f)
			if float64(code) != f || !bsonx.ValidType(code) {
				return mongoerr.Newf(mongoerr.BadValue, "Invalid numerical type code: %s", bsonx.Format(v))
			}
			t.types[bson.Type(byte(code))] = true
		case v.Type == bson.TypeString:
			s := v.StringValue()
			if s == "number" {
				t.number = true
				return nil
			}
			bt, ok := bsonx.TypeByAlias(s)
			if !ok {
				return mongoerr.Newf(mongoerr.BadValue, "Unknown type name alias: %s", s)
			}
			t.types[bt] = true
		default:
			return mongoerr.New(mongoerr.TypeMismatch, "type must be represented as a number or a string")
		}
		return nil
	}
	if arr, ok := arg.ArrayOK(); ok {
		vals, _ := arr.Values()
		for _, v := range vals {
			if err := add(v); err != nil {
				return nil, err
			}
		}
		if len(vals) == 0 {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s must match at least one type", p.path)
		}
		return t, nil
	}
	if err := add(arg); err != nil {
		return nil, err
	}
	return t, nil
}

// modPred matches numbers whose value truncated to an integer leaves the
// remainder when divided by the divisor.
type modPred struct{ div, rem int64 }

func (m *modPred) expand() bool { return true }

func (m *modPred) test(v bson.RawValue) bool {
	n, ok := truncInt64(v)
	return ok && n%m.div == m.rem
}

// truncInt64 truncates a number towards zero; NaN, infinities and values
// outside int64 give false.
func truncInt64(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		return int64(v.Int32()), true
	case bson.TypeInt64:
		return v.Int64(), true
	case bson.TypeDouble:
		return floatInt64(math.Trunc(v.Double()))
	case bson.TypeDecimal128:
		return floatInt64(math.Trunc(decimalFloat(v)))
	}
	return 0, false
}

func floatInt64(f float64) (int64, bool) {
	if math.IsNaN(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return 0, false
	}
	return int64(f), true
}

func parseMod(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	arr, ok := arg.ArrayOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.BadValue, "malformed mod, needs to be an array")
	}
	vals, _ := arr.Values()
	if len(vals) < 2 {
		return nil, mongoerr.New(mongoerr.BadValue, "malformed mod, not enough elements")
	}
	if len(vals) > 2 {
		return nil, mongoerr.New(mongoerr.BadValue, "malformed mod, too many elements")
	}
	if !bsonx.IsNumber(vals[0].Type) {
		return nil, mongoerr.New(mongoerr.BadValue, "malformed mod, divisor not a number")
	}
	if !bsonx.IsNumber(vals[1].Type) {
		return nil, mongoerr.New(mongoerr.BadValue, "malformed mod, remainder not a number")
	}
	div, ok := truncInt64(vals[0])
	if !ok {
		return nil, mongoerr.Newf(mongoerr.BadValue, "malformed mod, divisor value is invalid :: caused by :: Out of bounds coercing to integral value: %s", bsonx.Format(vals[0]))
	}
	rem, ok := truncInt64(vals[1])
	if !ok {
		return nil, mongoerr.Newf(mongoerr.BadValue, "malformed mod, remainder value is invalid :: caused by :: Out of bounds coercing to integral value: %s", bsonx.Format(vals[1]))
	}
	if div == 0 {
		return nil, mongoerr.New(mongoerr.BadValue, "divisor cannot be 0")
	}
	return &modPred{div: div, rem: rem}, nil
}

func parseAll(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	arr, ok := arg.ArrayOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.BadValue, "$all needs an array")
	}
	vals, _ := arr.Values()
	if len(vals) == 0 {
		return alwaysPred(false), nil
	}
	isElemMatch := func(v bson.RawValue) (bson.RawValue, bool) {
		d, ok := v.DocumentOK()
		if !ok || firstKey(d) != "$elemMatch" {
			return bson.RawValue{}, false
		}
		return d.Index(0).Value(), true
	}
	var and andPred
	if _, ok := isElemMatch(vals[0]); ok {
		for _, v := range vals {
			em, ok := isElemMatch(v)
			if !ok {
				return nil, mongoerr.New(mongoerr.BadValue, "$all/$elemMatch has to be consistent")
			}
			pr, err := parseElemMatch(p, "$elemMatch", em, nil)
			if err != nil {
				return nil, err
			}
			and = append(and, pr)
		}
		return and, nil
	}
	for _, v := range vals {
		switch {
		case v.Type == bson.TypeRegex:
			pat, opts := v.Regex()
			r, err := newRegexPred(pat, opts)
			if err != nil {
				return nil, err
			}
			and = append(and, r)
		case isPathOperatorDoc(v):
			return nil, mongoerr.New(mongoerr.BadValue, "no $ expressions in $all")
		default:
			and = append(and, p.cmp(opEQ, v))
		}
	}
	return and, nil
}

// isPathOperatorDoc reports a document whose first field is a path
// operator ({$gt: 1}).
func isPathOperatorDoc(v bson.RawValue) bool {
	d, ok := v.DocumentOK()
	if !ok {
		return false
	}
	_, isOp := pathOperators[firstKey(d)]
	return isOp
}

// elemValuePred is $elemMatch over values ({$elemMatch: {$gt: 1}}): an
// array with an element satisfying every operator.
type elemValuePred struct{ sub pred }

func (e *elemValuePred) expand() bool { return false }

func (e *elemValuePred) test(v bson.RawValue) bool { ok, _ := e.testIndex(v); return ok }

func (e *elemValuePred) testIndex(v bson.RawValue) (bool, int) {
	if v.Type != bson.TypeArray {
		return false, -1
	}
	at := -1
	forEach(v.Value, func(i int, _ []byte, el bson.RawValue) bool {
		if e.sub.test(el) {
			at = i
			return true
		}
		return false
	})
	return at >= 0, at
}

// elemDocPred is $elemMatch over documents ({$elemMatch: {b: 1, c: 2}}):
// an array with a document (or array) element matching the sub-filter.
type elemDocPred struct{ sub node }

func (e *elemDocPred) expand() bool { return false }

func (e *elemDocPred) test(v bson.RawValue) bool { ok, _ := e.testIndex(v); return ok }

func (e *elemDocPred) testIndex(v bson.RawValue) (bool, int) {
	if v.Type != bson.TypeArray {
		return false, -1
	}
	at := -1
	forEach(v.Value, func(i int, _ []byte, el bson.RawValue) bool {
		if (el.Type == bson.TypeEmbeddedDocument || el.Type == bson.TypeArray) && e.sub.match(el.Value, nil) {
			at = i
			return true
		}
		return false
	})
	return at >= 0, at
}

func parseElemMatch(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.BadValue, "$elemMatch needs an Object")
	}
	if ops, isOp := operatorDoc(arg, true); isOp {
		if _, top := topOperators[firstKey(ops)]; !top {
			sub, err := p.parseOps(ops)
			if err != nil {
				return nil, err
			}
			return &elemValuePred{sub: sub}, nil
		}
	}
	saved := p.path
	sub, err := p.parseDoc(d, levelSub)
	p.path = saved
	if err != nil {
		return nil, err
	}
	return &elemDocPred{sub: sub}, nil
}

// bitsPred tests bit positions of integral numbers (two's complement,
// sign-extended past bit 63) and of BinData bytes (little-endian).
type bitsPred struct {
	positions []uint32
	all, set  bool // $bitsAll* vs $bitsAny*, *Set vs *Clear
}

func (b *bitsPred) expand() bool { return true }

func (b *bitsPred) test(v bson.RawValue) bool {
	var bit func(pos uint32) bool
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		n := v.AsInt64()
		bit = func(pos uint32) bool { return int64Bit(n, pos) }
	case bson.TypeDouble, bson.TypeDecimal128:
		f := numberFloat(v)
		if f != math.Trunc(f) {
			return false
		}
		n, ok := floatInt64(f)
		if !ok {
			return false
		}
		bit = func(pos uint32) bool { return int64Bit(n, pos) }
	case bson.TypeBinary:
		_, data := v.Binary()
		bit = func(pos uint32) bool {
			i := pos / 8
			return int(i) < len(data) && data[i]&(1<<(pos%8)) != 0
		}
	default:
		return false
	}
	for _, pos := range b.positions {
		ok := bit(pos) == b.set
		if b.all && !ok {
			return false
		}
		if !b.all && ok {
			return true
		}
	}
	return b.all
}

func int64Bit(n int64, pos uint32) bool {
	if pos >= 64 {
		return n < 0
	}
	return n&(1<<pos) != 0
}

func parseBits(p *parser, name string, arg bson.RawValue, _ bson.Raw) (pred, error) {
	b := &bitsPred{
		all: name == "$bitsAllSet" || name == "$bitsAllClear",
		set: name == "$bitsAllSet" || name == "$bitsAnySet",
	}
	switch {
	case arg.Type == bson.TypeArray:
		vals, _ := bson.Raw(arg.Value).Values()
		for _, v := range vals {
			pos, err := bitPosition(v)
			if err != nil {
				return nil, err
			}
			b.positions = append(b.positions, pos)
		}
	case bsonx.IsNumber(arg.Type):
		mask, err := bsonx.IntegerElement(name, arg)
		if err != nil {
			return nil, err
		}
		if mask < 0 {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Expected a positive number in: %s: %s", name, bsonx.Format(arg))
		}
		for i := uint32(0); i < 63; i++ {
			if mask&(1<<i) != 0 {
				b.positions = append(b.positions, i)
			}
		}
	case arg.Type == bson.TypeBinary:
		_, data := arg.Binary()
		for i, c := range data {
			for j := uint32(0); j < 8; j++ {
				if c&(1<<j) != 0 {
					b.positions = append(b.positions, uint32(i)*8+j)
				}
			}
		}
	default:
		return nil, mongoerr.Newf(mongoerr.BadValue, "%s takes an Array, a number, or a BinData but received: %s: %s", name, name, bsonx.Format(arg))
	}
	return b, nil
}

func bitPosition(v bson.RawValue) (uint32, error) {
	if !bsonx.IsNumber(v.Type) {
		return 0, mongoerr.Newf(mongoerr.BadValue, "bit positions must be an integer but got: %s", bsonx.Format(v))
	}
	var n int64
	switch v.Type {
	case bson.TypeDouble, bson.TypeDecimal128:
		f := numberFloat(v)
		if math.IsNaN(f) {
			return 0, mongoerr.Newf(mongoerr.BadValue, "bit positions cannot take a NaN: %s", bsonx.Format(v))
		}
		if f > math.MaxInt32 || f < math.MinInt32 {
			return 0, mongoerr.Newf(mongoerr.BadValue, "bit positions cannot be represented as a 32-bit signed integer: %s", bsonx.Format(v))
		}
		if f != math.Trunc(f) {
			return 0, mongoerr.Newf(mongoerr.BadValue, "bit positions must be an integer but got: %s", bsonx.Format(v))
		}
		n = int64(f)
	default:
		n = v.AsInt64()
		if n > math.MaxInt32 || n < math.MinInt32 {
			return 0, mongoerr.Newf(mongoerr.BadValue, "bit positions cannot be represented as a 32-bit signed integer: %s", bsonx.Format(v))
		}
	}
	if n < 0 {
		return 0, mongoerr.Newf(mongoerr.BadValue, "bit positions must be >= 0 but got: %s", bsonx.Format(v))
	}
	return uint32(n), nil
}
