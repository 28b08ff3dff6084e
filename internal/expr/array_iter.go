package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// mongod's assertion codes for $map, $filter and $reduce.
const (
	codeMapNotObject        mongoerr.Code = 16878
	codeMapUnknownArg       mongoerr.Code = 16879
	codeMapNoInput          mongoerr.Code = 16880
	codeMapNoIn             mongoerr.Code = 16882
	codeMapInputNotArray    mongoerr.Code = 16883
	codeFilterNotObject     mongoerr.Code = 28646
	codeFilterUnknownArg    mongoerr.Code = 28647
	codeFilterNoInput       mongoerr.Code = 28648
	codeFilterNoCond        mongoerr.Code = 28650
	codeFilterInputNotArray mongoerr.Code = 28651
	codeFilterLimitIntegral mongoerr.Code = 327391
	codeFilterLimitPositive mongoerr.Code = 327392
	codeReduceNotObject     mongoerr.Code = 40075
	codeReduceUnknownArg    mongoerr.Code = 40076
	codeReduceNoInput       mongoerr.Code = 40077
	codeReduceNoInitial     mongoerr.Code = 40078
	codeReduceNoIn          mongoerr.Code = 40079
	codeReduceInputNotArray mongoerr.Code = 40080
)

func init() {
	register(map[string]parseFunc{
		"$map":    parseMap,
		"$filter": parseFilter,
		"$reduce": parseReduce,
	})
}

// iterArgs reads the fields of a $map or $filter argument document; keys
// outside known are reported by unknown.
func iterArgs(args bson.RawValue, known []string, unknown func(key string) error) (map[string]bson.RawValue, error) {
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	out := map[string]bson.RawValue{}
	for _, el := range elems {
		ok := false
		for _, k := range known {
			ok = ok || el.Key() == k
		}
		if !ok {
			return nil, unknown(el.Key())
		}
		out[el.Key()] = el.Value()
	}
	return out, nil
}

// bindAs binds the variable named by an 'as' argument ("this" when
// absent) for the parse of the body. A non-string 'as' names the empty
// variable, which mongod rejects as such.
func bindAs(as bson.RawValue, pc *ParseContext) (VarID, error) {
	name := "this"
	if as.Type != 0 {
		name, _ = as.StringValueOK()
	}
	if err := validateVarName(name, true); err != nil {
		return 0, err
	}
	return pc.bind(name), nil
}

// mapExpr is $map: {input, as, in}.
type mapExpr struct {
	input Expr
	as    VarID
	in    Expr
}

func parseMap(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(codeMapNotObject, "$map only supports an object as its argument")
	}
	f, err := iterArgs(args, []string{"input", "as", "in"}, func(k string) error {
		return mongoerr.Newf(codeMapUnknownArg, "Unrecognized parameter to $map: %s", k)
	})
	if err != nil {
		return nil, err
	}
	if f["input"].Type == 0 {
		return nil, mongoerr.New(codeMapNoInput, "Missing 'input' parameter to $map")
	}
	if f["in"].Type == 0 {
		return nil, mongoerr.New(codeMapNoIn, "Missing 'in' parameter to $map")
	}
	m := &mapExpr{}
	// input sees only the outer scope; in sees the 'as' variable too.
	if m.input, err = Parse(f["input"], pc); err != nil {
		return nil, err
	}
	if m.as, err = bindAs(f["as"], pc); err != nil {
		return nil, err
	}
	defer pc.unbind(1)
	if m.in, err = Parse(f["in"], pc); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *mapExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	in, err := m.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(in) {
		return nullValue, nil
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeMapInputNotArray, "input to $map must be an array not %s", typeName(in))
	}
	elems := arrayValues(in)
	out := make([]bson.RawValue, len(elems))
	for i, e := range elems {
		ec.SetVar(m.as, e)
		v, err := m.in.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if v.Type == 0 {
			v = nullValue // an array cannot hold a missing value
		}
		out[i] = v
	}
	return arrayValue(out), nil
}

// filterExpr is $filter: {input, as, cond, limit}.
type filterExpr struct {
	input Expr
	as    VarID
	cond  Expr
	limit Expr // nil: no limit
}

