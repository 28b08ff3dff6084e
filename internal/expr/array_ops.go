package expr

import (
	"sort"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// mongod's assertion codes for the array operators (named Location<N>,
// as error_codes.yml gives them no names).
const (
	codeArrayElemAtNotArray      mongoerr.Code = 28689
	codeArrayElemAtIndexType     mongoerr.Code = 28690
	codeArrayElemAtIndexIntegral mongoerr.Code = 28691
	codeConcatArraysNotArray     mongoerr.Code = 28664
	codeIndexOfArrayNotArray     mongoerr.Code = 40090
	codeIndexOfArrayConstArray   mongoerr.Code = 50809
	codeIndexNotIntegral         mongoerr.Code = 40096
	codeIndexNegative            mongoerr.Code = 40097
	codeRangeStartType           mongoerr.Code = 34443
	codeRangeStartIntegral       mongoerr.Code = 34444
	codeRangeEndType             mongoerr.Code = 34445
	codeRangeEndIntegral         mongoerr.Code = 34446
	codeRangeStepType            mongoerr.Code = 34447
	codeRangeStepIntegral        mongoerr.Code = 34448
	codeRangeStepZero            mongoerr.Code = 34449
	codeReverseArrayNotArray     mongoerr.Code = 34435
	codeSizeNotArray             mongoerr.Code = 17124
	codeSliceNotArray            mongoerr.Code = 28724
	codeSliceArg2Type            mongoerr.Code = 28725
	codeSliceArg2Integral        mongoerr.Code = 28726
	codeSliceArg3Type            mongoerr.Code = 28727
	codeSliceArg3Integral        mongoerr.Code = 28728
	codeSliceArg3Positive        mongoerr.Code = 28729
	codeZipNotObject             mongoerr.Code = 34460
	codeZipInputsNotArray        mongoerr.Code = 34461
	codeZipDefaultsNotArray      mongoerr.Code = 34462
	codeZipLongestNotBool        mongoerr.Code = 34463
	codeZipUnknownArg            mongoerr.Code = 34464
	codeZipNoInputs              mongoerr.Code = 34465
	codeZipDefaultsNeedLongest   mongoerr.Code = 34466
	codeZipDefaultsLength        mongoerr.Code = 34467
	codeZipInputNotArray         mongoerr.Code = 34468
	codeSortArrayNotObject       mongoerr.Code = 2942500
	codeSortArrayUnknownArg      mongoerr.Code = 2942501
	codeSortArrayNoInput         mongoerr.Code = 2942502
	codeSortArrayNoSortBy        mongoerr.Code = 2942503
	codeSortArrayInputNotArray   mongoerr.Code = 2942504
	codeSortArrayBadPattern      mongoerr.Code = 2942505
	codeSortArrayBadOrder        mongoerr.Code = 2942506
	codeSortArrayBadSortBy       mongoerr.Code = 2942507
	codeObjectToArrayNotObject   mongoerr.Code = 40390
	codeArrayToObjectNotArray    mongoerr.Code = 40386
	codeArrayToObjectPairKeyType mongoerr.Code = 40395
	codeArrayToObjectMixedArray  mongoerr.Code = 40396
	codeArrayToObjectPairSize    mongoerr.Code = 40397
	codeArrayToObjectBadFormat   mongoerr.Code = 40398
	codeArrayToObjectMixedObject mongoerr.Code = 40391
	codeArrayToObjectKVCount     mongoerr.Code = 40392
	codeArrayToObjectKVMissing   mongoerr.Code = 40393
	codeArrayToObjectKVKeyType   mongoerr.Code = 40394
	codeArrayToObjectNullByte    mongoerr.Code = 4940400
	codeArrayToObjectKVNullByte  mongoerr.Code = 4940401
)

// rangeMaxBytes is mongod's internalQueryMaxRangeBytes default (100 MiB):
// $range refuses to build an array estimated to need more.
const rangeMaxBytes = 100 * 1024 * 1024

func init() {
	register(map[string]parseFunc{
		"$arrayElemAt":   lazyFixed(2, evalArrayElemAt),
		"$first":         lazyFixed(1, func(c *opCall) (bson.RawValue, error) { return evalFirstLast(c, 0) }),
		"$last":          lazyFixed(1, func(c *opCall) (bson.RawValue, error) { return evalFirstLast(c, -1) }),
		"$arrayToObject": fixed(1, evalArrayToObject),
		"$objectToArray": fixed(1, evalObjectToArray),
		"$concatArrays":  lazyVariadic(evalConcatArrays),
		"$indexOfArray":  parseIndexOfArray,
		"$isArray":       fixed(1, evalIsArray),
		"$range":         lazyRange(2, 3, evalRange),
		"$reverseArray":  fixed(1, evalReverseArray),
		"$size":          fixed(1, evalSize),
		"$slice":         lazyRange(2, 3, evalSlice),
		"$zip":           parseZip,
		"$sortArray":     parseSortArray,
	})
}

// elemAt is mongod's arrayElemAt, shared by $arrayElemAt, $first and
// $last: a negative index counts from the end; an index past either end
// is missing.
func elemAt(name string, arity int, arr, idx bson.RawValue) (bson.RawValue, error) {
	if nullish(arr) || nullish(idx) {
		return nullValue, nil
	}
	if arr.Type != bson.TypeArray {
		which := "first argument"
		if arity == 1 {
			which = "argument"
		}
		return bson.RawValue{}, mongoerr.Newf(codeArrayElemAtNotArray, "%s's %s must be an array, but is %s", name, which, typeName(arr))
	}
	if !numeric(idx) {
		return bson.RawValue{}, mongoerr.Newf(codeArrayElemAtIndexType, "%s's second argument must be a numeric value, but is %s", name, typeName(idx))
	}
	i, ok := int32Exact(idx)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeArrayElemAtIndexIntegral, "%s's second argument must be representable as a 32-bit integer: %s", name, formatDouble(asFloat(idx)))
	}
	vals := arrayValues(arr)
	n := int64(i)
	if n < 0 {
		n += int64(len(vals))
	}
	if n < 0 || n >= int64(len(vals)) {
		return bson.RawValue{}, nil
	}
	return vals[n], nil
}

