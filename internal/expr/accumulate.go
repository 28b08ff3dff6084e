package expr

import (
	"math"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Accumulators fold a stream of values into one, as mongod's $group
// accumulators do; the expression forms of $sum, $avg, $min, $max,
// $stdDevPop and $stdDevSamp run the same accumulators over their
// operands (or over the elements of a single array operand).

// Accumulator folds values into a result.
type Accumulator interface {
	// Add folds one value in; a missing value is Type 0.
	Add(v bson.RawValue)
	// Result is the value accumulated so far.
	Result() bson.RawValue
}

// NewAccumulator returns a fresh accumulator for one of the operators
// this file implements, or nil. Strings compare under ec's collation.
func NewAccumulator(op string, ec *EvalContext) Accumulator {
	switch op {
	case "$sum":
		return &sumAcc{}
	case "$avg":
		return &sumAcc{avg: true}
	case "$min":
		return &extremeAcc{ec: ec, sign: -1}
	case "$max":
		return &extremeAcc{ec: ec, sign: 1}
	case "$stdDevPop":
		return &stdDevAcc{}
	case "$stdDevSamp":
		return &stdDevAcc{sample: true}
	}
	return nil
}

// numeric widening order of a sum's result type, as mongod's totalType.
const (
	widthInt = iota
	widthLong
	widthDouble
	widthDecimal
)

// sumAcc is $sum and $avg: non-numeric values are ignored. As in
// mongod, decimals add up apart from the other numbers (integers exactly
// until they overflow a long, doubles with compensated summation) and
// the two sums meet in the result, whose type is the widest type seen:
// an int sum that leaves int32 range is a long, a long overflow a
// double. $avg is a double, or a decimal when a decimal was seen, and
// null without numbers.
type sumAcc struct {
	avg    bool
	width  int
	count  int64
	isum   int64 // exact sum of the integers, unless over
	over   bool
	sawDbl bool
	fsum   float64 // Neumaier-compensated sum of the non-decimals
	fcomp  float64
	dsum   dec
	hasDec bool
}

func (s *sumAcc) Add(v bson.RawValue) {
	if !numeric(v) {
		return
	}
	s.count++
	switch v.Type {
	case bson.TypeDecimal128:
		s.width = widthDecimal
		if !s.hasDec {
			s.hasDec, s.dsum = true, decFromValue(v)
			return
		}
		s.dsum = decAdd(s.dsum, decFromValue(v))
	case bson.TypeInt32, bson.TypeInt64:
		if v.Type == bson.TypeInt64 && s.width < widthLong {
			s.width = widthLong
		}
		n := asInt64(v)
		if !s.over {
			r := s.isum + n
			if (n > 0 && r < s.isum) || (n < 0 && r > s.isum) {
				s.over = true
			} else {
				s.isum = r
			}
		}
		s.addFloat(float64(n))
	case bson.TypeDouble:
		s.sawDbl = true
		if s.width < widthDouble {
			s.width = widthDouble
		}
		s.addFloat(asFloat(v))
	}
}

// exactInts reports whether the non-decimal numbers were all integers
// whose sum isum holds exactly.
func (s *sumAcc) exactInts() bool { return !s.over && !s.sawDbl }

// decimalTotal is the sum of everything as a decimal.
func (s *sumAcc) decimalTotal() dec {
	if s.exactInts() {
		return decAdd(s.dsum, decInt(s.isum))
	}
	return decAdd(s.dsum, decFromFloat(s.total(), decDigits))
}

// addFloat adds to the compensated double sum (Neumaier's variant of
// Kahan summation).
func (s *sumAcc) addFloat(x float64) {
	t := s.fsum + x
	if math.Abs(s.fsum) >= math.Abs(x) {
		s.fcomp += (s.fsum - t) + x
	} else {
		s.fcomp += (x - t) + s.fsum
	}
	s.fsum = t
}

func (s *sumAcc) total() float64 {
	if math.IsInf(s.fsum, 0) || math.IsNaN(s.fsum) {
		return s.fsum
	}
	return s.fsum + s.fcomp
}

func (s *sumAcc) Result() bson.RawValue {
	if s.avg {
		switch {
		case s.count == 0:
			return nullValue
		case s.hasDec:
			return decDiv(s.decimalTotal(), decInt(s.count)).value()
		case s.exactInts():
			return doubleValue(float64(s.isum) / float64(s.count))
		}
		return doubleValue(s.total() / float64(s.count))
	}
	switch {
	case s.hasDec:
		return s.decimalTotal().value()
	case !s.exactInts():
		return doubleValue(s.total())
	case s.width == widthInt && s.isum >= math.MinInt32 && s.isum <= math.MaxInt32:
		return int32Value(int32(s.isum))
	}
	return int64Value(s.isum)
}

// extremeAcc is $min (sign -1) and $max (sign 1): null and missing are
// ignored; the result is null when nothing else was seen.
type extremeAcc struct {
	ec   *EvalContext
	sign int
	val  bson.RawValue
	has  bool
}

func (m *extremeAcc) Add(v bson.RawValue) {
	if nullish(v) {
		return
	}
	if !m.has || compareValues(m.ec, v, m.val)*m.sign > 0 {
		m.val = bson.RawValue{Type: v.Type, Value: append([]byte(nil), v.Value...)}
		m.has = true
	}
}

func (m *extremeAcc) Result() bson.RawValue {
	if !m.has {
		return nullValue
	}
	return m.val
}

// stdDevAcc is $stdDevPop and $stdDevSamp over the numeric values
// (Welford's running mean and sum of squares, in double precision as
// mongod); null without values, or with fewer than two for a sample.
type stdDevAcc struct {
	sample bool
	n      int64
	mean   float64
	m2     float64
}

func (s *stdDevAcc) Add(v bson.RawValue) {
	if !numeric(v) {
		return
	}
	x := asFloat(v)
	if v.Type == bson.TypeDecimal128 {
		x = decFromValue(v).float()
	}
	s.n++
	delta := x - s.mean
	s.mean += delta / float64(s.n)
	s.m2 += delta * (x - s.mean)
}

func (s *stdDevAcc) Result() bson.RawValue {
	d := s.n
	if s.sample {
		d--
	}
	if d <= 0 {
		return nullValue
	}
	return doubleValue(math.Sqrt(s.m2 / float64(d)))
}

func init() {
	register(map[string]parseFunc{
		"$sum":        accumulatorExpr,
		"$avg":        accumulatorExpr,
		"$min":        accumulatorExpr,
		"$max":        accumulatorExpr,
		"$stdDevPop":  accumulatorExpr,
		"$stdDevSamp": accumulatorExpr,
	})
}

// accumulatorExpr is the expression form of an accumulator: over the
// elements of its one operand when that is an array, else over its
// operands.
func accumulatorExpr(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgs(args, pc)
	if err != nil {
		return nil, err
	}
	return naryFunc{a, func(ec *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
		acc := NewAccumulator(name, ec)
		if len(vals) == 1 && vals[0].Type == bson.TypeArray {
			for _, v := range arrayValues(vals[0]) {
				acc.Add(v)
			}
		} else {
			for _, v := range vals {
				acc.Add(v)
			}
		}
		return acc.Result(), nil
	}}, nil
}
