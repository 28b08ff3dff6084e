package pipeline

import (
	"context"
	"math"
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

// The stages that transform one document at a time, and the simple
// blocking ones: $match, $project, $addFields / $set, $unset,
// $replaceRoot / $replaceWith, $sort, $skip, $limit, $count,
// $sortByCount, $sample, $redact.

func init() {
	register(map[string]stageDef{
		"$match":       {parse: parseMatch},
		"$project":     {parse: parseProject, flags: flagUpdate},
		"$addFields":   {parse: parseAddFields, flags: flagUpdate},
		"$set":         {parse: parseAddFields, flags: flagUpdate},
		"$unset":       {parse: parseUnset, flags: flagUpdate},
		"$replaceRoot": {parse: parseReplaceRoot, flags: flagUpdate},
		"$replaceWith": {parse: parseReplaceRoot, flags: flagUpdate},
		"$sort":        {parse: parseSort},
		"$skip":        {parse: parseSkipLimit},
		"$limit":       {parse: parseSkipLimit},
		"$count":       {parse: parseCount},
		"$sortByCount": {parse: parseSortByCount},
		"$sample":      {parse: parseSample},
		"$redact":      {parse: parseRedact},
	})
}

// mapStage is a stage that turns each input document into at most one
// output document (nil drops it).
type mapStage struct {
	in exec.Stage
	fn func(doc bson.Raw) (bson.Raw, error)
	n  int
}

func (m *mapStage) Next(ctx context.Context) (bson.Raw, bool, error) {
	for {
		d, ok, err := m.in.Next(ctx)
		if !ok || err != nil {
			return nil, ok, err
		}
		if m.n++; m.n%256 == 0 {
			if err := exec.Interrupted(ctx); err != nil {
				return nil, false, err
			}
		}
		out, err := m.fn(d)
		if err != nil {
			return nil, false, err
		}
		if out != nil {
			return out, true, nil
		}
	}
}

func (m *mapStage) Close() { m.in.Close() }

// docFunc is a stage built from a per-document function.
type docFunc func(doc bson.Raw) (bson.Raw, error)

func (f docFunc) build(in exec.Stage, _ *Env) (exec.Stage, error) {
	return &mapStage{in: in, fn: f}, nil
}

// Apply runs a pipeline made only of per-document stages (the stages of
// a pipeline-style update) over one document.
func (pl *Pipeline) Apply(doc bson.Raw) (bson.Raw, error) {
	for _, s := range pl.stages {
		f, ok := s.st.(docFunc)
		if !ok {
			return nil, mongoerr.Newf(mongoerr.InvalidOptions, "%s is not allowed to be used within an update", s.name)
		}
		out, err := f(doc)
		if err != nil {
			return nil, err
		}
		doc = out
	}
	return doc, nil
}

// $match

type matchStage struct {
	filter *query.Filter
	raw    bson.Raw
}

func parseMatch(_ string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.Location15959, "the match filter must be an expression in an object")
	}
	f, err := query.ParseFilterWith(d, p.opts.Query)
	if err != nil {
		return nil, err
	}
	return &matchStage{filter: f, raw: d}, nil
}

func (m *matchStage) build(in exec.Stage, _ *Env) (exec.Stage, error) {
	return &exec.Filter{In: in, F: m.filter}, nil
}

// $project

func parseProject(_ string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Location15969, "$project specification must be an object")
	}
	proj, err := query.ParseProjectionWith(d, query.ProjectionOptions{Query: p.opts.Query, Aggregation: true})
	if err != nil {
		return nil, err
	}
	return docFunc(proj.Apply), nil
}

// $unset is an exclusion projection of its paths.