// evalArrayElemAt is $arrayElemAt: [array, index].
func evalArrayElemAt(c *opCall) (bson.RawValue, error) {
	arr, err := c.arg(0)
	if err != nil {
		return bson.RawValue{}, err
	}
	idx, err := c.arg(1)
	if err != nil {
		return bson.RawValue{}, err
	}
	return elemAt(c.name, 2, arr, idx)
}

// evalFirstLast is the expression forms of $first and $last: the
// element at index 0 or -1; missing for an empty array.
func evalFirstLast(c *opCall, idx int32) (bson.RawValue, error) {
	arr, err := c.arg(0)
	if err != nil {
		return bson.RawValue{}, err
	}
	return elemAt(c.name, 1, arr, int32Value(idx))
}

// evalConcatArrays is $concatArrays: null as soon as one operand is
// null or missing (later operands are not evaluated).
func evalConcatArrays(c *opCall) (bson.RawValue, error) {
	var out []bson.RawValue
	for i := range c.args {
		v, err := c.arg(i)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullish(v) {
			return nullValue, nil
		}
		if v.Type != bson.TypeArray {
			return bson.RawValue{}, mongoerr.Newf(codeConcatArraysNotArray, "%s only supports arrays, not %s", c.name, typeName(v))
		}
		out = append(out, arrayValues(v)...)
	}
	return arrayValue(out), nil
}

// parseIndexOfArray is $indexOfArray: [array, search, start?, end?].
// mongod's optimizer checks a constant first operand before any document
// is seen (code 50809) unless every operand is constant, in which case
// it folds the whole expression and the evaluation error (40090) wins.
func parseIndexOfArray(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgsRange(name, args, pc, 2, 4)
	if err != nil {
		return nil, err
	}
	if arr, ok := Constant(a[0]); ok && !nullish(arr) && arr.Type != bson.TypeArray && !allConstant(a) {
		return nil, mongoerr.Newf(codeIndexOfArrayConstArray, "First operand of $indexOfArray must be an array. First argument is of type: %s", typeName(arr))
	}
	return &lazyOp{name, a, evalIndexOfArray}, nil
}

func allConstant(args []Expr) bool {
	for _, a := range args {
		if _, ok := Constant(a); !ok {
			return false
		}
	}
	return true
}

