package pipeline

import (
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The window functions' own accumulators (mongod's "removable" window
// functions) and the window-only operators that compute over numbers:
// $expMovingAvg, $derivative, $integral, $covariancePop/Samp.

// winSum is mongod's RemovableSum (and WindowFunctionAvg): the
// non-finite values are counted apart, and the result is narrowed back
// to the types seen (a sum of longs that fits an int is an int).
type winSum struct {
	avg                      bool
	sum                      expr.Accumulator
	m                        *valueMath
	count, nan, pos, neg     int64
	doubleCount, decimalSeen int64
}

func newWinSum(avg bool, ec *expr.EvalContext, m *valueMath) *winSum {
	return &winSum{avg: avg, sum: expr.NewAccumulator("$sum", ec), m: m}
}

func (s *winSum) add(v bson.RawValue) error {
	if !bsonx.IsNumber(v.Type) {
		return nil
	}
	s.count++
	switch v.Type {
	case bson.TypeDouble:
		s.doubleCount++
		f := v.Double()
		switch {
		case math.IsNaN(f):
			s.nan++
		case math.IsInf(f, 1):
			s.pos++
		case math.IsInf(f, -1):
			s.neg++
		default:
			s.sum.Add(v)
		}
	case bson.TypeDecimal128:
		s.decimalSeen++
		switch str := v.Decimal128().String(); str {
		case "NaN", "-NaN":
			s.nan++
		case "Infinity", "+Infinity":
			s.pos++
		case "-Infinity":
			s.neg++
		default:
			s.sum.Add(v)
		}
	default:
		s.sum.Add(v)
	}
	return nil
}

func (s *winSum) total() bson.RawValue {
	special := func(f float64, dec string) bson.RawValue {
		if s.decimalSeen > 0 {
			return winDecimal(dec)
		}
		return winDouble(f)
	}
	switch {
	case s.nan > 0 || (s.pos > 0 && s.neg > 0):
		return special(math.NaN(), "NaN")
	case s.pos > 0:
		return special(math.Inf(1), "Infinity")
	case s.neg > 0:
		return special(math.Inf(-1), "-Infinity")
	}
	v := s.sum.Result()
	switch v.Type {
	case bson.TypeDouble:
		if f := v.Double(); s.doubleCount == 0 && f > math.MinInt64 && f < math.MaxInt64 {
			return winIntOrLong(int64(math.Round(f)))
		}
	case bson.TypeInt64:
		return winIntOrLong(v.Int64())
	}
	return v
}

func (s *winSum) result() (bson.RawValue, error) {
	t := s.total()
	if !s.avg {
		return t, nil
	}
	if s.count == 0 {
		return winNull, nil
	}
	switch t.Type {
	case bson.TypeInt32:
		return winDouble(float64(t.Int32()) / float64(s.count)), nil
	case bson.TypeInt64:
		return winDouble(float64(t.Int64()) / float64(s.count)), nil
	case bson.TypeDouble:
		if f := t.Double(); math.IsNaN(f) || math.IsInf(f, 0) {
			return t, nil
		}
		return winDouble(t.Double() / float64(s.count)), nil
	case bson.TypeDecimal128:
		if str := t.Decimal128().String(); strings.Contains(str, "NaN") || strings.Contains(str, "Inf") {
			return t, nil
		}
		return s.m.div(t, winInt64(s.count))
	}
	return t, nil
}

func winDecimal(s string) bson.RawValue {
	d, _ := bson.ParseDecimal128(s)
	b := bsonx.NewBuilder()
	b.AppendRaw("d", bson.RawValue{Type: bson.TypeDecimal128, Value: decimalBytes(d)})
	return b.Finish().Lookup("d")
}

func decimalBytes(d bson.Decimal128) []byte {
	hi, lo := d.GetBytes()
	out := make([]byte, 16)
	for i := 0; i < 8; i++ {
		out[i] = byte(lo >> (8 * i))
		out[8+i] = byte(hi >> (8 * i))
	}
	return out
}

// winExtreme is a window's $min (sign -1) or $max (sign 1). Unlike the
// $group accumulator, mongod's window function keeps null and missing
// values: they order below everything else.
type winExtreme struct {
	sign int
	ec   *expr.EvalContext
	val  bson.RawValue
	has  bool
}

func (m *winExtreme) cmp(a, b bson.RawValue) int {
	switch {
	case a.Type == 0 && b.Type == 0:
		return 0
	case a.Type == 0:
		return -1
	case b.Type == 0:
		return 1
	}
	return bsonx.CompareWith(a, b, m.ec.Collator)
}

func (m *winExtreme) add(v bson.RawValue) error {
	if !m.has || m.cmp(v, m.val)*m.sign > 0 {
		m.val, m.has = v, true
	}
	return nil
}

func (m *winExtreme) result() (bson.RawValue, error) {
	if !m.has {
		return winNull, nil
	}
	return m.val, nil
}

// winStdDev is a window's $stdDevPop / $stdDevSamp over its numbers.
type winStdDev struct {
	sample   bool
	n        int64
	mean, m2 float64
}

func (s *winStdDev) add(v bson.RawValue) error {
	if !bsonx.IsNumber(v.Type) {
		return nil
	}
	x := winFloat(v)
	s.n++
	d := x - s.mean
	s.mean += d / float64(s.n)
	s.m2 += d * (x - s.mean)
	return nil
}

func (s *winStdDev) result() (bson.RawValue, error) {
	d := s.n
	if s.sample {
		d--
	}
	if d <= 0 {
		return winNull, nil
	}
	return winDouble(math.Sqrt(s.m2 / float64(d))), nil
}

func winFloat(v bson.RawValue) float64 {
	switch v.Type {
	case bson.TypeInt32:
		return float64(v.Int32())
	case bson.TypeInt64:
		return float64(v.Int64())
	case bson.TypeDouble:
		return v.Double()
	case bson.TypeDecimal128:
		f, _ := strconv.ParseFloat(v.Decimal128().String(), 64)
		return f
	}
	return 0
}

// winPush is $push: every value but missing.
type winPush struct{ vals []bson.RawValue }

func (s *winPush) add(v bson.RawValue) error {
	if v.Type != 0 {
		s.vals = append(s.vals, v)
	}
	return nil
}

func (s *winPush) result() (bson.RawValue, error) { return winArray(s.vals), nil }

func winArray(vals []bson.RawValue) bson.RawValue {
	arr := bsonx.NewArrayBuilder()
	for _, v := range vals {
		arr.AppendRaw(arr.NextKey(), v)
	}
	return bson.RawValue{Type: bson.TypeArray, Value: arr.Finish()}
}

// winSet is $addToSet: distinct values but missing; sorted for a
// removable window (mongod keeps them in an ordered multiset), in first
// seen order otherwise (mongod's hash set has no defined order).
type winSet struct {
	ec     *expr.EvalContext
	sorted bool
	vals   []bson.RawValue
}

func (s *winSet) add(v bson.RawValue) error {
	if v.Type == 0 {
		return nil
	}
	for _, x := range s.vals {
		if bsonx.CompareWith(x, v, s.ec.Collator) == 0 {
			return nil
		}
	}
	s.vals = append(s.vals, v)
	return nil
}

func (s *winSet) result() (bson.RawValue, error) {
	if s.sorted {
		slices.SortStableFunc(s.vals, func(a, b bson.RawValue) int { return bsonx.CompareWith(a, b, s.ec.Collator) })
	}
	return winArray(s.vals), nil
}

// winCovariance is $covariancePop / $covarianceSamp over [x, y] pairs of
// numbers (other inputs are ignored), with mongod's online algorithm.
type winCovariance struct {
	sample            bool
	n                 int64
	sumX, sumY, cXY   float64
	nan, posInf, negI int64
}

func (c *winCovariance) add(v bson.RawValue) error {
	if v.Type != bson.TypeArray {
		return nil
	}
	pair, _ := bson.Raw(v.Value).Values()
	if len(pair) != 2 || !bsonx.IsNumber(pair[0].Type) || !bsonx.IsNumber(pair[1].Type) {
		return nil
	}
	x, y := winFloat(pair[0]), winFloat(pair[1])
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		pos, neg := 0, 0
		for _, f := range []float64{x, y} {
			switch {
			case math.IsNaN(f):
				c.nan++
				return nil
			case math.IsInf(f, 1):
				pos++
			case math.IsInf(f, -1):
				neg++
			}
		}
		switch {
		case pos > 0 && neg > 0:
			c.nan++
		case pos > 0:
			c.posInf++
		default:
			c.negI++
		}
		return nil
	}
	meanX := 0.0
	if c.n > 0 {
		meanX = c.sumX / float64(c.n)
	}
	c.n++
	dx := x - meanX
	c.sumX += x
	c.sumY += y
	dy := y - c.sumY/float64(c.n)
	c.cXY += dx * dy
	return nil
}

