package pipeline

import (
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The window functions of $setWindowFields. Each computes one output
// field for every document of a partition. As in mongod, an accumulator
// whose window starts at the beginning of the partition ("unbounded"
// lower bound) runs the $group accumulator incrementally, while a window
// with a lower bound uses the window function's own ("removable")
// semantics, which differ in a few result types (a $sum of longs that
// fits an int is an int, $addToSet is sorted, $min/$max see nulls).

// windowFunc computes one output field over a partition: out[i] is the
// value for document i (Type 0: the field is not set).
type windowFunc interface {
	compute(p *winPartition, out []bson.RawValue) error
}

type windowFuncParser func(op string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error)

var windowFuncParsers map[string]windowFuncParser

func init() {
	windowFuncParsers = map[string]windowFuncParser{
		"$sum": parseRemovable, "$avg": parseRemovable, "$min": parseRemovable, "$max": parseRemovable,
		"$push": parseRemovable, "$addToSet": parseRemovable, "$stdDevPop": parseRemovable,
		"$stdDevSamp": parseRemovable, "$covariancePop": parseRemovable, "$covarianceSamp": parseRemovable,
		"$count": parseWindowCount, "$first": parseFirstLast, "$last": parseFirstLast,
		"$shift": parseShift, "$rank": parseRank, "$denseRank": parseRank, "$documentNumber": parseRank,
		"$expMovingAvg": parseExpMovingAvg, "$derivative": parseDerivativeIntegral,
		"$integral": parseDerivativeIntegral, "$locf": parseLeftUnbounded, "$linearFill": parseLeftUnbounded,
		"$top": parseAccumulatorN, "$bottom": parseAccumulatorN, "$topN": parseAccumulatorN,
		"$bottomN": parseAccumulatorN, "$firstN": parseAccumulatorN, "$lastN": parseAccumulatorN,
		"$maxN": parseAccumulatorN, "$minN": parseAccumulatorN, "$median": parseAccumulatorN,
		"$percentile": parseAccumulatorN,
	}
}

func isWindowFunc(name string) bool {
	_, ok := windowFuncParsers[name]
	return ok
}

// parseWindowFunc parses an output field's specification.
func parseWindowFunc(spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		if strings.HasPrefix(e.Key(), "$") {
			parse, ok := windowFuncParsers[e.Key()]
			if !ok {
				return nil, mongoerr.Newf(mongoerr.FailedToParse, "Unrecognized window function, %s", e.Key())
			}
			return parse(e.Key(), spec, w, p)
		}
	}
	msg := "Expected a $-prefixed window function"
	if len(elems) > 0 && elems[0].Key() != "" {
		msg += ", " + elems[0].Key()
	}
	return nil, mongoerr.New(mongoerr.FailedToParse, msg)
}

// genericArgs reads {<$function>: <arg>, window?: {...}}.
func genericArgs(spec bson.Raw, w *windowSpec, p *parser) (op string, arg bson.RawValue, b windowBounds, err error) {
	b = wholePartition
	elems, _ := spec.Elements()
	for _, e := range elems {
		switch {
		case e.Key() == "window":
			if b, err = parseWindowBounds(e.Value(), w, p); err != nil {
				return "", bson.RawValue{}, b, err
			}
		case isWindowFunc(e.Key()):
			if op != "" {
				return "", bson.RawValue{}, b, mongoerr.New(mongoerr.FailedToParse, "Cannot specify two functions in window function spec")
			}
			op, arg = e.Key(), e.Value()
		default:
			return "", bson.RawValue{}, b, mongoerr.Newf(mongoerr.FailedToParse, "Window function found an unknown argument: %s", e.Key())
		}
	}
	if op == "" {
		return "", bson.RawValue{}, b, mongoerr.New(mongoerr.FailedToParse, "Must specify a window function in output field")
	}
	return op, arg, b, nil
}

// winAccumulator folds the inputs of a window.
type winAccumulator interface {
	add(v bson.RawValue) error
	result() (bson.RawValue, error)
}

// exprAcc adapts an expression-language accumulator.
type exprAcc struct{ a expr.Accumulator }

