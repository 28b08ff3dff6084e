package expr

import (
	"math"
	"math/big"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// widest is mongod's Value::getWidestNumeric: the widest of two numeric
// types (decimal > double > long > int), or 0 if either is not a number.
func widest(a, b bson.RawValue) bson.Type {
	if !numeric(a) || !numeric(b) {
		return 0
	}
	rank := func(t bson.Type) int {
		switch t {
		case bson.TypeInt32:
			return 0
		case bson.TypeInt64:
			return 1
		case bson.TypeDouble:
			return 2
		}
		return 3
	}
	if rank(a.Type) >= rank(b.Type) {
		return a.Type
	}
	return b.Type
}

// exactSum adds non-decimal numbers (and dates as milliseconds) without
// intermediate rounding, as mongod's double-double summation does in
// practice: integer results stay exact, and a double result is the exact
// sum rounded once.
type exactSum struct {
	small   int64 // fast path while every term is an integer and nothing overflowed
	big     *big.Rat
	special float64 // NaN or ±Inf seen among the terms
	hasSpec bool
}

func (s *exactSum) addInt(i int64) {
	if s.big == nil {
		r, ok := addInt64(s.small, i)
		if ok {
			s.small = r
			return
		}
		s.big = new(big.Rat).SetInt64(s.small)
	}
	s.big.Add(s.big, new(big.Rat).SetInt64(i))
}

func (s *exactSum) addFloat(f float64) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		if !s.hasSpec {
			s.special, s.hasSpec = f, true
		} else {
			s.special += f // Inf + -Inf is NaN
		}
		return
	case f == math.Trunc(f) && math.Abs(f) < 1<<62:
		s.addInt(int64(f))
		return
	}
	if s.big == nil {
		s.big = new(big.Rat).SetInt64(s.small)
	}
	s.big.Add(s.big, new(big.Rat).SetFloat64(f))
}

// int64 returns the sum when it is an integer that fits in an int64.
func (s *exactSum) int64() (int64, bool) {
	if s.hasSpec {
		return 0, false
	}
	if s.big == nil {
		return s.small, true
	}
	if s.big.IsInt() && s.big.Num().IsInt64() {
		return s.big.Num().Int64(), true
	}
	return 0, false
}

func (s *exactSum) float() float64 {
	if s.hasSpec {
		return s.special
	}
	if s.big == nil {
		return float64(s.small)
	}
	f, _ := s.big.Float64()
	return f
}

// roundedInt64 rounds the sum half-to-even to an int64.
func (s *exactSum) roundedInt64() (int64, bool) {
	if i, ok := s.int64(); ok {
		return i, true
	}
	if s.hasSpec {
		return 0, false
	}
	f := s.float()
	if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
		return 0, false
	}
	return int64(math.RoundToEven(f)), true
}

func (s *exactSum) decimal() dec {
	if i, ok := s.int64(); ok {
		return decInt(i)
	}
	return decFromFloat(s.float(), decDigits)
}

// evalAdd is $add: numbers keep the narrowest type that holds the exact
// result (int, then long, then double); any decimal makes a decimal; one
// date makes a date.
func evalAdd(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	var sum exactSum
	decTotal := decInt(0)
	kind := bson.TypeInt32
	haveDate := false
	for _, v := range vals {
		switch v.Type {
		case bson.TypeDecimal128:
			decTotal = decAdd(decTotal, decFromValue(v))
			kind = bson.TypeDecimal128
		case bson.TypeDouble:
			sum.addFloat(asFloat(v))
			if kind != bson.TypeDecimal128 {
				kind = bson.TypeDouble
			}
		case bson.TypeInt64:
			sum.addInt(asInt64(v))
			if kind == bson.TypeInt32 {
				kind = bson.TypeInt64
			}
		case bson.TypeInt32:
			sum.addInt(asInt64(v))
		case bson.TypeDateTime:
			if haveDate {
				return bson.RawValue{}, mongoerr.New(mongoerr.Location16612, "only one date allowed in an $add expression")
			}
			haveDate = true
			ms, _ := v.DateTimeOK()
			sum.addInt(ms)
		default:
			if nullish(v) {
				return nullValue, nil
			}
			return bson.RawValue{}, mongoerr.Newf(mongoerr.Location16554, "$add only supports numeric or date types, not %s", typeName(v))
		}
	}
	if haveDate {
		var ms int64
		ok := false
		if kind == bson.TypeDecimal128 {
			ms, ok = decAdd(decTotal, sum.decimal()).int64()
		} else {
			ms, ok = sum.roundedInt64()
		}
		if !ok {
			return bson.RawValue{}, mongoerr.New(mongoerr.Overflow, "date overflow in $add")
		}
		return dateValue(ms), nil
	}
	switch kind {
	case bson.TypeDecimal128:
		return decAdd(decTotal, sum.decimal()).value(), nil
	case bson.TypeInt64:
		if i, ok := sum.int64(); ok {
			return int64Value(i), nil
		}
	case bson.TypeInt32:
		if i, ok := sum.int64(); ok {
			return intOrLong(i), nil
		}
	}
	return doubleValue(sum.float()), nil
}

