package pipeline

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/keystring"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// $group: documents grouped by the value of the _id expression, each
// group folded by the accumulators of the other fields (expr's
// AccumulatorExpr). Groups live in a hash table keyed by an
// order-preserving encoding of the group key (numbers of different
// types that are equal share a group; strings compare under the
// collation). Each group and accumulator counts against Env.MemLimit;
// over it the stage fails with QueryExceededMemoryLimitNoDiskUseAllowed
// unless disk use is allowed, in which case it writes the groups,
// sorted by key, as partial states to a run file and starts afresh; at
// the end the runs are merged key by key (group_spill.go), as mongod
// does. Without spills, groups come out in order of first appearance
// (mongod's order is unspecified).

func init() {
	register(map[string]stageDef{"$group": {parse: parseGroup}})
}

// groupSpec is a parsed $group.
type groupSpec struct {
	// id is the _id expression; for an object _id of field expressions
	// (not an operator), idNames and idExprs hold them apart, as mongod
	// does: with one field a missing value becomes null, with several
	// it leaves the field out (and is a different key from null).
	id      expr.Expr
	idNames []string
	idExprs []expr.Expr
	fields  []string
	accs    []*expr.AccumulatorExpr
	ec      *expr.EvalContext
}

func parseGroup(_ string, v bson.RawValue, p *parser) (stage, error) {
	d, ok := v.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.Location15947, "a group's fields must be specified in an object")
	}
	return parseGroupSpec(d, p)
}

func parseGroupSpec(d bson.Raw, p *parser) (*groupSpec, error) {
	g := &groupSpec{ec: p.scope.Eval}
	elems, err := d.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	hasID := false
	for _, e := range elems {
		if e.Key() == "_id" {
			if hasID {
				return nil, mongoerr.New(mongoerr.Location15948, "a group's _id may only be specified once")
			}
			if err := g.parseID(e.Value(), p); err != nil {
				return nil, err
			}
			hasID = true
			continue
		}
		ae, err := parseAccumulatorField(e.Key(), e.Value(), p)
		if err != nil {
			return nil, err
		}
		g.fields = append(g.fields, e.Key())
		g.accs = append(g.accs, ae)
	}
	if !hasID {
		return nil, mongoerr.New(mongoerr.Location15955, "a group specification must include an _id")
	}
	return g, nil
}

// parseID parses the _id as mongod's parseIdExpression: {} is a
// constant, an object whose first field is an operator an expression,
// any other object a document of expressions (with no inclusion-style
// 1/true values).
func (g *groupSpec) parseID(v bson.RawValue, p *parser) error {
	if d, ok := v.DocumentOK(); ok && len(d) > 5 {
		elems, err := d.Elements()
		if err != nil {
			return mongoerr.New(mongoerr.InvalidBSON, err.Error())
		}
		if !strings.HasPrefix(elems[0].Key(), "$") {
			for _, e := range elems {
				if bsonx.IsNumber(e.Value().Type) || e.Value().Type == bson.TypeBoolean {
					return mongoerr.New(mongoerr.Location17390, "$group does not support inclusion-style expressions")
				}
			}
			// Parsed whole first, for the object expression's own checks
			// (dotted or $-prefixed field names).
			if _, err := p.expr(v); err != nil {
				return err
			}
			for _, e := range elems {
				x, err := p.expr(e.Value())
				if err != nil {
					return err
				}
				g.idNames = append(g.idNames, e.Key())
				g.idExprs = append(g.idExprs, x)
			}
			return nil
		}
	}
	x, err := p.expr(v)
	if err != nil {
		return err
	}
	g.id = x
	return nil
}

// parseAccumulatorField parses one output field of $group, $bucket or
// $bucketAuto, as mongod's parseAccumulationStatement.
func parseAccumulatorField(name string, v bson.RawValue, p *parser) (*expr.AccumulatorExpr, error) {
	d, ok := v.DocumentOK()
	var elems []bson.RawElement
	if ok {
		elems, _ = d.Elements()
	}
	if !ok || len(elems) == 0 || !strings.HasPrefix(elems[0].Key(), "$") {
		return nil, mongoerr.Newf(mongoerr.Location40234, "The field '%s' must be an accumulator object", name)
	}
	if strings.Contains(name, ".") {
		return nil, mongoerr.Newf(mongoerr.Location40235, "The field name '%s' cannot contain '.'", name)
	}
	if strings.HasPrefix(name, "$") {
		return nil, mongoerr.Newf(mongoerr.Location40236, "The field name '%s' cannot be an operator name", name)
	}
	if len(elems) != 1 {
		return nil, mongoerr.Newf(mongoerr.Location40238, "The field '%s' must specify one accumulator", name)
	}
	op, arg := elems[0].Key(), elems[0].Value()
	if arg.Type == bson.TypeArray {
		return nil, mongoerr.Newf(mongoerr.Location40237, "The %s accumulator is a unary operator", op)
	}
	return expr.ParseAccumulator(op, arg, p.scope.Parse)
}

