package pipeline

import (
	"context"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// $bucket and $bucketAuto.
//
// $bucket is, as in mongod, a $group whose _id is a $switch placing the
// groupBy value between consecutive boundaries (or on the default),
// followed by a $sort on _id. $bucketAuto sorts the documents by their
// groupBy value (through exec.Sort, which spills when allowed) and cuts
// the sorted stream into buckets of about n/buckets documents, never
// splitting equal values, with the boundaries optionally rounded to a
// preferred-number series.

func init() {
	register(map[string]stageDef{
		"$bucket":     {parse: parseBucket},
		"$bucketAuto": {parse: parseBucketAuto},
	})
}

func parseBucket(_ string, arg bson.RawValue, p *parser) (stage, error) {
	spec, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Location40201, "Argument to $bucket stage must be an object, but found type: %s.", typeName(arg))
	}
	var groupBy bson.RawValue
	var boundaries []bson.RawValue
	var def bson.RawValue
	var output bson.Raw
	outputGiven := false
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "groupBy":
			if !isPathOrExpression(v) {
				return nil, mongoerr.Newf(mongoerr.Location40202, "The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression, but found: %s.", bsonx.Format(v))
			}
			groupBy = v
		case "boundaries":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.Location40200, "The $bucket 'boundaries' field must be an array, but found type: %s.", typeName(v))
			}
			vals, _ := arr.Values()
			boundaries = boundaries[:0]
			for _, b := range vals {
				c, ok := constantOf(b, p)
				if !ok {
					return nil, mongoerr.Newf(mongoerr.Location40191, "The $bucket 'boundaries' field must be an array of constant values, but found value: %s.", bsonx.Format(b))
				}
				boundaries = append(boundaries, c)
			}
			if len(boundaries) < 2 {
				return nil, mongoerr.Newf(mongoerr.Location40192, "The $bucket 'boundaries' field must have at least 2 values, but found %d value(s).", len(boundaries))
			}
			for i := 1; i < len(boundaries); i++ {
				lo, hi := boundaries[i-1], boundaries[i]
				if bsonx.CanonicalType(bsoncore.Type(lo.Type)) != bsonx.CanonicalType(bsoncore.Type(hi.Type)) {
					return nil, mongoerr.Newf(mongoerr.Location40193, "All values in the the 'boundaries' option to $bucket must have the same type. Found conflicting types %s and %s.", typeName(lo), typeName(hi))
				}
				if compareWith(p.scope.Eval, lo, hi) >= 0 {
					return nil, mongoerr.Newf(mongoerr.Location40194, "The 'boundaries' option to $bucket must be sorted, but elements %d and %d are not in ascending order (%s is not less than %s).", i-1, i, bsonx.Format(lo), bsonx.Format(hi))
				}
			}
		case "default":
			c, ok := constantOf(v, p)
			if !ok {
				return nil, mongoerr.Newf(mongoerr.Location40195, "The $bucket 'default' field must be a constant expression, but found: %s.", bsonx.Format(v))
			}
			def = c
		case "output":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.Location40196, "The $bucket 'output' field must be an object, but found type: %s.", typeName(v))
			}
			output, outputGiven = d, true
		default:
			return nil, mongoerr.Newf(mongoerr.Location40197, "Unrecognized option to $bucket: %s.", e.Key())
		}
	}
	if groupBy.Type == 0 || len(boundaries) == 0 {
		return nil, mongoerr.New(mongoerr.Location40198, "$bucket requires 'groupBy' and 'boundaries' to be specified.")
	}
	lo, hi := boundaries[0], boundaries[len(boundaries)-1]
	if def.Type != 0 && bsonx.CanonicalType(bsoncore.Type(def.Type)) == bsonx.CanonicalType(bsoncore.Type(lo.Type)) {
		if !(compareWith(p.scope.Eval, def, lo) < 0 || compareWith(p.scope.Eval, def, hi) >= 0) {
			return nil, mongoerr.New(mongoerr.Location40199, "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.")
		}
	}

	// {$group: {<output>, _id: {$switch: {branches: […], default}}}}
	branches := bsonx.NewArrayBuilder()
	for i := 1; i < len(boundaries); i++ {
		gte := bsonx.NewArrayBuilder()
		gte.AppendRaw("0", groupBy)
		gte.AppendRaw("1", boundaries[i-1])
		lt := bsonx.NewArrayBuilder()
		lt.AppendRaw("0", groupBy)
		lt.AppendRaw("1", boundaries[i])
		and := bsonx.NewArrayBuilder()
		and.AppendDocument("0", bsoncore.NewDocumentBuilder().AppendArray("$gte", gte.Finish()).Build())
		and.AppendDocument("1", bsoncore.NewDocumentBuilder().AppendArray("$lt", lt.Finish()).Build())
		branch := bsonx.NewBuilder()
		branch.AppendDocument("case", bsoncore.NewDocumentBuilder().AppendArray("$and", and.Finish()).Build())
		branch.AppendRaw("then", boundaries[i-1])
		branches.AppendDocument(branches.NextKey(), branch.Finish())
	}
	sw := bsonx.NewBuilder()
	sw.AppendArray("branches", branches.Finish())
	if def.Type != 0 {
		sw.AppendRaw("default", def)
	}
	g := bsonx.NewBuilder()
	if outputGiven {
		oe, _ := output.Elements()
		for _, e := range oe {
			g.AppendRaw(e.Key(), e.Value())
		}
	}
	g.AppendDocument("_id", bsoncore.NewDocumentBuilder().AppendDocument("$switch", sw.Finish()).Build())
	if !outputGiven {
		g.AppendDocument("count", bsoncore.NewDocumentBuilder().AppendInt32("$sum", 1).Build())
	}
	group, err := parseGroupSpec(g.Finish(), p)
	if err != nil {
		return nil, err
	}
	sortSpec, err := query.ParseSortWith(bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", 1).Build()), p.opts.Query.Collator)
	if err != nil {
		return nil, err
	}
	return chainStage{group, &sortStage{spec: sortSpec}}, nil
}