func parseUnset(_ string, arg bson.RawValue, p *parser) (stage, error) {
	var paths []bson.RawValue
	if arr, ok := arg.ArrayOK(); ok {
		paths, _ = arr.Values()
		if len(paths) == 0 {
			return nil, mongoerr.New(mongoerr.Location31119, "$unset specification must be a string or an array with at least one field")
		}
	} else {
		paths = []bson.RawValue{arg}
	}
	b := bsoncore.NewDocumentBuilder()
	for _, v := range paths {
		s, ok := v.StringValueOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.Location31120, "$unset specification must be a string or an array containing only string values")
		}
		b.AppendInt32(s, 0)
	}
	proj, err := query.ParseProjectionWith(bson.Raw(b.Build()), query.ProjectionOptions{Query: p.opts.Query, Aggregation: true})
	if err != nil {
		return nil, err
	}
	return docFunc(proj.Apply), nil
}

// $addFields / $set: computed fields, set in place or appended, merged
// into embedded documents and through arrays as mongod's AddFields
// projection does.

type addNode struct {
	names    []string
	children map[string]*addNode
	x        expr.Expr // a computed field; nil for an inner node
	slot     int       // index of x's value in the per-document values
}

func parseAddFields(name string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Location40272, "%s specification stage must be an object, got %s", name, typeName(arg))
	}
	root := &addNode{children: map[string]*addNode{}}
	var exprs []expr.Expr
	if err := root.parse(d, p, &exprs); err != nil {
		return nil, err
	}
	ec := p.scope.Eval
	vals := make([]bson.RawValue, len(exprs))
	return docFunc(func(doc bson.Raw) (bson.Raw, error) {
		for i, x := range exprs {
			v, err := x.Eval(ec, doc)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return root.apply(doc, vals), nil
	}), nil
}

func (n *addNode) parse(spec bson.Raw, p *parser, exprs *[]expr.Expr) error {
	elems, err := spec.Elements()
	if err != nil {
		return mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		key := e.Key()
		if key == "" || strings.HasPrefix(key, "$") {
			return mongoerr.Newf(mongoerr.Location16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
		parts := strings.Split(key, ".")
		node := n
		for i, part := range parts {
			if part == "" {
				return mongoerr.New(mongoerr.Location15998, "FieldPath field names may not be empty strings.")
			}
			child := node.children[part]
			last := i == len(parts)-1
			if child != nil && (child.x != nil || (last && !isNestedSpec(e.Value()))) {
				return mongoerr.Newf(mongoerr.Location40176, "Invalid $addFields :: caused by :: specification contains two conflicting paths. Cannot specify both '%s' and '%s'", key, key)
			}
			if child == nil {
				child = &addNode{children: map[string]*addNode{}}
				node.children[part] = child
				node.names = append(node.names, part)
			}
			node = child
		}
		if sub, ok := e.Value().DocumentOK(); ok && isNestedSpec(e.Value()) {
			if err := node.parse(sub, p, exprs); err != nil {
				return err
			}
			continue
		}
		x, err := p.expr(e.Value())
		if err != nil {
			return err
		}
		node.x, node.slot = x, len(*exprs)
		*exprs = append(*exprs, x)
	}
	return nil
}

// isNestedSpec reports an object that $addFields reads as more fields
// to add below the field (not an operator, not an empty literal).
func isNestedSpec(v bson.RawValue) bool {
	d, ok := v.DocumentOK()
	if !ok {
		return false
	}
	elems, _ := d.Elements()
	return len(elems) > 0 && !strings.HasPrefix(elems[0].Key(), "$")
}

// apply returns doc with n's fields set.
func (n *addNode) apply(doc bson.Raw, vals []bson.RawValue) bson.Raw {
	b := bsonx.NewBuilder()
	seen := make(map[string]bool, len(n.names))
	elems, _ := doc.Elements()
	for _, e := range elems {
		child := n.children[e.Key()]
		if child == nil {
			b.AppendRaw(e.Key(), e.Value())
			continue
		}
		seen[e.Key()] = true
		if v := child.value(e.Value(), vals); v.Type != 0 {
			b.AppendRaw(e.Key(), v)
		}
	}
	for _, name := range n.names {
		if seen[name] {
			continue
		}
		if v := n.children[name].value(bson.RawValue{}, vals); v.Type != 0 {
			b.AppendRaw(name, v)
		}
	}
	return b.Finish()
}

// value is what field n becomes when it held cur (Type 0: absent).
func (n *addNode) value(cur bson.RawValue, vals []bson.RawValue) bson.RawValue {
	if n.x != nil {
		return vals[n.slot]
	}
	switch cur.Type {
	case bson.TypeEmbeddedDocument:
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: n.apply(cur.Value, vals)}
	case bson.TypeArray:
		arr := bsonx.NewArrayBuilder()
		items, _ := bson.Raw(cur.Value).Values()
		for _, it := range items {
			arr.AppendRaw(arr.NextKey(), n.value(it, vals))
		}
		return bson.RawValue{Type: bson.TypeArray, Value: arr.Finish()}
	}
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: n.apply(bson.Raw{5, 0, 0, 0, 0}, vals)}
}

