package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// arrayLiteral is [<expr>, …]; a missing element becomes null, as in
// mongod, so that positions are kept.
type arrayLiteral struct{ elems []Expr }

func parseArrayLiteral(v bson.RawValue, pc *ParseContext) (Expr, error) {
	vals, err := bson.Raw(v.Value).Values()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	a := arrayLiteral{elems: make([]Expr, len(vals))}
	allConst := true
	for i, e := range vals {
		if a.elems[i], err = Parse(e, pc); err != nil {
			return nil, err
		}
		if _, ok := a.elems[i].(constant); !ok {
			allConst = false
		}
	}
	if allConst {
		// Constants evaluate to themselves, so the input array is its own
		// value; keeping it constant lets callers see a literal.
		return constant{v}, nil
	}
	return a, nil
}

func (a arrayLiteral) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	vals := make([]bson.RawValue, len(a.elems))
	for i, e := range a.elems {
		v, err := e.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if v.Type == 0 {
			v = nullValue
		}
		vals[i] = v
	}
	return arrayValue(vals), nil
}

// objectLiteral is {name: <expr>, …}; fields whose value is missing are
// left out of the result.
type objectLiteral struct {
	names []string
	exprs []Expr
}

func parseObjectLiteral(doc bson.Raw, elems []bson.RawElement, pc *ParseContext) (Expr, error) {
	o := objectLiteral{}
	seen := make(map[string]bool, len(elems))
	for _, el := range elems {
		name := el.Key()
		if err := validateFieldName(name); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, mongoerr.Newf(mongoerr.Location16406, "duplicate field name specified in object literal: %s",
				bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}))
		}
		seen[name] = true
		e, err := Parse(el.Value(), pc)
		if err != nil {
			return nil, err
		}
		o.names = append(o.names, name)
		o.exprs = append(o.exprs, e)
	}
	return o, nil
}

func (o objectLiteral) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i, e := range o.exprs {
		v, err := e.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if v.Type == 0 {
			continue
		}
		dst = bsoncore.AppendValueElement(dst, o.names[i], toCore(v))
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: dst}, nil
}
