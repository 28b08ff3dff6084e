package expr

import (
	"bytes"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// testDoc is the document every case is evaluated against.
const testDoc = `{"_id": 1, "a": 5, "b": {"c": 2, "d": [1, 2]}, "s": "abc", "n": null,
	"arr": [{"x": 1}, {"x": 2}, 3, {"y": 1}, {"x": [4, 5]}], "nested": [{"b": [{"c": 1}, {"c": 2}]}, {"b": {"c": 3}}],
	"zero": 0, "t": true, "f": false, "i32max": 2147483647, "i64max": {"$numberLong": "9223372036854775807"},
	"dt": {"$date": {"$numberLong": "1000"}}, "dec": {"$numberDecimal": "1.5"}, "obj": {"0": "zero"}, "u": {"$undefined": true}}`

type evalCase struct {
	expr string // Extended JSON (relaxed) of the expression
	want string // Extended JSON (canonical) of the result, "missing", or "" with code
	code mongoerr.Code
}

func mustDoc(t testing.TB, s string) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &d); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return d
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	doc := mustDoc(t, testDoc)
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			spec := mustDoc(t, `{"e": `+tc.expr+`}`).Lookup("e")
			pc := NewParseContext()
			ec := NewEvalContext()
			if id, err := pc.Define("x"); err == nil {
				ec.SetVar(id, int32Value(10))
			}
			e, err := Parse(spec, pc)
			var got bson.RawValue
			if err == nil {
				got, err = e.Eval(ec, doc)
			}
			if tc.code != 0 {
				var me *mongoerr.Error
				if !errors.As(err, &me) || me.Code != tc.code {
					t.Fatalf("want error code %d, got value %v err %v", tc.code, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want == "missing" {
				if got.Type != 0 {
					t.Fatalf("want missing, got %v", got)
				}
				return
			}
			want := mustDoc(t, `{"v": `+tc.want+`}`).Lookup("v")
			if got.Type != want.Type || bsonx.Compare(got, want) != 0 || got.String() != want.String() {
				t.Fatalf("got %s (%s), want %s (%s)", got, bsonx.TypeName(got.Type), want, bsonx.TypeName(want.Type))
			}
		})
	}
}

func TestParseAndPaths(t *testing.T) {
	runCases(t, []evalCase{
		{expr: `1`, want: `{"$numberInt": "1"}`},
		{expr: `"abc"`, want: `"abc"`},
		{expr: `"$a"`, want: `{"$numberInt": "5"}`},
		{expr: `"$b.c"`, want: `{"$numberInt": "2"}`},
		{expr: `"$missing"`, want: "missing"},
		{expr: `"$a.b"`, want: "missing"},
		{expr: `"$arr.x"`, want: `[{"$numberInt": "1"}, {"$numberInt": "2"}, [{"$numberInt": "4"}, {"$numberInt": "5"}]]`},
		{expr: `"$nested.b.c"`, want: `[[{"$numberInt": "1"}, {"$numberInt": "2"}], {"$numberInt": "3"}]`},
		{expr: `"$b.d.0"`, want: `[]`},
		{expr: `"$obj.0"`, want: `"zero"`},
		{expr: `"$$ROOT.a"`, want: `{"$numberInt": "5"}`},
		{expr: `"$$CURRENT.b.c"`, want: `{"$numberInt": "2"}`},
		{expr: `"$$REMOVE"`, want: "missing"},
		{expr: `"$$x"`, want: `{"$numberInt": "10"}`},
		{expr: `"$$y"`, code: 17276},
		{expr: `"$$FOO"`, code: 17276},
		{expr: `"$$"`, code: 16866},
		{expr: `"$$1a"`, code: 16867},
		{expr: `"$$a-b"`, code: 16868},
		{expr: `"$"`, code: 16872},
		{expr: `"$a."`, code: 40353},
		{expr: `"$a..b"`, code: 15998},
		{expr: `"$a.$b"`, code: 16410},
		{expr: `[1, "$a", "$missing"]`, want: `[{"$numberInt": "1"}, {"$numberInt": "5"}, null]`},
		{expr: `{"k": "$a", "m": "$missing", "o": {"p": {"$add": [1, 1]}}}`, want: `{"k": {"$numberInt": "5"}, "o": {"p": {"$numberInt": "2"}}}`},
		{expr: `{}`, want: `{}`},
		{expr: `{"k": 1, "k": 2}`, code: 16406},
		{expr: `{"k": 1, "$x": 2}`, code: 16410},
		{expr: `{"$add": [1], "$sub": 2}`, code: 15983},
		{expr: `{"$foo": 1}`, code: 168},
		{expr: `{"$literal": "$a"}`, want: `"$a"`},
		{expr: `{"$literal": [1, "$a"]}`, want: `[{"$numberInt": "1"}, "$a"]`},
	})
}

