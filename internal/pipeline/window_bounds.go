package pipeline

import (
	"math"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Window bounds: {documents: [lower, upper]} counts documents from the
// current one; {range: [lower, upper], unit?} measures the (single,
// ascending) sortBy field from the current document's value. A bound is
// "unbounded", "current" or a constant number.

type boundKind int

const (
	boundUnbounded boundKind = iota
	boundCurrent
	boundValue
)

type windowBound struct {
	kind boundKind
	n    int           // documents
	v    bson.RawValue // range
}

type windowBounds struct {
	rangeBased   bool
	lower, upper windowBound
	unit         string // time unit of a range; "" for numbers
}

// wholePartition is the default window of the accumulators.
var wholePartition = windowBounds{lower: windowBound{kind: boundUnbounded}, upper: windowBound{kind: boundUnbounded}}

// toCurrent is the window of $locf, ranks and $expMovingAvg.
var toCurrent = windowBounds{lower: windowBound{kind: boundUnbounded}, upper: windowBound{kind: boundCurrent}}

var winTimeUnits = map[string]bool{
	"year": true, "quarter": true, "month": true, "week": true, "day": true,
	"hour": true, "minute": true, "second": true, "millisecond": true,
}

func parseWindowBounds(v bson.RawValue, w *windowSpec, p *parser) (windowBounds, error) {
	d, ok := v.DocumentOK()
	if !ok {
		return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "'window' field must be an object")
	}
	documents, rng, unit := d.Lookup("documents"), d.Lookup("range"), d.Lookup("unit")
	elems, _ := d.Elements()
	switch {
	case documents.Type != 0 && rng.Type != 0:
		return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "Window bounds can specify either 'documents' or 'unit', not both.")
	case rng.Type == 0 && unit.Type != 0:
		return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "Window bounds can only specify 'unit' with range-based bounds.")
	case rng.Type == 0 && documents.Type == 0:
		if len(elems) != 0 {
			return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "'window' field can only contain 'documents' as the only argument or 'range' with an optional 'unit' field")
		}
		return wholePartition, nil
	}
	unpack := func(name string, e bson.RawValue) (bson.RawValue, bson.RawValue, error) {
		arr, ok := e.ArrayOK()
		var vals []bson.RawValue
		if ok {
			vals, _ = arr.Values()
		}
		if !ok || len(vals) != 2 {
			return bson.RawValue{}, bson.RawValue{}, mongoerr.Newf(mongoerr.FailedToParse, "Window bounds must be a 2-element array: %s: %s", name, bsonx.Format(e))
		}
		return vals[0], vals[1], nil
	}
	// constant parses a bound that is not a keyword: a constant
	// expression.
	constant := func(e bson.RawValue) (windowBound, bson.RawValue, error) {
		if s, ok := e.StringValueOK(); ok {
			switch s {
			case "unbounded":
				return windowBound{kind: boundUnbounded}, bson.RawValue{}, nil
			case "current":
				return windowBound{kind: boundCurrent}, bson.RawValue{}, nil
			}
			return windowBound{}, bson.RawValue{}, mongoerr.New(mongoerr.FailedToParse, "Window bounds must be 'unbounded', 'current', or a number.")
		}
		x, err := p.expr(e)
		if err != nil {
			return windowBound{}, bson.RawValue{}, err
		}
		c, ok := expr.Constant(x)
		if !ok {
			return windowBound{}, bson.RawValue{}, mongoerr.New(mongoerr.FailedToParse, "Window bounds expression must be a constant.")
		}
		return windowBound{kind: boundValue}, c, nil
	}
	var b windowBounds
	if documents.Type != 0 {
		if len(elems) != 1 {
			return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "'window' field that specifies documents cannot have other fields")
		}
		lo, hi, err := unpack("documents", documents)
		if err != nil {
			return windowBounds{}, err
		}
		for i, e := range []bson.RawValue{lo, hi} {
			wb, c, err := constant(e)
			if err != nil {
				return windowBounds{}, err
			}
			if wb.kind == boundValue {
				n, ok := winIntValue(c)
				if !ok {
					return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "Numeric document-based bounds must be an integer")
				}
				wb.n = n
			}
			if i == 0 {
				b.lower = wb
			} else {
				b.upper = wb
			}
		}
		if lo, hi, both := b.docNumbers(); both && lo > hi {
			return windowBounds{}, mongoerr.Newf(mongoerr.Location5339900, "Lower bound must not exceed upper bound: [%d, %d]", lo, hi)
		}
		if !(b.lower.kind == boundUnbounded && b.upper.kind == boundUnbounded) && !w.hasSortBy() {
			return windowBounds{}, mongoerr.New(mongoerr.Location5339901, "Document-based bounds require a sortBy")
		}
		return b, nil
	}
	b.rangeBased = true
	lo, hi, err := unpack("range", rng)
	if err != nil {
		return windowBounds{}, err
	}
	if unit.Type != 0 {
		if len(elems) != 2 {
			return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "'window' field that specifies unit cannot have other fields besides 'range'")
		}
		u, ok := unit.StringValueOK()
		if !ok {
			return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "'unit' must be a string")
		}
		if !winTimeUnits[u] {
			return windowBounds{}, mongoerr.Newf(mongoerr.FailedToParse, "unknown time unit value: %s", u)
		}
		b.unit = u
	} else if len(elems) != 1 {
		return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "'window' field that specifies range cannot have other fields besides 'unit'")
	}
	for i, e := range []bson.RawValue{lo, hi} {
		wb, c, err := constant(e)
		if err != nil {
			return windowBounds{}, err
		}
		if wb.kind == boundValue {
			if b.unit != "" {
				if _, ok := winIntValue(c); !ok {
					return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "With 'unit', range-based bounds must be an integer")
				}
			} else if !bsonx.IsNumber(c.Type) {
				return windowBounds{}, mongoerr.New(mongoerr.FailedToParse, "Range-based bounds expression must be a number")
			}
			wb.v = c
		}
		if i == 0 {
			b.lower = wb
		} else {
			b.upper = wb
		}
	}
	l, u := b.lower, b.upper
	zero := bson.RawValue{Type: bson.TypeInt32, Value: []byte{0, 0, 0, 0}}
	if l.kind != boundUnbounded && u.kind != boundUnbounded {
		lv, uv := l.v, u.v
		if l.kind == boundCurrent {
			lv = zero
		}
		if u.kind == boundCurrent {
			uv = zero
		}
		if bsonx.Compare(lv, uv) > 0 {
			return windowBounds{}, mongoerr.Newf(mongoerr.Location5339900, "Lower bound must not exceed upper bound: [%s, %s]", bsonx.Format(lv), bsonx.Format(uv))
		}
	}
	switch {
	case len(w.sortBy) != 1:
		return windowBounds{}, mongoerr.New(mongoerr.Location5339902, "Range-based bounds require sortBy a single field")
	case w.sortBy[0].dir < 0:
		return windowBounds{}, mongoerr.New(mongoerr.Location8947401, "Range-based bounds require an ascending sortBy")
	}
	return b, nil
}

