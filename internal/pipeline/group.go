package pipeline

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/keystring"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// operand is a constant or a field path ("$a.b").
type operand struct {
	path  string
	value bson.RawValue
	// fields of a document operand ({k: "$a", ...}); nil otherwise
	fields []string
	subs   []operand
}

func parseOperand(v bson.RawValue) (operand, error) {
	if s, ok := v.StringValueOK(); ok && strings.HasPrefix(s, "$") {
		if strings.HasPrefix(s, "$$") {
			return operand{}, mongoerr.New(mongoerr.NotImplemented, "aggregation variables are not supported by SecantusDB yet")
		}
		return operand{path: s[1:]}, nil
	}
	if d, ok := v.DocumentOK(); ok {
		elems, _ := d.Elements()
		o := operand{}
		for _, e := range elems {
			if strings.HasPrefix(e.Key(), "$") {
				return operand{}, mongoerr.Newf(mongoerr.NotImplemented, "the expression %s is not supported by SecantusDB yet", e.Key())
			}
			sub, err := parseOperand(e.Value())
			if err != nil {
				return operand{}, err
			}
			o.fields = append(o.fields, e.Key())
			o.subs = append(o.subs, sub)
		}
		if o.fields == nil {
			o.value = v
		}
		return o, nil
	}
	if v.Type == bson.TypeArray {
		return operand{}, mongoerr.New(mongoerr.NotImplemented, "array expressions are not supported by SecantusDB yet")
	}
	return operand{value: v}, nil
}

// eval evaluates the operand against doc; ok is false when a field path
// is missing.
func (o operand) eval(doc bson.Raw) (bson.RawValue, bool) {
	if o.fields != nil {
		b := bsoncore.NewDocumentBuilder()
		for i, f := range o.fields {
			if v, ok := o.subs[i].eval(doc); ok {
				b.AppendValue(f, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
			}
		}
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: b.Build()}, true
	}
	if o.path == "" {
		return o.value, true
	}
	return fieldPath(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, strings.Split(o.path, "."))
}

// fieldPath follows an aggregation field path: through an array it maps
// over the elements, giving an array of the values found.
func fieldPath(v bson.RawValue, parts []string) (bson.RawValue, bool) {
	if len(parts) == 0 {
		return v, true
	}
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		next, err := bson.Raw(v.Value).LookupErr(parts[0])
		if err != nil {
			return bson.RawValue{}, false
		}
		return fieldPath(next, parts[1:])
	case bson.TypeArray:
		arr := bsoncore.NewArrayBuilder()
		vals, _ := bson.Raw(v.Value).Values()
		for _, e := range vals {
			if r, ok := fieldPath(e, parts); ok && (e.Type == bson.TypeEmbeddedDocument || e.Type == bson.TypeArray) {
				arr.AppendValue(bsoncore.Value{Type: bsoncore.Type(r.Type), Data: r.Value})
			}
		}
		return bson.RawValue{Type: bson.TypeArray, Value: arr.Build()}, true
	}
	return bson.RawValue{}, false
}

type accumulator struct {
	field string
	op    string
	arg   operand
}

type groupSpec struct {
	id   operand
	accs []accumulator
	ec   *expr.EvalContext // collation for the accumulators
}

func parseGroup(v bson.RawValue, opts query.Options) (*groupSpec, error) {
	d, ok := v.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.Location15947, "a group's fields must be specified in an object")
	}
	g := &groupSpec{ec: expr.NewEvalContext()}
	if opts.Collator != nil {
		g.ec.Collator = opts.Collator
	}
	elems, _ := d.Elements()
	hasID := false
	for _, e := range elems {
		if e.Key() == "_id" {
			id, err := parseOperand(e.Value())
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
		arg, err := parseOperand(ae[0].Value())
		if op == "$count" {
			arg, err = operand{value: bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}}}, nil
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
		id, ok := g.spec.id.eval(doc)
		if !ok {
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
			v, ok := a.arg.eval(doc)
			accumulate(a.op, &st.accs[i], v, ok)
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

type unwindSpec struct {
	path      string
	indexName string
	preserve  bool
}

func parseUnwind(v bson.RawValue) (unwindSpec, error) {
	var u unwindSpec
	if s, ok := v.StringValueOK(); ok {
		u.path = s
	} else if d, ok := v.DocumentOK(); ok {
		elems, _ := d.Elements()
		for _, e := range elems {
			switch e.Key() {
			case "path":
				u.path, _ = e.Value().StringValueOK()
			case "includeArrayIndex":
				u.indexName, _ = e.Value().StringValueOK()
			case "preserveNullAndEmptyArrays":
				u.preserve, _ = e.Value().BooleanOK()
			default:
				return u, mongoerr.Newf(mongoerr.Location28811, "unrecognized option to $unwind stage: %s", e.Key())
			}
		}
	} else {
		return u, mongoerr.New(mongoerr.Location15981, "expected either a string or an object as specification for $unwind stage")
	}
	if !strings.HasPrefix(u.path, "$") || len(u.path) < 2 {
		return u, mongoerr.New(mongoerr.Location28818, "path option to $unwind stage should be prefixed with a '$'")
	}
	u.path = u.path[1:]
	if strings.Contains(u.path, ".") || u.indexName != "" {
		return u, mongoerr.New(mongoerr.NotImplemented, "$unwind of dotted paths or with includeArrayIndex is not supported by SecantusDB yet")
	}
	return u, nil
}

type unwindStage struct {
	in      exec.Stage
	spec    unwindSpec
	pending []bson.Raw
}

func (u *unwindStage) Next(ctx context.Context) (bson.Raw, bool, error) {
	for len(u.pending) == 0 {
		doc, ok, err := u.in.Next(ctx)
		if !ok || err != nil {
			return nil, ok, err
		}
		v, err := doc.LookupErr(u.spec.path)
		switch {
		case err != nil || v.Type == bson.TypeNull:
			if u.spec.preserve {
				return doc, true, nil
			}
		case v.Type == bson.TypeArray:
			vals, _ := bson.Raw(v.Value).Values()
			if len(vals) == 0 && u.spec.preserve {
				u.pending = append(u.pending, replaceField(doc, u.spec.path, nil))
			}
			for i := range vals {
				u.pending = append(u.pending, replaceField(doc, u.spec.path, &vals[i]))
			}
		default:
			return doc, true, nil
		}
	}
	d := u.pending[0]
	u.pending = u.pending[1:]
	return d, true, nil
}

// replaceField returns doc with field set to v in place (removed when v
// is nil).
func replaceField(doc bson.Raw, field string, v *bson.RawValue) bson.Raw {
	b := bsoncore.NewDocumentBuilder()
	elems, _ := doc.Elements()
	for _, e := range elems {
		if e.Key() == field {
			if v != nil {
				b.AppendValue(field, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
			}
			continue
		}
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
	}
	return bson.Raw(b.Build())
}

func (u *unwindStage) Close() { u.in.Close() }
