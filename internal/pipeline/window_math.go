package pipeline

import (
	"encoding/binary"
	"math"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
)

// valueMath is arithmetic on BSON values with the expression language's
// own rules ($add, $subtract, $multiply, $divide, $dateAdd): the window
// functions, $densify and $fill compute as mongod does, by applying the
// expression operators to values.
type valueMath struct {
	ec                     *expr.EvalContext
	a, b, u                expr.VarID
	add_, sub_, mul_, div_ expr.Expr
	dateAdd_               expr.Expr
	empty                  bson.Raw
	initErr                error
}

func newValueMath(coll expr.Collator) *valueMath {
	m := &valueMath{empty: bson.Raw{5, 0, 0, 0, 0}}
	pc := expr.NewParseContext()
	var err error
	if m.a, err = pc.Define("a"); err != nil {
		m.initErr = err
		return m
	}
	m.b, _ = pc.Define("b")
	m.u, _ = pc.Define("u")
	parse := func(op string) expr.Expr {
		b := bsonx.NewBuilder()
		arr := bsonx.NewArrayBuilder()
		arr.AppendString(arr.NextKey(), "$$a")
		arr.AppendString(arr.NextKey(), "$$b")
		b.AppendArray(op, arr.Finish())
		x, perr := expr.Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: b.Finish()}, pc)
		if perr != nil && m.initErr == nil {
			m.initErr = perr
		}
		return x
	}
	m.add_, m.sub_, m.mul_, m.div_ = parse("$add"), parse("$subtract"), parse("$multiply"), parse("$divide")
	args := bsonx.NewBuilder()
	args.AppendString("startDate", "$$a")
	args.AppendString("unit", "$$u")
	args.AppendString("amount", "$$b")
	da := bsonx.NewBuilder()
	da.AppendDocument("$dateAdd", args.Finish())
	m.dateAdd_, err = expr.Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: da.Finish()}, pc)
	if err != nil && m.initErr == nil {
		m.initErr = err
	}
	m.ec = &expr.EvalContext{Collator: coll}
	return m
}

func (m *valueMath) apply(x expr.Expr, a, b bson.RawValue) (bson.RawValue, error) {
	if m.initErr != nil {
		return bson.RawValue{}, m.initErr
	}
	m.ec.SetVar(m.a, a)
	m.ec.SetVar(m.b, b)
	return x.Eval(m.ec, m.empty)
}

func (m *valueMath) add(a, b bson.RawValue) (bson.RawValue, error) { return m.apply(m.add_, a, b) }
func (m *valueMath) sub(a, b bson.RawValue) (bson.RawValue, error) { return m.apply(m.sub_, a, b) }
func (m *valueMath) mul(a, b bson.RawValue) (bson.RawValue, error) { return m.apply(m.mul_, a, b) }
func (m *valueMath) div(a, b bson.RawValue) (bson.RawValue, error) { return m.apply(m.div_, a, b) }

// dateAdd moves a date by amount units (UTC).
func (m *valueMath) dateAdd(date bson.RawValue, unit string, amount int64) (bson.RawValue, error) {
	if m.initErr != nil {
		return bson.RawValue{}, m.initErr
	}
	b := bsonx.NewBuilder()
	b.AppendString("u", unit)
	m.ec.SetVar(m.u, b.Finish().Lookup("u"))
	return m.apply(m.dateAdd_, date, winInt64(amount))
}

func winInt64(n int64) bson.RawValue {
	b := bsonx.NewBuilder()
	b.AppendInt64("n", n)
	return b.Finish().Lookup("n")
}

func winInt32(n int32) bson.RawValue {
	b := bsonx.NewBuilder()
	b.AppendInt32("n", n)
	return b.Finish().Lookup("n")
}

func winDouble(f float64) bson.RawValue {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], math.Float64bits(f))
	return bson.RawValue{Type: bson.TypeDouble, Value: buf[:]}
}

// winIntOrLong is mongod's Value::createIntOrLong.
func winIntOrLong(n int64) bson.RawValue {
	if n >= -1<<31 && n < 1<<31 {
		return winInt32(int32(n))
	}
	return winInt64(n)
}

var winNull = bson.RawValue{Type: bson.TypeNull}
