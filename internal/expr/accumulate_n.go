package expr

import (
	"sort"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The accumulators that keep n values: $firstN, $lastN, $minN, $maxN,
// $topN, $bottomN, and $top and $bottom (n = 1, a single value), as
// mongod's accumulator_multi. Their n is an expression evaluated once
// per group against the group key (the _id document, or an empty
// document when the key is not one).

// mongod's assertion codes for $top / $bottom and their N forms.
const (
	codeTopBottomNotObject mongoerr.Code = 5788001
	codeTopBottomUnknown   mongoerr.Code = 5788002
	codeTopBottomMissingN  mongoerr.Code = 5788003
	codeTopBottomNoOutput  mongoerr.Code = 5788004
	codeTopBottomNoSortBy  mongoerr.Code = 5788005
	codeSortByNotObject    mongoerr.Code = 10065
	codeSortIllegalKey     mongoerr.Code = 15974
	codeSortBadOrder       mongoerr.Code = 15975
	codeSortEmpty          mongoerr.Code = 15976
)

// nInit is the n of an N accumulator: a constant or an expression of
// the group key.
type nInit struct{ x Expr }

func (n nInit) eval(ec *EvalContext, key bson.RawValue) (int64, error) {
	v, err := n.x.Eval(ec, initializerRoot(key))
	if err != nil {
		return 0, err
	}
	return validateN(v)
}

func isConstantExpr(x Expr) bool {
	_, ok := Constant(x)
	return ok
}

// parseFirstLastMinMaxN parses {n, input} for $firstN, $lastN, $minN
// and $maxN.
func parseFirstLastMinMaxN(sense nSense) func(string, bson.RawValue, *ParseContext) (*AccumulatorExpr, error) {
	return func(op string, arg bson.RawValue, pc *ParseContext) (*AccumulatorExpr, error) {
		if arg.Type != bson.TypeEmbeddedDocument {
			code := codeFirstLastNNotObject
			if sense == senseMin || sense == senseMax {
				code = codeMinMaxNNotObject
			}
			return nil, mongoerr.Newf(code, "specification must be an object; found %s: %s", op, valueString(arg))
		}
		elems, err := bson.Raw(arg.Value).Elements()
		if err != nil {
			return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
		}
		var n, input Expr
		for _, el := range elems {
			switch el.Key() {
			case "n":
				n, err = Parse(el.Value(), pc)
			case "input":
				input, err = Parse(el.Value(), pc)
			default:
				return nil, mongoerr.Newf(codeNUnknownArg, "Unknown argument for 'n' operator: %s", el.Key())
			}
			if err != nil {
				return nil, err
			}
		}
		if n == nil {
			return nil, mongoerr.New(codeNMissingN, "Missing value for 'n'")
		}
		if input == nil {
			return nil, mongoerr.New(codeNMissingInput, "Missing value for 'input'")
		}
		ni := nInit{n}
		return &AccumulatorExpr{Op: op, input: input, keyDependent: !isConstantExpr(n),
			newAcc: func(ec *EvalContext, key bson.RawValue) (Accumulator, error) {
				nv, err := ni.eval(ec, key)
				if err != nil {
					return nil, err
				}
				if sense == senseFirst || sense == senseLast {
					return &firstLastNAcc{op: op, n: nv, last: sense == senseLast}, nil
				}
				return &minMaxNAcc{op: op, ec: ec, n: nv, max: sense == senseMax}, nil
			}}, nil
	}
}

// firstLastNAcc is $firstN / $lastN: missing values count, as null.
type firstLastNAcc struct {
	op   string
	n    int64
	last bool
	vals []bson.RawValue
	mem  int64
}

func (a *firstLastNAcc) Add(v bson.RawValue) { _ = a.Accumulate(v) }

func (a *firstLastNAcc) Accumulate(v bson.RawValue) error {
	if v.Type == 0 {
		v = nullValue
	}
	if int64(len(a.vals)) == a.n {
		if !a.last {
			return nil
		}
		a.mem -= valueSize(a.vals[0])
		a.vals[0] = bson.RawValue{}
		a.vals = a.vals[1:]
	}
	a.vals = append(a.vals, cloneRaw(v))
	a.mem += valueSize(v)
	if a.mem > AccumulatorMemLimit {
		return tooMuchMemory(a.op)
	}
	return nil
}

func (a *firstLastNAcc) Result() bson.RawValue  { return arrayValue(a.vals) }
func (a *firstLastNAcc) MemSize() int64         { return 64 + a.mem }
func (a *firstLastNAcc) Partial() bson.RawValue { return arrayValue(a.vals) }

func (a *firstLastNAcc) Merge(p bson.RawValue) error {
	if p.Type != bson.TypeArray {
		return badPartial(a.op)
	}
	for _, v := range arrayValues(p) {
		if err := a.Accumulate(v); err != nil {
			return err
		}
	}
	return nil
}

// minMaxNAcc is $minN / $maxN: null and missing are skipped; the values
// are held ascending (equal ones in arrival order); a new value
// replaces the worst one only when strictly better; $maxN reads the set
// backwards.
type minMaxNAcc struct {
	op   string
	ec   *EvalContext
	n    int64
	max  bool
	vals []bson.RawValue
	mem  int64
}

func (a *minMaxNAcc) Add(v bson.RawValue) { _ = a.Accumulate(v) }

func (a *minMaxNAcc) Accumulate(v bson.RawValue) error {
	if nullish(v) {
		return nil
	}
	if int64(len(a.vals)) == a.n {
		if a.max {
			if compareValues(a.ec, a.vals[0], v) >= 0 {
				return nil
			}
			a.mem -= valueSize(a.vals[0])
			a.vals = append(a.vals[:0], a.vals[1:]...)
		} else {
			last := len(a.vals) - 1
			if compareValues(a.ec, a.vals[last], v) <= 0 {
				return nil
			}
			a.mem -= valueSize(a.vals[last])
			a.vals = a.vals[:last]
		}
	}
	at := sort.Search(len(a.vals), func(i int) bool { return compareValues(a.ec, a.vals[i], v) > 0 })
	a.vals = append(a.vals, bson.RawValue{})
	copy(a.vals[at+1:], a.vals[at:])
	a.vals[at] = cloneRaw(v)
	a.mem += valueSize(v)
	if a.mem > AccumulatorMemLimit {
		return tooMuchMemory(a.op)
	}
	return nil
}

func (a *minMaxNAcc) Result() bson.RawValue {
	if !a.max {
		return arrayValue(a.vals)
	}
	out := make([]bson.RawValue, len(a.vals))
	for i, v := range a.vals {
		out[len(a.vals)-1-i] = v
	}
	return arrayValue(out)
}

func (a *minMaxNAcc) MemSize() int64         { return 64 + a.mem }
func (a *minMaxNAcc) Partial() bson.RawValue { return arrayValue(a.vals) }

func (a *minMaxNAcc) Merge(p bson.RawValue) error {
	if p.Type != bson.TypeArray {
		return badPartial(a.op)
	}
	for _, v := range arrayValues(p) {
		if err := a.Accumulate(v); err != nil {
			return err
		}
	}
	return nil
}

// $top, $bottom, $topN, $bottomN.

// sortFieldName names the i-th sort value in the evaluated argument,
// as mongod's "sortFields<i>".
func sortFieldName(i int) string { return "sortFields" + strconv.Itoa(i) }

// parseTopBottom parses {n?, output, sortBy}. As in mongod, the input
// is the document {output: <output>, sortFields0: "$<first sort
// field>", …} evaluated per document.
func parseTopBottom(bottom, single bool) func(string, bson.RawValue, *ParseContext) (*AccumulatorExpr, error) {
	return func(op string, arg bson.RawValue, pc *ParseContext) (*AccumulatorExpr, error) {
		if arg.Type != bson.TypeEmbeddedDocument {
			return nil, mongoerr.Newf(codeTopBottomNotObject, "specification must be an object; found %s: %s", op, valueString(arg))
		}
		elems, err := bson.Raw(arg.Value).Elements()
		if err != nil {
			return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
		}
		var n Expr
		var output, sortBy bson.RawValue
		for _, el := range elems {
			switch {
			case el.Key() == "n" && !single:
				if n, err = Parse(el.Value(), pc); err != nil {
					return nil, err
				}
			case el.Key() == "output":
				output = el.Value()
			case el.Key() == "sortBy":
				if el.Value().Type != bson.TypeEmbeddedDocument {
					return nil, mongoerr.New(codeSortByNotObject, "invalid parameter: expected an object (sortBy)")
				}
				sortBy = el.Value()
			default:
				return nil, mongoerr.Newf(codeTopBottomUnknown, "Unknown argument to %s '%s'", op, el.Key())
			}
		}
		if single {
			n = constant{int32Value(1)}
		} else if n == nil {
			return nil, mongoerr.New(codeTopBottomMissingN, "Missing value for 'n'")
		}
		if output.Type == 0 {
			return nil, mongoerr.New(codeTopBottomNoOutput, "Missing value for 'output'")
		}
		if sortBy.Type == 0 {
			return nil, mongoerr.New(codeTopBottomNoSortBy, "Missing value for 'sortBy'")
		}
		dirs, fields, err := parseSortBy(bson.Raw(sortBy.Value))
		if err != nil {
			return nil, err
		}
		b := bsoncore.NewDocumentBuilder().AppendValue("output", toCore(output))
		for i, f := range fields {
			b.AppendString(sortFieldName(i), "$"+f)
		}
		input, err := Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: b.Build()}, pc)
		if err != nil {
			return nil, err
		}
		ni := nInit{n}
		return &AccumulatorExpr{Op: op, input: input, keyDependent: !isConstantExpr(n),
			newAcc: func(ec *EvalContext, key bson.RawValue) (Accumulator, error) {
				nv, err := ni.eval(ec, key)
				if err != nil {
					return nil, err
				}
				return &topBottomAcc{op: op, ec: ec, n: nv, bottom: bottom, single: single, dirs: dirs}, nil
			}}, nil
	}
}

