package pipeline

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/keystring"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(map[string]stageDef{"$group": {parse: parseGroup}})
}

type accumulator struct {
	field string
	op    string
	arg   expr.Expr
}

type groupSpec struct {
	id   expr.Expr
	accs []accumulator
	ec   *expr.EvalContext
}

func parseGroup(_ string, v bson.RawValue, p *parser) (stage, error) {
	d, ok := v.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.Location15947, "a group's fields must be specified in an object")
	}
	g := &groupSpec{ec: p.scope.Eval}
	elems, _ := d.Elements()
	hasID := false
	for _, e := range elems {
		if e.Key() == "_id" {
			id, err := p.expr(e.Value())
			if err != nil {
				return nil, err
			}
			g.id, hasID = id, true
			continue
		}
		spec, ok := e.Value().DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.Location40234, "The field '%s' must be an accumulator object", e.Key())
		}
		ae, _ := spec.Elements()
		if len(ae) != 1 {
			return nil, mongoerr.Newf(mongoerr.Location40238, "The field '%s' must specify one accumulator", e.Key())
		}
		op := ae[0].Key()
		switch op {
		case "$sum", "$avg", "$min", "$max", "$first", "$last", "$push", "$addToSet", "$count":
		default:
			return nil, mongoerr.Newf(mongoerr.NotImplemented, "the accumulator %s is not supported by SecantusDB yet", op)
		}
		arg, err := p.expr(ae[0].Value())
		if op == "$count" {
			arg, err = p.expr(bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}})
			op = "$sum"
		}
		if err != nil {
			return nil, err
		}
		g.accs = append(g.accs, accumulator{field: e.Key(), op: op, arg: arg})
	}
	if !hasID {
		return nil, mongoerr.New(mongoerr.Location15955, "a group specification must include an _id")
	}
	return g, nil
}

// groupState accumulates one group.
type groupState struct {
	id   bson.RawValue
	accs []accState
}

type accState struct {
	acc  expr.Accumulator // $sum, $avg, $min, $max
	val  bson.RawValue
	has  bool
	list []bson.RawValue
}

func (g *groupSpec) build(in exec.Stage, _ *Env) (exec.Stage, error) {
	return &groupStage{in: in, spec: g}, nil
}

type groupStage struct {
	in     exec.Stage
	spec   *groupSpec
	out    []*groupState
	pos    int
	loaded bool
}

func (g *groupStage) Next(ctx context.Context) (bson.Raw, bool, error) {
	if !g.loaded {
		g.loaded = true
		if err := g.load(ctx); err != nil {
			return nil, false, err
		}
	}
	if g.pos >= len(g.out) {
		return nil, false, nil
	}
	st := g.out[g.pos]
	g.pos++
	b := bsoncore.NewDocumentBuilder()
	b.AppendValue("_id", bsoncore.Value{Type: bsoncore.Type(st.id.Type), Data: st.id.Value})
	for i, a := range g.spec.accs {
		appendResult(b, a, &st.accs[i])
	}
	return bson.Raw(b.Build()), true, nil
}

func (g *groupStage) load(ctx context.Context) error {
	groups := map[string]*groupState{}
	for {
		doc, ok, err := g.in.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		id, err := g.spec.id.Eval(g.spec.ec, doc)
		if err != nil {
			return err
		}
		if id.Type == 0 {
			id = bson.RawValue{Type: bson.TypeNull}
		}
		key := string(keystring.AppendValue(nil, id, false))
		st := groups[key]
		if st == nil {
			st = &groupState{id: bson.RawValue{Type: id.Type, Value: append([]byte(nil), id.Value...)}, accs: make([]accState, len(g.spec.accs))}
			for i, a := range g.spec.accs {
				st.accs[i].acc = expr.NewAccumulator(a.op, g.spec.ec)
			}
			groups[key] = st
			g.out = append(g.out, st)
		}
		for i, a := range g.spec.accs {
			v, err := a.arg.Eval(g.spec.ec, doc)
			if err != nil {
				return err
			}
			accumulate(a.op, &st.accs[i], v, v.Type != 0)
		}
	}
}

func accumulate(op string, s *accState, v bson.RawValue, ok bool) {
	switch op {
	case "$sum", "$avg", "$min", "$max":
		if !ok {
			v = bson.RawValue{}
		}
		s.acc.Add(v)
	case "$first":
		if !s.has {
			s.has = true
			if ok {
				s.val = cloneValue(v)
			} else {
				s.val = bson.RawValue{Type: bson.TypeNull}
			}
		}
	case "$last":
		s.has = true
		if ok {
			s.val = cloneValue(v)
		} else {
			s.val = bson.RawValue{Type: bson.TypeNull}
		}
	case "$push":
		if ok {
			s.list = append(s.list, cloneValue(v))
		}
	case "$addToSet":
		if !ok {
			return
		}
		for _, x := range s.list {
			if bsonx.Compare(x, v) == 0 {
				return
			}
		}
		s.list = append(s.list, cloneValue(v))
	}
}

func cloneValue(v bson.RawValue) bson.RawValue {
	return bson.RawValue{Type: v.Type, Value: append([]byte(nil), v.Value...)}
}

func appendResult(b *bsoncore.DocumentBuilder, a accumulator, s *accState) {
	switch a.op {
	case "$sum", "$avg", "$min", "$max":
		r := s.acc.Result()
		b.AppendValue(a.field, bsoncore.Value{Type: bsoncore.Type(r.Type), Data: r.Value})
	case "$first", "$last":
		if !s.has {
			b.AppendNull(a.field)
			return
		}
		b.AppendValue(a.field, bsoncore.Value{Type: bsoncore.Type(s.val.Type), Data: s.val.Value})
	case "$push", "$addToSet":
		arr := bsoncore.NewArrayBuilder()
		for _, v := range s.list {
			arr.AppendValue(bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
		}
		b.AppendArray(a.field, arr.Build())
	}
}

func (g *groupStage) Close() { g.in.Close() }
