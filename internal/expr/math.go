package expr

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// unaryNumeric returns the parser of a one-operand numeric operator
// (mongod's ExpressionSingleNumericArg): null for nullish input, error
// 28765 for anything else that is not a number.
func unaryNumeric(fn func(name string, v bson.RawValue) (bson.RawValue, error)) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		a, err := parseArgsExactly(name, args, pc, 1)
		if err != nil {
			return nil, err
		}
		return naryFunc{a, func(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
			v := vals[0]
			if nullish(v) {
				return nullValue, nil
			}
			if !numeric(v) {
				return bson.RawValue{}, mongoerr.Newf(mongoerr.Location28765, "%s only supports numeric types, not %s", name, typeName(v))
			}
			return fn(name, v)
		}}, nil
	}
}

func evalAbs(_ string, v bson.RawValue) (bson.RawValue, error) {
	switch v.Type {
	case bson.TypeDouble:
		return doubleValue(math.Abs(asFloat(v))), nil
	case bson.TypeDecimal128:
		d := decFromValue(v)
		if d.sign() < 0 {
			d = d.neg()
		}
		return d.value(), nil
	}
	n := asInt64(v)
	if n == math.MinInt64 {
		return bson.RawValue{}, mongoerr.New(mongoerr.Location28680, "can't take $abs of long long min")
	}
	if n < 0 {
		n = -n
	}
	if v.Type == bson.TypeInt64 {
		return int64Value(n), nil
	}
	return intOrLong(n), nil
}

func evalCeil(_ string, v bson.RawValue) (bson.RawValue, error) {
	return roundIntegral(v, math.Ceil, roundCeil), nil
}

func evalFloor(_ string, v bson.RawValue) (bson.RawValue, error) {
	return roundIntegral(v, math.Floor, roundFloor), nil
}

// roundIntegral rounds to an integer; integer types are returned as they are.
func roundIntegral(v bson.RawValue, f func(float64) float64, mode roundMode) bson.RawValue {
	switch v.Type {
	case bson.TypeDouble:
		return doubleValue(f(asFloat(v)))
	case bson.TypeDecimal128:
		d := decFromValue(v)
		if d.kind != kFinite || d.exp >= 0 {
			return v
		}
		q, _ := d.quantize(0, mode)
		return q.value()
	}
	return v
}

func evalSqrt(name string, v bson.RawValue) (bson.RawValue, error) {
	neg := mongoerr.New(mongoerr.Location28714, "$sqrt's argument must be greater than or equal to 0")
	if v.Type == bson.TypeDecimal128 {
		d := decFromValue(v)
		if d.sign() < 0 {
			return bson.RawValue{}, neg
		}
		if d.kind != kFinite {
			return v, nil
		}
		// IEEE's preferred exponent for a square root is floor(exp/2).
		r := decFromBigFloat(new(big.Float).Sqrt(d.bigFloat()))
		return r.trimZeros(floorDiv2(d.exp)).value(), nil
	}
	f := asFloat(v)
	if f < 0 {
		return bson.RawValue{}, neg
	}
	return doubleValue(math.Sqrt(f)), nil
}

func floorDiv2(e int) int {
	if e < 0 {
		return -((-e + 1) / 2)
	}
	return e / 2
}

func evalExp(_ string, v bson.RawValue) (bson.RawValue, error) {
	if v.Type == bson.TypeDecimal128 {
		return floatAsDecimal(math.Exp(asFloat(v))), nil
	}
	return doubleValue(math.Exp(asFloat(v))), nil
}

func evalLn(_ string, v bson.RawValue) (bson.RawValue, error) {
	return logOf(v, math.Log, mongoerr.Location28766, "$ln")
}

func evalLog10(_ string, v bson.RawValue) (bson.RawValue, error) {
	return logOf(v, math.Log10, mongoerr.Location28761, "$log10")
}