// parseSortBy checks a sortBy document as mongod's SortPattern does.
func parseSortBy(spec bson.Raw) (dirs []int, fields []string, err error) {
	elems, err := spec.Elements()
	if err != nil {
		return nil, nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON: %v", err)
	}
	for _, e := range elems {
		v := e.Value()
		if v.Type == bson.TypeEmbeddedDocument {
			if bson.Raw(v.Value).Lookup("$meta").Type != 0 {
				return nil, nil, mongoerr.New(mongoerr.NotImplemented, "$meta in a sortBy is not supported by SecantusDB yet")
			}
			return nil, nil, mongoerr.Newf(codeSortIllegalKey, "Illegal key in $sort specification: %s: %s", e.Key(), valueString(v))
		}
		if !numeric(v) {
			return nil, nil, mongoerr.Newf(codeSortIllegalKey, "Illegal key in $sort specification: %s: %s", e.Key(), valueString(v))
		}
		f := asFloat(v)
		if f != 1 && f != -1 {
			return nil, nil, mongoerr.New(codeSortBadOrder, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
		}
		if e.Key() == "" || strings.HasPrefix(e.Key(), "$") {
			return nil, nil, mongoerr.Newf(mongoerr.Location16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
		dirs = append(dirs, int(f))
		fields = append(fields, e.Key())
	}
	if len(dirs) == 0 {
		return nil, nil, mongoerr.New(codeSortEmpty, "$sort stage must have at least one sort key")
	}
	return dirs, fields, nil
}

type tbItem struct {
	key []bson.RawValue
	out bson.RawValue
}

// topBottomAcc holds at most n (sort key, output) pairs in ascending
// sort order, equal keys in arrival order. $top(N) keeps the smallest
// keys, $bottom(N) the largest; on a tie the first value seen stays.
type topBottomAcc struct {
	op             string
	ec             *EvalContext
	n              int64
	bottom, single bool
	dirs           []int
	items          []tbItem
	mem            int64
}

func (a *topBottomAcc) cmp(x, y []bson.RawValue) int {
	for i, d := range a.dirs {
		if c := compareValues(a.ec, x[i], y[i]); c != 0 {
			return c * d
		}
	}
	return 0
}

// sortKeyOf is the sort key of one sort field's value, as mongod's
// SortKeyGenerator: missing sorts as null, an array by its smallest
// element (ascending) or largest (descending), an empty array below
// null.
func (a *topBottomAcc) sortKeyOf(v bson.RawValue, dir int) bson.RawValue {
	switch v.Type {
	case 0:
		return nullValue
	case bson.TypeArray:
		elems := arrayValues(v)
		if len(elems) == 0 {
			return bson.RawValue{Type: bson.TypeUndefined}
		}
		best := elems[0]
		for _, e := range elems[1:] {
			if c := compareValues(a.ec, e, best); c*dir < 0 {
				best = e
			}
		}
		return best
	}
	return v
}

func (a *topBottomAcc) Add(v bson.RawValue) { _ = a.Accumulate(v) }

func (a *topBottomAcc) Accumulate(v bson.RawValue) error {
	d, ok := v.DocumentOK()
	if !ok {
		return mongoerr.Newf(mongoerr.InternalError, "%s tried to get a sort key on something that wasn't a BSON object", a.op)
	}
	out := d.Lookup("output")
	if out.Type == 0 {
		out = nullValue
	}
	key := make([]bson.RawValue, len(a.dirs))
	for i, dir := range a.dirs {
		key[i] = cloneRaw(a.sortKeyOf(d.Lookup(sortFieldName(i)), dir))
	}
	return a.insert(key, cloneRaw(out))
}

func (a *topBottomAcc) insert(key []bson.RawValue, out bson.RawValue) error {
	if int64(len(a.items)) == a.n {
		if !a.bottom {
			last := len(a.items) - 1
			if a.cmp(a.items[last].key, key) <= 0 {
				return nil
			}
			a.mem -= a.itemSize(a.items[last])
			a.items = a.items[:last]
		} else {
			if a.cmp(key, a.items[0].key) <= 0 {
				return nil
			}
			a.mem -= a.itemSize(a.items[0])
			a.items = append(a.items[:0], a.items[1:]...)
		}
	}
	at := sort.Search(len(a.items), func(i int) bool { return a.cmp(a.items[i].key, key) > 0 })
	a.items = append(a.items, tbItem{})
	copy(a.items[at+1:], a.items[at:])
	a.items[at] = tbItem{key: key, out: out}
	a.mem += a.itemSize(a.items[at])
	if a.mem > AccumulatorMemLimit {
		return tooMuchMemory(a.op)
	}
	return nil
}

func (a *topBottomAcc) itemSize(it tbItem) int64 {
	n := valueSize(it.out) + 32
	for _, k := range it.key {
		n += valueSize(k)
	}
	return n
}

func (a *topBottomAcc) Result() bson.RawValue {
	if a.single {
		if len(a.items) == 0 {
			return nullValue
		}
		return a.items[0].out
	}
	out := make([]bson.RawValue, len(a.items))
	for i, it := range a.items {
		out[i] = it.out
	}
	return arrayValue(out)
}

func (a *topBottomAcc) MemSize() int64 { return 64 + a.mem }

// Partial is [{k: [sort key], o: output}, …].
func (a *topBottomAcc) Partial() bson.RawValue {
	vals := make([]bson.RawValue, len(a.items))
	for i, it := range a.items {
		b := bsoncore.NewDocumentBuilder().AppendArray("k", arrayValue(it.key).Value).AppendValue("o", toCore(it.out))
		vals[i] = bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: b.Build()}
	}
	return arrayValue(vals)
}

func (a *topBottomAcc) Merge(p bson.RawValue) error {
	if p.Type != bson.TypeArray {
		return badPartial(a.op)
	}
	for _, it := range arrayValues(p) {
		d, ok := it.DocumentOK()
		if !ok {
			return badPartial(a.op)
		}
		key := arrayValues(d.Lookup("k"))
		if len(key) != len(a.dirs) {
			return badPartial(a.op)
		}
		if err := a.insert(key, d.Lookup("o")); err != nil {
			return err
		}
	}
	return nil
}

func init() {
	accumulatorParsers["$firstN"] = parseFirstLastMinMaxN(senseFirst)
	accumulatorParsers["$lastN"] = parseFirstLastMinMaxN(senseLast)
	accumulatorParsers["$minN"] = parseFirstLastMinMaxN(senseMin)
	accumulatorParsers["$maxN"] = parseFirstLastMinMaxN(senseMax)
	accumulatorParsers["$top"] = parseTopBottom(false, true)
	accumulatorParsers["$bottom"] = parseTopBottom(true, true)
	accumulatorParsers["$topN"] = parseTopBottom(false, false)
	accumulatorParsers["$bottomN"] = parseTopBottom(true, false)
}
