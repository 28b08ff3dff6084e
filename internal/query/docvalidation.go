package query

import (
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// maxConsideredValues is how many of the values a path reaches an
// explanation lists (mongod's internalQueryMaxDocValidationErrorConsideredValues).
const maxConsideredValues = 10

// ValidationDetails explains why doc fails the filter used as a
// collection validator: the "details" document of a
// DocumentValidationFailure's errInfo, shaped as mongod 8.0 shapes it
// (src/mongo/db/matcher/doc_validation_error.cpp):
//
//   - a logical operator reports the clauses that decided the outcome,
//     {operatorName: "$and", clausesNotSatisfied: [{index, details}, …]};
//     a filter document with several clauses is an implicit $and, one with a
//     single clause is that clause;
//   - a leaf reports {operatorName, specifiedAs: {<path>: <operator as
//     written>}, reason, consideredValue(s)} with the values its path reached;
//   - $expr reports its expressionResult, $jsonSchema the schema rules the
//     document breaks (jsonschema.Schema.Explain).
//
// Under $not and $nor the sense is inverted: a clause that matched is
// explained, with the reason saying so ("comparison succeeded").
// ValidationDetails is meant for a document the filter does not match.
func (f *Filter) ValidationDetails(doc bson.Raw) bson.Raw {
	empty := bson.Raw{5, 0, 0, 0, 0}
	if f == nil || len(f.spec) <= 5 {
		return empty
	}
	// The validator is parsed again in mongod's shape. A validator's Filter
	// is shared by every writer of the collection, and parsing $expr writes
	// to its expression scope, so this parse gets a scope of its own (a
	// validator has no let variables to carry over).
	opts := Options{Collator: f.opts.Collator}
	b := &vbuilder{p: &parser{opts: &opts}}
	root, err := b.doc(f.spec, levelTop)
	if err != nil {
		return empty
	}
	g := &explainer{doc: doc}
	out := g.explain(root, false)
	if out == nil {
		return empty
	}
	return out
}

// explainer explains one document.
type explainer struct{ doc bson.Raw }

// matches evaluates n, reporting an expression's evaluation error.
func (g *explainer) matches(n *vnode) (ok bool, err error) {
	defer catchEval(&err)
	return g.match(n), nil
}

func (g *explainer) match(n *vnode) bool {
	switch n.op {
	case vAnd:
		for _, k := range n.kids {
			if !g.match(k) {
				return false
			}
		}
		return true
	case vOr, vNor:
		for _, k := range n.kids {
			if g.match(k) {
				return n.op == vOr
			}
		}
		return n.op == vNor
	case vNot:
		return !g.match(n.kids[0])
	case vAlways:
		return n.always
	case vExpr:
		return n.expr.match(g.doc, nil)
	case vSample:
		return n.sample.match(g.doc, nil)
	case vSchema:
		return n.schema.Matches(g.doc)
	}
	return n.test.match(g.doc, nil)
}

// explained reports whether a clause of a logical operator is part of the
// explanation: in the normal sense the clauses that failed, in the
// inverted sense those that matched, and always one whose expression could
// not be evaluated.
func (g *explainer) explained(n *vnode, inverted bool) bool {
	ok, err := g.matches(n)
	return err != nil || ok == inverted
}

// explain explains n, which failed (inverted: matched); nil when it has
// nothing to say.
func (g *explainer) explain(n *vnode, inverted bool) bson.Raw {
	switch n.op {
	case vAnd, vOr, vNor:
		return g.logical(n, inverted)
	case vNot:
		d := g.explain(n.kids[0], !inverted)
		if n.name == "" {
			return d
		}
		var b bsonx.Builder
		b.Start()
		b.AppendString("operatorName", n.name)
		if d != nil {
			b.AppendDocument("details", d)
		}
		return b.Finish()
	case vSchema:
		if !inverted {
			return n.schema.Explain(g.doc)
		}
		// mongod does not say which rules a matching schema satisfied.
		var b bsonx.Builder
		b.Start()
		b.AppendString("operatorName", "$jsonSchema")
		b.AppendString("reason", "schema matched")
		return b.Finish()
	}
	var b bsonx.Builder
	b.Start()
	b.AppendString("operatorName", n.name)
	b.AppendDocument("specifiedAs", n.spec)
	reason := func(normal, inv string) {
		if inverted {
			b.AppendString("reason", inv)
		} else {
			b.AppendString("reason", normal)
		}
	}
	switch n.op {
	case vPath:
		vals, present, truncated := considered(g.doc, n.path, !n.leaf.whole)
		switch {
		case !present:
			b.AppendString("reason", "field was missing")
		case n.leaf.types != nil && !anyOfTypes(vals, n.leaf.types):
			b.AppendString("reason", "type did not match")
			appendTypes(&b, "consideredType", valueTypes(vals))
			appendTypes(&b, "expectedType", n.leaf.types)
		default:
			reason(n.leaf.normal, n.leaf.inverted)
		}
		if present {
			appendConsidered(&b, vals, truncated)
		}
	case vAll:
		vals, present, truncated := considered(g.doc, n.path, false)
		if !present {
			b.AppendString("reason", "field was missing")
			break
		}
		reason(n.leaf.normal, n.leaf.inverted)
		appendConsidered(&b, vals, truncated)
	case vType:
		vals, present, truncated := considered(g.doc, n.path, true)
		if !present {
			b.AppendString("reason", "field was missing")
			break
		}
		reason("type did not match", "type did match")
		appendConsidered(&b, vals, truncated)
		appendTypes(&b, "consideredType", valueTypes(vals))
	case vExists:
		reason("path does not exist", "path does exist")
	case vAlways:
		reason("expression always evaluates to false", "expression always evaluates to true")
	case vExpr:
		v, err := n.expr.e.Eval(n.expr.ec, g.doc)
		if err != nil {
			me := mongoerr.As(err)
			b.AppendString("reason", "failed to evaluate aggregation expression")
			var d bsonx.Builder
			d.Start()
			d.AppendInt32("code", int32(me.Code))
			d.AppendString("codeName", me.Code.Name())
			d.AppendString("errmsg", me.Message)
			b.AppendDocument("details", d.Finish())
			break
		}
		reason("expression did not match", "expression did match")
		if v.Type != 0 { // a missing result adds nothing, as in mongod
			b.AppendRaw("expressionResult", v)
		}
	case vSample:
		// mongod evaluates $sampleRate as an expression; its result is
		// what decided the outcome.
		reason("expression did not match", "expression did match")
		b.AppendBool("expressionResult", inverted)
	}
	return b.Finish()
}

// logical explains $and, $or and $nor: the clauses that decided the
// outcome, each with its position.
func (g *explainer) logical(n *vnode, inverted bool) bson.Raw {
	// $nor explains its clauses in the inverted sense, like $not.
	kidsInverted := inverted != (n.op == vNor)
	// A failed $and (a matched $or, a failed $nor) is explained by some of
	// its clauses, which must be told apart; the others by all of them.
	selective := n.op == vAnd && !inverted || n.op == vOr && inverted || n.op == vNor && !inverted
	if n.name == "" {
		// The one-clause conjunction under $not: its clause speaks.
		if selective && !g.explained(n.kids[0], kidsInverted) {
			return nil
		}
		return g.explain(n.kids[0], kidsInverted)
	}
	var a bsonx.Builder
	a.Start()
	for i, k := range n.kids {
		if selective && !g.explained(k, kidsInverted) {
			continue
		}
		d := g.explain(k, kidsInverted)
		if d == nil {
			continue
		}
		var e bsonx.Builder
		e.Start()
		e.AppendInt32("index", int32(i))
		e.AppendDocument("details", d)
		a.AppendDocument(a.NextKey(), e.Finish())
	}
	key := "clausesNotSatisfied"
	if kidsInverted && n.op == vNor || inverted && n.op != vNor {
		key = "clausesSatisfied"
	}
	var b bsonx.Builder
	b.Start()
	b.AppendString("operatorName", n.name)
	b.AppendArray(key, a.Finish())
	return b.Finish()
}

// considered returns the values path reaches in doc as mongod lists them
// in an explanation: arrays at the end of the path element by element
// (omitArrays) or whole, at most maxConsideredValues of them (truncated
// says there were more), stopping where the path is missing. present
// reports whether the path exists at all; an empty array is there with no
// values.
func considered(doc bson.Raw, path fieldPath, omitArrays bool) (vals []bson.RawValue, present, truncated bool) {
	first := true
	path.walk(doc, false, func(v bson.RawValue, _ int) bool {
		if first {
			present, first = v.Type != 0, false
		}
		if v.Type == 0 {
			return true
		}
		add := func(x bson.RawValue) bool {
			if len(vals) == maxConsideredValues {
				truncated = true
				return true
			}
			vals = append(vals, x)
			return false
		}
		if omitArrays && v.Type == bson.TypeArray {
			return forEach(v.Value, func(_ int, _ []byte, e bson.RawValue) bool { return add(e) })
		}
		return add(v)
	})
	return vals, present || len(vals) > 0, truncated
}

// appendConsidered appends one value as consideredValue and any other
// number of them as the array consideredValues.
func appendConsidered(b *bsonx.Builder, vals []bson.RawValue, truncated bool) {
	if len(vals) == 1 {
		b.AppendRaw("consideredValue", vals[0])
	} else {
		var a bsonx.Builder
		a.Start()
		for _, v := range vals {
			a.AppendRaw(a.NextKey(), v)
		}
		b.AppendArray("consideredValues", a.Finish())
	}
	if truncated {
		b.AppendBool("consideredValuesTruncated", true)
	}
}

func anyOfTypes(vals []bson.RawValue, types []bson.Type) bool {
	for _, v := range vals {
		if slices.Contains(types, v.Type) {
			return true
		}
	}
	return false
}

func valueTypes(vals []bson.RawValue) []bson.Type {
	ts := make([]bson.Type, 0, len(vals))
	for _, v := range vals {
		ts = append(ts, v.Type)
	}
	return ts
}

// appendTypes appends the distinct names of types in byte order, as key
// when there is one and as the array key+"s" when there are several.
func appendTypes(b *bsonx.Builder, key string, types []bson.Type) {
	var names []string
	for _, t := range types {
		names = append(names, bsonx.TypeName(t))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	switch len(names) {
	case 0:
	case 1:
		b.AppendString(key, names[0])
	default:
		var a bsonx.Builder
		a.Start()
		for _, n := range names {
			a.AppendString(a.NextKey(), n)
		}
		b.AppendArray(key+"s", a.Finish())
	}
}

// wrap is the one-field document {key: v}.
func wrap(key string, v bson.RawValue) bson.Raw {
	var b bsonx.Builder
	b.Start()
	b.AppendRaw(key, v)
	return b.Finish()
}

func docValue(d bson.Raw) bson.RawValue {
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: d}
}
