package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The accumulators that only $group and its relatives have ($first,
// $last, $push, $addToSet, $mergeObjects, $count, $accumulator), and the
// partial states (GroupAccumulator) of the ones in accumulate.go.

// valueOverhead approximates what holding one value costs beyond its
// bytes, as mongod's Value::getApproximateSize counts its own header.
const valueOverhead = 16

func valueSize(v bson.RawValue) int64 { return int64(len(v.Value)) + valueOverhead }

func cloneRaw(v bson.RawValue) bson.RawValue {
	return bson.RawValue{Type: v.Type, Value: append([]byte(nil), v.Value...)}
}

// partialBuilder builds a partial state document.
type partialBuilder struct{ b *bsoncore.DocumentBuilder }

func newPartial() partialBuilder { return partialBuilder{bsoncore.NewDocumentBuilder()} }

func (p partialBuilder) value() bson.RawValue {
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: p.b.Build()}
}

func badPartial(op string) error {
	return mongoerr.Newf(mongoerr.InternalError, "corrupt partial state of %s", op)
}

func partialFields(p bson.RawValue, op string) (bson.Raw, error) {
	d, ok := p.DocumentOK()
	if !ok {
		return nil, badPartial(op)
	}
	return d, nil
}

// tooMuchMemory is mongod's error for an accumulator over its own limit.
func tooMuchMemory(op string) error {
	return mongoerr.Newf(mongoerr.ExceededMemoryLimit, "%s used too much memory and cannot spill to disk. Memory limit: %d bytes", op, AccumulatorMemLimit)
}

// $sum, $avg

func (s *sumAcc) Accumulate(v bson.RawValue) error { s.Add(v); return nil }
func (s *sumAcc) MemSize() int64                   { return 96 }

func (s *sumAcc) Partial() bson.RawValue {
	p := newPartial()
	p.b.AppendInt32("w", int32(s.width)).AppendInt64("n", s.count).AppendInt64("i", s.isum).
		AppendBoolean("o", s.over).AppendBoolean("d", s.sawDbl).AppendDouble("f", s.fsum).AppendDouble("c", s.fcomp)
	if s.hasDec {
		h, l := s.dsum.decimal().GetBytes()
		p.b.AppendDecimal128("x", h, l)
	}
	return p.value()
}

func (s *sumAcc) Merge(pv bson.RawValue) error {
	d, err := partialFields(pv, "$sum")
	if err != nil {
		return err
	}
	w, _ := d.Lookup("w").Int32OK()
	n, _ := d.Lookup("n").Int64OK()
	i, _ := d.Lookup("i").Int64OK()
	over, _ := d.Lookup("o").BooleanOK()
	sawDbl, _ := d.Lookup("d").BooleanOK()
	f, _ := d.Lookup("f").DoubleOK()
	c, _ := d.Lookup("c").DoubleOK()
	if int(w) > s.width {
		s.width = int(w)
	}
	s.count += n
	if over {
		s.over = true
	} else if !s.over {
		r := s.isum + i
		if (i > 0 && r < s.isum) || (i < 0 && r > s.isum) {
			s.over = true
		} else {
			s.isum = r
		}
	}
	s.sawDbl = s.sawDbl || sawDbl
	s.addFloat(f)
	s.addFloat(c)
	if x := d.Lookup("x"); x.Type == bson.TypeDecimal128 {
		if !s.hasDec {
			s.hasDec, s.dsum = true, decFromValue(x)
		} else {
			s.dsum = decAdd(s.dsum, decFromValue(x))
		}
	}
	return nil
}

// $min, $max

func (m *extremeAcc) Accumulate(v bson.RawValue) error { m.Add(v); return nil }
func (m *extremeAcc) MemSize() int64                   { return 48 + int64(len(m.val.Value)) }

func (m *extremeAcc) Partial() bson.RawValue {
	if !m.has {
		return arrayValue(nil)
	}
	return arrayValue([]bson.RawValue{m.val})
}