// evalSubtract is $subtract: numbers as in $add; date - date is the
// difference in milliseconds (a long); date - number is a date.
func evalSubtract(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	l, r := vals[0], vals[1]
	switch widest(l, r) {
	case bson.TypeDecimal128:
		return decAdd(decFromValue(l), decFromValue(r).neg()).value(), nil
	case bson.TypeDouble:
		return doubleValue(asFloat(l) - asFloat(r)), nil
	case bson.TypeInt64:
		a, b := asInt64(l), asInt64(r)
		d := a - b
		if (a >= 0) != (b >= 0) && (d >= 0) != (a >= 0) {
			// mongod falls back to doubles when the long difference overflows.
			return doubleValue(float64(a) - float64(b)), nil
		}
		return int64Value(d), nil
	case bson.TypeInt32:
		return intOrLong(asInt64(l) - asInt64(r)), nil
	}
	if nullish(l) || nullish(r) {
		return nullValue, nil
	}
	if l.Type != bson.TypeDateTime {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.TypeMismatch, "can't $subtract %s from %s", typeName(r), typeName(l))
	}
	lms, _ := l.DateTimeOK()
	if r.Type == bson.TypeDateTime {
		rms, _ := r.DateTimeOK()
		return int64Value(lms - rms), nil
	}
	if !numeric(r) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.TypeMismatch, "can't $subtract %s from Date", typeName(r))
	}
	var sum exactSum
	sum.addInt(lms)
	switch r.Type {
	case bson.TypeDecimal128:
		ms, ok := decAdd(decInt(lms), decFromValue(r).neg()).int64()
		if !ok {
			return bson.RawValue{}, mongoerr.New(mongoerr.Overflow, "date overflow")
		}
		return dateValue(ms), nil
	case bson.TypeDouble:
		sum.addFloat(-math.Round(asFloat(r)))
	default:
		n := asInt64(r)
		if n == math.MinInt64 {
			return bson.RawValue{}, mongoerr.New(mongoerr.Overflow, "date overflow")
		}
		sum.addInt(-n)
	}
	ms, ok := sum.int64()
	if !ok {
		return bson.RawValue{}, mongoerr.New(mongoerr.Overflow, "date overflow")
	}
	return dateValue(ms), nil
}

// evalMultiply is $multiply: int products widen to long, long products
// that overflow become doubles, a decimal makes the product decimal.
func evalMultiply(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	kind := bson.TypeInt32
	fprod := 1.0
	lprod := int64(1)
	var dprod dec
	for _, v := range vals {
		if !numeric(v) {
			if nullish(v) {
				return nullValue, nil
			}
			return bson.RawValue{}, mongoerr.Newf(mongoerr.Location16555, "$multiply only supports numeric types, not %s", typeName(v))
		}
		old := kind
		kind = widest(bson.RawValue{Type: kind}, v)
		if kind == bson.TypeDecimal128 {
			if old != bson.TypeDecimal128 {
				// The partial product joins the decimal one as mongod converts it.
				if old == bson.TypeDouble {
					dprod = decFromFloat(fprod, 15)
				} else {
					dprod = decInt(lprod)
				}
			}
			dprod = decMul(dprod, decFromValue(v))
			continue
		}
		fprod *= asFloat(v)
		if kind == bson.TypeDouble {
			continue
		}
		p, ok := mulInt64(lprod, asInt64(v))
		if !ok {
			kind = bson.TypeDouble
			continue
		}
		lprod = p
	}
	switch kind {
	case bson.TypeDecimal128:
		return dprod.value(), nil
	case bson.TypeDouble:
		return doubleValue(fprod), nil
	case bson.TypeInt64:
		return int64Value(lprod), nil
	}
	return intOrLong(lprod), nil
}

// mulInt64 multiplies, reporting overflow.
func mulInt64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if p/b != a || a == -1 && b == math.MinInt64 || b == -1 && a == math.MinInt64 {
		return 0, false
	}
	return p, true
}

// addInt64 adds, reporting overflow.
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		return 0, false
	}
	return s, true
}

// evalDivide is $divide: always a double, or a decimal when either
// operand is one.
func evalDivide(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	l, r := vals[0], vals[1]
	if numeric(l) && numeric(r) {
		if l.Type == bson.TypeDecimal128 || r.Type == bson.TypeDecimal128 {
			d := decFromValue(r)
			if d.isZero() {
				return bson.RawValue{}, mongoerr.New(mongoerr.BadValue, "can't $divide by zero")
			}
			return decDiv(decFromValue(l), d).value(), nil
		}
		den := asFloat(r)
		if den == 0 {
			return bson.RawValue{}, mongoerr.New(mongoerr.BadValue, "can't $divide by zero")
		}
		return doubleValue(asFloat(l) / den), nil
	}
	if nullish(l) || nullish(r) {
		return nullValue, nil
	}
	return bson.RawValue{}, mongoerr.Newf(mongoerr.Location16609, "$divide only supports numeric types, not %s and %s", typeName(l), typeName(r))
}

// evalMod is $mod: the remainder of truncated division, with the sign of
// the dividend, in the widest operand type.
func evalMod(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	l, r := vals[0], vals[1]
	byZero := mongoerr.New(mongoerr.Location16610, "can't $mod by zero")
	switch widest(l, r) {
	case bson.TypeDecimal128:
		d := decFromValue(r)
		if d.isZero() {
			return bson.RawValue{}, byZero
		}
		return decMod(decFromValue(l), d).value(), nil
	case bson.TypeDouble:
		den := asFloat(r)
		if den == 0 {
			return bson.RawValue{}, byZero
		}
		return doubleValue(math.Mod(asFloat(l), den)), nil
	case bson.TypeInt64, bson.TypeInt32:
		den := asInt64(r)
		if den == 0 {
			return bson.RawValue{}, byZero
		}
		var m int64
		if den != -1 { // MinInt64 % -1 overflows in hardware; the answer is 0
			m = asInt64(l) % den
		}
		if l.Type == bson.TypeInt32 && r.Type == bson.TypeInt32 {
			return int32Value(int32(m)), nil
		}
		return int64Value(m), nil
	}
	if nullish(l) || nullish(r) {
		return nullValue, nil
	}
	return bson.RawValue{}, mongoerr.Newf(mongoerr.Location16611, "$mod only supports numeric types, not %s and %s", typeName(l), typeName(r))
}
