package pipeline

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// $setWindowFields: documents are sorted by partition then by sortBy
// (mongod desugars the stage into a $sort followed by the window
// computation), each partition is buffered, and every output field is
// computed over windows of the partition and added as $addFields would.
// The window functions live in window_funcs.go, window bounds in
// window_bounds.go.

func init() {
	register(map[string]stageDef{"$setWindowFields": {parse: parseSetWindowFields}})
}

// windowSortField is one field of the stage's sortBy.
type windowSortField struct {
	path string
	dir  int
}

// windowSpec is a parsed $setWindowFields.
type windowSpec struct {
	partitionBy expr.Expr // nil: the whole input is one partition
	sortDoc     bson.Raw  // sortBy as given; nil without one
	sortBy      []windowSortField
	// sortExpr evaluates the first sortBy field ("$path"), which range
	// windows, ranks, $derivative, $integral and $linearFill read.
	sortExpr expr.Expr
	outputs  []windowOutput
	root     *addNode
	ec       *expr.EvalContext
	coll     query.Collator
	math     *valueMath
}

type windowOutput struct {
	path string
	fn   windowFunc
}

// winKeyField is the field of the wrapper documents sorted when
// there is a partitionBy: {k: <partition key>, d: <document>}.
const (
	winKeyField = "k"
	winDocField = "d"
)

func parseSetWindowFields(name string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "the %s stage specification must be an object, found %s", name, typeName(arg))
	}
	w := &windowSpec{ec: p.scope.Eval, coll: p.opts.Query.Collator}
	var partitionArg, output bson.RawValue
	elems, err := d.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		switch e.Key() {
		case "partitionBy":
			partitionArg = e.Value()
		case "sortBy":
			sd, ok := e.Value().DocumentOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$setWindowFields.sortBy' is the wrong type '%s', expected type 'object'", typeName(e.Value()))
			}
			w.sortDoc = sd
		case "output":
			if e.Value().Type != bson.TypeEmbeddedDocument {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$setWindowFields.output' is the wrong type '%s', expected type 'object'", typeName(e.Value()))
			}
			output = e.Value()
		default:
			return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$setWindowFields.%s' is an unknown field.", e.Key())
		}
	}
	if output.Type == 0 {
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field '$setWindowFields.output' is missing but a required field")
	}
	if partitionArg.Type != 0 {
		x, err := p.expr(partitionArg)
		if err != nil {
			return nil, err
		}
		if c, isConst := expr.Constant(x); isConst {
			// A constant partitions nothing (mongod drops it), unless
			// it is an array.
			if c.Type == bson.TypeArray {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "An expression used to partition cannot evaluate to value of type array")
			}
		} else {
			w.partitionBy = x
		}
	}
	if w.sortDoc != nil {
		if _, err := query.ParseSortWith(w.sortDoc, p.opts.Query.Collator); err != nil {
			return nil, err
		}
		se, _ := w.sortDoc.Elements()
		for _, e := range se {
			f, _ := numberAsFloat(e.Value())
			if e.Value().Type == bson.TypeInt32 || e.Value().Type == bson.TypeInt64 {
				n, _ := e.Value().AsInt64OK()
				f = float64(n)
			}
			dir := 1
			if f < 0 {
				dir = -1
			}
			w.sortBy = append(w.sortBy, windowSortField{path: e.Key(), dir: dir})
		}
		if len(w.sortBy) == 0 {
			// {sortBy: {}} sorts nothing; mongod treats it as absent.
			w.sortDoc = nil
		} else {
			x, err := p.expr(bson.RawValue{Type: bson.TypeString, Value: winString("$" + w.sortBy[0].path)})
			if err != nil {
				return nil, err
			}
			w.sortExpr = x
		}
	}
	w.math = newValueMath(p.scope.Eval.Collator)
	w.root = &addNode{children: map[string]*addNode{}}
	outElems, _ := output.Document().Elements()
	var paths [][]string
	for i, e := range outElems {
		parts := strings.Split(e.Key(), ".")
		for _, part := range parts {
			if part == "" {
				return nil, mongoerr.New(mongoerr.Location15998, "FieldPath field names may not be empty strings.")
			}
		}
		if strings.HasPrefix(e.Key(), "$") {
			return nil, mongoerr.New(mongoerr.Location16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
		for _, prev := range paths {
			if winPathsConflict(prev, parts) {
				return nil, mongoerr.New(mongoerr.Location6307900, "$setWindowFields 'output' specification contains two conflicting paths")
			}
		}
		paths = append(paths, parts)
		spec, ok := e.Value().DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "The field '%s' must be an object", e.Key())
		}
		fn, err := parseWindowFunc(spec, w, p)
		if err != nil {
			return nil, err
		}
		w.outputs = append(w.outputs, windowOutput{path: e.Key(), fn: fn})
		node := w.root
		for _, part := range parts {
			child := node.children[part]
			if child == nil {
				child = &addNode{children: map[string]*addNode{}}
				node.children[part] = child
				node.names = append(node.names, part)
			}
			node = child
		}
		node.x, node.slot = windowSlot{}, i
	}
	return w, nil
}