func (c *winCovariance) result() (bson.RawValue, error) {
	if c.n == 1 && !c.sample {
		return winDouble(0), nil
	}
	adjusted := c.n
	if c.sample {
		adjusted--
	}
	if adjusted <= 0 {
		return winNull, nil
	}
	switch {
	case c.nan > 0 || (c.posInf > 0 && c.negI > 0):
		return winDouble(math.NaN()), nil
	case c.posInf > 0:
		return winDouble(math.Inf(1)), nil
	case c.negI > 0:
		return winDouble(math.Inf(-1)), nil
	}
	return winDouble(c.cXY / float64(adjusted)), nil
}

// $expMovingAvg: computed, as in mongod, in decimal arithmetic (34
// significant digits, doubles entering with 15) and returned as a double
// unless a decimal was seen.

type expMovingAvgFunc struct {
	input expr.Expr
	alpha *big.Float
}

const winDecPrec = 200

func winRound34(f *big.Float) *big.Float {
	if f.Sign() == 0 {
		return new(big.Float).SetPrec(winDecPrec)
	}
	r, _, _ := big.ParseFloat(f.Text('e', 33), 10, winDecPrec, big.ToNearestEven)
	return r
}

func winBigOf(v bson.RawValue) *big.Float {
	var s string
	switch v.Type {
	case bson.TypeInt32:
		s = strconv.FormatInt(int64(v.Int32()), 10)
	case bson.TypeInt64:
		s = strconv.FormatInt(v.Int64(), 10)
	case bson.TypeDouble:
		s = strconv.FormatFloat(v.Double(), 'e', 14, 64)
	case bson.TypeDecimal128:
		s = v.Decimal128().String()
	}
	f, _, err := big.ParseFloat(s, 10, winDecPrec, big.ToNearestEven)
	if err != nil {
		return nil
	}
	return f
}