// isPathOrExpression reports a $-prefixed path or an operator object,
// what $bucket and $bucketAuto accept as groupBy.
func isPathOrExpression(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeString:
		return strings.HasPrefix(v.StringValue(), "$")
	case bson.TypeEmbeddedDocument:
		elems, _ := v.Document().Elements()
		return len(elems) > 0 && strings.HasPrefix(elems[0].Key(), "$")
	}
	return false
}

// constantOf parses v as an expression and returns its value when it is
// a constant.
func constantOf(v bson.RawValue, p *parser) (bson.RawValue, bool) {
	x, err := p.expr(v)
	if err != nil {
		return bson.RawValue{}, false
	}
	return expr.Constant(x)
}

// compareWith orders two values under the expression context's
// collation.
func compareWith(ec *expr.EvalContext, a, b bson.RawValue) int {
	if ec != nil && ec.Collator != nil {
		return bsonx.CompareWith(a, b, ec.Collator)
	}
	return bsonx.Compare(a, b)
}

// $bucketAuto

type bucketAutoSpec struct {
	groupBy  expr.Expr
	buckets  int
	fields   []string
	accs     []*expr.AccumulatorExpr
	rounder  granularityRounder
	ec       *expr.EvalContext
	collator query.Collator
}

func parseBucketAuto(_ string, arg bson.RawValue, p *parser) (stage, error) {
	spec, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Location40240, "The argument to $bucketAuto must be an object, but found type: %s", typeName(arg))
	}
	b := &bucketAutoSpec{ec: p.scope.Eval, collator: p.opts.Query.Collator}
	hasBuckets := false
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "groupBy":
			if !isPathOrExpression(v) {
				return nil, mongoerr.Newf(mongoerr.Location40239, "The $bucketAuto 'groupBy' field must be defined as a $-prefixed path or an expression object, but found: %s", bsonx.Format(v))
			}
			if b.groupBy, err = p.expr(v); err != nil {
				return nil, err
			}
		case "buckets":
			if !bsonx.IsNumber(v.Type) {
				return nil, mongoerr.Newf(mongoerr.Location40241, "The $bucketAuto 'buckets' field must be a numeric value, but found type: %s", typeName(v))
			}
			f, _ := numberAsFloat(v)
			switch v.Type {
			case bson.TypeInt32:
				f = float64(v.Int32())
			case bson.TypeInt64:
				f = float64(v.Int64())
			}
			if f != math.Trunc(f) || f > math.MaxInt32 || f < math.MinInt32 {
				return nil, mongoerr.Newf(mongoerr.Location40242, "The $bucketAuto 'buckets' field must be representable as a 32-bit integer, but found %s", strconv.FormatFloat(f, 'g', -1, 64))
			}
			b.buckets, hasBuckets = int(f), true
		case "output":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.Location40244, "The $bucketAuto 'output' field must be an object, but found type: %s", typeName(v))
			}
			oe, _ := d.Elements()
			for _, o := range oe {
				ae, err := parseAccumulatorField(o.Key(), o.Value(), p)
				if err != nil {
					return nil, err
				}
				if ae.KeyDependent() {
					return nil, mongoerr.New(mongoerr.Location4544714, "Can't refer to the group key in $bucketAuto")
				}
				b.fields = append(b.fields, o.Key())
				b.accs = append(b.accs, ae)
			}
		case "granularity":
			s, ok := v.StringValueOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.Location40261, "The $bucketAuto 'granularity' field must be a string, but found type: %s", typeName(v))
			}
			r, ok := granularityRounders[s]
			if !ok {
				return nil, mongoerr.Newf(mongoerr.Location40257, "Unknown rounding granularity '%s'", s)
			}
			b.rounder = r
		default:
			return nil, mongoerr.Newf(mongoerr.Location40245, "Unrecognized option to $bucketAuto: %s", e.Key())
		}
	}
	if b.groupBy == nil || !hasBuckets {
		return nil, mongoerr.New(mongoerr.Location40246, "$bucketAuto requires 'groupBy' and 'buckets' to be specified")
	}
	if b.buckets <= 0 {
		return nil, mongoerr.Newf(mongoerr.Location40243, "The $bucketAuto 'buckets' field must be greater than 0, but found: %d", b.buckets)
	}
	if len(b.accs) == 0 {
		ae, err := expr.ParseAccumulator("$sum", bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, 1)}, p.scope.Parse)
		if err != nil {
			return nil, err
		}
		b.fields, b.accs = []string{"count"}, []*expr.AccumulatorExpr{ae}
	}
	return b, nil
}