func (e exprAcc) add(v bson.RawValue) error      { e.a.Add(v); return nil }
func (e exprAcc) result() (bson.RawValue, error) { return e.a.Result(), nil }

// accFunc is a window function over the inputs of a window.
type accFunc struct {
	input   expr.Expr
	accExpr *expr.AccumulatorExpr // the N accumulators, $median, $percentile
	bounds  windowBounds
	// nonRemovable makes the accumulator of left-unbounded windows,
	// removable that of the others.
	nonRemovable, removable func() (winAccumulator, error)
	// withSort pairs each input with the sortBy value ($integral).
	withSort bool
}

func (f *accFunc) compute(p *winPartition, out []bson.RawValue) error {
	ec := p.w.ec
	inputs := make([]bson.RawValue, len(p.docs))
	for i, d := range p.docs {
		var v bson.RawValue
		var err error
		if f.accExpr != nil {
			v, err = f.accExpr.Input(ec, d)
		} else {
			v, err = f.input.Eval(ec, d)
		}
		if err != nil {
			return err
		}
		inputs[i] = v
	}
	if f.withSort {
		sv, err := p.sortValues()
		if err != nil {
			return err
		}
		for i := range inputs {
			arr := bsonx.NewArrayBuilder()
			for _, x := range []bson.RawValue{sv[i], inputs[i]} {
				if x.Type == 0 {
					x = winNull
				}
				arr.AppendRaw(arr.NextKey(), x)
			}
			inputs[i] = bson.RawValue{Type: bson.TypeArray, Value: arr.Finish()}
		}
	}
	r, err := newWinResolver(f.bounds, p)
	if err != nil {
		return err
	}
	if f.bounds.lower.kind == boundUnbounded {
		acc, err := f.nonRemovable()
		if err != nil {
			return err
		}
		next := -1
		for i := range p.docs {
			lo, hi, ok, err := r.window(i)
			if err != nil {
				return err
			}
			if ok {
				if next < 0 {
					next = lo
				}
				for ; next <= hi; next++ {
					if err := acc.add(inputs[next]); err != nil {
						return err
					}
				}
			}
			v, err := acc.result()
			if err != nil {
				return err
			}
			out[i] = cloneValue(v)
		}
		return nil
	}
	for i := range p.docs {
		lo, hi, ok, err := r.window(i)
		if err != nil {
			return err
		}
		acc, err := f.removable()
		if err != nil {
			return err
		}
		if ok {
			for j := lo; j <= hi; j++ {
				if err := acc.add(inputs[j]); err != nil {
					return err
				}
			}
		}
		v, err := acc.result()
		if err != nil {
			return err
		}
		out[i] = cloneValue(v)
	}
	return nil
}

// parseRemovable parses the accumulators that take one expression:
// $sum, $avg, $min, $max, $push, $addToSet, $stdDevPop, $stdDevSamp,
// $covariancePop and $covarianceSamp.
func parseRemovable(_ string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	op, arg, b, err := genericArgs(spec, w, p)
	if err != nil {
		return nil, err
	}
	x, err := p.expr(arg)
	if err != nil {
		return nil, err
	}
	ec, m := w.ec, w.math
	f := &accFunc{input: x, bounds: b}
	group := func() (winAccumulator, error) { return exprAcc{expr.NewAccumulator(op, ec)}, nil }
	switch op {
	case "$sum", "$avg":
		f.nonRemovable = group
		f.removable = func() (winAccumulator, error) { return newWinSum(op == "$avg", ec, m), nil }
	case "$min", "$max":
		sign := 1
		if op == "$min" {
			sign = -1
		}
		f.nonRemovable = group
		f.removable = func() (winAccumulator, error) { return &winExtreme{sign: sign, ec: ec}, nil }
	case "$stdDevPop", "$stdDevSamp":
		f.nonRemovable = group
		f.removable = func() (winAccumulator, error) { return &winStdDev{sample: op == "$stdDevSamp"}, nil }
	case "$push":
		f.nonRemovable = func() (winAccumulator, error) { return &winPush{}, nil }
		f.removable = f.nonRemovable
	case "$addToSet":
		f.nonRemovable = func() (winAccumulator, error) { return &winSet{ec: ec}, nil }
		f.removable = func() (winAccumulator, error) { return &winSet{ec: ec, sorted: true}, nil }
	case "$covariancePop", "$covarianceSamp":
		f.nonRemovable = func() (winAccumulator, error) { return &winCovariance{sample: op == "$covarianceSamp"}, nil }
		f.removable = f.nonRemovable
	}
	return f, nil
}