func (m *extremeAcc) Merge(p bson.RawValue) error {
	if p.Type != bson.TypeArray {
		return badPartial("$min/$max")
	}
	for _, v := range arrayValues(p) {
		m.Add(v)
	}
	return nil
}

// $stdDevPop, $stdDevSamp

func (s *stdDevAcc) Accumulate(v bson.RawValue) error { s.Add(v); return nil }
func (s *stdDevAcc) MemSize() int64                   { return 48 }

func (s *stdDevAcc) Partial() bson.RawValue {
	p := newPartial()
	p.b.AppendInt64("n", s.n).AppendDouble("m", s.mean).AppendDouble("q", s.m2)
	return p.value()
}

// Merge combines two running variances (Chan et al.'s parallel form).
func (s *stdDevAcc) Merge(pv bson.RawValue) error {
	d, err := partialFields(pv, "$stdDev")
	if err != nil {
		return err
	}
	nb, _ := d.Lookup("n").Int64OK()
	mb, _ := d.Lookup("m").DoubleOK()
	qb, _ := d.Lookup("q").DoubleOK()
	if nb == 0 {
		return nil
	}
	if s.n == 0 {
		s.n, s.mean, s.m2 = nb, mb, qb
		return nil
	}
	n := s.n + nb
	delta := mb - s.mean
	s.mean += delta * float64(nb) / float64(n)
	s.m2 += qb + delta*delta*float64(s.n)*float64(nb)/float64(n)
	s.n = n
	return nil
}

// $first and $last keep one value; missing is kept as null, and a
// group always has its first document, so the result is never missing.

type firstLastAcc struct {
	last bool
	has  bool
	val  bson.RawValue
}

func (a *firstLastAcc) Add(v bson.RawValue) { _ = a.Accumulate(v) }

func (a *firstLastAcc) Accumulate(v bson.RawValue) error {
	if a.has && !a.last {
		return nil
	}
	if v.Type == 0 {
		v = nullValue
	}
	a.has, a.val = true, cloneRaw(v)
	return nil
}

func (a *firstLastAcc) Result() bson.RawValue {
	if !a.has {
		return nullValue
	}
	return a.val
}

func (a *firstLastAcc) MemSize() int64 { return 48 + int64(len(a.val.Value)) }

func (a *firstLastAcc) Partial() bson.RawValue {
	if !a.has {
		return arrayValue(nil)
	}
	return arrayValue([]bson.RawValue{a.val})
}

func (a *firstLastAcc) Merge(p bson.RawValue) error {
	if p.Type != bson.TypeArray {
		return badPartial("$first/$last")
	}
	for _, v := range arrayValues(p) {
		_ = a.Accumulate(v)
	}
	return nil
}

// $push collects every value but missing, in order.

type pushAcc struct {
	vals []bson.RawValue
	mem  int64
}

func (a *pushAcc) Add(v bson.RawValue) { _ = a.Accumulate(v) }

func (a *pushAcc) Accumulate(v bson.RawValue) error {
	if v.Type == 0 {
		return nil
	}
	a.vals = append(a.vals, cloneRaw(v))
	a.mem += valueSize(v)
	if a.mem > AccumulatorMemLimit {
		return tooMuchMemory("$push")
	}
	return nil
}

func (a *pushAcc) Result() bson.RawValue  { return arrayValue(a.vals) }
func (a *pushAcc) MemSize() int64         { return 48 + a.mem }
func (a *pushAcc) Partial() bson.RawValue { return arrayValue(a.vals) }

func (a *pushAcc) Merge(p bson.RawValue) error {
	if p.Type != bson.TypeArray {
		return badPartial("$push")
	}
	for _, v := range arrayValues(p) {
		if err := a.Accumulate(v); err != nil {
			return err
		}
	}
	return nil
}