// windowSlot marks an addNode leaf whose value a window function
// computes.
type windowSlot struct{}

func (windowSlot) Eval(*expr.EvalContext, bson.Raw) (bson.RawValue, error) {
	return bson.RawValue{}, nil
}

func winPathsConflict(a, b []string) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func winString(s string) []byte {
	b := bsonx.NewBuilder()
	b.AppendString("s", s)
	v := b.Finish().Lookup("s")
	return v.Value
}

// hasSortBy reports whether the stage has a sortBy.
func (w *windowSpec) hasSortBy() bool { return w.sortDoc != nil }

func (w *windowSpec) build(in exec.Stage, env *Env) (exec.Stage, error) {
	src := in
	switch {
	case w.partitionBy != nil:
		b := bsonx.NewBuilder()
		b.AppendInt32(winKeyField, 1)
		for _, f := range w.sortBy {
			b.AppendInt32(winDocField+"."+f.path, int32(f.dir))
		}
		spec, err := query.ParseSortWith(b.Finish(), w.coll)
		if err != nil {
			return nil, err
		}
		wrap := &mapStage{in: in, fn: w.wrap}
		src = &exec.Sort{In: wrap, Spec: spec, MemLimit: env.MemLimit, AllowDiskUse: env.AllowDiskUse, TempDir: env.TempDir}
	case w.hasSortBy():
		spec, err := query.ParseSortWith(w.sortDoc, w.coll)
		if err != nil {
			return nil, err
		}
		src = &exec.Sort{In: in, Spec: spec, MemLimit: env.MemLimit, AllowDiskUse: env.AllowDiskUse, TempDir: env.TempDir}
	}
	return &windowIter{in: src, spec: w, env: env}, nil
}

// wrap pairs a document with its partition key; a missing key is null,
// so that null and missing land in one partition as in mongod.
func (w *windowSpec) wrap(doc bson.Raw) (bson.Raw, error) {
	k, err := w.partitionBy.Eval(w.ec, doc)
	if err != nil {
		return nil, err
	}
	if k.Type == 0 {
		k = bson.RawValue{Type: bson.TypeNull}
	}
	if k.Type == bson.TypeArray {
		return nil, mongoerr.New(mongoerr.TypeMismatch, "Cannot 'partitionBy' an expression of type array")
	}
	b := bsonx.NewBuilder()
	b.AppendRaw(winKeyField, k)
	b.AppendDocument(winDocField, doc)
	return b.Finish(), nil
}

// windowIter reads one partition at a time and yields its documents
// with the output fields set.
type windowIter struct {
	in   exec.Stage
	spec *windowSpec
	env  *Env

	pending    bson.Raw // the first document of the next partition
	pendingKey bson.RawValue
	eof        bool

	out []bson.Raw
	pos int
	n   int
}

// windowDocOverhead approximates what a buffered document costs beyond
// its bytes.
const windowDocOverhead = 64