// groupKey evaluates doc's group key: the _id value as it is output,
// and its encoding (equal keys, equal encodings).
func (g *groupSpec) groupKey(doc bson.Raw, keyer collationKeyer) (bson.RawValue, []byte, error) {
	if g.idNames == nil {
		v, err := g.id.Eval(g.ec, doc)
		if err != nil {
			return bson.RawValue{}, nil, err
		}
		if v.Type == 0 {
			v = bson.RawValue{Type: bson.TypeNull}
		}
		return v, appendKeyPart(nil, v, keyer), nil
	}
	b := bsonx.NewBuilder()
	var enc []byte
	for i, x := range g.idExprs {
		v, err := x.Eval(g.ec, doc)
		if err != nil {
			return bson.RawValue{}, nil, err
		}
		if v.Type == 0 && len(g.idExprs) == 1 {
			v = bson.RawValue{Type: bson.TypeNull}
		}
		enc = appendKeyPart(enc, v, keyer)
		if v.Type != 0 {
			b.AppendRaw(g.idNames[i], v)
		}
	}
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: b.Finish()}, enc, nil
}

// collationKeyer turns a string into bytes that order as the collation
// orders strings (collation.Collation has it).
type collationKeyer interface{ Key(string) []byte }

func keyerOf(ec *expr.EvalContext) collationKeyer {
	if ec == nil || ec.Collator == nil {
		return nil
	}
	k, _ := ec.Collator.(collationKeyer)
	return k
}

// appendKeyPart appends one key component: a marker for missing, else
// the value's key string, with strings replaced by their collation keys.
func appendKeyPart(dst []byte, v bson.RawValue, keyer collationKeyer) []byte {
	if v.Type == 0 {
		return append(dst, 1)
	}
	dst = append(dst, 2)
	if keyer != nil {
		v = collated(v, keyer)
	}
	return keystring.AppendValue(dst, v, false)
}

// collated replaces the strings in v by their collation keys, so that
// strings the collation equates encode alike.
func collated(v bson.RawValue, keyer collationKeyer) bson.RawValue {
	switch v.Type {
	case bson.TypeString:
		return stringValue(string(keyer.Key(v.StringValue())))
	case bson.TypeSymbol:
		s, _ := v.SymbolOK()
		return stringValue(string(keyer.Key(s)))
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		b := bsonx.NewBuilder()
		elems, _ := bson.Raw(v.Value).Elements()
		for _, e := range elems {
			b.AppendRaw(e.Key(), collated(e.Value(), keyer))
		}
		return bson.RawValue{Type: v.Type, Value: b.Finish()}
	}
	return v
}

func stringValue(s string) bson.RawValue {
	b := bsonx.NewBuilder()
	b.AppendString("s", s)
	return b.Finish().Lookup("s")
}

// groupOverhead approximates what one group costs beyond its key and
// accumulators (the table entry, the slices).
const groupOverhead = 128

// group is one group being accumulated.
type group struct {
	key  string
	id   bson.RawValue
	accs []expr.GroupAccumulator
	mem  int64
}

func (g *groupSpec) build(in exec.Stage, env *Env) (exec.Stage, error) {
	return &groupStage{in: in, spec: g, env: env, keyer: keyerOf(g.ec)}, nil
}

// groupStage runs a $group.
type groupStage struct {
	in    exec.Stage
	spec  *groupSpec
	env   *Env
	keyer collationKeyer

	groups map[string]*group
	order  []*group
	mem    int64
	spill  *groupSpiller

	loaded bool
	pos    int
	out    groupOutput
}

// groupOutput yields the finished groups.
type groupOutput interface {
	next() (bson.Raw, bool, error)
}