// $replaceRoot / $replaceWith

func parseReplaceRoot(name string, arg bson.RawValue, p *parser) (stage, error) {
	root := arg
	what := "'replacement document'"
	if name == "$replaceRoot" {
		d, ok := arg.DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.Location40228, "expected an object as specification for $replaceRoot stage, got %s", typeName(arg))
		}
		elems, _ := d.Elements()
		found := false
		for _, e := range elems {
			if e.Key() != "newRoot" {
				return nil, mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field '$replaceRoot.%s' is an unknown field.", e.Key())
			}
			root, found = e.Value(), true
		}
		if !found {
			return nil, mongoerr.New(mongoerr.Location40414, "BSON field '$replaceRoot.newRoot' is missing but a required field")
		}
		what = "'newRoot' expression " // mongod's context string ends in a space
	}
	x, err := p.expr(root)
	if err != nil {
		return nil, err
	}
	ec := p.scope.Eval
	return docFunc(func(doc bson.Raw) (bson.Raw, error) {
		v, err := x.Eval(ec, doc)
		if err != nil {
			return nil, err
		}
		d, ok := v.DocumentOK()
		if !ok {
			shown, typ := "MISSING", "missing"
			if v.Type != 0 {
				shown, typ = bsonx.Format(v), bsonx.TypeName(v.Type)
			}
			return nil, mongoerr.Newf(mongoerr.Location40228, "%s must evaluate to an object, but resulting value was: %s. Type of resulting value: '%s'. Input document: %s", what, shown, typ, bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}))
		}
		return d, nil
	}), nil
}

// $sort

type sortStage struct {
	spec  *query.Sort
	limit int64 // a following $limit: keep only the top k
}

func parseSort(_ string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.Location15973, "the $sort key specification must be an object")
	}
	if len(d) <= 5 {
		return nil, mongoerr.New(mongoerr.Location15976, "$sort stage must have at least one sort key")
	}
	s, err := query.ParseSortWith(d, p.opts.Query.Collator)
	if err != nil {
		return nil, err
	}
	return &sortStage{spec: s}, nil
}

func (s *sortStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	return &exec.Sort{In: in, Spec: s.spec, Limit: s.limit, MemLimit: env.MemLimit,
		AllowDiskUse: env.AllowDiskUse, TempDir: env.TempDir}, nil
}

// $skip and $limit

type skipStage struct{ n int64 }
type limitStage struct{ n int64 }

func (s *skipStage) build(in exec.Stage, _ *Env) (exec.Stage, error) {
	return &exec.Skip{In: in, N: s.n}, nil
}

func (s *limitStage) build(in exec.Stage, _ *Env) (exec.Stage, error) {
	return &exec.Limit{In: in, N: s.n}, nil
}

