package expr

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
)

// lazyOp is an operator whose operands are evaluated one at a time, in
// the order mongod evaluates them: many operators stop at a null operand
// or validate one operand before the next is even computed, so an error
// in a later operand must not surface where mongod never reaches it.
type lazyOp struct {
	name string
	args []Expr
	fn   func(c *opCall) (bson.RawValue, error)
}

// opCall is one evaluation of a lazyOp.
type opCall struct {
	ec   *EvalContext
	doc  bson.Raw
	name string
	args []Expr
}

// arg evaluates operand i.
func (c *opCall) arg(i int) (bson.RawValue, error) { return c.args[i].Eval(c.ec, c.doc) }

func (l *lazyOp) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	return l.fn(&opCall{ec: ec, doc: doc, name: l.name, args: l.args})
}

// lazyFixed is fixed for operators that evaluate their operands lazily.
func lazyFixed(n int, fn func(c *opCall) (bson.RawValue, error)) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		a, err := parseArgsExactly(name, args, pc, n)
		if err != nil {
			return nil, err
		}
		return &lazyOp{name, a, fn}, nil
	}
}

// lazyRange takes min to max operands (mongod's ExpressionRangedArity).
func lazyRange(min, max int, fn func(c *opCall) (bson.RawValue, error)) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		a, err := parseArgsRange(name, args, pc, min, max)
		if err != nil {
			return nil, err
		}
		return &lazyOp{name, a, fn}, nil
	}
}

// lazyVariadic takes any number of operands.
func lazyVariadic(fn func(c *opCall) (bson.RawValue, error)) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		a, err := parseArgs(args, pc)
		if err != nil {
			return nil, err
		}
		return &lazyOp{name, a, fn}, nil
	}
}

// arrayValues returns the elements of an array value.
func arrayValues(v bson.RawValue) []bson.RawValue {
	vals, _ := bson.Raw(v.Value).Values()
	return vals
}

// arrayOf builds an array of vals, leaving out missing ones: mongod
// drops a missing Value when it writes an array out as BSON.
func arrayOf(vals []bson.RawValue) bson.RawValue {
	kept := vals[:0:0]
	for _, v := range vals {
		if v.Type != 0 {
			kept = append(kept, v)
		}
	}
	return arrayValue(kept)
}

// int32Exact is mongod's Value::integral: v is a number whose value is
// an integer representable as a 32-bit int (int32; int64, double or
// decimal128 holding such a value exactly).
func int32Exact(v bson.RawValue) (int32, bool) {
	switch v.Type {
	case bson.TypeInt32:
		i, _ := v.Int32OK()
		return i, true
	case bson.TypeInt64:
		i, _ := v.Int64OK()
		if i < math.MinInt32 || i > math.MaxInt32 {
			return 0, false
		}
		return int32(i), true
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		if f < math.MinInt32 || f > math.MaxInt32 || f != math.Trunc(f) {
			return 0, false
		}
		return int32(f), true
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		x := decFromDecimal(d)
		if x.kind != kFinite {
			return 0, false
		}
		n, ok := decExactInt(x)
		if !ok || !n.IsInt64() || n.Int64() < math.MinInt32 || n.Int64() > math.MaxInt32 {
			return 0, false
		}
		return int32(n.Int64()), true
	}
	return 0, false
}

// decExactInt returns the integer a finite decimal holds, if it holds
// one exactly.
func decExactInt(x dec) (*big.Int, bool) {
	if x.coef.Sign() == 0 {
		return new(big.Int), true
	}
	if x.exp >= 0 {
		if x.exp > 40 {
			return nil, false // far beyond any integer range asked about
		}
		return new(big.Int).Mul(x.coef, pow10(x.exp)), true
	}
	if -x.exp > 40 {
		return nil, false // a non-zero 34-digit coefficient cannot be a multiple
	}
	q, r := new(big.Int).QuoRem(x.coef, pow10(-x.exp), new(big.Int))
	return q, r.Sign() == 0
}

// valueString renders v as mongod's Value::toString does in error
// messages: strings quoted, doubles as C++ streams print them (1, 1.5,
// 3e+09), documents as {a: 1}.
func valueString(v bson.RawValue) string {
	switch v.Type {
	case 0:
		return "MISSING"
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		switch {
		case math.IsNaN(f):
			return "nan"
		case math.IsInf(f, 1):
			return "inf"
		case math.IsInf(f, -1):
			return "-inf"
		}
		return formatDouble(f)
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		return d.String()
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		var sb strings.Builder
		open, close := "{", "}"
		if v.Type == bson.TypeArray {
			open, close = "[", "]"
		}
		sb.WriteString(open)
		elems, _ := bson.Raw(v.Value).Elements()
		for i, e := range elems {
			if i > 0 {
				sb.WriteString(", ")
			}
			if v.Type == bson.TypeEmbeddedDocument {
				sb.WriteString(e.Key() + ": ")
			}
			sb.WriteString(valueString(e.Value()))
		}
		sb.WriteString(close)
		return sb.String()
	case bson.TypeString:
		s, _ := v.StringValueOK()
		return strconv.Quote(s)
	}
	return bsonx.Format(v)
}