func (b *bucketAutoSpec) build(in exec.Stage, env *Env) (exec.Stage, error) {
	keyed := &bucketKeyIter{in: in, spec: b}
	sortSpec, err := query.ParseSortWith(bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("k", 1).Build()), b.collator)
	if err != nil {
		return nil, err
	}
	sorted := &exec.Sort{In: keyed, Spec: sortSpec, MemLimit: env.MemLimit, AllowDiskUse: env.AllowDiskUse, TempDir: env.TempDir}
	return &bucketAutoStage{spec: b, keyed: keyed, sorted: sorted}, nil
}

// bucketKeyIter wraps each input document as {k: {v: <groupBy value>},
// d: <document>} for the sort (the value wrapped so that an array key
// sorts as a whole) and counts them.
type bucketKeyIter struct {
	in   exec.Stage
	spec *bucketAutoSpec
	n    int64
}

func (it *bucketKeyIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	doc, ok, err := it.in.Next(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	if it.n++; it.n%256 == 0 {
		if err := exec.Interrupted(ctx); err != nil {
			return nil, false, err
		}
	}
	key, err := it.spec.groupBy.Eval(it.spec.ec, doc)
	if err != nil {
		return nil, false, err
	}
	if it.spec.rounder != nil {
		if !bsonx.IsNumber(key.Type) {
			return nil, false, mongoerr.Newf(mongoerr.Location40258, "$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a value with type: %s", typeName(key))
		}
		f := numberFloat(key)
		if math.IsNaN(f) {
			return nil, false, mongoerr.New(mongoerr.Location40259, "$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a NaN")
		}
		if f < 0 {
			return nil, false, mongoerr.New(mongoerr.Location40260, "$bucketAuto can specify a 'granularity' with non-negative numbers only, but found a negative number")
		}
	}
	if key.Type == 0 {
		key = bson.RawValue{Type: bson.TypeNull}
	}
	k := bsonx.NewBuilder()
	k.AppendRaw("v", key)
	w := bsonx.NewBuilder()
	w.AppendDocument("k", k.Finish())
	w.AppendDocument("d", doc)
	return w.Finish(), true, nil
}

func (it *bucketKeyIter) Close() { it.in.Close() }

// numberFloat is a number as a double.
func numberFloat(v bson.RawValue) float64 {
	switch v.Type {
	case bson.TypeInt32:
		return float64(v.Int32())
	case bson.TypeInt64:
		return float64(v.Int64())
	}
	f, _ := numberAsFloat(v)
	return f
}

type bucketAutoStage struct {
	spec   *bucketAutoSpec
	keyed  *bucketKeyIter
	sorted *exec.Sort

	started    bool
	size       int64 // documents per bucket, about
	num        int   // buckets output so far
	pending    *bucketEntry
	prevMax    bson.RawValue
	hasPrevMax bool
	done       bool
}

type bucketEntry struct {
	key bson.RawValue
	doc bson.Raw
}

func (s *bucketAutoStage) nextEntry(ctx context.Context) (*bucketEntry, error) {
	w, ok, err := s.sorted.Next(ctx)
	if err != nil || !ok {
		return nil, err
	}
	return &bucketEntry{key: w.Lookup("k", "v"), doc: w.Lookup("d").Document()}, nil
}

type bucket struct {
	min, max bson.RawValue
	accs     []expr.GroupAccumulator
}

func (s *bucketAutoStage) add(b *bucket, e *bucketEntry) error {
	b.max = e.key
	for i, a := range s.spec.accs {
		v, err := a.Input(s.spec.ec, e.doc)
		if err != nil {
			return err
		}
		if err := b.accs[i].Accumulate(v); err != nil {
			return err
		}
	}
	return nil
}

func (s *bucketAutoStage) Next(ctx context.Context) (bson.Raw, bool, error) {
	if s.done {
		return nil, false, nil
	}
	if !s.started {
		s.started = true
		first, err := s.nextEntry(ctx) // loads (and sorts) the whole input
		if err != nil {
			return nil, false, err
		}
		s.pending = first
		s.size = int64(math.Round(float64(s.keyed.n) / float64(s.spec.buckets)))
		if s.size < 1 {
			s.size = 1
		}
	}
	if s.num >= s.spec.buckets || s.pending == nil {
		s.done = true
		return nil, false, nil
	}
	s.num++
	last := s.num == s.spec.buckets
	cur := s.pending
	s.pending = nil
	b := &bucket{min: cur.key, max: cur.key, accs: make([]expr.GroupAccumulator, len(s.spec.accs))}
	for i, a := range s.spec.accs {
		acc, err := a.NewGroup(s.spec.ec, bson.RawValue{Type: bson.TypeNull})
		if err != nil {
			return nil, false, err
		}
		b.accs[i] = acc
	}
	r := s.spec.rounder
	if r != nil {
		if s.hasPrevMax {
			b.min = s.prevMax
		} else {
			m, err := r.roundDown(cur.key)
			if err != nil {
				return nil, false, err
			}
			b.min = m
		}
	}
	if err := s.add(b, cur); err != nil {
		return nil, false, err
	}
	var next *bucketEntry
	var err error
	for i := int64(1); ; i++ {
		if next, err = s.nextEntry(ctx); err != nil {
			return nil, false, err
		}
		if next == nil || (i >= s.size && !last) {
			break
		}
		if err := s.add(b, next); err != nil {
			return nil, false, err
		}
	}
	ec := s.spec.ec
	if r != nil {
		bound, err := r.roundUp(b.max)
		if err != nil {
			return nil, false, err
		}
		for next != nil && (compareWith(ec, bound, next.key) > 0 || compareWith(ec, b.max, next.key) == 0) {
			if err := s.add(b, next); err != nil {
				return nil, false, err
			}
			if next, err = s.nextEntry(ctx); err != nil {
				return nil, false, err
			}
		}
		if numberFloat(bound) == 0 && next != nil {
			if b.max, err = r.roundDown(next.key); err != nil {
				return nil, false, err
			}
		} else {
			b.max = bound
		}
	} else {
		for next != nil && compareWith(ec, b.max, next.key) == 0 {
			if err := s.add(b, next); err != nil {
				return nil, false, err
			}
			if next, err = s.nextEntry(ctx); err != nil {
				return nil, false, err
			}
		}
		if next != nil {
			b.max = next.key
		}
	}
	s.pending = next
	s.prevMax, s.hasPrevMax = b.max, true
	if next == nil {
		s.num = s.spec.buckets
	}

	out := bsonx.NewBuilder()
	id := bsonx.NewBuilder()
	id.AppendRaw("min", b.min)
	id.AppendRaw("max", b.max)
	out.AppendDocument("_id", id.Finish())
	for i, f := range s.spec.fields {
		v := b.accs[i].Result()
		if v.Type == 0 {
			v = bson.RawValue{Type: bson.TypeNull}
		}
		out.AppendRaw(f, v)
	}
	return out.Finish(), true, nil
}

func (s *bucketAutoStage) Close() { s.sorted.Close() }

// Granularity: rounding bucket boundaries to preferred numbers, as
// mongod's GranularityRounder.

type granularityRounder interface {
	roundUp(v bson.RawValue) (bson.RawValue, error)
	roundDown(v bson.RawValue) (bson.RawValue, error)
}

var granularityRounders = map[string]granularityRounder{
	"R5":  seriesRounder{10, 16, 25, 40, 63},
	"R10": seriesRounder{100, 125, 160, 200, 250, 315, 400, 500, 630, 800},
	"R20": seriesRounder{100, 112, 125, 140, 160, 180, 200, 224, 250, 280,
		315, 355, 400, 450, 500, 560, 630, 710, 800, 900},
	"R40": seriesRounder{100, 106, 112, 118, 125, 132, 140, 150, 160, 170, 180, 190, 200,
		212, 224, 236, 250, 265, 280, 300, 315, 355, 375, 400, 425, 450,
		475, 500, 530, 560, 600, 630, 670, 710, 750, 800, 850, 900, 950},
	"R80": seriesRounder{103, 109, 115, 122, 128, 136, 145, 155, 165, 175, 185, 195, 206, 218,
		230, 243, 258, 272, 290, 307, 325, 345, 365, 387, 412, 437, 462, 487,
		515, 545, 575, 615, 650, 690, 730, 775, 825, 875, 925, 975},
	"1-2-5": seriesRounder{10, 20, 50},
	"E6":    seriesRounder{10, 15, 22, 33, 47, 68},
	"E12":   seriesRounder{10, 12, 15, 18, 22, 27, 33, 39, 47, 56, 68, 82},
	"E24": seriesRounder{10, 11, 12, 13, 15, 16, 18, 20, 22, 24, 27, 30,
		33, 36, 39, 43, 47, 51, 56, 62, 68, 75, 82, 91},
	"E48": seriesRounder{100, 105, 110, 115, 121, 127, 133, 140, 147, 154, 162, 169,
		178, 187, 196, 205, 215, 226, 237, 249, 261, 274, 287, 301,
		316, 332, 348, 365, 383, 402, 422, 442, 464, 487, 511, 536,
		562, 590, 619, 649, 681, 715, 750, 787, 825, 866, 909, 953},
	"E96": seriesRounder{100, 102, 105, 107, 110, 113, 115, 118, 121, 124, 127, 130, 133, 137,
		140, 143, 147, 150, 154, 158, 162, 165, 169, 174, 178, 182, 187, 191,
		196, 200, 205, 210, 215, 221, 226, 232, 237, 243, 249, 255, 261, 267,
		274, 280, 287, 294, 301, 309, 316, 324, 332, 340, 348, 357, 365, 374,
		383, 392, 402, 412, 422, 432, 442, 453, 464, 475, 487, 499, 511, 523,
		536, 549, 562, 576, 590, 604, 619, 634, 649, 665, 681, 698, 715, 732,
		750, 768, 787, 806, 825, 845, 866, 887, 909, 931, 953, 976},
	"E192": seriesRounder{
		100, 101, 102, 104, 105, 106, 107, 109, 110, 111, 113, 114, 115, 117, 118, 120, 121, 123,
		124, 126, 127, 129, 130, 132, 133, 135, 137, 138, 140, 142, 143, 145, 147, 149, 150, 152,
		154, 156, 158, 160, 162, 164, 165, 167, 169, 172, 174, 176, 178, 180, 182, 184, 187, 189,
		191, 193, 196, 198, 200, 203, 205, 208, 210, 213, 215, 218, 221, 223, 226, 229, 232, 234,
		237, 240, 243, 246, 249, 252, 255, 258, 261, 264, 267, 271, 274, 277, 280, 284, 287, 291,
		294, 298, 301, 305, 309, 312, 316, 320, 324, 328, 332, 336, 340, 344, 348, 352, 357, 361,
		365, 370, 374, 379, 383, 388, 392, 397, 402, 407, 412, 417, 422, 427, 432, 437, 442, 448,
		453, 459, 464, 470, 475, 481, 487, 493, 499, 505, 511, 517, 523, 530, 536, 542, 549, 556,
		562, 569, 576, 583, 590, 597, 604, 612, 619, 626, 634, 642, 649, 657, 665, 673, 681, 690,
		698, 706, 715, 723, 732, 741, 750, 759, 768, 777, 787, 796, 806, 816, 825, 835, 845, 856,
		866, 876, 887, 898, 909, 920, 931, 942, 953, 965, 976, 988},
	"POWERSOF2": powersOf2Rounder{},
}

// roundable checks what a rounder can round: a non-negative number.
func roundable(v bson.RawValue, codes [3]mongoerr.Code) (float64, error) {
	if !bsonx.IsNumber(v.Type) {
		return 0, mongoerr.Newf(codes[0], "A granularity rounder can only round numeric values, but found type: %s", typeName(v))
	}
	f := numberFloat(v)
	if math.IsNaN(f) {
		return 0, mongoerr.New(codes[1], "A granularity rounder cannot round NaN")
	}
	if f < 0 {
		return 0, mongoerr.New(codes[2], "A granularity rounder can only round non-negative numbers")
	}
	return f, nil
}

var (
	seriesCodes = [3]mongoerr.Code{40262, 40263, 40268}
	pow2Codes   = [3]mongoerr.Code{40265, 40266, 40267}
)

// seriesRounder rounds to a preferred-number series scaled by powers of
// ten. Doubles (and integers) round to doubles; decimals to decimals,
// computed exactly.
type seriesRounder []int64

// scaled is series[i] × 10^k as the value type of v.
func (s seriesRounder) scaled(i, k int, decimal bool) bson.RawValue {
	if !decimal {
		return doubleRaw(float64(s[i]) * math.Pow(10, float64(k)))
	}
	var str string
	if k >= 0 {
		str = strconv.FormatInt(s[i], 10) + strings.Repeat("0", k)
	} else {
		str = strconv.FormatInt(s[i], 10) + "E" + strconv.Itoa(k)
	}
	d, _ := bson.ParseDecimal128(str)
	h, l := d.GetBytes()
	return bson.RawValue{Type: bson.TypeDecimal128, Value: bsoncore.AppendDecimal128(nil, h, l)}
}

// mulDouble is x × mult in double arithmetic, as mongod computes it
// (the multiplier built by repeated ×10 or ÷10).
func (s seriesRounder) mulDouble(x int64, mult float64) float64 { return float64(x) * mult }

func (s seriesRounder) roundUp(v bson.RawValue) (bson.RawValue, error) {
	f, err := roundable(v, seriesCodes)
	if err != nil {
		return bson.RawValue{}, err
	}
	if f == 0 {
		return v, nil
	}
	if v.Type == bson.TypeDecimal128 {
		k := 0
		cmp := func(i, k int) int { return bsonx.Compare(v, s.scaled(i, k, true)) }
		for cmp(len(s)-1, k) >= 0 {
			k++
		}
		for cmp(0, k) < 0 {
			prevK := k
			k--
			if cmp(len(s)-1, k) >= 0 {
				return s.scaled(0, prevK, true), nil
			}
		}
		i := sort.Search(len(s), func(i int) bool { return cmp(i, k) < 0 })
		return s.scaled(i, k, true), nil
	}
	mult := 1.0
	for f >= s.mulDouble(s[len(s)-1], mult) {
		mult *= 10
	}
	for f < s.mulDouble(s[0], mult) {
		prevMin := s.mulDouble(s[0], mult)
		mult /= 10
		if f >= s.mulDouble(s[len(s)-1], mult) {
			return doubleRaw(prevMin), nil
		}
	}
	i := sort.Search(len(s), func(i int) bool { return f < s.mulDouble(s[i], mult) })
	return doubleRaw(s.mulDouble(s[i], mult)), nil
}

func (s seriesRounder) roundDown(v bson.RawValue) (bson.RawValue, error) {
	f, err := roundable(v, seriesCodes)
	if err != nil {
		return bson.RawValue{}, err
	}
	if f == 0 {
		return v, nil
	}
	if v.Type == bson.TypeDecimal128 {
		k := 0
		cmp := func(i, k int) int { return bsonx.Compare(v, s.scaled(i, k, true)) }
		for cmp(0, k) <= 0 {
			k--
		}
		for cmp(len(s)-1, k) > 0 {
			prevK := k
			k++
			if cmp(0, k) <= 0 {
				return s.scaled(len(s)-1, prevK, true), nil
			}
		}
		i := sort.Search(len(s), func(i int) bool { return cmp(i, k) <= 0 })
		return s.scaled(i-1, k, true), nil
	}
	mult := 1.0
	for f <= s.mulDouble(s[0], mult) {
		mult /= 10
	}
	for f > s.mulDouble(s[len(s)-1], mult) {
		prevMax := s.mulDouble(s[len(s)-1], mult)
		mult *= 10
		if f <= s.mulDouble(s[0], mult) {
			return doubleRaw(prevMax), nil
		}
	}
	i := sort.Search(len(s), func(i int) bool { return s.mulDouble(s[i], mult) >= f })
	return doubleRaw(s.mulDouble(s[i-1], mult)), nil
}

func doubleRaw(f float64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, f)}
}