// $addToSet collects distinct values (under the collation), in the
// order first seen; mongod's order is unspecified.

type addToSetAcc struct {
	ec   *EvalContext
	vals []bson.RawValue
	seen map[string][]int // by a hash of the value: candidates
	mem  int64
}

func (a *addToSetAcc) Add(v bson.RawValue) { _ = a.Accumulate(v) }

func (a *addToSetAcc) Accumulate(v bson.RawValue) error {
	if v.Type == 0 {
		return nil
	}
	h := setHash(a.ec, v)
	for _, i := range a.seen[h] {
		if compareValues(a.ec, a.vals[i], v) == 0 {
			return nil
		}
	}
	if a.seen == nil {
		a.seen = map[string][]int{}
	}
	a.seen[h] = append(a.seen[h], len(a.vals))
	a.vals = append(a.vals, cloneRaw(v))
	a.mem += valueSize(v) + int64(len(h))
	if a.mem > AccumulatorMemLimit {
		return tooMuchMemory("$addToSet")
	}
	return nil
}

func (a *addToSetAcc) Result() bson.RawValue  { return arrayValue(a.vals) }
func (a *addToSetAcc) MemSize() int64         { return 64 + a.mem }
func (a *addToSetAcc) Partial() bson.RawValue { return arrayValue(a.vals) }

func (a *addToSetAcc) Merge(p bson.RawValue) error {
	if p.Type != bson.TypeArray {
		return badPartial("$addToSet")
	}
	for _, v := range arrayValues(p) {
		if err := a.Accumulate(v); err != nil {
			return err
		}
	}
	return nil
}

// setHash buckets values that may compare equal: numbers by their value
// as a double, strings (which a collation may equate) and composite
// values all together per type class, everything else by its bytes.
func setHash(ec *EvalContext, v bson.RawValue) string {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		f := asFloat(v)
		switch {
		case f != f:
			return "n:nan"
		case f == 0:
			return "n:0"
		}
		return "n:" + formatDouble(f)
	case bson.TypeString, bson.TypeSymbol:
		if ec != nil && ec.Collator != nil {
			return "s"
		}
		s, _ := v.StringValueOK()
		if v.Type == bson.TypeSymbol {
			s, _ = v.SymbolOK()
		}
		return "s:" + s
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		// Nested numbers of different types compare equal: one bucket.
		return "c" + string(rune(v.Type))
	case bson.TypeNull, bson.TypeUndefined:
		return "null"
	}
	return string(rune(v.Type)) + string(v.Value)
}

// $mergeObjects merges document values; null and missing are skipped.

type mergeObjectsAcc struct {
	b   docBuilder
	mem int64
}

func (a *mergeObjectsAcc) Add(v bson.RawValue) { _ = a.Accumulate(v) }

func (a *mergeObjectsAcc) Accumulate(v bson.RawValue) error {
	if nullish(v) {
		return nil
	}
	if v.Type != bson.TypeEmbeddedDocument {
		return mongoerr.Newf(codeMergeObjectsNotObject, "$mergeObjects requires object inputs, but input %s is of type %s", valueString(v), typeName(v))
	}
	elems, _ := bson.Raw(v.Value).Elements()
	for _, e := range elems {
		ev := e.Value()
		a.b.set(e.Key(), cloneRaw(ev))
		a.mem += valueSize(ev) + int64(len(e.Key()))
	}
	return nil
}

func (a *mergeObjectsAcc) Result() bson.RawValue  { return a.b.value() }
func (a *mergeObjectsAcc) MemSize() int64         { return 64 + a.mem }
func (a *mergeObjectsAcc) Partial() bson.RawValue { return a.b.value() }
func (a *mergeObjectsAcc) Merge(p bson.RawValue) error {
	return a.Accumulate(p)
}

// Parsers.