func parseSkipLimit(name string, arg bson.RawValue, _ *parser) (stage, error) {
	code := mongoerr.Location5107200
	if name == "$limit" {
		code = mongoerr.Location5107201
	}
	var n int64
	switch arg.Type {
	case bson.TypeInt32, bson.TypeInt64:
		n, _ = arg.AsInt64OK()
	case bson.TypeDouble, bson.TypeDecimal128:
		f, ok := numberAsFloat(arg)
		if !ok || f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, mongoerr.Newf(code, "invalid argument to %s stage: Expected an integer: %s: %s", name, name, bsonx.Format(arg))
		}
		if f >= math.MaxInt64 || f < math.MinInt64 {
			return nil, mongoerr.Newf(code, "invalid argument to %s stage: Cannot represent as a 64-bit integer: %s: %s", name, name, bsonx.Format(arg))
		}
		n = int64(f)
	default:
		return nil, mongoerr.Newf(code, "invalid argument to %s stage: Expected a number in: %s: %s", name, name, bsonx.Format(arg))
	}
	if n < 0 {
		return nil, mongoerr.Newf(code, "invalid argument to %s stage: Expected a non-negative number in: %s: %d", name, name, n)
	}
	if name == "$skip" {
		return &skipStage{n}, nil
	}
	if n == 0 {
		return nil, mongoerr.New(mongoerr.Location15958, "the limit must be positive")
	}
	return &limitStage{n}, nil
}

func numberAsFloat(v bson.RawValue) (float64, bool) {
	switch v.Type {
	case bson.TypeDouble:
		return v.Double(), true
	case bson.TypeDecimal128:
		f, err := strconv.ParseFloat(v.Decimal128().String(), 64)
		return f, err == nil
	}
	return 0, false
}

// $count

type countStage struct{ field string }

func parseCount(_ string, arg bson.RawValue, _ *parser) (stage, error) {
	f, ok := arg.StringValueOK()
	switch {
	case !ok:
		return nil, mongoerr.New(mongoerr.Location40156, "the count field must be a non-empty string")
	case f == "":
		return nil, mongoerr.New(mongoerr.Location40157, "the count field must be a non-empty string")
	case f[0] == '$':
		return nil, mongoerr.New(mongoerr.Location40158, "the count field cannot be a $-prefixed path")
	case strings.ContainsRune(f, 0):
		return nil, mongoerr.New(mongoerr.Location40159, "the count field cannot contain a null byte")
	case strings.Contains(f, "."):
		return nil, mongoerr.New(mongoerr.Location40160, "the count field cannot contain '.'")
	case f == "_id":
		return nil, mongoerr.New(mongoerr.Location9039800, "the count field cannot be '_id'")
	}
	return &countStage{field: f}, nil
}

func (c *countStage) build(in exec.Stage, _ *Env) (exec.Stage, error) {
	return &countIter{in: in, field: c.field}, nil
}

type countIter struct {
	in    exec.Stage
	field string
	done  bool
}

func (c *countIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	if c.done {
		return nil, false, nil
	}
	c.done = true
	var n int64
	for {
		_, ok, err := c.in.Next(ctx)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			break
		}
		if n++; n%256 == 0 {
			if err := exec.Interrupted(ctx); err != nil {
				return nil, false, err
			}
		}
	}
	if n == 0 {
		return nil, false, nil // $count of nothing yields no document
	}
	b := bsonx.NewBuilder()
	if n <= math.MaxInt32 {
		b.AppendInt32(c.field, int32(n))
	} else {
		b.AppendInt64(c.field, n)
	}
	return b.Finish(), true, nil
}

func (c *countIter) Close() { c.in.Close() }

// $sortByCount is {$group: {_id: <expr>, count: {$sum: 1}}} followed by
// {$sort: {count: -1}}.

type chainStage []stage

func (c chainStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	st := in
	for _, s := range c {
		next, err := s.build(st, env)
		if err != nil {
			return nil, err
		}
		st = next
	}
	return st, nil
}