func (it *windowIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	for it.pos >= len(it.out) {
		if it.eof && it.pending == nil {
			return nil, false, nil
		}
		if err := it.loadPartition(ctx); err != nil {
			return nil, false, err
		}
	}
	d := it.out[it.pos]
	it.out[it.pos] = nil
	it.pos++
	return d, true, nil
}

// unwrap splits a document read from the input into its partition key
// and the document itself.
func (it *windowIter) unwrap(d bson.Raw) (bson.RawValue, bson.Raw) {
	if it.spec.partitionBy == nil {
		return bson.RawValue{}, d
	}
	return d.Lookup(winKeyField), d.Lookup(winDocField).Document()
}

func (it *windowIter) loadPartition(ctx context.Context) error {
	var docs []bson.Raw
	var key bson.RawValue
	var mem int64
	add := func(d bson.Raw) error {
		docs = append(docs, append(bson.Raw(nil), d...))
		mem += int64(len(d)) + windowDocOverhead
		if it.env.MemLimit > 0 && mem > it.env.MemLimit && !it.env.AllowDiskUse {
			return mongoerr.Newf(mongoerr.Location5414201,
				"Exceeded memory limit in DocumentSourceSetWindowFields, used %d bytes out of %d. Try allowDiskUse:true", mem, it.env.MemLimit)
		}
		return nil
	}
	if it.pending != nil {
		key = it.pendingKey
		if err := add(it.pending); err != nil {
			return err
		}
		it.pending = nil
	}
	for !it.eof {
		raw, ok, err := it.in.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			it.eof = true
			break
		}
		if it.n++; it.n%256 == 0 {
			if err := exec.Interrupted(ctx); err != nil {
				return err
			}
		}
		k, d := it.unwrap(raw)
		if len(docs) == 0 {
			key = k
		} else if it.spec.partitionBy != nil && bsonx.CompareWith(k, key, it.spec.coll) != 0 {
			it.pending, it.pendingKey = d, k
			break
		}
		if err := add(d); err != nil {
			return err
		}
	}
	it.out, it.pos = it.out[:0], 0
	if len(docs) == 0 {
		return nil
	}
	out, err := it.spec.computePartition(docs)
	if err != nil {
		return err
	}
	it.out = out
	return nil
}

// computePartition returns the documents of one partition with the
// output fields set.
func (w *windowSpec) computePartition(docs []bson.Raw) ([]bson.Raw, error) {
	part := &winPartition{w: w, docs: docs}
	cols := make([][]bson.RawValue, len(w.outputs))
	for i, o := range w.outputs {
		vals := make([]bson.RawValue, len(docs))
		if err := o.fn.compute(part, vals); err != nil {
			return nil, err
		}
		cols[i] = vals
	}
	out := make([]bson.Raw, len(docs))
	row := make([]bson.RawValue, len(w.outputs))
	for j, d := range docs {
		for i := range cols {
			row[i] = cols[i][j]
		}
		out[j] = w.root.apply(d, row)
	}
	return out, nil
}

func (it *windowIter) Close() { it.in.Close() }

// winPartition is the buffered documents of one partition, with what the
// window functions compute once for all of them.
type winPartition struct {
	w    *windowSpec
	docs []bson.Raw
	// sortVals[i] is the first sortBy field of docs[i], evaluated once.
	sortVals []bson.RawValue
}

func (p *winPartition) sortValues() ([]bson.RawValue, error) {
	if p.sortVals != nil || p.w.sortExpr == nil {
		return p.sortVals, nil
	}
	vals := make([]bson.RawValue, len(p.docs))
	for i, d := range p.docs {
		v, err := p.w.sortExpr.Eval(p.w.ec, d)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	p.sortVals = vals
	return vals, nil
}

// inputs evaluates x on every document of the partition.
func (p *winPartition) inputs(x expr.Expr) ([]bson.RawValue, error) {
	vals := make([]bson.RawValue, len(p.docs))
	for i, d := range p.docs {
		v, err := x.Eval(p.w.ec, d)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}