// unaryAccumulator parses an accumulator of one expression whose state
// is made by mk.
func unaryAccumulator(mk func(ec *EvalContext) Accumulator) func(string, bson.RawValue, *ParseContext) (*AccumulatorExpr, error) {
	return func(op string, arg bson.RawValue, pc *ParseContext) (*AccumulatorExpr, error) {
		if arg.Type == bson.TypeArray {
			return nil, mongoerr.Newf(mongoerr.Location40237, "The %s accumulator is a unary operator", op)
		}
		x, err := Parse(arg, pc)
		if err != nil {
			return nil, err
		}
		return &AccumulatorExpr{Op: op, input: x, newAcc: func(ec *EvalContext, _ bson.RawValue) (Accumulator, error) {
			return mk(ec), nil
		}}, nil
	}
}

// parseCountAccumulator parses {$count: {}}: a $sum of 1.
func parseCountAccumulator(op string, arg bson.RawValue, _ *ParseContext) (*AccumulatorExpr, error) {
	if d, ok := arg.DocumentOK(); !ok || len(d) > 5 {
		return nil, mongoerr.New(mongoerr.TypeMismatch, "$count takes no arguments, i.e. $count:{}")
	}
	return &AccumulatorExpr{Op: op, input: constant{int32Value(1)}, newAcc: func(ec *EvalContext, _ bson.RawValue) (Accumulator, error) {
		return &sumAcc{}, nil
	}}, nil
}

// JavaScript: $accumulator needs the JavaScript engine, which this
// server does not have; like a mongod started with --noscripting it
// accepts the specification and fails once a group is accumulated.

const (
	codeAccumulatorNotObject mongoerr.Code = 4544703
	codeAccumulatorBadLang   mongoerr.Code = 4544707
)

func parseJSAccumulator(op string, arg bson.RawValue, pc *ParseContext) (*AccumulatorExpr, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(codeAccumulatorNotObject, "$accumulator expects an object as an argument: found %s", typeName(arg))
	}
	for _, name := range []string{"init", "accumulate", "merge"} {
		if d.Lookup(name).Type == 0 {
			return nil, mongoerr.Newf(mongoerr.Location40414, "BSON field '$accumulator.%s' is missing but a required field", name)
		}
	}
	if lang, ok := d.Lookup("lang").StringValueOK(); !ok || lang != "js" {
		if d.Lookup("lang").Type == 0 {
			return nil, mongoerr.New(mongoerr.Location40414, "BSON field '$accumulator.lang' is missing but a required field")
		}
		return nil, mongoerr.Newf(codeAccumulatorBadLang, "$accumulator only supports language 'js'")
	}
	var args Expr = constant{arrayValue(nil)}
	if a := d.Lookup("accumulateArgs"); a.Type != 0 {
		x, err := Parse(a, pc)
		if err != nil {
			return nil, err
		}
		args = x
	}
	return &AccumulatorExpr{Op: op, input: args, newAcc: func(*EvalContext, bson.RawValue) (Accumulator, error) {
		return nil, mongoerr.New(miscNoJavaScript, "Cannot run server-side javascript without the javascript engine enabled")
	}}, nil
}

func init() {
	accumulatorParsers["$first"] = unaryAccumulator(func(*EvalContext) Accumulator { return &firstLastAcc{} })
	accumulatorParsers["$last"] = unaryAccumulator(func(*EvalContext) Accumulator { return &firstLastAcc{last: true} })
	accumulatorParsers["$push"] = unaryAccumulator(func(*EvalContext) Accumulator { return &pushAcc{} })
	accumulatorParsers["$addToSet"] = unaryAccumulator(func(ec *EvalContext) Accumulator { return &addToSetAcc{ec: ec} })
	accumulatorParsers["$mergeObjects"] = unaryAccumulator(func(*EvalContext) Accumulator { return &mergeObjectsAcc{} })
	accumulatorParsers["$count"] = parseCountAccumulator
	accumulatorParsers["$accumulator"] = parseJSAccumulator
}