func parseSortByCount(_ string, arg bson.RawValue, p *parser) (stage, error) {
	switch arg.Type {
	case bson.TypeString:
		if !strings.HasPrefix(arg.StringValue(), "$") {
			return nil, mongoerr.New(mongoerr.Location40148, "the sortByCount field must be defined as a $-prefixed path or an expression")
		}
	case bson.TypeEmbeddedDocument:
		elems, _ := arg.Document().Elements()
		if len(elems) == 0 || !strings.HasPrefix(elems[0].Key(), "$") {
			return nil, mongoerr.New(mongoerr.Location40147, "the sortByCount field must be defined as a $-prefixed path or an expression object")
		}
	default:
		return nil, mongoerr.New(mongoerr.Location40149, "the sortByCount field must be specified as a string or as an object")
	}
	g := bsonx.NewBuilder()
	g.AppendRaw("_id", arg)
	g.AppendDocument("count", bsoncore.NewDocumentBuilder().AppendInt32("$sum", 1).Build())
	group, err := stages["$group"].parse("$group", bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: g.Finish()}, p)
	if err != nil {
		return nil, err
	}
	sortSpec, err := query.ParseSortWith(bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("count", -1).Build()), nil)
	if err != nil {
		return nil, err
	}
	return chainStage{group, &sortStage{spec: sortSpec}}, nil
}

// $redact

func parseRedact(_ string, arg bson.RawValue, p *parser) (stage, error) {
	x, err := p.expr(arg)
	if err != nil {
		return nil, err
	}
	ec := p.scope.Eval
	return docFunc(func(doc bson.Raw) (bson.Raw, error) {
		restore := ec.SetRoot(doc)
		defer restore()
		out, keep, err := redact(x, ec, doc)
		if err != nil || !keep {
			return nil, err
		}
		return out, nil
	}), nil
}

// redact applies $redact's expression to doc ($$CURRENT) and, for
// $$DESCEND, to the documents inside it, also within arrays.
func redact(x expr.Expr, ec *expr.EvalContext, doc bson.Raw) (bson.Raw, bool, error) {
	v, err := x.Eval(ec, doc)
	if err != nil {
		return nil, false, err
	}
	s, _ := v.StringValueOK()
	switch {
	case v.Type == bson.TypeString && s == "keep":
		return doc, true, nil
	case v.Type == bson.TypeString && s == "prune":
		return nil, false, nil
	case v.Type != bson.TypeString || s != "descend":
		return nil, false, mongoerr.Newf(mongoerr.Location17053, "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned %s", bsonx.Format(v))
	}
	b := bsonx.NewBuilder()
	elems, _ := doc.Elements()
	for _, e := range elems {
		v := e.Value()
		switch v.Type {
		case bson.TypeEmbeddedDocument:
			sub, keep, err := redact(x, ec, v.Document())
			if err != nil {
				return nil, false, err
			}
			if keep {
				b.AppendDocument(e.Key(), sub)
			}
		case bson.TypeArray:
			arr, err := redactArray(x, ec, bson.Raw(v.Array()))
			if err != nil {
				return nil, false, err
			}
			b.AppendArray(e.Key(), arr)
		default:
			b.AppendRaw(e.Key(), v)
		}
	}
	return b.Finish(), true, nil
}

func redactArray(x expr.Expr, ec *expr.EvalContext, arr bson.Raw) (bson.Raw, error) {
	out := bsonx.NewArrayBuilder()
	vals, _ := arr.Values()
	for _, v := range vals {
		switch v.Type {
		case bson.TypeEmbeddedDocument:
			sub, keep, err := redact(x, ec, v.Document())
			if err != nil {
				return nil, err
			}
			if keep {
				out.AppendDocument(out.NextKey(), sub)
			}
		case bson.TypeArray:
			sub, err := redactArray(x, ec, bson.Raw(v.Array()))
			if err != nil {
				return nil, err
			}
			out.AppendArray(out.NextKey(), sub)
		default:
			out.AppendRaw(out.NextKey(), v)
		}
	}
	return out.Finish(), nil
}
