package expr

import (
	"math"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// $percentile and $median, as accumulators and as expressions. mongod
// 8.0 accepts only method 'approximate'; its expressions compute the
// discrete percentile of their (small) input exactly, and its
// accumulator runs a t-digest whose centroids stay single values until
// the input is large, so that it too answers exactly for small groups.
// SecantusDB keeps every numeric value and always answers exactly: the
// value of 0-based rank max(0, ⌈p·n⌉ − 1) in ascending order (n − 1 for
// p = 1), as mongod's DiscretePercentile. Results are doubles.

const (
	codePercentileAccNotObject  mongoerr.Code = 7429703
	codePercentileExprNotObject mongoerr.Code = 7436200
	codeMedianAccNotObject      mongoerr.Code = 7436100
	codeMedianExprNotObject     mongoerr.Code = 7436201
	codePercentilePNotConstant  mongoerr.Code = 7750300
	codePercentilePNotArray     mongoerr.Code = 7750301
	codePercentilePNotNumber    mongoerr.Code = 7750302
	codePercentilePOutOfRange   mongoerr.Code = 7750303
)

const percentilePMsg = "The $percentile 'p' field must be an array of numbers from [0.0, 1.0], but found: "

// percentileSpec is a parsed {input, p, method} (median: {input, method}).
type percentileSpec struct {
	input  Expr
	ps     []float64
	median bool
}

// parsePercentileSpec parses the argument as mongod's IDL parser and
// parseP do; notObject is the code of a non-document argument.
func parsePercentileSpec(name string, arg bson.RawValue, pc *ParseContext, notObject mongoerr.Code) (*percentileSpec, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(notObject, "specification must be an object; found %s: %s", name, valueString(arg))
	}
	spec := &percentileSpec{median: name == "$median"}
	elems, err := bson.Raw(arg.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	var input, p, method bson.RawValue
	for _, e := range elems {
		switch {
		case e.Key() == "input":
			input = e.Value()
		case e.Key() == "p" && !spec.median:
			p = e.Value()
		case e.Key() == "method":
			method = e.Value()
			if method.Type != bson.TypeString {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '%s.method' is the wrong type '%s', expected type 'string'", name, typeName(method))
			}
			if m := method.StringValue(); m != "approximate" {
				return nil, mongoerr.New(mongoerr.BadValue, "Currently only 'approximate' can be used as percentile 'method'.")
			}
		default:
			return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '%s.%s' is an unknown field.", name, e.Key())
		}
	}
	for _, req := range []struct {
		name string
		v    bson.RawValue
		need bool
	}{{"input", input, true}, {"p", p, !spec.median}, {"method", method, true}} {
		if req.need && req.v.Type == 0 {
			return nil, mongoerr.Newf(mongoerr.Location40414, "BSON field '%s.%s' is missing but a required field", name, req.name)
		}
	}
	if spec.input, err = Parse(input, pc); err != nil {
		return nil, err
	}
	if spec.median {
		spec.ps = []float64{0.5}
		return spec, nil
	}
	px, err := Parse(p, pc)
	if err != nil {
		return nil, err
	}
	pv, ok := Constant(px)
	if !ok {
		if p.Type == bson.TypeArray {
			// An array of constants is a constant in mongod once optimized.
			if vals, err := px.Eval(&EvalContext{}, emptyDoc); err == nil && allConstantArray(p) {
				pv, ok = vals, true
			}
		}
		if !ok {
			return nil, mongoerr.Newf(codePercentilePNotConstant, "The $percentile 'p' field must be an array of constant values, but found value: %s.", valueString(p))
		}
	}
	if pv.Type != bson.TypeArray || len(arrayValues(pv)) == 0 {
		return nil, mongoerr.New(codePercentilePNotArray, percentilePMsg+valueString(pv))
	}
	for _, v := range arrayValues(pv) {
		if !numeric(v) {
			return nil, mongoerr.New(codePercentilePNotNumber, percentilePMsg+valueString(v))
		}
		f := asFloat(v)
		if f < 0 || f > 1 {
			return nil, mongoerr.New(codePercentilePOutOfRange, percentilePMsg+strconv.FormatFloat(f, 'g', -1, 64))
		}
		spec.ps = append(spec.ps, f)
	}
	return spec, nil
}

// allConstantArray reports an array literal with no field paths,
// variables or operators in it.
func allConstantArray(v bson.RawValue) bool {
	for _, e := range arrayValues(v) {
		switch e.Type {
		case bson.TypeString:
			if s := e.StringValue(); len(s) > 0 && s[0] == '$' {
				return false
			}
		case bson.TypeEmbeddedDocument, bson.TypeArray:
			return false
		}
	}
	return true
}

// discretePercentile is the value of rank max(0, ⌈p·n⌉−1) of sorted.
func discretePercentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	rank := n - 1
	if p < 1 {
		rank = int(math.Ceil(float64(n)*p)) - 1
		if rank < 0 {
			rank = 0
		}
	}
	return sorted[rank]
}