// docNumbers returns a document window's bounds as offsets ("current"
// is 0) when both are numbers.
func (b windowBounds) docNumbers() (lo, hi int, both bool) {
	num := func(wb windowBound) (int, bool) {
		switch wb.kind {
		case boundCurrent:
			return 0, true
		case boundValue:
			return wb.n, true
		}
		return 0, false
	}
	lo, ok1 := num(b.lower)
	hi, ok2 := num(b.upper)
	return lo, hi, ok1 && ok2
}

// winIntValue is mongod's Value::integral: a number with an exact
// 32-bit integer value.
func winIntValue(v bson.RawValue) (int, bool) {
	var f float64
	switch v.Type {
	case bson.TypeInt32:
		return int(v.Int32()), true
	case bson.TypeInt64:
		n := v.Int64()
		if n < math.MinInt32 || n > math.MaxInt32 {
			return 0, false
		}
		return int(n), true
	case bson.TypeDouble, bson.TypeDecimal128:
		var ok bool
		if f, ok = numberAsFloat(v); !ok {
			return 0, false
		}
	default:
		return 0, false
	}
	if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// winResolver finds the window of each document of a partition.
type winResolver struct {
	b    windowBounds
	p    *winPartition
	n    int
	vals []bson.RawValue // sort values, for range windows
	// for range windows: first index of the expected type, and for each
	// index the end of the run of expected-type values it starts.
	firstExpected int
	runEnd        []int
}

func newWinResolver(b windowBounds, p *winPartition) (*winResolver, error) {
	r := &winResolver{b: b, p: p, n: len(p.docs)}
	if !b.rangeBased {
		return r, nil
	}
	vals, err := p.sortValues()
	if err != nil {
		return nil, err
	}
	r.vals = vals
	r.firstExpected = -1
	r.runEnd = make([]int, r.n)
	for j := r.n - 1; j >= 0; j-- {
		switch {
		case !r.expected(vals[j]):
			r.runEnd[j] = -1
		case j+1 < r.n && r.runEnd[j+1] >= 0:
			r.runEnd[j] = r.runEnd[j+1]
		default:
			r.runEnd[j] = j
		}
	}
	for j, v := range vals {
		if r.expected(v) {
			r.firstExpected = j
			break
		}
	}
	return r, nil
}

func (r *winResolver) expected(v bson.RawValue) bool {
	if r.b.unit != "" {
		return v.Type == bson.TypeDateTime
	}
	return bsonx.IsNumber(v.Type)
}

// window returns the first and last index of document i's window, or
// ok false when the window is empty.
func (r *winResolver) window(i int) (lo, hi int, ok bool, err error) {
	if !r.b.rangeBased {
		lo, hi = 0, r.n-1
		if r.b.lower.kind != boundUnbounded {
			lo = i + r.offset(r.b.lower)
		}
		if r.b.upper.kind != boundUnbounded {
			hi = i + r.offset(r.b.upper)
		}
		if lo > r.n-1 || hi < 0 || lo > hi {
			return 0, 0, false, nil
		}
		return max(lo, 0), min(hi, r.n-1), true, nil
	}
	base := r.vals[i]
	if r.b.unit != "" {
		if base.Type != bson.TypeDateTime {
			return 0, 0, false, mongoerr.Newf(mongoerr.Location5429513, "Invalid range: Expected the sortBy field to be a Date, but it was %s", typeName(base))
		}
	} else {
		if base.Type == bson.TypeDateTime {
			return 0, 0, false, mongoerr.New(mongoerr.Location5429413, "Invalid range: For windows that involve date or time ranges, a unit must be provided.")
		}
		if !bsonx.IsNumber(base.Type) {
			return 0, 0, false, mongoerr.Newf(mongoerr.Location5429414, "Invalid range: Expected the sortBy field to be a number, but it was %s", typeName(base))
		}
	}
	cmp := func(a, b bson.RawValue) int { return bsonx.Compare(a, b) }
	switch r.b.lower.kind {
	case boundCurrent:
		lo = i
	case boundUnbounded:
		if r.firstExpected < 0 {
			return 0, 0, false, nil
		}
		lo = r.firstExpected
	default:
		t, err := r.threshold(base, r.b.lower.v)
		if err != nil {
			return 0, 0, false, err
		}
		lo = sort.Search(r.n, func(j int) bool { return cmp(r.vals[j], t) >= 0 })
		if lo >= r.n || !r.expected(r.vals[lo]) {
			return 0, 0, false, nil
		}
	}
	switch r.b.upper.kind {
	case boundCurrent:
		hi = i
	case boundUnbounded:
		start := max(i, lo)
		hi = r.runEnd[start]
	default:
		t, err := r.threshold(base, r.b.upper.v)
		if err != nil {
			return 0, 0, false, err
		}
		end := sort.Search(r.n, func(j int) bool { return cmp(t, r.vals[j]) < 0 })
		if end <= lo {
			return 0, 0, false, nil
		}
		hi = end - 1
	}
	if hi < lo {
		return 0, 0, false, nil
	}
	return lo, hi, true, nil
}

func (r *winResolver) offset(wb windowBound) int {
	if wb.kind == boundCurrent {
		return 0
	}
	return wb.n
}

// threshold is base moved by delta: a sum of numbers, or a date moved
// by delta units.
func (r *winResolver) threshold(base, delta bson.RawValue) (bson.RawValue, error) {
	m := r.p.w.math
	if r.b.unit != "" {
		n, _ := winIntValue(delta)
		return m.dateAdd(base, r.b.unit, int64(n))
	}
	return m.add(base, delta)
}