// powersOf2Rounder rounds to powers of two: up to the smallest power
// strictly above, down to the largest strictly below, the result
// computed as mongod does through $pow(2, exponent).
type powersOf2Rounder struct{}

func (powersOf2Rounder) pow(exp bson.RawValue) (bson.RawValue, error) {
	arr := bsonx.NewArrayBuilder()
	arr.AppendInt32("0", 2)
	arr.AppendRaw("1", exp)
	spec := bsoncore.NewDocumentBuilder().AppendArray("$pow", arr.Finish()).Build()
	x, err := expr.Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: spec}, expr.NewParseContext())
	if err != nil {
		return bson.RawValue{}, err
	}
	return x.Eval(&expr.EvalContext{}, bson.Raw{5, 0, 0, 0, 0})
}

func int32Raw(i int32) bson.RawValue {
	return bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, i)}
}

func decimalIntRaw(i int) bson.RawValue {
	d, _ := bson.ParseDecimal128(strconv.Itoa(i))
	h, l := d.GetBytes()
	return bson.RawValue{Type: bson.TypeDecimal128, Value: bsoncore.AppendDecimal128(nil, h, l)}
}

func (r powersOf2Rounder) round(v bson.RawValue, up bool) (bson.RawValue, error) {
	f, err := roundable(v, pow2Codes)
	if err != nil {
		return bson.RawValue{}, err
	}
	if f == 0 {
		return v, nil
	}
	var exp bson.RawValue
	switch v.Type {
	case bson.TypeDouble, bson.TypeDecimal128:
		var e int
		if up {
			e = int(math.Floor(math.Log2(f)) + 1)
		} else {
			e = int(math.Ceil(math.Log2(f)) - 1)
		}
		if v.Type == bson.TypeDouble {
			exp = int32Raw(int32(e))
		} else {
			exp = decimalIntRaw(e)
		}
	default:
		n := uint64(int64(f))
		if v.Type == bson.TypeInt64 {
			n = uint64(v.Int64())
		} else if v.Type == bson.TypeInt32 {
			n = uint64(v.Int32())
		}
		lz := bits.LeadingZeros64(n)
		switch {
		case up:
			exp = int32Raw(int32(63 - lz + 1))
		case lz+bits.TrailingZeros64(n) == 63:
			exp = int32Raw(int32(63 - lz - 1))
		default:
			exp = int32Raw(int32(63 - lz))
		}
	}
	return r.pow(exp)
}

func (r powersOf2Rounder) roundUp(v bson.RawValue) (bson.RawValue, error)   { return r.round(v, true) }
func (r powersOf2Rounder) roundDown(v bson.RawValue) (bson.RawValue, error) { return r.round(v, false) }
