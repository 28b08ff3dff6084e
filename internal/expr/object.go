package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// fieldOp is $getField / $setField / $unsetField: they address a field by
// its literal name, so names with dots or a leading $ can be read and
// written (the MongoDB 5.0+ way to handle such fields).
type fieldOp struct {
	name  string
	field string
	input Expr // nil: $$CURRENT
	value Expr // $setField only
	unset bool
}

func parseFieldOp(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	op := &fieldOp{name: name, unset: name == "$unsetField"}
	var fieldArg bson.RawValue
	if d, ok := args.DocumentOK(); ok && name != "$getField" || args.Type == bson.TypeEmbeddedDocument && hasKey(args.Document(), "field") {
		d = args.Document()
		elems, _ := d.Elements()
		for _, e := range elems {
			var err error
			switch e.Key() {
			case "field":
				fieldArg = e.Value()
			case "input":
				if op.input, err = Parse(e.Value(), pc); err != nil {
					return nil, err
				}
			case "value":
				if name != "$setField" {
					return nil, mongoerr.Newf(mongoerr.Code(3041701), "%s found an unknown argument: value", name)
				}
				if op.value, err = Parse(e.Value(), pc); err != nil {
					return nil, err
				}
			default:
				return nil, mongoerr.Newf(mongoerr.Code(3041701), "%s found an unknown argument: %s", name, e.Key())
			}
		}
		if fieldArg.Type == 0 {
			return nil, mongoerr.Newf(mongoerr.Code(3041702), "%s requires 'field' to be specified", name)
		}
		if name != "$getField" && op.input == nil {
			return nil, mongoerr.Newf(mongoerr.Code(4161102), "%s requires 'input' to be specified", name)
		}
		if name == "$setField" && op.value == nil {
			return nil, mongoerr.Newf(mongoerr.Code(4161103), "%s requires 'value' to be specified", name)
		}
	} else {
		fieldArg = args // $getField: "<name>"
	}
	// The field must be a constant string: a literal or {$literal: "..."}.
	fromLiteral := false
	if d, ok := fieldArg.DocumentOK(); ok {
		if lit, err := d.LookupErr("$literal"); err == nil && len(mustElements(d)) == 1 {
			fieldArg, fromLiteral = lit, true
		}
	}
	s, ok := fieldArg.StringValueOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Code(4161106), "%s requires 'field' to evaluate to type String, but got %s", name, typeName(fieldArg))
	}
	if len(s) > 0 && s[0] == '$' && !fromLiteral {
		return nil, mongoerr.Newf(mongoerr.Code(4161108), "A string that starts with a '$' must be wrapped in $literal for %s", name)
	}
	op.field = s
	return op, nil
}

func hasKey(d bson.Raw, k string) bool {
	_, err := d.LookupErr(k)
	return err == nil
}

func mustElements(d bson.Raw) []bson.RawElement {
	e, _ := d.Elements()
	return e
}

func (op *fieldOp) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	input := bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}
	if op.input != nil {
		v, err := op.input.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		input = v
	}
	if input.Type == 0 || input.Type == bson.TypeNull || input.Type == bson.TypeUndefined {
		if op.name == "$getField" {
			return bson.RawValue{}, nil
		}
		return nullValue, nil
	}
	in, ok := input.DocumentOK()
	if !ok {
		if op.name == "$getField" {
			return bson.RawValue{}, nil
		}
		return bson.RawValue{}, mongoerr.Newf(mongoerr.Code(4161105), "%s requires 'input' to evaluate to type Object", op.name)
	}
	if op.name == "$getField" {
		v, err := in.LookupErr(op.field)
		if err != nil {
			return bson.RawValue{}, nil
		}
		return v, nil
	}
	var val bson.RawValue
	if !op.unset {
		v, err := op.value.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		val = v
	}
	// Rebuild input with the field replaced in place, appended, or
	// dropped (unset, or a value of $$REMOVE).
	b := bsoncore.NewDocumentBuilder()
	found := false
	elems, _ := in.Elements()
	for _, e := range elems {
		if e.Key() != op.field {
			b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
			continue
		}
		found = true
		if val.Type != 0 {
			b.AppendValue(op.field, bsoncore.Value{Type: bsoncore.Type(val.Type), Data: val.Value})
		}
	}
	if !found && val.Type != 0 {
		b.AppendValue(op.field, bsoncore.Value{Type: bsoncore.Type(val.Type), Data: val.Value})
	}
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: b.Build()}, nil
}