// indexArg validates a start or end index of $indexOfArray (and of the
// string $indexOf operators in mongod): an integral, non-negative int32.
// The missing space in "…requires" is mongod's.
func indexArg(name, what string, v bson.RawValue) (int32, error) {
	i, ok := int32Exact(v)
	if !ok {
		return 0, mongoerr.Newf(codeIndexNotIntegral, "%srequires an integral %s, found a value of type: %s, with value: %s", name, what, typeName(v), valueString(v))
	}
	if i < 0 {
		return 0, mongoerr.Newf(codeIndexNegative, "%s requires a nonnegative %s, found: %s", name, what, valueString(v))
	}
	return i, nil
}

func evalIndexOfArray(c *opCall) (bson.RawValue, error) {
	arr, err := c.arg(0)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(arr) {
		return nullValue, nil
	}
	if arr.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeIndexOfArrayNotArray, "$indexOfArray requires an array as a first argument, found: %s", typeName(arr))
	}
	vals := arrayValues(arr)
	start, end := 0, len(vals)
	if len(c.args) > 2 {
		v, err := c.arg(2)
		if err != nil {
			return bson.RawValue{}, err
		}
		s, err := indexArg(c.name, "starting index", v)
		if err != nil {
			return bson.RawValue{}, err
		}
		start = int(s)
	}
	if len(c.args) > 3 {
		v, err := c.arg(3)
		if err != nil {
			return bson.RawValue{}, err
		}
		e, err := indexArg(c.name, "ending index", v)
		if err != nil {
			return bson.RawValue{}, err
		}
		end = min(end, int(e))
	}
	// The value searched for is evaluated after the indexes are checked.
	target, err := c.arg(1)
	if err != nil {
		return bson.RawValue{}, err
	}
	for i := start; i < end; i++ {
		if compareValues(c.ec, vals[i], target) == 0 {
			return int32Value(int32(i)), nil
		}
	}
	return int32Value(-1), nil
}

// evalIsArray is $isArray: whether its one operand is an array (so
// {$isArray: [[1, 2]]} is true; {$isArray: [1, 2]} has two operands).
func evalIsArray(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	return boolValue(vals[0].Type == bson.TypeArray), nil
}

// evalRange is $range: [start, end, step?], all int32-representable
// numbers; the result holds int32s whatever the operands' types. Null
// is not propagated: it is a type error like any non-number.
func evalRange(c *opCall) (bson.RawValue, error) {
	startV, err := c.arg(0)
	if err != nil {
		return bson.RawValue{}, err
	}
	endV, err := c.arg(1)
	if err != nil {
		return bson.RawValue{}, err
	}
	if !numeric(startV) {
		return bson.RawValue{}, mongoerr.Newf(codeRangeStartType, "$range requires a numeric starting value, found value of type: %s", typeName(startV))
	}
	start, ok := int32Exact(startV)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeRangeStartIntegral, "$range requires a starting value that can be represented as a 32-bit integer, found value: %s", valueString(startV))
	}
	if !numeric(endV) {
		return bson.RawValue{}, mongoerr.Newf(codeRangeEndType, "$range requires a numeric ending value, found value of type: %s", typeName(endV))
	}
	end, ok := int32Exact(endV)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeRangeEndIntegral, "$range requires an ending value that can be represented as a 32-bit integer, found value: %s", valueString(endV))
	}
	step := int32(1)
	if len(c.args) == 3 {
		stepV, err := c.arg(2)
		if err != nil {
			return bson.RawValue{}, err
		}
		// No space after "type:" in this one message: mongod's wording.
		if !numeric(stepV) {
			return bson.RawValue{}, mongoerr.Newf(codeRangeStepType, "$range requires a numeric step value, found value of type:%s", typeName(stepV))
		}
		if step, ok = int32Exact(stepV); !ok {
			return bson.RawValue{}, mongoerr.Newf(codeRangeStepIntegral, "$range requires a step value that can be represented as a 32-bit integer, found value: %s", valueString(stepV))
		}
		if step == 0 {
			return bson.RawValue{}, mongoerr.New(codeRangeStepZero, "$range requires a non-zero step value")
		}
	}
	cur, stop, inc := int64(start), int64(end), int64(step)
	// mongod estimates the array's size up front (24 bytes of vector
	// plus 16 per Value) and refuses past internalQueryMaxRangeBytes.
	length := int64(0)
	if steps := (stop - cur) / inc; steps >= 0 {
		length = 1 + steps
	}
	if need := 24 + length*16; need >= rangeMaxBytes {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.ExceededMemoryLimit,
			"$range would use too much memory (%d bytes) and cannot spill to disk. Memory limit: %d bytes", need, rangeMaxBytes)
	}
	idx, dst := bsoncore.AppendArrayStart(nil)
	for n := 0; inc > 0 && cur < stop || inc < 0 && cur > stop; n++ {
		dst = bsoncore.AppendInt32Element(dst, strconv.Itoa(n), int32(cur))
		cur += inc
	}
	dst, _ = bsoncore.AppendArrayEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeArray, Value: dst}, nil
}