func TestNow(t *testing.T) {
	pc := NewParseContext()
	e, err := Parse(mustDoc(t, `{"e": "$$NOW"}`).Lookup("e"), pc)
	if err != nil || !pc.UsesNow {
		t.Fatalf("parse: %v, UsesNow %v", err, pc.UsesNow)
	}
	ec := &EvalContext{Now: 1234}
	v, err := e.Eval(ec, mustDoc(t, `{}`))
	if err != nil || v.Type != bson.TypeDateTime || v.DateTime() != 1234 {
		t.Fatalf("got %v %v", v, err)
	}
	e, _ = Parse(mustDoc(t, `{"e": "$$CLUSTER_TIME"}`).Lookup("e"), pc)
	if _, err := e.Eval(ec, mustDoc(t, `{}`)); !mongoerr.Is(err, 10071) {
		t.Fatalf("CLUSTER_TIME on a standalone: %v", err)
	}
}

func TestLet(t *testing.T) {
	runCases(t, []evalCase{
		{expr: `{"$let": {"vars": {"v": 2, "w": "$a"}, "in": {"$multiply": ["$$v", "$$w"]}}}`, want: `{"$numberInt": "10"}`},
		{expr: `{"$let": {"vars": {"v": {"k": 1}}, "in": "$$v.k"}}`, want: `{"$numberInt": "1"}`},
		{expr: `{"$let": {"vars": {"CURRENT": "$b"}, "in": "$c"}}`, want: `{"$numberInt": "2"}`},
		{expr: `{"$let": {"vars": {"x": 1}, "in": {"$let": {"vars": {"x": 2}, "in": "$$x"}}}}`, want: `{"$numberInt": "2"}`},
		{expr: `{"$add": [{"$let": {"vars": {"x": 1}, "in": "$$x"}}, "$$x"]}`, want: `{"$numberInt": "11"}`},
		{expr: `{"$let": {"vars": {"v": 1, "w": "$$v"}, "in": "$$w"}}`, code: 17276},
		{expr: `{"$let": {"vars": {"v": 1}, "in": "$$v"}, "x": 1}`, code: 15983},
		{expr: `{"$let": {"vars": {"ROOT": 1}, "in": 1}}`, code: 16867},
		{expr: `{"$let": {"vars": {"_a": 1}, "in": 1}}`, code: 16867},
		{expr: `{"$let": {"vars": {"a b": 1}, "in": 1}}`, code: 16868},
		{expr: `{"$let": 1}`, code: 16874},
		{expr: `{"$let": {"vars": {}, "in": 1, "z": 1}}`, code: 16875},
		{expr: `{"$let": {"in": 1}}`, code: 16876},
		{expr: `{"$let": {"vars": {}}}`, code: 16877},
		{expr: `{"$let": {"vars": 1, "in": 1}}`, code: 10065},
		{expr: `{"$let": {"vars": {"v": 1}, "in": "$$v"}}`, want: `{"$numberInt": "1"}`},
	})
}

func TestCompare(t *testing.T) {
	runCases(t, []evalCase{
		{expr: `{"$eq": [1, 1.0]}`, want: `true`},
		{expr: `{"$eq": ["$a", 5]}`, want: `true`},
		{expr: `{"$eq": ["$missing", null]}`, want: `false`},
		{expr: `{"$eq": ["$missing", "$other"]}`, want: `true`},
		{expr: `{"$lt": ["$missing", null]}`, want: `true`},
		{expr: `{"$eq": ["$u", "$missing"]}`, want: `true`},
		{expr: `{"$ne": [1, "1"]}`, want: `true`},
		{expr: `{"$gt": ["a", 1]}`, want: `true`},
		{expr: `{"$gte": [2, 2]}`, want: `true`},
		{expr: `{"$lt": [{"$numberDecimal": "1.1"}, 1.2]}`, want: `true`},
		{expr: `{"$lte": [[1, 2], [1, 3]]}`, want: `true`},
		{expr: `{"$gt": [null, 0]}`, want: `false`},
		{expr: `{"$cmp": [1, 2]}`, want: `{"$numberInt": "-1"}`},
		{expr: `{"$cmp": ["b", "a"]}`, want: `{"$numberInt": "1"}`},
		{expr: `{"$cmp": [{"k": 1}, {"k": 1}]}`, want: `{"$numberInt": "0"}`},
		{expr: `{"$eq": [1]}`, code: 16020},
		{expr: `{"$eq": 1}`, code: 16020},
		{expr: `{"$cmp": [1, 2, 3]}`, code: 16020},
	})
}

