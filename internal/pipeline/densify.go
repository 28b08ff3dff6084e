package pipeline

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/keystring"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// $densify: documents are sorted by the partition fields (not for "full"
// bounds) and the field, then the missing values of the field's step
// grid are generated between them: from the lower bound of an explicit
// range (upper bound excluded), from the smallest value of all documents
// ("full") or of each partition ("partition"). Values off the grid are
// kept and the grid continues. Documents whose field is null or missing
// pass through unchanged.

func init() {
	register(map[string]stageDef{"$densify": {parse: parseDensify}})
}

type densifyBounds int

const (
	densifyFull densifyBounds = iota
	densifyPartition
	densifyExplicit
)

type densifySpec struct {
	field      string
	partitions []string
	step       bson.RawValue
	unit       string
	bounds     densifyBounds
	lo, hi     bson.RawValue
	sort       *query.Sort
	math       *valueMath
}

func parseDensify(name string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "The %s stage specification must be an object, found %s", name, typeName(arg))
	}
	s := &densifySpec{math: newValueMath(p.scope.Eval.Collator)}
	var field, rng, parts bson.RawValue
	elems, _ := d.Elements()
	for _, e := range elems {
		switch e.Key() {
		case "field":
			field = e.Value()
		case "partitionByFields":
			parts = e.Value()
		case "range":
			rng = e.Value()
		default:
			return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$densify.%s' is an unknown field.", e.Key())
		}
	}
	wrongType := func(path string, v bson.RawValue, want string) error {
		return mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$densify.%s' is the wrong type '%s', expected type '%s'", path, typeName(v), want)
	}
	missing := func(path string) error {
		return mongoerr.Newf(mongoerr.Location40414, "BSON field '$densify.%s' is missing but a required field", path)
	}
	switch {
	case field.Type == 0:
		return nil, missing("field")
	case field.Type != bson.TypeString:
		return nil, wrongType("field", field, "string")
	case parts.Type != 0 && parts.Type != bson.TypeArray:
		return nil, wrongType("partitionByFields", parts, "array")
	case rng.Type == 0:
		return nil, missing("range")
	case rng.Type != bson.TypeEmbeddedDocument:
		return nil, wrongType("range", rng, "object")
	}
	s.field = field.StringValue()
	if parts.Type != 0 {
		vals, _ := bson.Raw(parts.Value).Values()
		for _, v := range vals {
			if v.Type != bson.TypeString {
				return nil, wrongType("partitionByFields", v, "string")
			}
			s.partitions = append(s.partitions, v.StringValue())
		}
	}
	var step, unit, bounds bson.RawValue
	relems, _ := rng.Document().Elements()
	for _, e := range relems {
		switch e.Key() {
		case "step":
			step = e.Value()
		case "unit":
			unit = e.Value()
		case "bounds":
			bounds = e.Value()
		default:
			return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$densify.range.%s' is an unknown field.", e.Key())
		}
	}
	switch {
	case step.Type == 0:
		return nil, missing("range.step")
	case !bsonx.IsNumber(step.Type):
		return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$densify.range.step' is the wrong type '%s', expected types '[int, decimal, double, long']", typeName(step))
	case unit.Type != 0 && unit.Type != bson.TypeString:
		return nil, wrongType("range.unit", unit, "string")
	case bounds.Type == 0:
		return nil, missing("range.bounds")
	}
	if bsonx.Compare(step, winInt32(0)) <= 0 {
		return nil, mongoerr.New(mongoerr.Location5733401, "the step parameter in a range statement must be a strictly positive numeric value")
	}
	s.step = step
	if unit.Type != 0 {
		if _, ok := winIntValue(step); !ok && !isWholeNumber(step) {
			return nil, mongoerr.New(mongoerr.Location6586400, "The step parameter in a range statement must be a whole number when densifying a date range")
		}
		u := unit.StringValue()
		if !winTimeUnits[u] {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "unknown time unit value: %s", u)
		}
		s.unit = u
	}
	switch bounds.Type {
	case bson.TypeArray:
		vals, _ := bson.Raw(bounds.Value).Values()
		if len(vals) != 2 {
			return nil, mongoerr.New(mongoerr.Location5733403, "A bounding array in a range statement must have exactly two elements")
		}
		if bsonx.Compare(vals[0], vals[1]) > 0 {
			return nil, mongoerr.New(mongoerr.Location5733402, "A bounding array must be an ascending array of either two dates or two numbers")
		}
		switch {
		case bsonx.IsNumber(vals[0].Type):
			if s.unit != "" {
				return nil, mongoerr.New(mongoerr.Location5733409, "Numeric bounds may not have unit parameter")
			}
			if !bsonx.IsNumber(vals[1].Type) {
				return nil, mongoerr.New(mongoerr.Location5733406, "A bounding array must contain either both dates or both numeric types")
			}
			if vals[0].Type != vals[1].Type || vals[0].Type != step.Type {
				return nil, mongoerr.New(mongoerr.Location5876900, "Upper bound, lower bound, and step must all have the same type")
			}
		case vals[0].Type == bson.TypeDateTime:
			if vals[1].Type != bson.TypeDateTime {
				return nil, mongoerr.New(mongoerr.Location5733405, "A bounding array must contain either both dates or both numeric types")
			}
			if s.unit == "" {
				return nil, mongoerr.New(mongoerr.Location5733410, "A bounding array of dates must specify a unit")
			}
		default:
			return nil, mongoerr.New(mongoerr.Location5946800, "Explicit bounds must be numeric or dates")
		}
		s.bounds, s.lo, s.hi = densifyExplicit, vals[0], vals[1]
	case bson.TypeString:
		switch bounds.StringValue() {
		case "full":
			s.bounds = densifyFull
		case "partition":
			s.bounds = densifyPartition
		default:
			return nil, mongoerr.New(mongoerr.Location5946802, "Bounds string must either be 'full' or 'partition'")
		}
	default:
		return nil, mongoerr.New(mongoerr.Location5733404, "The bounds in a range statement must be the string 'full', 'partition', or an ascending array of two numbers or two dates")
	}
	for _, f := range append([]string{s.field}, s.partitions...) {
		if err := checkDensifyPath(f); err != nil {
			return nil, err
		}
	}
	for _, pf := range s.partitions {
		if pf == s.field || strings.HasPrefix(pf, s.field+".") {
			return nil, mongoerr.New(mongoerr.Location8993000, "BSON field '$densify.partitionByFields' contains the field that is being densified")
		}
		if strings.HasPrefix(s.field, pf+".") {
			return nil, mongoerr.New(mongoerr.Location9554500, "The field that is being densified contains the BSON field '$densify.partitionByFields'")
		}
	}
	if s.bounds == densifyPartition && len(s.partitions) == 0 {
		return nil, mongoerr.New(mongoerr.Location5733408, "One cannot specify the bounds as 'partition' without specifying a non-empty array of partitionByFields. You may have meant to specify 'full' bounds.")
	}
	sb := bsonx.NewBuilder()
	if s.bounds != densifyFull {
		for _, pf := range s.partitions {
			sb.AppendInt32(pf, 1)
		}
	}
	sb.AppendInt32(s.field, 1)
	sortSpec, err := query.ParseSortWith(sb.Finish(), p.opts.Query.Collator)
	if err != nil {
		return nil, err
	}
	s.sort = sortSpec
	return s, nil
}