// logOf follows mongod: a positive decimal gives a decimal; everything
// else, including a decimal NaN, goes through double, whose NaN passes.
func logOf(v bson.RawValue, fn func(float64) float64, code mongoerr.Code, name string) (bson.RawValue, error) {
	if v.Type == bson.TypeDecimal128 && decFromValue(v).sign() > 0 {
		return floatAsDecimal(fn(asFloat(v))), nil
	}
	f := asFloat(v)
	if !(f > 0 || math.IsNaN(f)) {
		return bson.RawValue{}, mongoerr.Newf(code, "%s's argument must be a positive number, but is %s", name, formatDouble(f))
	}
	return doubleValue(fn(f)), nil
}

func evalLog(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	arg, base := vals[0], vals[1]
	if nullish(arg) || nullish(base) {
		return nullValue, nil
	}
	if !numeric(arg) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Location28756, "$log's argument must be numeric, not %s", typeName(arg))
	}
	if !numeric(base) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Location28757, "$log's base must be numeric, not %s", typeName(base))
	}
	if arg.Type == bson.TypeDecimal128 || base.Type == bson.TypeDecimal128 {
		a, b := decFromValue(arg), decFromValue(base)
		if a.sign() > 0 && b.sign() > 0 && decCmp(b, decInt(1)) != 0 {
			return floatAsDecimal(math.Log(a.float()) / math.Log(b.float())), nil
		}
	}
	a, b := asFloat(arg), asFloat(base)
	if !(a > 0 || math.IsNaN(a)) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Location28758, "$log's argument must be a positive number, but is %s", formatDouble(a))
	}
	if !(b > 0 && b != 1 || math.IsNaN(b)) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Location28759, "$log's base must be a positive number not equal to 1, but is %s", formatDouble(b))
	}
	return doubleValue(math.Log(a) / math.Log(b)), nil
}

// decCmp orders two decimals by value (non-finite ones by sign only).
func decCmp(a, b dec) int {
	if a.kind != kFinite || b.kind != kFinite {
		return a.sign() - b.sign()
	}
	ca, cb, _ := align(a, b)
	return ca.Cmp(cb)
}

// evalPow is $pow: integers give an int (or long) when the exact power
// fits, a double otherwise; a double operand gives a double, a decimal
// one a decimal.
func evalPow(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	base, exp := vals[0], vals[1]
	if nullish(base) || nullish(exp) {
		return nullValue, nil
	}
	if !numeric(base) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Location28762, "$pow's base must be numeric, not %s", typeName(base))
	}
	if !numeric(exp) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Location28763, "$pow's exponent must be numeric, not %s", typeName(exp))
	}
	zeroNeg := mongoerr.New(mongoerr.Location28764, "$pow cannot take a base of 0 and a negative exponent")
	if base.Type == bson.TypeDecimal128 || exp.Type == bson.TypeDecimal128 {
		b, e := decFromValue(base), decFromValue(exp)
		if b.isZero() && e.sign() < 0 {
			return bson.RawValue{}, zeroNeg
		}
		return floatAsDecimal(math.Pow(b.float(), e.float())), nil
	}
	b, e := asFloat(base), asFloat(exp)
	if b == 0 && e < 0 {
		return bson.RawValue{}, zeroNeg
	}
	if base.Type == bson.TypeDouble || exp.Type == bson.TypeDouble {
		return doubleValue(math.Pow(b, e)), nil
	}
	bi, ei := asInt64(base), asInt64(exp)
	result, ok := powInt64(bi, ei)
	if !ok {
		return doubleValue(math.Pow(b, e)), nil
	}
	if base.Type == bson.TypeInt32 && exp.Type == bson.TypeInt32 {
		return intOrLong(result), nil
	}
	return int64Value(result), nil
}

// powInt64 computes b^e exactly; ok is false when the result is not an
// int64 (a fraction or an overflow).
func powInt64(b, e int64) (int64, bool) {
	switch {
	case b == 1:
		return 1, true
	case b == -1:
		if e%2 == 0 {
			return 1, true
		}
		return -1, true
	case e < 0:
		return 0, false
	case b == 0:
		if e == 0 {
			return 1, true
		}
		return 0, true
	case e > 63:
		return 0, false
	}
	result := int64(1)
	for i := int64(0); i < e; i++ {
		var ok bool
		if result, ok = mulInt64(result, b); !ok {
			return 0, false
		}
	}
	return result, true
}