// evalReverseArray is $reverseArray.
func evalReverseArray(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	v := vals[0]
	if nullish(v) {
		return nullValue, nil
	}
	if v.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeReverseArrayNotArray, "The argument to $reverseArray must be an array, but was of type: %s", typeName(v))
	}
	elems := arrayValues(v)
	for i, j := 0, len(elems)-1; i < j; i, j = i+1, j-1 {
		elems[i], elems[j] = elems[j], elems[i]
	}
	return arrayValue(elems), nil
}

// evalSize is $size: an int; null and missing are errors, not null.
func evalSize(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	v := vals[0]
	if v.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeSizeNotArray, "The argument to $size must be an array, but was of type: %s", typeName(v))
	}
	return intOrLong(int64(len(arrayValues(v)))), nil
}

// evalSlice is $slice: [array, n] (the first n, or the last -n) or
// [array, position, n].
func evalSlice(c *opCall) (bson.RawValue, error) {
	arr, err := c.arg(0)
	if err != nil {
		return bson.RawValue{}, err
	}
	arg2, err := c.arg(1)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(arr) || nullish(arg2) {
		return nullValue, nil
	}
	if arr.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeSliceNotArray, "First argument to $slice must be an array, but is of type: %s", typeName(arr))
	}
	if !numeric(arg2) {
		return bson.RawValue{}, mongoerr.Newf(codeSliceArg2Type, "Second argument to $slice must be a numeric value, but is of type: %s", typeName(arg2))
	}
	n2, ok := int32Exact(arg2)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeSliceArg2Integral, "Second argument to $slice can't be represented as a 32-bit integer: %s", formatDouble(asFloat(arg2)))
	}
	vals := arrayValues(arr)
	size := len(vals)
	var start, end int
	if len(c.args) == 2 {
		count := int(n2)
		start, end = 0, size
		if count >= 0 {
			end = min(end, count)
		} else {
			start = max(0, size+count)
		}
	} else {
		if n2 < 0 {
			start = max(0, size+int(n2))
		} else {
			start = min(size, int(n2))
		}
		countV, err := c.arg(2)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullish(countV) {
			return nullValue, nil
		}
		if !numeric(countV) {
			return bson.RawValue{}, mongoerr.Newf(codeSliceArg3Type, "Third argument to $slice must be numeric, but is of type: %s", typeName(countV))
		}
		count, ok := int32Exact(countV)
		if !ok {
			return bson.RawValue{}, mongoerr.Newf(codeSliceArg3Integral, "Third argument to $slice can't be represented as a 32-bit integer: %s", formatDouble(asFloat(countV)))
		}
		if count <= 0 {
			return bson.RawValue{}, mongoerr.Newf(codeSliceArg3Positive, "Third argument to $slice must be positive: %d", count)
		}
		end = min(start+int(count), size)
	}
	return arrayValue(vals[start:end]), nil
}

// zipExpr is $zip: {inputs, useLongestLength, defaults}.
type zipExpr struct {
	inputs   []Expr
	defaults []Expr
	longest  bool
}