func (f *expMovingAvgFunc) compute(p *winPartition, out []bson.RawValue) error {
	var cur *big.Float
	isDec := false
	one := new(big.Float).SetPrec(winDecPrec).SetInt64(1)
	oneMinus := winRound34(new(big.Float).SetPrec(winDecPrec).Sub(one, f.alpha))
	for i, d := range p.docs {
		v, err := f.input.Eval(p.w.ec, d)
		if err != nil {
			return err
		}
		if bsonx.IsNumber(v.Type) {
			x := winBigOf(v)
			if x == nil {
				// NaN or infinity: outside what this emulation handles.
				return mongoerr.New(mongoerr.NotImplemented, "$expMovingAvg over NaN or infinite values is not supported by SecantusDB yet")
			}
			if v.Type == bson.TypeDecimal128 {
				isDec = true
			}
			if cur == nil {
				cur = x
			} else {
				a := winRound34(new(big.Float).SetPrec(winDecPrec).Mul(x, f.alpha))
				b := winRound34(new(big.Float).SetPrec(winDecPrec).Mul(cur, oneMinus))
				cur = winRound34(new(big.Float).SetPrec(winDecPrec).Add(a, b))
			}
		}
		switch {
		case cur == nil:
			out[i] = winNull
		case isDec:
			out[i] = winDecimal(cur.Text('e', 33))
		default:
			r, _ := cur.Float64()
			out[i] = winDouble(r)
		}
	}
	return nil
}

func parseExpMovingAvg(name string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	elems, _ := spec.Elements()
	if len(elems) != 1 || elems[0].Key() != name || elems[0].Value().Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(mongoerr.FailedToParse, "$expMovingAvg must have exactly one argument that is an object")
	}
	sub := elems[0].Value().Document()
	subElems, _ := sub.Elements()
	const shape = "$expMovingAvg sub object must have exactly two fields: An 'input' field, and either an 'N' field or an 'alpha' field"
	if len(subElems) != 2 || sub.Lookup("input").Type == 0 {
		return nil, mongoerr.New(mongoerr.FailedToParse, shape)
	}
	if !w.hasSortBy() {
		return nil, mongoerr.New(mongoerr.FailedToParse, "$expMovingAvg requires an explicit 'sortBy'")
	}
	x, err := p.expr(sub.Lookup("input"))
	if err != nil {
		return nil, err
	}
	f := &expMovingAvgFunc{input: x}
	if n := sub.Lookup("N"); n.Type != 0 {
		if !bsonx.IsNumber(n.Type) {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "'N' field must be an integer, but found type %s", typeName(n))
		}
		nf := winFloat(n)
		if nf != math.Floor(nf) {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "'N' field must be an integer, but found  N: %s. To use a non-integer, use the 'alpha' argument instead", bsonx.Format(n))
		}
		if nf <= 0 {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "'N' must be greater than zero. Got %d", int64(nf))
		}
		two := new(big.Float).SetPrec(winDecPrec).SetInt64(2)
		den := winRound34(new(big.Float).SetPrec(winDecPrec).SetFloat64(nf + 1))
		f.alpha = winRound34(new(big.Float).SetPrec(winDecPrec).Quo(two, den))
		return f, nil
	}
	if a := sub.Lookup("alpha"); a.Type != 0 {
		if !bsonx.IsNumber(a.Type) {
			return nil, mongoerr.New(mongoerr.FailedToParse, "'alpha' must be a number")
		}
		af := winBigOf(a)
		if af == nil || af.Sign() <= 0 || af.Cmp(big.NewFloat(1)) >= 0 {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "'alpha' must be between 0 and 1 (exclusive), found alpha: %s", bsonx.Format(a))
		}
		f.alpha = af
		return f, nil
	}
	return nil, mongoerr.New(mongoerr.FailedToParse, "Got unrecognized field in $expMovingAvg"+shape)
}