type foldCase struct{}

func (foldCase) CompareStrings(a, b string) int {
	la, lb := []byte(a), []byte(b)
	for i := range la {
		if la[i] >= 'A' && la[i] <= 'Z' {
			la[i] += 32
		}
	}
	for i := range lb {
		if lb[i] >= 'A' && lb[i] <= 'Z' {
			lb[i] += 32
		}
	}
	return bsonx.Compare(bson.RawValue{Type: bson.TypeString, Value: strValue(string(la))},
		bson.RawValue{Type: bson.TypeString, Value: strValue(string(lb))})
}

func strValue(s string) []byte { return bsoncore.AppendString(nil, s) }

func TestCollation(t *testing.T) {
	e, err := Parse(mustDoc(t, `{"e": {"$eq": ["ABC", "$s"]}}`).Lookup("e"), NewParseContext())
	if err != nil {
		t.Fatal(err)
	}
	doc := mustDoc(t, testDoc)
	if v, _ := e.Eval(&EvalContext{}, doc); Truthy(v) {
		t.Fatal("simple collation: ABC == abc")
	}
	if v, _ := e.Eval(&EvalContext{Collator: foldCase{}}, doc); !Truthy(v) {
		t.Fatal("case-folding collation: ABC != abc")
	}
}

func TestBoolean(t *testing.T) {
	runCases(t, []evalCase{
		{expr: `{"$and": []}`, want: `true`},
		{expr: `{"$or": []}`, want: `false`},
		{expr: `{"$and": [1, "a", [], {}]}`, want: `true`},
		{expr: `{"$and": [1, 0]}`, want: `false`},
		{expr: `{"$and": [1, {"$numberDecimal": "0"}]}`, want: `false`},
		{expr: `{"$and": [true, "$missing"]}`, want: `false`},
		{expr: `{"$and": [false, {"$divide": [1, 0]}]}`, want: `false`},
		{expr: `{"$or": [true, {"$divide": [1, 0]}]}`, want: `true`},
		{expr: `{"$or": [null, "$u", 0.0, {"$numberLong": "0"}]}`, want: `false`},
		{expr: `{"$or": [null, {"$numberDouble": "NaN"}]}`, want: `true`},
		{expr: `{"$not": [0]}`, want: `true`},
		{expr: `{"$not": "$t"}`, want: `false`},
		{expr: `{"$not": [[]]}`, want: `false`},
		{expr: `{"$not": [1, 2]}`, code: 16020},
		{expr: `{"$and": "$a"}`, want: `true`},
	})
}

func TestCond(t *testing.T) {
	runCases(t, []evalCase{
		{expr: `{"$cond": [true, 1, 2]}`, want: `{"$numberInt": "1"}`},
		{expr: `{"$cond": ["$missing", 1, 2]}`, want: `{"$numberInt": "2"}`},
		{expr: `{"$cond": {"if": {"$gt": ["$a", 4]}, "then": "big", "else": "small"}}`, want: `"big"`},
		{expr: `{"$cond": {"if": false, "then": {"$divide": [1, 0]}, "else": "$s"}}`, want: `"abc"`},
		{expr: `{"$cond": [true, 1]}`, code: 16020},
		{expr: `{"$cond": {"then": 1, "else": 2}}`, code: 17080},
		{expr: `{"$cond": {"if": 1, "else": 2}}`, code: 17081},
		{expr: `{"$cond": {"if": 1, "then": 2}}`, code: 17082},
		{expr: `{"$cond": {"if": 1, "then": 2, "else": 3, "x": 4}}`, code: 17083},
		{expr: `{"$ifNull": ["$missing", "$n", "d"]}`, want: `"d"`},
		{expr: `{"$ifNull": ["$a", "d"]}`, want: `{"$numberInt": "5"}`},
		{expr: `{"$ifNull": ["$u", "d"]}`, want: `"d"`},
		{expr: `{"$ifNull": ["$n", "$missing"]}`, want: "missing"},
		{expr: `{"$ifNull": [false, 1]}`, want: `false`},
		{expr: `{"$ifNull": ["$a"]}`, code: 1257300},
		{expr: `{"$switch": {"branches": [{"case": false, "then": 1}, {"case": "$a", "then": 2}], "default": 3}}`, want: `{"$numberInt": "2"}`},
		{expr: `{"$switch": {"branches": [{"case": false, "then": 1}], "default": "$s"}}`, want: `"abc"`},
		{expr: `{"$switch": {"branches": [{"case": false, "then": 1}]}}`, code: 40066},
		{expr: `{"$switch": 1}`, code: 40060},
		{expr: `{"$switch": {"branches": 1}}`, code: 40061},
		{expr: `{"$switch": {"branches": [1]}}`, code: 40062},
		{expr: `{"$switch": {"branches": [{"case": 1, "then": 1, "x": 1}]}}`, code: 40063},
		{expr: `{"$switch": {"branches": [{"then": 1}]}}`, code: 40064},
		{expr: `{"$switch": {"branches": [{"case": 1}]}}`, code: 40065},
		{expr: `{"$switch": {"branches": [{"case": 1, "then": 1}], "x": 1}}`, code: 40067},
		{expr: `{"$switch": {"branches": [], "default": 1}}`, code: 40068},
	})
}