// parseWindowCount parses {$count: {}}: a $sum of 1.
func parseWindowCount(_ string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	_, arg, b, err := genericArgs(spec, w, p)
	if err != nil {
		return nil, err
	}
	if d, ok := arg.DocumentOK(); !ok || len(d) > 5 {
		return nil, mongoerr.New(mongoerr.FailedToParse, "$count only accepts an empty object as input")
	}
	one, err := p.expr(winInt32(1))
	if err != nil {
		return nil, err
	}
	ec, m := w.ec, w.math
	return &accFunc{input: one, bounds: b,
		nonRemovable: func() (winAccumulator, error) { return exprAcc{expr.NewAccumulator("$sum", ec)}, nil },
		removable:    func() (winAccumulator, error) { return newWinSum(false, ec, m), nil },
	}, nil
}

// parseAccumulatorN parses the accumulators that take an object
// argument, through the expression language's accumulator parser:
// $top, $bottom, $topN, $bottomN, $firstN, $lastN, $maxN, $minN,
// $median and $percentile.
func parseAccumulatorN(name string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	b := wholePartition
	var arg bson.RawValue
	elems, _ := spec.Elements()
	for _, e := range elems {
		switch e.Key() {
		case name:
			arg = e.Value()
		case "window":
			var err error
			if b, err = parseWindowBounds(e.Value(), w, p); err != nil {
				return nil, err
			}
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s got unexpected argument: %s", name, e.Key())
		}
	}
	if !expr.IsAccumulator(name) {
		return nil, mongoerr.Newf(mongoerr.NotImplemented, "the window function %s is not supported by SecantusDB yet", name)
	}
	ae, err := expr.ParseAccumulator(name, arg, p.scope.Parse)
	if err != nil {
		return nil, err
	}
	ec := w.ec
	mk := func() (winAccumulator, error) {
		a, err := ae.New(ec, winNull)
		if err != nil {
			return nil, err
		}
		return exprAcc{a}, nil
	}
	return &accFunc{accExpr: ae, bounds: b, nonRemovable: mk, removable: mk}, nil
}

// $first, $last and $shift read one document of the window.

type endpointFunc struct {
	input  expr.Expr
	bounds windowBounds
	last   bool
	def    bson.RawValue
}

func (f *endpointFunc) compute(p *winPartition, out []bson.RawValue) error {
	r, err := newWinResolver(f.bounds, p)
	if err != nil {
		return err
	}
	for i := range p.docs {
		lo, hi, ok, err := r.window(i)
		if err != nil {
			return err
		}
		if !ok {
			out[i] = f.def
			continue
		}
		j := lo
		if f.last {
			j = hi
		}
		v, err := f.input.Eval(p.w.ec, p.docs[j])
		if err != nil {
			return err
		}
		out[i] = v
	}
	return nil
}

func parseFirstLast(name string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	b := wholePartition
	var x expr.Expr
	elems, _ := spec.Elements()
	for _, e := range elems {
		switch e.Key() {
		case "window":
			var err error
			if b, err = parseWindowBounds(e.Value(), w, p); err != nil {
				return nil, err
			}
		case name:
			var err error
			if x, err = p.expr(e.Value()); err != nil {
				return nil, err
			}
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s got unexpected argument: %s", name, e.Key())
		}
	}
	return &endpointFunc{input: x, bounds: b, last: name == "$last", def: winNull}, nil
}