// format is the result for the values in sorted: an array of doubles
// (nulls without values) for $percentile, a double (null) for $median.
func (s *percentileSpec) format(sorted []float64) bson.RawValue {
	if s.median {
		if len(sorted) == 0 {
			return nullValue
		}
		return doubleValue(discretePercentile(sorted, 0.5))
	}
	out := make([]bson.RawValue, len(s.ps))
	for i, p := range s.ps {
		if len(sorted) == 0 {
			out[i] = nullValue
		} else {
			out[i] = doubleValue(discretePercentile(sorted, p))
		}
	}
	return arrayValue(out)
}

// percentileAcc keeps the numeric values seen (NaN aside).
type percentileAcc struct {
	spec *percentileSpec
	vals []float64
}

func (a *percentileAcc) Add(v bson.RawValue) { _ = a.Accumulate(v) }

func (a *percentileAcc) Accumulate(v bson.RawValue) error {
	if !numeric(v) {
		return nil
	}
	f := asFloat(v)
	if math.IsNaN(f) {
		return nil
	}
	a.vals = append(a.vals, f)
	if a.MemSize() > AccumulatorMemLimit {
		name := "$percentile"
		if a.spec.median {
			name = "$median"
		}
		return tooMuchMemory(name)
	}
	return nil
}

func (a *percentileAcc) Result() bson.RawValue {
	sorted := slices.Clone(a.vals)
	slices.Sort(sorted)
	return a.spec.format(sorted)
}

func (a *percentileAcc) MemSize() int64 { return 64 + 8*int64(len(a.vals)) }

func (a *percentileAcc) Partial() bson.RawValue {
	idx, dst := bsoncore.AppendArrayStart(nil)
	for i, f := range a.vals {
		dst = bsoncore.AppendDoubleElement(dst, strconv.Itoa(i), f)
	}
	dst, _ = bsoncore.AppendArrayEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeArray, Value: dst}
}

func (a *percentileAcc) Merge(p bson.RawValue) error {
	if p.Type != bson.TypeArray {
		return badPartial("$percentile")
	}
	for _, v := range arrayValues(p) {
		if err := a.Accumulate(v); err != nil {
			return err
		}
	}
	return nil
}

func parsePercentileAccumulator(op string, arg bson.RawValue, pc *ParseContext) (*AccumulatorExpr, error) {
	code := codePercentileAccNotObject
	if op == "$median" {
		code = codeMedianAccNotObject
	}
	spec, err := parsePercentileSpec(op, arg, pc, code)
	if err != nil {
		return nil, err
	}
	return &AccumulatorExpr{Op: op, input: spec.input, newAcc: func(*EvalContext, bson.RawValue) (Accumulator, error) {
		return &percentileAcc{spec: spec}, nil
	}}, nil
}

// percentileExpr is the expression form: over a number (every
// percentile is that number) or the numbers of an array.
type percentileExpr struct{ spec *percentileSpec }

func (x percentileExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	v, err := x.spec.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	var vals []float64
	switch {
	case numeric(v):
		vals = []float64{asFloat(v)}
	case v.Type == bson.TypeArray:
		for _, e := range arrayValues(v) {
			if numeric(e) {
				if f := asFloat(e); !math.IsNaN(f) {
					vals = append(vals, f)
				}
			}
		}
	}
	slices.Sort(vals)
	return x.spec.format(vals), nil
}

func parsePercentileExpr(name string, arg bson.RawValue, pc *ParseContext) (Expr, error) {
	code := codePercentileExprNotObject
	if name == "$median" {
		code = codeMedianExprNotObject
	}
	spec, err := parsePercentileSpec(name, arg, pc, code)
	if err != nil {
		return nil, err
	}
	return percentileExpr{spec}, nil
}

func init() {
	accumulatorParsers["$percentile"] = parsePercentileAccumulator
	accumulatorParsers["$median"] = parsePercentileAccumulator
	register(map[string]parseFunc{
		"$percentile": parsePercentileExpr,
		"$median":     parsePercentileExpr,
	})
}