func parseZip(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(codeZipNotObject, "$zip only supports an object as an argument, found %s", typeName(args))
	}
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	z := &zipExpr{}
	for _, el := range elems {
		switch el.Key() {
		case "inputs", "defaults":
			// A repeated key adds to the list, as in mongod.
			code, dst := codeZipInputsNotArray, &z.inputs
			if el.Key() == "defaults" {
				code, dst = codeZipDefaultsNotArray, &z.defaults
			}
			list, err := parseExprList(el, code, pc)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, list...)
		case "useLongestLength":
			b, ok := el.Value().BooleanOK()
			if !ok {
				// mongod names the type of the $zip argument itself here,
				// which is always "object".
				return nil, mongoerr.Newf(codeZipLongestNotBool, "useLongestLength must be a bool, found %s", typeName(args))
			}
			z.longest = b
		default:
			return nil, mongoerr.Newf(codeZipUnknownArg, "$zip found an unknown argument: %s", el.Key())
		}
	}
	switch {
	case len(z.inputs) == 0:
		return nil, mongoerr.New(codeZipNoInputs, "$zip requires at least one input array")
	case !z.longest && len(z.defaults) > 0:
		return nil, mongoerr.New(codeZipDefaultsNeedLongest, "cannot specify defaults unless useLongestLength is true")
	case len(z.defaults) > 0 && len(z.defaults) != len(z.inputs):
		return nil, mongoerr.New(codeZipDefaultsLength, "defaults and inputs must have the same length")
	}
	return z, nil
}