func parseShift(name string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	var f *endpointFunc
	elems, _ := spec.Elements()
	for _, e := range elems {
		switch {
		case e.Key() == "window":
			return nil, mongoerr.New(mongoerr.FailedToParse, "$shift does not accept a 'window' field")
		case isWindowFunc(e.Key()):
			if f != nil {
				return nil, mongoerr.New(mongoerr.FailedToParse, "Cannot specify multiple functions in window function spec")
			}
			args, ok := e.Value().DocumentOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.FailedToParse, "Argument to $shift must be an object")
			}
			var err error
			if f, err = parseShiftArgs(e.Key(), args, p); err != nil {
				return nil, err
			}
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Window function found an unknown argument: %s", e.Key())
		}
	}
	if !w.hasSortBy() {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "'%s' requires a sortBy", name)
	}
	return f, nil
}

func parseShiftArgs(name string, args bson.Raw, p *parser) (*endpointFunc, error) {
	f := &endpointFunc{def: winNull}
	found := false
	elems, _ := args.Elements()
	for _, e := range elems {
		switch e.Key() {
		case "output":
			x, err := p.expr(e.Value())
			if err != nil {
				return nil, err
			}
			f.input = x
		case "default":
			x, err := p.expr(e.Value())
			if err != nil {
				return nil, err
			}
			c, ok := expr.Constant(x)
			if !ok {
				return nil, mongoerr.New(mongoerr.FailedToParse, "'$shift:default' expression must yield a constant value.")
			}
			f.def = c
		case "by":
			n, err := bsonx.IntegerElement("by", e.Value())
			if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
				return nil, mongoerr.Newf(mongoerr.FailedToParse, "'$shift:by' field must be an integer, but found  by: %s", bsonx.Format(e.Value()))
			}
			wb := windowBound{kind: boundValue, n: int(n)}
			f.bounds = windowBounds{lower: wb, upper: wb}
			found = true
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Unknown argument in %s", name)
		}
	}
	if f.input == nil {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s requires an 'output' expression.", name)
	}
	if !found {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s requires 'by' as an integer value.", name)
	}
	return f, nil
}

// $rank, $denseRank and $documentNumber.

type rankFunc struct {
	op  string
	dir int
}

func parseRank(name string, spec bson.Raw, w *windowSpec, _ *parser) (windowFunc, error) {
	elems, _ := spec.Elements()
	if len(elems) != 1 {
		return nil, mongoerr.New(mongoerr.Location5371601, "Rank style window functions take no other arguments")
	}
	if d, ok := elems[0].Value().DocumentOK(); !ok || len(d) > 5 {
		return nil, mongoerr.Newf(mongoerr.Location5371603, "%s must be specified with '{}' as the value", name)
	}
	if len(w.sortBy) != 1 {
		return nil, mongoerr.Newf(mongoerr.Location5371602, "%s must be specified with a top level sortBy expression with exactly one element", name)
	}
	return &rankFunc{op: name, dir: w.sortBy[0].dir}, nil
}

func (f *rankFunc) compute(p *winPartition, out []bson.RawValue) error {
	vals, err := p.sortValues()
	if err != nil {
		return err
	}
	var rank, same int64
	for i := range p.docs {
		switch {
		case f.op == "$documentNumber":
			rank++
		case i == 0 || !f.sameValue(p, vals[i-1], vals[i]):
			if f.op == "$rank" {
				rank += max(same, 1)
				same = 1
			} else {
				rank++
			}
		default:
			same++
		}
		out[i] = winIntOrLong(rank)
	}
	return nil
}

// sameValue is mongod's rank equality: null and missing are equal, and
// arrays compare by the element the sort orders them by.
func (f *rankFunc) sameValue(p *winPartition, a, b bson.RawValue) bool {
	nullish := func(v bson.RawValue) bool {
		return v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined
	}
	if nullish(a) && nullish(b) {
		return true
	}
	key := func(v bson.RawValue) bson.RawValue {
		if v.Type != bson.TypeArray {
			return v
		}
		vals, _ := bson.Raw(v.Value).Values()
		if len(vals) == 0 {
			return bson.RawValue{Type: bson.TypeUndefined}
		}
		best := vals[0]
		for _, x := range vals[1:] {
			if bsonx.CompareWith(x, best, p.w.coll)*f.dir < 0 {
				best = x
			}
		}
		return best
	}
	return bsonx.CompareWith(key(a), key(b), p.w.coll) == 0
}

