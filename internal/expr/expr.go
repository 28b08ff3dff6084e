// Package expr is SecantusDB's aggregation expression language: one parser
// and one evaluator for the expressions of $expr in query filters, of
// aggregation stages and of pipeline-style updates.
//
// Parse turns an expression value (a field path "$a.b", a variable
// "$$ROOT", a literal, an array or object literal, or an operator document
// {$op: args}) into an Expr tree; Eval computes it over one document. A
// value of Type 0 stands for "missing" (mongod's EOO) throughout, which is
// how expressions tell an absent field from null.
//
// Operators live in a table (operators.go): adding one is an entry there
// and a parse function in the file of its family.
package expr

import (
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Expr is a parsed aggregation expression.
type Expr interface {
	// Eval computes the expression over doc, which is $$ROOT (and
	// $$CURRENT unless rebound). A zero RawValue (Type 0) means the
	// expression evaluated to "missing".
	Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error)
}

// Collator compares strings under a collation; nil means the simple
// (binary) collation. query.Collator satisfies it.
type Collator interface {
	CompareStrings(a, b string) int
}

// VarID identifies a variable bound at parse time; EvalContext holds its
// value at run time. Builtin variables have negative ids.
type VarID int

const (
	varRoot VarID = -1 - iota
	varCurrentTop
	varNow
	varClusterTime
	varRemove
	varDescend
	varPrune
	varKeep
)

// ParseContext is what the parser knows about the scope an expression is
// parsed in: the variables defined there (by a command's let, by $let,
// later by $map, $filter, …) and which builtin variables the expression
// used.
type ParseContext struct {
	scope []binding
	next  VarID

	// UsesNow is set when the expression references $$NOW.
	UsesNow bool
	// UsesClusterTime is set when the expression references $$CLUSTER_TIME.
	UsesClusterTime bool
}

type binding struct {
	name string
	id   VarID
}

// NewParseContext returns a context with only the builtin variables in
// scope.
func NewParseContext() *ParseContext { return &ParseContext{} }

// Define binds a user variable name (a command's let) in pc and returns
// its id; the caller sets its value with EvalContext.SetVar. The name must
// follow mongod's rules for user variables (first character a lowercase
// ASCII letter or non-ASCII; then letters, digits, '_' or non-ASCII), or
// be CURRENT, which may be rebound.
func (pc *ParseContext) Define(name string) (VarID, error) {
	if err := validateVarName(name, true); err != nil {
		return 0, err
	}
	return pc.bind(name), nil
}

// NumVars returns how many variable slots expressions parsed with pc use;
// EvalContext grows to it on demand.
func (pc *ParseContext) NumVars() int { return int(pc.next) }

func (pc *ParseContext) bind(name string) VarID {
	id := pc.next
	pc.next++
	pc.scope = append(pc.scope, binding{name, id})
	return id
}

// unbind drops the n innermost bindings when their scope ends; their
// ids stay reserved so that slots are never shared.
func (pc *ParseContext) unbind(n int) { pc.scope = pc.scope[:len(pc.scope)-n] }

func (pc *ParseContext) lookup(name string) (VarID, error) {
	for i := len(pc.scope) - 1; i >= 0; i-- {
		if pc.scope[i].name == name {
			return pc.scope[i].id, nil
		}
	}
	switch name {
	case "ROOT":
		return varRoot, nil
	case "CURRENT":
		return varCurrentTop, nil
	case "NOW":
		pc.UsesNow = true
		return varNow, nil
	case "CLUSTER_TIME":
		pc.UsesClusterTime = true
		return varClusterTime, nil
	case "REMOVE":
		return varRemove, nil
	case "DESCEND":
		return varDescend, nil
	case "PRUNE":
		return varPrune, nil
	case "KEEP":
		return varKeep, nil
	}
	return 0, mongoerr.Newf(mongoerr.Location17276, "Use of undefined variable: %s", name)
}

// EvalContext carries what evaluation needs besides the document: the
// values of variables, $$NOW and $$CLUSTER_TIME, and the collation.
// One EvalContext serves one operation and one goroutine.
type EvalContext struct {
	// Now is $$NOW; it stays fixed for the whole operation.
	Now bson.DateTime
	// ClusterTime is $$CLUSTER_TIME; zero means not available (standalone).
	ClusterTime bson.Timestamp
	// Collator compares strings; nil is the simple collation.
	Collator Collator

	vars []bson.RawValue
	// root, when set, is $$ROOT while the document evaluated is a part
	// of it ($redact descending into a document).
	root bson.Raw
}

// SetRoot makes $$ROOT root until the returned function restores it;
// field paths and $$CURRENT keep following the document evaluated.
func (ec *EvalContext) SetRoot(root bson.Raw) (restore func()) {
	old := ec.root
	ec.root = root
	return func() { ec.root = old }
}