// $derivative and $integral: {input, unit?} over the sortBy field.

var winUnitMillis = map[string]int64{
	"week": 7 * 24 * 3600 * 1000, "day": 24 * 3600 * 1000, "hour": 3600 * 1000,
	"minute": 60 * 1000, "second": 1000, "millisecond": 1,
}

func parseDerivativeIntegral(name string, spec bson.Raw, w *windowSpec, p *parser) (windowFunc, error) {
	switch {
	case !w.hasSortBy():
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s requires a sortBy", name)
	case len(w.sortBy) != 1:
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s requires a non-compound sortBy", name)
	}
	var b windowBounds
	hasWindow := false
	var args bson.RawValue
	elems, _ := spec.Elements()
	for _, e := range elems {
		switch e.Key() {
		case "window":
			if hasWindow {
				return nil, mongoerr.Newf(mongoerr.FailedToParse, "There can be only one 'window' field for %s", name)
			}
			var err error
			if b, err = parseWindowBounds(e.Value(), w, p); err != nil {
				return nil, err
			}
			hasWindow = true
		case name:
			args = e.Value()
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s got unexpected argument: %s", name, e.Key())
		}
	}
	ad, ok := args.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s expects an object, but got a %s: %s: %s", name, typeName(args), name, bsonx.Format(args))
	}
	var input expr.Expr
	var unitMillis int64
	argElems, _ := ad.Elements()
	for _, e := range argElems {
		switch e.Key() {
		case "input":
			x, err := p.expr(e.Value())
			if err != nil {
				return nil, err
			}
			input = x
		case "unit":
			u, ok := e.Value().StringValueOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.FailedToParse, "unit' must be a string, but got %s", typeName(e.Value()))
			}
			if !winTimeUnits[u] {
				return nil, mongoerr.Newf(mongoerr.FailedToParse, "unknown time unit value: %s", u)
			}
			ms, ok := winUnitMillis[u]
			if !ok {
				return nil, mongoerr.New(mongoerr.Location5490710, "unit must be 'week' or smaller")
			}
			unitMillis = ms
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s got unexpected argument: %s", name, e.Key())
		}
	}
	if input == nil {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s requires an 'input' expression", name)
	}
	if name == "$derivative" {
		if !hasWindow {
			return nil, mongoerr.New(mongoerr.FailedToParse, "$derivative requires explicit window bounds")
		}
		return &derivativeFunc{input: input, bounds: b, unitMillis: unitMillis}, nil
	}
	if !hasWindow {
		b = wholePartition
	}
	m := w.math
	mk := func() (winAccumulator, error) { return &winIntegral{unitMillis: unitMillis, m: m}, nil }
	return &accFunc{input: input, bounds: b, withSort: true, nonRemovable: mk, removable: mk}, nil
}

type derivativeFunc struct {
	input      expr.Expr
	bounds     windowBounds
	unitMillis int64
}