func isWholeNumber(v bson.RawValue) bool {
	f, ok := numberAsFloat(v)
	if v.Type == bson.TypeInt32 || v.Type == bson.TypeInt64 {
		return true
	}
	return ok && f == float64(int64(f))
}

func checkDensifyPath(f string) error {
	if strings.HasPrefix(f, "$") {
		return mongoerr.New(mongoerr.Location16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
	}
	for _, part := range strings.Split(f, ".") {
		if part == "" {
			return mongoerr.New(mongoerr.Location15998, "FieldPath field names may not be empty strings.")
		}
	}
	return nil
}

func (s *densifySpec) build(in exec.Stage, env *Env) (exec.Stage, error) {
	sorted := &exec.Sort{In: in, Spec: s.sort, MemLimit: env.MemLimit, AllowDiskUse: env.AllowDiskUse, TempDir: env.TempDir}
	return &densifyIter{in: sorted, s: s, parts: map[string]*densifyPartitionState{}}, nil
}

// densifyPartitionState is where a partition's grid stands.
type densifyPartitionState struct {
	include bson.Raw      // the partition fields of the generated documents
	next    bson.RawValue // the next grid value not yet passed; Type 0 before any
}

type densifyIter struct {
	in    exec.Stage
	s     *densifySpec
	parts map[string]*densifyPartitionState
	order []*densifyPartitionState
	queue []bson.Raw
	// min / max of the field over all documents ("full").
	min, max  bson.RawValue
	done      bool
	n         int
	generated int
}

// maxDensifyDocs is mongod's internalQueryMaxAllowedDensifyDocs.
const maxDensifyDocs = 500000

func (it *densifyIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	for len(it.queue) == 0 {
		if it.done {
			return nil, false, nil
		}
		doc, ok, err := it.in.Next(ctx)
		if err != nil {
			return nil, false, err
		}
		if it.n++; it.n%256 == 0 {
			if err := exec.Interrupted(ctx); err != nil {
				return nil, false, err
			}
		}
		if !ok {
			it.done = true
			if err := it.finish(); err != nil {
				return nil, false, err
			}
			continue
		}
		if err := it.process(doc); err != nil {
			return nil, false, err
		}
	}
	d := it.queue[0]
	it.queue = it.queue[1:]
	return d, true, nil
}

func (it *densifyIter) Close() { it.in.Close() }

// value reads and checks the densified field of doc; Type 0 for null or
// missing.
func (it *densifyIter) value(doc bson.Raw) (bson.RawValue, error) {
	v, _ := bsonx.LookupFirst(doc, it.s.field)
	switch {
	case v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined:
		return bson.RawValue{}, nil
	case !bsonx.IsNumber(v.Type) && v.Type != bson.TypeDateTime:
		return bson.RawValue{}, mongoerr.New(mongoerr.Location5733201, "Densify field type must be numeric or a date")
	case it.s.unit != "" && v.Type != bson.TypeDateTime:
		return bson.RawValue{}, mongoerr.New(mongoerr.Location6053600, "Encountered non-date value in collection when step has a date unit.")
	case it.s.unit == "" && v.Type == bson.TypeDateTime:
		return bson.RawValue{}, mongoerr.New(mongoerr.Location6053601, "Encountered date value in collection when step does not have a date unit.")
	}
	return v, nil
}

// partition returns the state of doc's partition.
func (it *densifyIter) partition(doc bson.Raw) (*densifyPartitionState, error) {
	var include []byte = bson.Raw{5, 0, 0, 0, 0}
	for _, pf := range it.s.partitions {
		v, ok := bsonx.LookupFirst(doc, pf)
		if !ok || v.Type == 0 {
			continue
		}
		if v.Type == bson.TypeArray {
			return nil, mongoerr.New(mongoerr.Location5733307, "$densify cannot generate fields nested inside arrays")
		}
		include = bsonx.SetPath(include, strings.Split(pf, "."), v)
	}
	key := string(keystring.AppendValue(nil, bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: include}, false))
	st := it.parts[key]
	if st == nil {
		st = &densifyPartitionState{include: include}
		it.parts[key] = st
		it.order = append(it.order, st)
	}
	return st, nil
}

