package expr

import (
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// mongod's assertion codes for the set operators.
const (
	codeAllElementsTrueNotArray mongoerr.Code = 17040
	codeAnyElementTrueNotArray  mongoerr.Code = 17041
	codeSetIsSubsetSecond       mongoerr.Code = 17042
	codeSetUnionNotArray        mongoerr.Code = 17043
	codeSetEqualsNotArray       mongoerr.Code = 17044
	codeSetEqualsArity          mongoerr.Code = 17045
	codeSetIsSubsetFirst        mongoerr.Code = 17046
	codeSetIntersectionNotArray mongoerr.Code = 17047
	codeSetDifferenceFirst      mongoerr.Code = 17048
	codeSetDifferenceSecond     mongoerr.Code = 17049
	codeSetIsSubsetConstSecond  mongoerr.Code = 17311
	codeSetEqualsConstNotArray  mongoerr.Code = 5887502
)

func init() {
	register(map[string]parseFunc{
		"$setEquals":       parseSetEquals,
		"$setIntersection": lazyVariadic(evalSetIntersection),
		"$setUnion":        lazyVariadic(evalSetUnion),
		"$setDifference":   fixed(2, evalSetDifference),
		"$setIsSubset":     parseSetIsSubset,
		"$anyElementTrue":  fixed(1, elementsTrue(true)),
		"$allElementsTrue": fixed(1, elementsTrue(false)),
	})
}

// Sets are compared with compareValues, so that a collation decides
// which strings are the same element. Where mongod keeps its sets
// ordered (a std::set under the collation), results come out in that
// order; of equal elements the first one seen is kept.

// sortedSet returns vals ordered and without duplicates, keeping the
// first of equal values.
func sortedSet(ec *EvalContext, vals []bson.RawValue) []bson.RawValue {
	s := append([]bson.RawValue(nil), vals...)
	sort.SliceStable(s, func(i, j int) bool { return compareValues(ec, s[i], s[j]) < 0 })
	out := s[:0]
	for _, v := range s {
		if len(out) == 0 || compareValues(ec, out[len(out)-1], v) != 0 {
			out = append(out, v)
		}
	}
	return out
}

// setHas reports whether the sorted set s holds a value equal to v.
func setHas(ec *EvalContext, s []bson.RawValue, v bson.RawValue) bool {
	i := sort.Search(len(s), func(i int) bool { return compareValues(ec, s[i], v) >= 0 })
	return i < len(s) && compareValues(ec, s[i], v) == 0
}

// parseSetEquals is $setEquals: two or more arrays. mongod's optimizer
// rejects a constant operand that is not an array (null included)
// before any document is seen.
func parseSetEquals(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgs(args, pc)
	if err != nil {
		return nil, err
	}
	if len(a) < 2 {
		return nil, mongoerr.Newf(codeSetEqualsArity, "$setEquals needs at least two arguments had: %d", len(a))
	}
	for i, e := range a {
		if v, ok := Constant(e); ok && v.Type != bson.TypeArray {
			return nil, mongoerr.Newf(codeSetEqualsConstNotArray, "All operands of $setEquals must be arrays. %d-th argument is of type: %s", i+1, typeName(v))
		}
	}
	return &lazyOp{name, a, evalSetEquals}, nil
}

// evalSetEquals compares every operand with the first constant one (or
// the first), stopping at the first that differs.
func evalSetEquals(c *opCall) (bson.RawValue, error) {
	set := func(i int) ([]bson.RawValue, error) {
		v, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if v.Type != bson.TypeArray {
			return nil, mongoerr.Newf(codeSetEqualsNotArray, "All operands of $setEquals must be arrays. %d-th argument is of type: %s", i+1, typeName(v))
		}
		return sortedSet(c.ec, arrayValues(v)), nil
	}
	first := 0
	for i, e := range c.args {
		if _, ok := Constant(e); ok {
			first = i
			break
		}
	}
	lhs, err := set(first)
	if err != nil {
		return bson.RawValue{}, err
	}
	for i := range c.args {
		if i == first {
			continue
		}
		rhs, err := set(i)
		if err != nil {
			return bson.RawValue{}, err
		}
		if len(lhs) != len(rhs) {
			return falseValue, nil
		}
		for _, v := range lhs {
			if !setHas(c.ec, rhs, v) {
				return falseValue, nil
			}
		}
	}
	return trueValue, nil
}

// evalSetIntersection is $setIntersection: null as soon as an operand
// is null or missing; later operands are still checked after the
// intersection has become empty.
func evalSetIntersection(c *opCall) (bson.RawValue, error) {
	var cur []bson.RawValue
	for i := range c.args {
		v, err := c.arg(i)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullish(v) {
			return nullValue, nil
		}
		if v.Type != bson.TypeArray {
			return bson.RawValue{}, mongoerr.Newf(codeSetIntersectionNotArray, "All operands of $setIntersection must be arrays. One argument is of type: %s", typeName(v))
		}
		if i == 0 {
			cur = sortedSet(c.ec, arrayValues(v))
			continue
		}
		if len(cur) == 0 {
			continue
		}
		next := sortedSet(c.ec, arrayValues(v))
		// mongod iterates over the smaller set, so the elements kept
		// (which matters only under a collation) come from it.
		if len(cur) > len(next) {
			cur, next = next, cur
		}
		kept := cur[:0:0]
		for _, e := range cur {
			if setHas(c.ec, next, e) {
				kept = append(kept, e)
			}
		}
		cur = kept
	}
	return arrayValue(cur), nil
}

// evalSetUnion is $setUnion: the distinct elements of all operands,
// ordered; null as soon as an operand is null or missing.
func evalSetUnion(c *opCall) (bson.RawValue, error) {
	var all []bson.RawValue
	for i := range c.args {
		v, err := c.arg(i)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullish(v) {
			return nullValue, nil
		}
		if v.Type != bson.TypeArray {
			return bson.RawValue{}, mongoerr.Newf(codeSetUnionNotArray, "All operands of $setUnion must be arrays. One argument is of type: %s", typeName(v))
		}
		all = append(all, arrayValues(v)...)
	}
	return arrayValue(sortedSet(c.ec, all)), nil
}

// evalSetDifference is $setDifference: the distinct elements of the
// first array not in the second, in the first array's order.
func evalSetDifference(ec *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	lhs, rhs := vals[0], vals[1]
	if nullish(lhs) || nullish(rhs) {
		return nullValue, nil
	}
	if lhs.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeSetDifferenceFirst, "both operands of $setDifference must be arrays. First argument is of type: %s", typeName(lhs))
	}
	if rhs.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeSetDifferenceSecond, "both operands of $setDifference must be arrays. Second argument is of type: %s", typeName(rhs))
	}
	// seen plays mongod's double role: what the second array holds, and
	// what has already been output.
	seen := sortedSet(ec, arrayValues(rhs))
	var out []bson.RawValue
	for _, v := range arrayValues(lhs) {
		at := sort.Search(len(seen), func(i int) bool { return compareValues(ec, seen[i], v) >= 0 })
		if at < len(seen) && compareValues(ec, seen[at], v) == 0 {
			continue
		}
		seen = append(seen, bson.RawValue{})
		copy(seen[at+1:], seen[at:])
		seen[at] = v
		out = append(out, v)
	}
	return arrayValue(out), nil
}