func TestTruthy(t *testing.T) {
	doc := mustDoc(t, `{"f": false, "n": null, "u": {"$undefined": true}, "z": 0, "zl": {"$numberLong": "0"},
		"zd": 0.0, "zdec": {"$numberDecimal": "0.00"}, "t": true, "one": 1, "nan": {"$numberDouble": "NaN"},
		"s": "", "a": [], "o": {}, "dec": {"$numberDecimal": "0.1"}}`)
	want := map[string]bool{"f": false, "n": false, "u": false, "z": false, "zl": false, "zd": false, "zdec": false,
		"t": true, "one": true, "nan": true, "s": true, "a": true, "o": true, "dec": true}
	for k, w := range want {
		if got := Truthy(doc.Lookup(k)); got != w {
			t.Errorf("Truthy(%s) = %v, want %v", k, got, w)
		}
	}
	if Truthy(bson.RawValue{}) {
		t.Error("missing is truthy")
	}
}

func TestConstant(t *testing.T) {
	pc := NewParseContext()
	e, _ := Parse(mustDoc(t, `{"e": [1, "a"]}`).Lookup("e"), pc)
	if _, ok := Constant(e); !ok {
		t.Error("array of literals is not constant")
	}
	e, _ = Parse(mustDoc(t, `{"e": "$a"}`).Lookup("e"), pc)
	if _, ok := Constant(e); ok {
		t.Error("field path is constant")
	}
}

func TestFieldOps(t *testing.T) {
	doc := ej(t, `{"a": 1, "$b": 2, "c.d": 3, "o": {"x": 1}}`)
	for _, tc := range []struct{ expr, want string }{
		{`{"$getField": "c.d"}`, `{"v": 3}`},
		{`{"$getField": {"field": {"$literal": "$b"}}}`, `{"v": 2}`},
		{`{"$setField": {"field": "y", "input": "$o", "value": 5}}`, `{"v": {"x": 1, "y": 5}}`},
		{`{"$setField": {"field": {"$literal": "$a"}, "input": "$$ROOT", "value": 9}}`, `{"v": {"a": 1, "$b": 2, "c.d": 3, "o": {"x": 1}, "$a": 9}}`},
		{`{"$setField": {"field": "x", "input": "$o", "value": "$$REMOVE"}}`, `{"v": {}}`},
		{`{"$unsetField": {"field": "a.b", "input": {"$literal": {"a.b": 1, "k": 2}}}}`, `{"v": {"k": 2}}`},
		{`{"$setField": {"field": "x", "input": null, "value": 1}}`, `{"v": null}`},
	} {
		x, err := Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: ej(t, tc.expr)}, NewParseContext())
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		v, err := x.Eval(NewEvalContext(), doc)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		want := ej(t, tc.want).Lookup("v")
		if v.Type != want.Type || !bytes.Equal(v.Value, want.Value) {
			t.Errorf("%s = %v, want %v", tc.expr, v, want)
		}
	}
	if _, err := Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: ej(t, `{"$setField": {"field": "$a", "input": {}, "value": 1}}`)}, NewParseContext()); err == nil {
		t.Error("$-prefixed field without $literal accepted")
	}
}

func ej(t *testing.T, s string) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &d); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return d
}