func (it *densifyIter) stepOnce(v bson.RawValue) (bson.RawValue, error) {
	if it.s.unit != "" {
		n, _ := numberAsFloat(it.s.step)
		if it.s.step.Type == bson.TypeInt32 || it.s.step.Type == bson.TypeInt64 {
			k, _ := it.s.step.AsInt64OK()
			n = float64(k)
		}
		return it.s.math.dateAdd(v, it.s.unit, int64(n))
	}
	return it.s.math.add(v, it.s.step)
}

// generate emits the grid values of st below limit (and below the
// explicit upper bound).
func (it *densifyIter) generate(st *densifyPartitionState, limit bson.RawValue) error {
	for bsonx.Compare(st.next, limit) < 0 && (it.s.bounds != densifyExplicit || bsonx.Compare(st.next, it.s.hi) < 0) {
		if it.generated++; it.generated > maxDensifyDocs {
			return mongoerr.Newf(mongoerr.Location5897900, "Generated %d documents in $densify, which is over the limit of %d. Increase the 'internalQueryMaxAllowedDensifyDocs' parameter to allow more generated documents", it.generated, maxDensifyDocs)
		}
		d := bsonx.SetPath(append([]byte(nil), st.include...), strings.Split(it.s.field, "."), st.next)
		it.queue = append(it.queue, d)
		next, err := it.stepOnce(st.next)
		if err != nil {
			return err
		}
		st.next = next
	}
	return nil
}

func (it *densifyIter) process(doc bson.Raw) error {
	v, err := it.value(doc)
	if err != nil {
		return err
	}
	if v.Type == 0 {
		it.queue = append(it.queue, doc)
		return nil
	}
	if it.min.Type == 0 {
		it.min = v
	}
	it.max = v
	st, err := it.partition(doc)
	if err != nil {
		return err
	}
	if st.next.Type == 0 {
		switch it.s.bounds {
		case densifyFull:
			st.next = it.min
		case densifyPartition:
			st.next = v
		case densifyExplicit:
			st.next = it.s.lo
		}
	}
	if err := it.generate(st, v); err != nil {
		return err
	}
	if bsonx.Compare(st.next, v) == 0 {
		next, err := it.stepOnce(v)
		if err != nil {
			return err
		}
		st.next = next
	}
	it.queue = append(it.queue, doc)
	return nil
}

// finish generates what remains of each partition's range at the end of
// the input.
func (it *densifyIter) finish() error {
	switch it.s.bounds {
	case densifyFull:
		for _, st := range it.order {
			if err := it.generate(st, it.max); err != nil {
				return err
			}
		}
	case densifyExplicit:
		if len(it.s.partitions) == 0 && len(it.order) == 0 {
			it.order = append(it.order, &densifyPartitionState{include: bson.Raw{5, 0, 0, 0, 0}, next: it.s.lo})
		}
		for _, st := range it.order {
			if err := it.generate(st, it.s.hi); err != nil {
				return err
			}
		}
	}
	return nil
}