// NewEvalContext returns a context whose $$NOW is the current time.
func NewEvalContext() *EvalContext {
	return &EvalContext{Now: bson.NewDateTimeFromTime(time.Now())}
}

// SetVar sets the value of a variable defined with ParseContext.Define.
func (ec *EvalContext) SetVar(id VarID, v bson.RawValue) {
	if id < 0 {
		return
	}
	for int(id) >= len(ec.vars) {
		ec.vars = append(ec.vars, bson.RawValue{})
	}
	ec.vars[id] = v
}

func (ec *EvalContext) getVar(id VarID, doc bson.Raw) (bson.RawValue, error) {
	switch id {
	case varRoot:
		if ec.root != nil {
			return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: ec.root}, nil
		}
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, nil
	case varCurrentTop:
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, nil
	case varDescend:
		return stringResult("descend"), nil
	case varPrune:
		return stringResult("prune"), nil
	case varKeep:
		return stringResult("keep"), nil
	case varNow:
		return dateValue(int64(ec.Now)), nil
	case varClusterTime:
		if ec.ClusterTime.IsZero() {
			return bson.RawValue{}, mongoerr.New(mongoerr.Location10071,
				"Builtin variable '$$CLUSTER_TIME' is not available as the server is not running as a replica set")
		}
		return bson.RawValue{Type: bson.TypeTimestamp, Value: bsoncore.AppendTimestamp(nil, ec.ClusterTime.T, ec.ClusterTime.I)}, nil
	case varRemove:
		return bson.RawValue{}, nil
	}
	if int(id) < len(ec.vars) {
		return ec.vars[id], nil
	}
	return bson.RawValue{}, nil
}

// Parse parses an expression value in the scope of pc.
func Parse(v bson.RawValue, pc *ParseContext) (Expr, error) {
	switch v.Type {
	case bson.TypeString:
		s, _ := v.StringValueOK()
		if len(s) > 0 && s[0] == '$' {
			return parseFieldPath(s, pc)
		}
	case bson.TypeEmbeddedDocument:
		return parseObject(bson.Raw(v.Value), pc)
	case bson.TypeArray:
		return parseArrayLiteral(v, pc)
	}
	return constant{v}, nil
}

// parseObject parses a document: an operator {$op: args} when its first
// field starts with '$', an object literal otherwise.
func parseObject(doc bson.Raw, pc *ParseContext) (Expr, error) {
	elems, err := doc.Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	if len(elems) == 0 || len(elems[0].Key()) == 0 || elems[0].Key()[0] != '$' {
		return parseObjectLiteral(doc, elems, pc)
	}
	if len(elems) != 1 {
		return nil, mongoerr.Newf(mongoerr.Location15983,
			"An object representing an expression must have exactly one field: %s",
			bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}))
	}
	name := elems[0].Key()
	parse, ok := operators[name]
	if !ok {
		return nil, mongoerr.Newf(mongoerr.InvalidPipelineOperator, "Unrecognized expression '%s'", name)
	}
	return parse(name, elems[0].Value(), pc)
}

// parseFunc parses the arguments of the operator called name.
type parseFunc func(name string, args bson.RawValue, pc *ParseContext) (Expr, error)

// Constant reports whether e is a literal and returns its value.
func Constant(e Expr) (bson.RawValue, bool) {
	if c, ok := e.(constant); ok {
		return c.v, true
	}
	return bson.RawValue{}, false
}

// constant is a literal value.
type constant struct{ v bson.RawValue }

func (c constant) Eval(*EvalContext, bson.Raw) (bson.RawValue, error) { return c.v, nil }

// Truthy reports whether v counts as true in an expression (and so
// whether $expr matches): false, null, undefined, missing and numeric
// zero are false; everything else, including NaN, "" and [], is true.
func Truthy(v bson.RawValue) bool {
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
		return false
	case bson.TypeBoolean:
		b, _ := v.BooleanOK()
		return b
	case bson.TypeInt32:
		i, _ := v.Int32OK()
		return i != 0
	case bson.TypeInt64:
		i, _ := v.Int64OK()
		return i != 0
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		return f != 0
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		x := decFromDecimal(d)
		return !(x.kind == kFinite && x.coef.Sign() == 0)
	}
	return true
}

// compareValues orders two values for the comparison operators. It is
// the one place expressions compare values, so that collation-aware
// comparison of nested strings can be switched on here once bsonx has it.
func compareValues(ec *EvalContext, a, b bson.RawValue) int {
	if ec != nil && ec.Collator != nil {
		return bsonx.CompareWith(a, b, ec.Collator)
	}
	return bsonx.Compare(a, b)
}

func isString(v bson.RawValue) bool {
	_, ok := v.StringValueOK()
	return ok
}

// nullish reports whether v is null, undefined or missing: the values
// most operators answer null for.
func nullish(v bson.RawValue) bool {
	return v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined
}

// typeName is mongod's name for v's type in error messages.
func typeName(v bson.RawValue) string { return bsonx.TypeName(v.Type) }
