package pipeline

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// $fill is, as in mongod, sugar: the fields filled by a method become a
// $setWindowFields with $locf / $linearFill over the field itself, the
// fields filled with a value an $addFields of {$ifNull: [field, value]}.

func init() {
	register(map[string]stageDef{"$fill": {parse: parseFill}})
}

func parseFill(name string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "The %s stage specification must be an object, found %s", name, typeName(arg))
	}
	var partitionBy, partitionByFields, sortBy, output bson.RawValue
	elems, err := d.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "partitionBy":
			if v.Type != bson.TypeString && v.Type != bson.TypeEmbeddedDocument {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$fill.partitionBy' is the wrong type '%s', expected types '[string, object]'", typeName(v))
			}
			partitionBy = v
		case "partitionByFields":
			if v.Type != bson.TypeArray {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$fill.partitionByFields' is the wrong type '%s', expected type 'array'", typeName(v))
			}
			vals, _ := bson.Raw(v.Value).Values()
			for _, f := range vals {
				if f.Type != bson.TypeString {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$fill.partitionByFields' is the wrong type '%s', expected type 'string'", typeName(f))
				}
			}
			partitionByFields = v
		case "sortBy":
			if v.Type != bson.TypeEmbeddedDocument {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$fill.sortBy' is the wrong type '%s', expected type 'object'", typeName(v))
			}
			sortBy = v
		case "output":
			if v.Type != bson.TypeEmbeddedDocument {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$fill.output' is the wrong type '%s', expected type 'object'", typeName(v))
			}
			output = v
		default:
			return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$fill.%s' is an unknown field.", e.Key())
		}
	}
	if output.Type == 0 {
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field '$fill.output' is missing but a required field")
	}
	outElems, _ := output.Document().Elements()
	if len(outElems) == 0 {
		return nil, mongoerr.New(mongoerr.Location6050203, "The output field in '$fill' must contain an object with at least one element")
	}
	windowOut := bsonx.NewBuilder()
	addFields := bsonx.NewBuilder()
	needWindow, needAdd := false, false
	for _, e := range outElems {
		field := e.Key()
		spec, ok := e.Value().DocumentOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.Location6050200, "Each fill output specification must be an object with exactly one field")
		}
		var method, value bson.RawValue
		specElems, _ := spec.Elements()
		for _, se := range specElems {
			switch se.Key() {
			case "method":
				if se.Value().Type != bson.TypeString {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$fill.method' is the wrong type '%s', expected type 'string'", typeName(se.Value()))
				}
				method = se.Value()
			case "value":
				value = se.Value()
			default:
				return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$fill.%s' is an unknown field.", se.Key())
			}
		}
		if method.Type != 0 {
			if value.Type != 0 {
				return nil, mongoerr.New(mongoerr.Location6050201, "Each fill output specification must have exactly one of 'method' or 'value' fields, not both")
			}
			var fn string
			switch method.StringValue() {
			case "locf":
				fn = "$locf"
			case "linear":
				fn = "$linearFill"
			default:
				return nil, mongoerr.New(mongoerr.Location6050202, "Method must be either locf or linear")
			}
			f := bsonx.NewBuilder()
			f.AppendString(fn, "$"+field)
			windowOut.AppendDocument(field, f.Finish())
			needWindow = true
		}
		if value.Type != 0 {
			arr := bsonx.NewArrayBuilder()
			arr.AppendString(arr.NextKey(), "$"+field)
			arr.AppendRaw(arr.NextKey(), value)
			f := bsonx.NewBuilder()
			f.AppendArray("$ifNull", arr.Finish())
			addFields.AppendDocument(field, f.Finish())
			needAdd = true
		}
	}
	swf := bsonx.NewBuilder()
	swf.AppendDocument("output", windowOut.Finish())
	if sortBy.Type != 0 {
		swf.AppendRaw("sortBy", sortBy)
	}
	if partitionBy.Type != 0 {
		if partitionByFields.Type != 0 {
			return nil, mongoerr.New(mongoerr.Location6050204, "Maximum one of 'partitionBy' and 'partitionByFields can be specified in '$fill'")
		}
		swf.AppendRaw("partitionBy", partitionBy)
	}
	if partitionByFields.Type != 0 {
		pb := bsonx.NewBuilder()
		vals, _ := bson.Raw(partitionByFields.Value).Values()
		for _, f := range vals {
			pb.AppendString(f.StringValue(), "$"+f.StringValue())
		}
		swf.AppendDocument("partitionBy", pb.Finish())
	}
	var chain chainStage
	if needWindow {
		st, err := parseSetWindowFields("$setWindowFields", bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: swf.Finish()}, p)
		if err != nil {
			return nil, err
		}
		chain = append(chain, st)
	}
	if needAdd {
		st, err := parseAddFields("$addFields", bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: addFields.Finish()}, p)
		if err != nil {
			return nil, err
		}
		chain = append(chain, st)
	}
	return chain, nil
}