// parseSetIsSubset is $setIsSubset: [array, array]. As mongod's
// optimizer does, a constant second operand that is not an array is an
// error at parse time (17311), unless both operands are constant.
func parseSetIsSubset(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgsExactly(name, args, pc, 2)
	if err != nil {
		return nil, err
	}
	if rhs, ok := Constant(a[1]); ok && rhs.Type != bson.TypeArray && !allConstant(a) {
		return nil, mongoerr.Newf(codeSetIsSubsetConstSecond, "both operands of $setIsSubset must be arrays. Second argument is of type: %s", typeName(rhs))
	}
	return &lazyOp{name, a, evalSetIsSubset}, nil
}

// evalSetIsSubset checks the first operand before evaluating the second;
// null is an error, not null.
func evalSetIsSubset(c *opCall) (bson.RawValue, error) {
	lhs, err := c.arg(0)
	if err != nil {
		return bson.RawValue{}, err
	}
	if lhs.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeSetIsSubsetFirst, "both operands of $setIsSubset must be arrays. First argument is of type: %s", typeName(lhs))
	}
	rhs, err := c.arg(1)
	if err != nil {
		return bson.RawValue{}, err
	}
	if rhs.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeSetIsSubsetSecond, "both operands of $setIsSubset must be arrays. Second argument is of type: %s", typeName(rhs))
	}
	set := sortedSet(c.ec, arrayValues(rhs))
	for _, v := range arrayValues(lhs) {
		if !setHas(c.ec, set, v) {
			return falseValue, nil
		}
	}
	return trueValue, nil
}

// elementsTrue returns $anyElementTrue (wantAny) or $allElementsTrue: the
// operand must be an array, null included.
func elementsTrue(wantAny bool) func(*EvalContext, []bson.RawValue) (bson.RawValue, error) {
	return func(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
		v := vals[0]
		if v.Type != bson.TypeArray {
			name, code := "$allElementsTrue", codeAllElementsTrueNotArray
			if wantAny {
				name, code = "$anyElementTrue", codeAnyElementTrueNotArray
			}
			return bson.RawValue{}, mongoerr.Newf(code, "%s's argument must be an array, but is %s", name, typeName(v))
		}
		for _, e := range arrayValues(v) {
			if Truthy(e) == wantAny {
				return boolValue(wantAny), nil
			}
		}
		return boolValue(!wantAny), nil
	}
}