func parseFilter(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(codeFilterNotObject, "$filter only supports an object as its argument")
	}
	f, err := iterArgs(args, []string{"input", "as", "cond", "limit"}, func(k string) error {
		return mongoerr.Newf(codeFilterUnknownArg, "Unrecognized parameter to $filter: %s", k)
	})
	if err != nil {
		return nil, err
	}
	if f["input"].Type == 0 {
		return nil, mongoerr.New(codeFilterNoInput, "Missing 'input' parameter to $filter")
	}
	if f["cond"].Type == 0 {
		return nil, mongoerr.New(codeFilterNoCond, "Missing 'cond' parameter to $filter")
	}
	x := &filterExpr{}
	if x.input, err = Parse(f["input"], pc); err != nil {
		return nil, err
	}
	if x.as, err = bindAs(f["as"], pc); err != nil {
		return nil, err
	}
	x.cond, err = Parse(f["cond"], pc)
	pc.unbind(1)
	if err != nil {
		return nil, err
	}
	// limit is parsed in the outer scope: it cannot see the element.
	if f["limit"].Type != 0 {
		if x.limit, err = Parse(f["limit"], pc); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (x *filterExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	in, err := x.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(in) {
		return nullValue, nil
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeFilterInputNotArray, "input to $filter must be an array not %s", typeName(in))
	}
	elems := arrayValues(in)
	if len(elems) == 0 {
		// mongod returns an empty input before it looks at limit.
		return in, nil
	}
	remaining := -1
	if x.limit != nil {
		lv, err := x.limit.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		// A null limit means no limit.
		if !nullish(lv) {
			n, ok := int32Exact(lv)
			if !ok {
				return bson.RawValue{}, mongoerr.Newf(codeFilterLimitIntegral, "$filter: limit must be represented as a 32-bit integral value: %s", valueString(lv))
			}
			if n <= 0 {
				return bson.RawValue{}, mongoerr.Newf(codeFilterLimitPositive, "$filter: limit must be greater than 0: %s", valueString(lv))
			}
			remaining = int(n)
		}
	}
	var out []bson.RawValue
	for _, e := range elems {
		ec.SetVar(x.as, e)
		c, err := x.cond.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if !Truthy(c) {
			continue
		}
		out = append(out, e)
		if remaining > 0 {
			if remaining--; remaining == 0 {
				break
			}
		}
	}
	return arrayValue(out), nil
}

// reduceExpr is $reduce: {input, initialValue, in}, in seeing $$value
// (the accumulated value) and $$this (the current element).
type reduceExpr struct {
	input, initial, in Expr
	this, value        VarID
}

func parseReduce(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(codeReduceNotObject, "$reduce requires an object as an argument, found: %s", typeName(args))
	}
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	r := &reduceExpr{}
	// Fields are parsed in document order; this and value are visible
	// in 'in' only.
	for _, el := range elems {
		switch el.Key() {
		case "input":
			r.input, err = Parse(el.Value(), pc)
		case "initialValue":
			r.initial, err = Parse(el.Value(), pc)
		case "in":
			r.this, r.value = pc.bind("this"), pc.bind("value")
			r.in, err = Parse(el.Value(), pc)
			pc.unbind(2)
		default:
			return nil, mongoerr.Newf(codeReduceUnknownArg, "$reduce found an unknown argument: %s", el.Key())
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case r.input == nil:
		return nil, mongoerr.New(codeReduceNoInput, "$reduce requires 'input' to be specified")
	case r.initial == nil:
		return nil, mongoerr.New(codeReduceNoInitial, "$reduce requires 'initialValue' to be specified")
	case r.in == nil:
		return nil, mongoerr.New(codeReduceNoIn, "$reduce requires 'in' to be specified")
	}
	return r, nil
}

func (r *reduceExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	in, err := r.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(in) {
		return nullValue, nil
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeReduceInputNotArray, "$reduce requires that 'input' be an array, found: %s", valueString(in))
	}
	acc, err := r.initial.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	for _, e := range arrayValues(in) {
		ec.SetVar(r.this, e)
		ec.SetVar(r.value, acc)
		if acc, err = r.in.Eval(ec, doc); err != nil {
			return bson.RawValue{}, err
		}
	}
	return acc, nil
}
