package expr

import (
	"math/rand/v2"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Miscellaneous operators: $bsonSize, $binarySize, $rand, the bitwise
// operators and $function, which this server refuses for want of a
// JavaScript engine.

func init() {
	register(map[string]parseFunc{
		"$bsonSize":   fixed(1, evalBsonSize),
		"$binarySize": fixed(1, evalBinarySize),
		"$rand":       parseRand,
		"$bitAnd":     variadic(bitwise("$bitAnd", -1, func(a, b int64) int64 { return a & b })),
		"$bitOr":      variadic(bitwise("$bitOr", 0, func(a, b int64) int64 { return a | b })),
		"$bitXor":     variadic(bitwise("$bitXor", 0, func(a, b int64) int64 { return a ^ b })),
		"$bitNot":     unaryNumeric(evalBitNot),
		"$function":   parseFunction,
	})
}

// mongod's numbered assertion codes for these operators.
const (
	miscBsonSizeNotObject    mongoerr.Code = 31393
	miscBinarySizeBadType    mongoerr.Code = 51276
	miscStringTooLong        mongoerr.Code = 34470
	miscRandNotObject        mongoerr.Code = 10065
	miscRandArguments        mongoerr.Code = 3040501
	miscFunctionNotObject    mongoerr.Code = 31260
	miscFunctionNoBody       mongoerr.Code = 31261
	miscFunctionBodyType     mongoerr.Code = 31262
	miscFunctionNoArgs       mongoerr.Code = 31263
	miscNoJavaScript         mongoerr.Code = 31264
	miscFunctionNoLang       mongoerr.Code = 31418
	miscFunctionBadLang      mongoerr.Code = 31419
	miscFunctionBodyNotConst mongoerr.Code = 31432
)

// evalBsonSize is $bsonSize: the size in bytes of a document as BSON.
func evalBsonSize(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	v := vals[0]
	if nullish(v) {
		return nullValue, nil
	}
	if v.Type != bson.TypeEmbeddedDocument {
		return bson.RawValue{}, mongoerr.Newf(miscBsonSizeNotObject, "$bsonSize requires a document input, found: %s", typeName(v))
	}
	return int32Value(int32(len(v.Value))), nil
}

// evalBinarySize is $binarySize: the size in bytes of a string or of a
// binData's data.
func evalBinarySize(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	v := vals[0]
	if nullish(v) {
		return nullValue, nil
	}
	switch v.Type {
	case bson.TypeString:
		s := v.StringValue()
		if len(s) > 1<<31-1 {
			return bson.RawValue{}, mongoerr.New(miscStringTooLong, "string length is too long for $binarySize")
		}
		return int32Value(int32(len(s))), nil
	case bson.TypeBinary:
		_, data, _ := v.BinaryOK()
		return int32Value(int32(len(data))), nil
	}
	return bson.RawValue{}, mongoerr.Newf(miscBinarySizeBadType, "$binarySize requires a string or BinData argument, found: %s", typeName(v))
}

// randExpr is {$rand: {}}: a double in [0, 1), drawn anew each time.
type randExpr struct{}

func (randExpr) Eval(*EvalContext, bson.Raw) (bson.RawValue, error) {
	return doubleValue(rand.Float64()), nil
}

// parseRand accepts an empty document or an empty array (mongod reads the
// argument with BSONElement::Obj(), which takes either).
func parseRand(_ string, args bson.RawValue, _ *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument && args.Type != bson.TypeArray {
		return nil, mongoerr.New(miscRandNotObject, "invalid parameter: expected an object ($rand)")
	}
	if len(args.Value) > 5 {
		return nil, mongoerr.New(miscRandArguments, "$rand does not currently accept arguments")
	}
	return randExpr{}, nil
}

// bitwise returns $bitAnd, $bitOr or $bitXor: ints and longs only, folded
// from the identity (-1 for and, 0 otherwise, an int). The result is an
// int while every operand is an int and a long once one is; a null or
// missing operand makes the result null, checked in order, so an earlier
// bad operand still fails.
func bitwise(name string, identity int64, op func(a, b int64) int64) func(*EvalContext, []bson.RawValue) (bson.RawValue, error) {
	return func(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
		acc := identity
		long := false
		for _, v := range vals {
			if nullish(v) {
				return nullValue, nil
			}
			switch v.Type {
			case bson.TypeInt32:
			case bson.TypeInt64:
				long = true
			default:
				return bson.RawValue{}, mongoerr.Newf(mongoerr.TypeMismatch, "%s only supports int and long operands.", name)
			}
			acc = op(acc, asInt64(v))
		}
		if long {
			return int64Value(acc), nil
		}
		return int32Value(int32(acc)), nil
	}
}

// evalBitNot is $bitNot: a non-number fails with 28765 (as in any unary
// numeric operator), a double or decimal with TypeMismatch.
func evalBitNot(name string, v bson.RawValue) (bson.RawValue, error) {
	switch v.Type {
	case bson.TypeInt32:
		return int32Value(^int32(asInt64(v))), nil
	case bson.TypeInt64:
		return int64Value(^asInt64(v)), nil
	}
	return bson.RawValue{}, mongoerr.Newf(mongoerr.TypeMismatch, "%s only supports int and long, not: %s.", name, typeName(v))
}

// functionExpr is a $function this server cannot run. mongod validates
// the specification when it parses it and needs the JavaScript engine
// only to evaluate it: a mongod without one (--noscripting) fails with
// 31264 when the function is called, and so does this server.
type functionExpr struct{ args Expr }

func (f functionExpr) Eval(*EvalContext, bson.Raw) (bson.RawValue, error) {
	return bson.RawValue{}, mongoerr.New(miscNoJavaScript, "Cannot run server-side javascript without the javascript engine enabled")
}

// parseFunction checks {$function: {body, args, lang}} as mongod's
// ExpressionFunction::parse does, in its order.
func parseFunction(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(miscFunctionNotObject, "%s requires an object as an argument, found: %s", name, typeName(args))
	}
	spec := bson.Raw(args.Value)
	body := spec.Lookup("body")
	if body.Type == 0 {
		return nil, mongoerr.New(miscFunctionNoBody, "The body function must be specified.")
	}
	bodyExpr, err := Parse(body, pc)
	if err != nil {
		return nil, err
	}
	bodyVal, isConst := Constant(bodyExpr)
	if !isConst || body.Type == bson.TypeArray {
		// An array is an ExpressionArray in mongod, not a constant, even
		// when all its elements are.
		return nil, mongoerr.New(miscFunctionBodyNotConst, "The body function must be a constant expression")
	}
	if bodyVal.Type != bson.TypeString && bodyVal.Type != bson.TypeJavaScript {
		return nil, mongoerr.New(miscFunctionBodyType, "The body function must evaluate to type string or code")
	}
	argsV := spec.Lookup("args")
	if argsV.Type == 0 {
		return nil, mongoerr.New(miscFunctionNoArgs, "The args field must be specified.")
	}
	argsExpr, err := Parse(argsV, pc)
	if err != nil {
		return nil, err
	}
	lang := spec.Lookup("lang")
	if lang.Type == 0 {
		return nil, mongoerr.New(miscFunctionNoLang, "The lang field must be specified.")
	}
	if s, ok := lang.StringValueOK(); !ok || s != "js" {
		return nil, mongoerr.New(miscFunctionBadLang, "Currently the only supported language specifier is 'js'.")
	}
	return functionExpr{args: argsExpr}, nil
}