// roundOrTrunc returns the parser of $round (half to even) or $trunc
// (toward zero): {$round: [number, place]}, place in [-20, 100].
func roundOrTrunc(mode roundMode) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		a, err := parseArgsRange(name, args, pc, 1, 2)
		if err != nil {
			return nil, err
		}
		return naryFunc{a, func(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
			return evalRound(name, mode, vals)
		}}, nil
	}
}

func evalRound(name string, mode roundMode, vals []bson.RawValue) (bson.RawValue, error) {
	v := vals[0]
	if nullish(v) {
		return nullValue, nil
	}
	if !numeric(v) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Location51081, "%s only supports numeric types, not %s", name, typeName(v))
	}
	place := int64(0)
	if len(vals) > 1 {
		p := vals[1]
		if nullish(p) {
			return nullValue, nil
		}
		if !numeric(p) {
			return bson.RawValue{}, mongoerr.Newf(mongoerr.Location16004, "can't convert from BSON type %s to long", typeName(p))
		}
		f := asFloat(p)
		if p.Type == bson.TypeDecimal128 {
			q, _ := decFromValue(p).int64()
			f = float64(q)
			if d := decFromValue(p); d.kind != kFinite || decCmp(d, decInt(q)) != 0 {
				f = math.NaN()
			}
		}
		if f != math.Trunc(f) || math.IsNaN(f) {
			return bson.RawValue{}, mongoerr.Newf(mongoerr.Location51082, "precision argument to  %s must be a integral value", name)
		}
		place = int64(f)
		if place < -20 || place > 100 {
			return bson.RawValue{}, mongoerr.Newf(mongoerr.Location51083, "cannot apply %s with precision value %d value must be in [-20, 100]", name, place)
		}
	}
	target := int(-place)
	switch v.Type {
	case bson.TypeDecimal128:
		d := decFromValue(v)
		if d.kind != kFinite {
			return v, nil
		}
		q, ok := d.quantize(target, mode)
		if !ok {
			// More than 34 digits would be needed to show the place: the
			// value is already exact there.
			return v, nil
		}
		return q.value(), nil
	case bson.TypeDouble:
		f := asFloat(v)
		d := decFromFloat(f, decDigits)
		if d.kind != kFinite || d.exp >= target {
			return v, nil
		}
		q, _ := d.quantize(target, mode)
		return doubleValue(q.float()), nil
	}
	if place >= 0 {
		return v, nil
	}
	q, _ := decInt(asInt64(v)).quantize(target, mode)
	n, ok := dec{coef: q.coef, exp: q.exp}.int64()
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Location51080, "invalid conversion from Decimal128 result in %s resulting from arguments: [%s, %d]", name, formatNumber(v), place)
	}
	if v.Type == bson.TypeInt64 || n > math.MaxInt32 || n < math.MinInt32 {
		return int64Value(n), nil
	}
	return int32Value(int32(n)), nil
}

// floatAsDecimal is the decimal result of a transcendental operator,
// computed through double precision.
func floatAsDecimal(f float64) bson.RawValue {
	return decFromFloat(f, 15).trimZeros(0).value()
}

// bigFloat converts a finite d to a 256-bit float.
func (d dec) bigFloat() *big.Float {
	f := new(big.Float).SetPrec(256).SetInt(d.coef)
	if d.exp > 0 {
		f.Mul(f, new(big.Float).SetPrec(256).SetInt(pow10(d.exp)))
	} else if d.exp < 0 {
		f.Quo(f, new(big.Float).SetPrec(256).SetInt(pow10(-d.exp)))
	}
	return f
}

// decFromBigFloat rounds f to 34 significant digits.
func decFromBigFloat(f *big.Float) dec {
	if f.Sign() == 0 {
		return decInt(0)
	}
	s := f.Text('e', decDigits-1)
	mant, expS, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(expS)
	c, _ := new(big.Int).SetString(strings.Replace(mant, ".", "", 1), 10)
	return dec{coef: c, exp: e - (decDigits - 1)}
}