// parseExprList parses the array of expressions in el, a $zip argument.
func parseExprList(el bson.RawElement, code mongoerr.Code, pc *ParseContext) ([]Expr, error) {
	v := el.Value()
	if v.Type != bson.TypeArray {
		return nil, mongoerr.Newf(code, "%s must be an array of expressions, found %s", el.Key(), typeName(v))
	}
	var out []Expr
	for _, sub := range arrayValues(v) {
		e, err := Parse(sub, pc)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (z *zipExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	inputs := make([][]bson.RawValue, len(z.inputs))
	minLen, maxLen := 0, 0
	for i, e := range z.inputs {
		v, err := e.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullish(v) {
			return nullValue, nil
		}
		if v.Type != bson.TypeArray {
			return bson.RawValue{}, mongoerr.Newf(codeZipInputNotArray, "$zip found a non-array expression in input: %s", valueString(v))
		}
		inputs[i] = arrayValues(v)
		if n := len(inputs[i]); i == 0 {
			minLen, maxLen = n, n
		} else {
			minLen, maxLen = min(minLen, n), max(maxLen, n)
		}
	}
	defaults := make([]bson.RawValue, len(z.inputs))
	for i := range defaults {
		defaults[i] = nullValue
	}
	// Defaults are evaluated only when some input is shorter than another.
	if minLen != maxLen {
		for i, e := range z.defaults {
			v, err := e.Eval(ec, doc)
			if err != nil {
				return bson.RawValue{}, err
			}
			defaults[i] = v
		}
	}
	n := minLen
	if z.longest {
		n = maxLen
	}
	rows := make([]bson.RawValue, n)
	row := make([]bson.RawValue, len(inputs))
	for r := range rows {
		for col, in := range inputs {
			if r < len(in) {
				row[col] = in[r]
			} else {
				row[col] = defaults[col]
			}
		}
		rows[r] = arrayOf(row)
	}
	return arrayValue(rows), nil
}

// sortArrayExpr is $sortArray: {input, sortBy}, sortBy being 1 or -1
// (sort whole values) or a sort pattern over fields of document
// elements.
type sortArrayExpr struct {
	input   Expr
	pattern []sortKeyPart // nil: whole values
	desc    bool          // whole values, descending
}

type sortKeyPart struct {
	path []string
	desc bool
}

func parseSortArray(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(codeSortArrayNotObject, "$sortArray requires an object as an argument, found: %s", typeName(args))
	}
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	s := &sortArrayExpr{}
	haveSortBy := false
	for _, el := range elems {
		switch el.Key() {
		case "input":
			if s.input, err = Parse(el.Value(), pc); err != nil {
				return nil, err
			}
		case "sortBy":
			if err := s.parseSortBy(el.Value()); err != nil {
				return nil, err
			}
			haveSortBy = true
		default:
			return nil, mongoerr.Newf(codeSortArrayUnknownArg, "$sortArray found an unknown argument: %s", el.Key())
		}
	}
	if s.input == nil {
		return nil, mongoerr.New(codeSortArrayNoInput, "$sortArray requires 'input' to be specified")
	}
	if !haveSortBy {
		return nil, mongoerr.New(codeSortArrayNoSortBy, "$sortArray requires 'sortBy' to be specified")
	}
	return s, nil
}

// parseSortBy applies mongod's checkSortClause to a pattern, or accepts
// 1 / -1 for whole values.
func (s *sortArrayExpr) parseSortBy(v bson.RawValue) error {
	switch {
	case v.Type == bson.TypeEmbeddedDocument:
		elems, _ := bson.Raw(v.Value).Elements()
		bad := func(msg string) error {
			return mongoerr.New(codeSortArrayBadPattern, "BadValue: "+msg)
		}
		if len(elems) == 0 {
			return bad("The sort pattern is empty when it should be a set of fields.")
		}
		s.pattern = []sortKeyPart{}
		for _, el := range elems {
			dir := 0.0
			if numeric(el.Value()) {
				dir = asFloat(el.Value())
			}
			if dir != 1 && dir != -1 {
				return bad("The sort element value must be either 1 or -1")
			}
			if el.Key() == "" {
				return bad("The sort field cannot be empty")
			}
			path := strings.Split(el.Key(), ".")
			for _, p := range path {
				if p == "" {
					return bad("The sort field is a dotted field but has an empty part: " + el.Key())
				}
			}
			s.pattern = append(s.pattern, sortKeyPart{path: path, desc: dir < 0})
		}
		return nil
	case numeric(v):
		dir := asFloat(v)
		if dir != 1 && dir != -1 {
			return mongoerr.New(codeSortArrayBadOrder, "The $sort element value must be either 1 or -1")
		}
		s.desc = dir < 0
		return nil
	}
	return mongoerr.New(codeSortArrayBadSortBy, "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields")
}

func (s *sortArrayExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	in, err := s.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(in) {
		return nullValue, nil
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeSortArrayInputNotArray, "The input argument to $sortArray must be an array, but was of type: %s", typeName(in))
	}
	vals := arrayValues(in)
	if len(vals) < 2 {
		return in, nil
	}
	if s.pattern == nil {
		sort.SliceStable(vals, func(i, j int) bool {
			if s.desc {
				return compareValues(ec, vals[j], vals[i]) < 0
			}
			return compareValues(ec, vals[i], vals[j]) < 0
		})
		return arrayValue(vals), nil
	}
	// Each element's key is the value at each pattern path (null when
	// absent, and for elements that are not documents), compared field
	// by field in the pattern's directions.
	keys := make([][]bson.RawValue, len(vals))
	for i, v := range vals {
		keys[i] = make([]bson.RawValue, len(s.pattern))
		for k, part := range s.pattern {
			key := nullValue
			if v.Type == bson.TypeEmbeddedDocument {
				if kv := dottedField(v, part.path); kv.Type != 0 {
					key = kv
				}
			}
			keys[i][k] = key
		}
	}
	order := make([]int, len(vals))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ka, kb := keys[order[a]], keys[order[b]]
		for k, part := range s.pattern {
			c := compareValues(ec, ka[k], kb[k])
			if part.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	out := make([]bson.RawValue, len(vals))
	for i, o := range order {
		out[i] = vals[o]
	}
	return arrayValue(out), nil
}

// dottedField is mongod's extractElementAtPath, which $sortArray uses
// for its keys: a field literally named by the whole remaining path wins;
// otherwise the first component must name a document or an array (where
// only "0", "1", … can match) to descend into. It does not fan out over
// array elements.
func dottedField(v bson.RawValue, path []string) bson.RawValue {
	if v.Type != bson.TypeEmbeddedDocument && v.Type != bson.TypeArray {
		return bson.RawValue{}
	}
	if f, err := bson.Raw(v.Value).LookupErr(strings.Join(path, ".")); err == nil {
		return f
	}
	if len(path) == 1 {
		return bson.RawValue{}
	}
	next, err := bson.Raw(v.Value).LookupErr(path[0])
	if err != nil {
		return bson.RawValue{}
	}
	return dottedField(next, path[1:])
}

// evalObjectToArray is $objectToArray: [{k, v}, …] in field order.
func evalObjectToArray(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	v := vals[0]
	if nullish(v) {
		return nullValue, nil
	}
	if v.Type != bson.TypeEmbeddedDocument {
		return bson.RawValue{}, mongoerr.Newf(codeObjectToArrayNotObject, "$objectToArray requires a document input, found: %s", typeName(v))
	}
	elems, _ := bson.Raw(v.Value).Elements()
	out := make([]bson.RawValue, len(elems))
	for i, e := range elems {
		idx, dst := bsoncore.AppendDocumentStart(nil)
		dst = bsoncore.AppendStringElement(dst, "k", e.Key())
		dst = bsoncore.AppendValueElement(dst, "v", toCore(e.Value()))
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		out[i] = bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: dst}
	}
	return arrayValue(out), nil
}