// $locf and $linearFill take an input and no window.

type locfFunc struct{ input expr.Expr }

func (f *locfFunc) compute(p *winPartition, out []bson.RawValue) error {
	last := winNull
	for i, d := range p.docs {
		v, err := f.input.Eval(p.w.ec, d)
		if err != nil {
			return err
		}
		if v.Type != 0 && v.Type != bson.TypeNull && v.Type != bson.TypeUndefined {
			last = v
		}
		out[i] = last
	}
	return nil
}

func parseLeftUnbounded(_ string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	var op string
	var arg bson.RawValue
	window := false
	elems, _ := spec.Elements()
	for _, e := range elems {
		switch {
		case e.Key() == "window":
			window = true
		case isWindowFunc(e.Key()):
			if op != "" {
				return nil, mongoerr.New(mongoerr.FailedToParse, "Cannot specify two functions in window function spec")
			}
			op, arg = e.Key(), e.Value()
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Window function found an unknown argument: %s", e.Key())
		}
	}
	if window {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "'window' field is not allowed in %s", op)
	}
	x, err := p.expr(arg)
	if err != nil {
		return nil, err
	}
	if op == "$locf" {
		return &locfFunc{input: x}, nil
	}
	if len(w.sortBy) != 1 {
		return nil, mongoerr.Newf(mongoerr.Location605001, "%s must be specified with a top level sortBy expression with exactly one element", op)
	}
	return &linearFillFunc{input: x}, nil
}

type linearFillFunc struct{ input expr.Expr }

func (f *linearFillFunc) compute(p *winPartition, out []bson.RawValue) error {
	xs, err := p.sortValues()
	if err != nil {
		return err
	}
	ys, err := p.inputs(f.input)
	if err != nil {
		return err
	}
	nullish := func(v bson.RawValue) bool {
		return v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined
	}
	isDate := func(v bson.RawValue) bool {
		return v.Type == bson.TypeDateTime || v.Type == bson.TypeTimestamp || v.Type == bson.TypeObjectID
	}
	m := p.w.math
	prev := -1 // last document with a value
	var last bson.RawValue
	for i := range p.docs {
		y, x := ys[i], xs[i]
		if !bsonx.IsNumber(y.Type) && !nullish(y) {
			return mongoerr.Newf(mongoerr.TypeMismatch, "Value to be filled must be numeric or nullish, but found %s", typeName(y))
		}
		if !bsonx.IsNumber(x.Type) && !isDate(x) {
			return mongoerr.Newf(mongoerr.TypeMismatch, "Value of the sortBy field must be numeric or a date, but found %s", typeName(x))
		}
		if i > 0 && bsonx.Compare(x, last) == 0 {
			return mongoerr.New(mongoerr.Location6050106, "There can be no repeated values in the sort field")
		}
		if i > 0 && !((isDate(x) && isDate(last)) || (bsonx.IsNumber(x.Type) && bsonx.IsNumber(last.Type))) {
			return mongoerr.Newf(mongoerr.TypeMismatch, "Conflicting sort value types, previously received type %s, but found %s", typeName(last), typeName(x))
		}
		last = x
		if !nullish(y) {
			out[i] = y
			prev = i
			continue
		}
		out[i] = winNull
		if prev < 0 {
			continue
		}
		next := -1
		for j := i + 1; j < len(p.docs); j++ {
			if !nullish(ys[j]) && !nullish(xs[j]) {
				next = j
				break
			}
		}
		if next < 0 {
			continue
		}
		// y1 + (x - x1) * ((y2 - y1) / (x2 - x1))
		dy, err := m.sub(ys[next], ys[prev])
		if err != nil {
			return err
		}
		dx, err := m.sub(xs[next], xs[prev])
		if err != nil {
			return err
		}
		slope, err := m.div(dy, dx)
		if err != nil {
			return err
		}
		off, err := m.sub(x, xs[prev])
		if err != nil {
			return err
		}
		t, err := m.mul(off, slope)
		if err != nil {
			return err
		}
		if out[i], err = m.add(ys[prev], t); err != nil {
			return err
		}
	}
	return nil
}