func (f *derivativeFunc) compute(p *winPartition, out []bson.RawValue) error {
	r, err := newWinResolver(f.bounds, p)
	if err != nil {
		return err
	}
	times, err := p.sortValues()
	if err != nil {
		return err
	}
	m := p.w.math
	for i := range p.docs {
		lo, hi, ok, err := r.window(i)
		if err != nil {
			return err
		}
		if !ok {
			out[i] = winNull
			continue
		}
		lt, rt := times[lo], times[hi]
		if f.unitMillis != 0 {
			if lt.Type != bson.TypeDateTime || rt.Type != bson.TypeDateTime {
				return mongoerr.New(mongoerr.Location5624900, "$derivative with 'unit' expects the sortBy field to be a Date")
			}
		} else {
			if lt.Type == bson.TypeDateTime || rt.Type == bson.TypeDateTime {
				return mongoerr.New(mongoerr.Location5624901, "$derivative where the sortBy is a Date requires an 'unit'")
			}
			if !bsonx.IsNumber(lt.Type) || !bsonx.IsNumber(rt.Type) {
				return mongoerr.New(mongoerr.Location5624902, "$derivative (with no 'unit') expects the sortBy field to be numeric")
			}
		}
		run, err := m.sub(rt, lt)
		if err != nil {
			return err
		}
		ly, err := f.input.Eval(p.w.ec, p.docs[lo])
		if err != nil {
			return err
		}
		ry, err := f.input.Eval(p.w.ec, p.docs[hi])
		if err != nil {
			return err
		}
		rise, err := m.sub(ry, ly)
		if err != nil {
			return err
		}
		if rise.Type == 0 || rise.Type == bson.TypeNull || rise.Type == bson.TypeUndefined {
			return mongoerr.New(mongoerr.Location5624903, "$derivative input must not be null or missing")
		}
		res, err := m.div(rise, run)
		if err != nil {
			if mongoerr.Is(err, mongoerr.BadValue) {
				// A zero run (one document in the window) is no error.
				out[i] = winNull
				continue
			}
			return err
		}
		if f.unitMillis != 0 {
			if res, err = m.mul(res, winInt64(f.unitMillis)); err != nil {
				return err
			}
		}
		out[i] = res
	}
	return nil
}

// winIntegral is $integral: the trapezoidal rule over [sortBy, input]
// points.
type winIntegral struct {
	unitMillis int64
	m          *valueMath
	prev       bson.RawValue
	n          int64
	nan        int64
	sum        *winSum
}

func winIsNaN(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeDouble:
		return math.IsNaN(v.Double())
	case bson.TypeDecimal128:
		return strings.Contains(v.Decimal128().String(), "NaN")
	}
	return false
}

func (s *winIntegral) add(v bson.RawValue) error {
	var pair []bson.RawValue
	if v.Type == bson.TypeArray {
		pair, _ = bson.Raw(v.Value).Values()
	}
	if len(pair) != 2 || !bsonx.IsNumber(pair[1].Type) || !(bsonx.IsNumber(pair[0].Type) || pair[0].Type == bson.TypeDateTime) {
		return mongoerr.New(mongoerr.Location5423900, "The input value of $integral window function must be a vector of 2 value, the first value must be numeric or date type and the second must be numeric.")
	}
	if s.unitMillis != 0 && pair[0].Type != bson.TypeDateTime {
		return mongoerr.New(mongoerr.Location5423901, "$integral with 'outputUnit' expects the sortBy field to be a Date")
	}
	if s.unitMillis == 0 && !bsonx.IsNumber(pair[0].Type) {
		return mongoerr.New(mongoerr.Location5423902, "$integral (with no 'outputUnit') expects the sortBy field to be numeric")
	}
	if s.sum == nil {
		s.sum = newWinSum(false, s.m.ec, s.m)
	}
	if winIsNaN(pair[0]) || winIsNaN(pair[1]) {
		s.nan++
	}
	if s.n > 0 {
		prev, _ := bson.Raw(s.prev.Value).Values()
		area := winInt32(0)
		if !winIsNaN(prev[0]) && !winIsNaN(prev[1]) && !winIsNaN(pair[0]) && !winIsNaN(pair[1]) {
			dx, err := s.m.sub(pair[0], prev[0])
			if err != nil {
				return err
			}
			sy, err := s.m.add(pair[1], prev[1])
			if err != nil {
				return err
			}
			t, err := s.m.mul(sy, dx)
			if err != nil {
				return err
			}
			if area, err = s.m.div(t, winDouble(2)); err != nil {
				return err
			}
		}
		if err := s.sum.add(area); err != nil {
			return err
		}
	}
	s.prev = v
	s.n++
	return nil
}

func (s *winIntegral) result() (bson.RawValue, error) {
	if s.n == 0 {
		return winNull, nil
	}
	if s.nan > 0 {
		return winDouble(math.NaN()), nil
	}
	v, err := s.sum.result()
	if err != nil {
		return v, err
	}
	if s.unitMillis != 0 {
		return s.m.div(v, winInt64(s.unitMillis))
	}
	return v, nil
}