// evalArrayToObject is $arrayToObject: from [[k, v], …] or [{k, v}, …]
// (the first element decides which). A repeated key keeps its first
// position and takes its last value.
func evalArrayToObject(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	in := vals[0]
	if nullish(in) {
		return nullValue, nil
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectNotArray, "$arrayToObject requires an array input, found: %s", typeName(in))
	}
	elems := arrayValues(in)
	var b docBuilder
	if len(elems) == 0 {
		return b.value(), nil
	}
	pairs := false
	switch elems[0].Type {
	case bson.TypeArray:
		pairs = true
	case bson.TypeEmbeddedDocument:
	default:
		return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectBadFormat, "Unrecognised input type format for $arrayToObject: %s", typeName(elems[0]))
	}
	for _, el := range elems {
		if pairs {
			if el.Type != bson.TypeArray {
				return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectMixedArray,
					"$arrayToObject requires a consistent input format. Elements mustall be arrays or all be objects. Array was detected, now found: %s", typeName(el))
			}
			kv := arrayValues(el)
			if len(kv) != 2 {
				return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectPairSize, "$arrayToObject requires an array of size 2 arrays,found array of size: %d", len(kv))
			}
			k, ok := kv[0].StringValueOK()
			if !ok {
				return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectPairKeyType,
					"$arrayToObject requires an array of key-value pairs, where the key must be of type string. Found key type: %s", typeName(kv[0]))
			}
			if strings.IndexByte(k, 0) >= 0 {
				return bson.RawValue{}, mongoerr.New(codeArrayToObjectNullByte, "Key field cannot contain an embedded null byte")
			}
			b.set(k, kv[1])
			continue
		}
		if el.Type != bson.TypeEmbeddedDocument {
			return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectMixedObject,
				"$arrayToObject requires a consistent input format. Elements mustall be arrays or all be objects. Object was detected, now found: %s", typeName(el))
		}
		fields, _ := bson.Raw(el.Value).Elements()
		if len(fields) != 2 {
			return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectKVCount, "$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of keys:%d", len(fields))
		}
		kv, kerr := bson.Raw(el.Value).LookupErr("k")
		vv, verr := bson.Raw(el.Value).LookupErr("v")
		if kerr != nil || verr != nil {
			return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectKVMissing, "$arrayToObject requires an object with keys 'k' and 'v'. Missing either or both keys from: %s", valueString(el))
		}
		k, ok := kv.StringValueOK()
		if !ok {
			return bson.RawValue{}, mongoerr.Newf(codeArrayToObjectKVKeyType,
				"$arrayToObject requires an object with keys 'k' and 'v', where the value of 'k' must be of type string. Found type: %s", typeName(kv))
		}
		if strings.IndexByte(k, 0) >= 0 {
			return bson.RawValue{}, mongoerr.New(codeArrayToObjectKVNullByte, "Key field cannot contain an embedded null byte")
		}
		b.set(k, vv)
	}
	return b.value(), nil
}

// docBuilder builds a document whose fields may be set more than once,
// as mongod's MutableDocument: a field set again keeps its position and
// takes the new value.
type docBuilder struct {
	names []string
	vals  []bson.RawValue
	pos   map[string]int
}

func (b *docBuilder) set(name string, v bson.RawValue) {
	if b.pos == nil {
		b.pos = map[string]int{}
	}
	if i, ok := b.pos[name]; ok {
		b.vals[i] = v
		return
	}
	b.pos[name] = len(b.names)
	b.names = append(b.names, name)
	b.vals = append(b.vals, v)
}

func (b *docBuilder) value() bson.RawValue {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i, n := range b.names {
		if b.vals[i].Type == 0 {
			continue
		}
		dst = bsoncore.AppendValueElement(dst, n, toCore(b.vals[i]))
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: dst}
}