func (g *groupStage) Next(ctx context.Context) (bson.Raw, bool, error) {
	if !g.loaded {
		g.loaded = true
		if err := g.load(ctx); err != nil {
			g.release()
			return nil, false, err
		}
	}
	if g.out == nil {
		return nil, false, nil
	}
	if g.pos++; g.pos%256 == 0 {
		if err := exec.Interrupted(ctx); err != nil {
			return nil, false, err
		}
	}
	doc, ok, err := g.out.next()
	if err != nil || !ok {
		g.release()
		return nil, false, err
	}
	return doc, true, nil
}

func (g *groupStage) load(ctx context.Context) error {
	g.groups = map[string]*group{}
	n := 0
	for {
		doc, ok, err := g.in.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if n++; n%256 == 0 {
			if err := exec.Interrupted(ctx); err != nil {
				return err
			}
		}
		if err := g.add(doc); err != nil {
			return err
		}
		if g.env.MemLimit > 0 && g.mem > g.env.MemLimit {
			if !g.env.AllowDiskUse {
				return mongoerr.New(mongoerr.QueryExceededMemoryLimitNoDiskUseAllowed,
					"Exceeded memory limit for $group, but didn't allow external sort. Pass allowDiskUse:true to opt in.")
			}
			if err := g.spillGroups(); err != nil {
				return err
			}
		}
	}
	if g.spill == nil {
		g.out = &memGroupOutput{g: g}
		return nil
	}
	if len(g.order) > 0 {
		if err := g.spillGroups(); err != nil {
			return err
		}
	}
	out, err := g.spill.merge(g)
	if err != nil {
		return err
	}
	g.out = out
	return nil
}

// add folds doc into its group.
func (g *groupStage) add(doc bson.Raw) error {
	id, enc, err := g.spec.groupKey(doc, g.keyer)
	if err != nil {
		return err
	}
	gr := g.groups[string(enc)]
	if gr == nil {
		if gr, err = g.newGroup(string(enc), cloneValue(id)); err != nil {
			return err
		}
		g.groups[gr.key] = gr
		g.order = append(g.order, gr)
		g.mem += gr.mem
	}
	var size int64
	for i, a := range g.spec.accs {
		v, err := a.Input(g.spec.ec, doc)
		if err != nil {
			return err
		}
		if err := gr.accs[i].Accumulate(v); err != nil {
			return err
		}
		size += gr.accs[i].MemSize()
	}
	size += groupOverhead + int64(len(gr.key)+len(gr.id.Value))
	g.mem += size - gr.mem
	gr.mem = size
	return nil
}

// newGroup makes a group with fresh accumulators.
func (g *groupStage) newGroup(key string, id bson.RawValue) (*group, error) {
	gr := &group{key: key, id: id, accs: make([]expr.GroupAccumulator, len(g.spec.accs))}
	gr.mem = groupOverhead + int64(len(key)+len(id.Value))
	for i, a := range g.spec.accs {
		acc, err := a.NewGroup(g.spec.ec, id)
		if err != nil {
			return nil, err
		}
		gr.accs[i] = acc
		gr.mem += acc.MemSize()
	}
	return gr, nil
}

// result is a finished group's output document: _id, then the fields
// in specification order (a missing result is null).
func (g *groupSpec) result(gr *group) bson.Raw {
	b := bsonx.NewBuilder()
	b.AppendRaw("_id", gr.id)
	for i, f := range g.fields {
		v := gr.accs[i].Result()
		if v.Type == 0 {
			v = bson.RawValue{Type: bson.TypeNull}
		}
		b.AppendRaw(f, v)
	}
	return b.Finish()
}

// memGroupOutput streams the in-memory groups in order of first
// appearance, dropping each once output.
type memGroupOutput struct {
	g   *groupStage
	pos int
}

func (o *memGroupOutput) next() (bson.Raw, bool, error) {
	if o.pos >= len(o.g.order) {
		return nil, false, nil
	}
	gr := o.g.order[o.pos]
	o.g.order[o.pos] = nil
	o.pos++
	return o.g.spec.result(gr), true, nil
}

// release drops the groups and removes spill files.
func (g *groupStage) release() {
	g.groups, g.order, g.out = nil, nil, nil
	if g.spill != nil {
		g.spill.close()
		g.spill = nil
	}
}

func (g *groupStage) Close() {
	g.release()
	g.in.Close()
}

func cloneValue(v bson.RawValue) bson.RawValue {
	return bson.RawValue{Type: v.Type, Value: append([]byte(nil), v.Value...)}
}
