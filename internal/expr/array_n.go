package expr

import (
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// mongod's assertion codes for the array-expression forms of $firstN,
// $lastN, $maxN and $minN (shared with their accumulators).
const (
	codeFirstLastNNotObject mongoerr.Code = 5787801
	codeMinMaxNNotObject    mongoerr.Code = 5787900
	codeNUnknownArg         mongoerr.Code = 5787901
	codeNNotNumeric         mongoerr.Code = 5787902
	codeNNotIntegral        mongoerr.Code = 5787903
	codeNMissingN           mongoerr.Code = 5787906
	codeNMissingInput       mongoerr.Code = 5787907
	codeNNotPositive        mongoerr.Code = 5787908
	codeNInputNotArray      mongoerr.Code = 5788200
)

type nSense int

const (
	senseFirst nSense = iota
	senseLast
	senseMin
	senseMax
)

func init() {
	register(map[string]parseFunc{
		"$firstN": parseNOp(senseFirst),
		"$lastN":  parseNOp(senseLast),
		"$minN":   parseNOp(senseMin),
		"$maxN":   parseNOp(senseMax),
	})
}

// nExpr is {$firstN | $lastN | $minN | $maxN: {n, input}} over an array.
type nExpr struct {
	sense    nSense
	n, input Expr
}

func parseNOp(sense nSense) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		if args.Type != bson.TypeEmbeddedDocument {
			code := codeFirstLastNNotObject
			if sense == senseMin || sense == senseMax {
				code = codeMinMaxNNotObject
			}
			return nil, mongoerr.Newf(code, "specification must be an object; found %s: %s", name, valueString(args))
		}
		elems, err := bson.Raw(args.Value).Elements()
		if err != nil {
			return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
		}
		x := &nExpr{sense: sense}
		for _, el := range elems {
			switch el.Key() {
			case "n":
				x.n, err = Parse(el.Value(), pc)
			case "input":
				x.input, err = Parse(el.Value(), pc)
			default:
				return nil, mongoerr.Newf(codeNUnknownArg, "Unknown argument for 'n' operator: %s", el.Key())
			}
			if err != nil {
				return nil, err
			}
		}
		if x.n == nil {
			return nil, mongoerr.New(codeNMissingN, "Missing value for 'n'")
		}
		if x.input == nil {
			return nil, mongoerr.New(codeNMissingInput, "Missing value for 'input'")
		}
		return x, nil
	}
}

// validateN is mongod's AccumulatorN::validateN: n must be a number with
// an integral value, and positive. Null is not accepted.
func validateN(v bson.RawValue) (int64, error) {
	if !numeric(v) {
		return 0, mongoerr.Newf(codeNNotNumeric, "Value for 'n' must be of integral type, but found %s", valueString(v))
	}
	var n int64
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		n = asInt64(v)
	case bson.TypeDouble:
		f := asFloat(v)
		if f != f || f >= 9.3e18 || f <= -9.3e18 || float64(int64(f)) != f {
			return 0, mongoerr.Newf(codeNNotIntegral, "Value for 'n' must be of integral type, but found %s", valueString(v))
		}
		n = int64(f)
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		x := decFromDecimal(d)
		i, ok := decExactInt(x)
		if x.kind != kFinite || !ok || !i.IsInt64() {
			return 0, mongoerr.Newf(codeNNotIntegral, "Value for 'n' must be of integral type, but found %s", valueString(v))
		}
		n = i.Int64()
	}
	if n <= 0 {
		return 0, mongoerr.Newf(codeNNotPositive, "'n' must be greater than 0, found %d", n)
	}
	return n, nil
}

func (x *nExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	nv, err := x.n.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	n, err := validateN(nv)
	if err != nil {
		return bson.RawValue{}, err
	}
	in, err := x.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.New(codeNInputNotArray, "Input must be an array")
	}
	elems := arrayValues(in)
	switch x.sense {
	case senseFirst:
		if int64(len(elems)) > n {
			elems = elems[:n]
		}
		return arrayValue(elems), nil
	case senseLast:
		if int64(len(elems)) > n {
			elems = elems[int64(len(elems))-n:]
		}
		return arrayValue(elems), nil
	}
	return arrayValue(minMaxN(ec, elems, n, x.sense == senseMax)), nil
}

// minMaxN keeps the n smallest (or largest) values, skipping null and
// missing, as mongod's AccumulatorMinMaxN does with its multiset: values
// equal to one already held go after it, a new value replaces the
// current worst only when strictly better, and $maxN reads the set from
// the end.
func minMaxN(ec *EvalContext, elems []bson.RawValue, n int64, isMax bool) []bson.RawValue {
	var set []bson.RawValue // ascending; equal values in insertion order
	for _, v := range elems {
		if nullish(v) {
			continue
		}
		if int64(len(set)) == n {
			if isMax {
				if compareValues(ec, set[0], v) >= 0 {
					continue
				}
				set = set[1:]
			} else {
				if compareValues(ec, set[len(set)-1], v) <= 0 {
					continue
				}
				set = set[:len(set)-1]
			}
		}
		at := sort.Search(len(set), func(i int) bool { return compareValues(ec, set[i], v) > 0 })
		set = append(set, bson.RawValue{})
		copy(set[at+1:], set[at:])
		set[at] = v
	}
	out := make([]bson.RawValue, len(set))
	for i, v := range set {
		if isMax {
			out[len(set)-1-i] = v
		} else {
			out[i] = v
		}
	}
	return out
}
