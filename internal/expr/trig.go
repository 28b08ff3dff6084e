package expr

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Trigonometric operators. Doubles and integers give doubles; decimals
// give decimals. mongod computes decimal results with Decimal128's own
// 34-digit functions; here the function runs in double precision and the
// result is widened to a decimal, so only about 16 digits are exact —
// except $degreesToRadians and $radiansToDegrees, which multiply exactly
// by mongod's 34-digit constants.

func init() {
	register(map[string]parseFunc{
		"$sin":   boundedTrig(math.Sin, math.Inf(-1), math.Inf(1), false),
		"$cos":   boundedTrig(math.Cos, math.Inf(-1), math.Inf(1), false),
		"$tan":   boundedTrig(math.Tan, math.Inf(-1), math.Inf(1), false),
		"$asin":  boundedTrig(math.Asin, -1, 1, true),
		"$acos":  boundedTrig(math.Acos, -1, 1, true),
		"$atanh": boundedTrig(math.Atanh, -1, 1, true),
		"$acosh": boundedTrig(math.Acosh, 1, math.Inf(1), true),
		"$atan":  unaryNumeric(trigFunc(math.Atan)),
		"$asinh": unaryNumeric(trigFunc(math.Asinh)),
		"$sinh":  unaryNumeric(trigFunc(math.Sinh)),
		"$cosh":  unaryNumeric(trigFunc(math.Cosh)),
		"$tanh":  unaryNumeric(trigFunc(math.Tanh)),
		"$atan2": fixed(2, evalAtan2),

		"$degreesToRadians": unaryNumeric(angleConversion(math.Pi/180, "0.01745329251994329576923690768488613")),
		"$radiansToDegrees": unaryNumeric(angleConversion(180/math.Pi, "57.29577951308232087679815481410517")),
	})
}

// trigFunc applies f to a numeric value.
func trigFunc(f func(float64) float64) func(string, bson.RawValue) (bson.RawValue, error) {
	return func(_ string, v bson.RawValue) (bson.RawValue, error) {
		r := f(asFloat(v))
		if v.Type == bson.TypeDecimal128 {
			return decFromFloat(r, decDigits).value(), nil
		}
		return doubleValue(r), nil
	}
}

// boundedTrig is a function defined on [lo, hi] (inclusive) or (lo, hi):
// NaN passes through, values outside fail with mongod's 50989.
func boundedTrig(f func(float64) float64, lo, hi float64, inclusive bool) parseFunc {
	apply := trigFunc(f)
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		inner := unaryNumeric(func(_ string, v bson.RawValue) (bson.RawValue, error) {
			x := asFloat(v)
			if math.IsNaN(x) {
				return v, nil
			}
			in := x > lo && x < hi
			if inclusive {
				in = x >= lo && x <= hi
			}
			if !in {
				l, r := "(", ")"
				if inclusive {
					l, r = "[", "]"
				}
				return bson.RawValue{}, mongoerr.Newf(mongoerr.Code(50989), "cannot apply %s to %s, value must in %s%s,%s%s",
					name, trigOperand(v), l, cppDouble(lo), cppDouble(hi), r)
			}
			return apply(name, v)
		})
		return inner(name, args, pc)
	}
}

// trigOperand prints an out-of-range operand as mongod's message does.
func trigOperand(v bson.RawValue) string {
	if v.Type == bson.TypeDecimal128 {
		return v.Decimal128().String()
	}
	return cppDouble(asFloat(v))
}

// cppDouble formats a double as C++'s default ostream does (%g, six
// significant digits, "inf"/"nan").
func cppDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

func evalAtan2(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	y, x := vals[0], vals[1]
	if nullish(y) || nullish(x) {
		return nullValue, nil
	}
	if !numeric(y) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Code(51044), "$atan2 only supports numeric types, not %s", typeName(y))
	}
	if !numeric(x) {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Code(51045), "$atan2 only supports numeric types, not %s", typeName(x))
	}
	r := math.Atan2(asFloat(y), asFloat(x))
	if y.Type == bson.TypeDecimal128 || x.Type == bson.TypeDecimal128 {
		return decFromFloat(r, decDigits).value(), nil
	}
	return doubleValue(r), nil
}

// angleConversion multiplies by a constant: in double precision for
// doubles and integers, exactly by the 34-digit decimal for decimals.
func angleConversion(factor float64, decimalFactor string) func(string, bson.RawValue) (bson.RawValue, error) {
	whole, frac, _ := strings.Cut(decimalFactor, ".")
	coef, _ := new(big.Int).SetString(whole+frac, 10)
	exp := -len(frac)
	k := dec{coef: coef, exp: exp}
	return func(_ string, v bson.RawValue) (bson.RawValue, error) {
		if v.Type == bson.TypeDecimal128 {
			return decMul(decFromValue(v), k).value(), nil
		}
		return doubleValue(asFloat(v) * factor), nil
	}
}
