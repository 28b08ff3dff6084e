package query

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

func ej(t testing.TB, s string) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &d); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return d
}

// Cases follow the manual's query operator pages
// (https://www.mongodb.com/docs/manual/reference/operator/query/).
var matchCases = []struct {
	doc, filter string
	want        bool
}{
	{`{"a": 1}`, `{}`, true},
	{`{"a": 1}`, `{"a": 1}`, true},
	{`{"a": 1}`, `{"a": 1.0}`, true},
	{`{"a": 1}`, `{"a": {"$numberLong": "1"}}`, true},
	{`{"a": 1}`, `{"a": "1"}`, false},
	{`{"a": [1, 2]}`, `{"a": 2}`, true},
	{`{"a": [1, 2]}`, `{"a": [1, 2]}`, true},
	{`{"a": [1, 2]}`, `{"a": [2, 1]}`, false},
	{`{"a": [[1, 2]]}`, `{"a": [1, 2]}`, true},
	{`{"a": {"b": 1, "c": 2}}`, `{"a": {"b": 1, "c": 2}}`, true},
	{`{"a": {"b": 1, "c": 2}}`, `{"a": {"c": 2, "b": 1}}`, false},
	{`{"a": {"b": 1}}`, `{"a.b": 1}`, true},
	{`{"a": [{"b": 1}, {"b": 2}]}`, `{"a.b": 2}`, true},
	{`{"a": [{"b": 1}, {"b": 2}]}`, `{"a.1.b": 2}`, true},
	{`{"a": [{"b": 1}, {"b": 2}]}`, `{"a.0.b": 2}`, false},
	{`{"a": [[{"b": 1}]]}`, `{"a.b": 1}`, false},
	{`{"b": 1}`, `{"a": null}`, true},
	{`{"a": null}`, `{"a": null}`, true},
	{`{"a": 1}`, `{"a": null}`, false},
	{`{"a": [1, null]}`, `{"a": null}`, true},
	{`{"a": 5}`, `{"a": {"$gt": 3, "$lt": 6}}`, true},
	{`{"a": 5}`, `{"a": {"$gt": 5}}`, false},
	{`{"a": 5}`, `{"a": {"$gte": 5}}`, true},
	{`{"a": "x"}`, `{"a": {"$gt": 3}}`, false},
	{`{"a": "x"}`, `{"a": {"$lt": {"$maxKey": 1}}}`, true},
	{`{"a": [1, 10]}`, `{"a": {"$gt": 5, "$lt": 2}}`, true},
	{`{"a": {"$numberDouble": "NaN"}}`, `{"a": {"$lt": 0}}`, false},
	{`{"a": {"$numberLong": "9007199254740993"}}`, `{"a": {"$gt": 9007199254740992.0}}`, true},
	{`{"a": 1}`, `{"a": {"$ne": 2}}`, true},
	{`{"a": [1, 2]}`, `{"a": {"$ne": 2}}`, false},
	{`{"b": 1}`, `{"a": {"$ne": null}}`, false},
	{`{"a": 2}`, `{"a": {"$in": [1, 2]}}`, true},
	{`{"b": 2}`, `{"a": {"$in": [null]}}`, true},
	{`{"a": 3}`, `{"a": {"$nin": [1, 2]}}`, true},
	{`{"a": [3, 1]}`, `{"a": {"$nin": [1, 2]}}`, false},
	{`{"a": "abc"}`, `{"a": {"$in": [{"$regularExpression": {"pattern": "^a", "options": ""}}]}}`, true},
	{`{"a": 1}`, `{"a": {"$exists": true}}`, true},
	{`{"a": null}`, `{"a": {"$exists": false}}`, false},
	{`{"b": 1}`, `{"a": {"$exists": false}}`, true},
	{`{"a": 1, "b": 2}`, `{"$and": [{"a": 1}, {"b": 2}]}`, true},
	{`{"a": 1, "b": 2}`, `{"$or": [{"a": 2}, {"b": 2}]}`, true},
	{`{"a": 1, "b": 2}`, `{"$nor": [{"a": 2}, {"b": 3}]}`, true},
	{`{"a": 5}`, `{"a": {"$not": {"$gt": 6}}}`, true},
	{`{"a": "Hello"}`, `{"a": {"$regex": "^hel", "$options": "i"}}`, true},
	{`{"a": "Hello"}`, `{"a": {"$regularExpression": {"pattern": "^hel", "options": ""}}}`, false},
	{`{"a": ["x", "yes"]}`, `{"a": {"$regex": "^y"}}`, true},
	{`{"a": "abc"}`, `{"a": {"$not": {"$regularExpression": {"pattern": "^a", "options": ""}}}}`, false},
	{`{"a": [1, 2, 3]}`, `{"a": {"$size": 3}}`, true},
	{`{"a": 3}`, `{"a": {"$size": 1}}`, false},
	{`{"a": 1}`, `{"$comment": "x", "a": 1}`, true},
	// $type: https://www.mongodb.com/docs/manual/reference/operator/query/type/
	{`{"a": 1}`, `{"a": {"$type": "int"}}`, true},
	{`{"a": 1}`, `{"a": {"$type": 16}}`, true},
	{`{"a": 1.5}`, `{"a": {"$type": "number"}}`, true},
	{`{"a": "x"}`, `{"a": {"$type": ["double", "string"]}}`, true},
	{`{"a": [1, "x"]}`, `{"a": {"$type": "string"}}`, true},
	{`{"a": [1]}`, `{"a": {"$type": "array"}}`, true},
	{`{"b": 1}`, `{"a": {"$type": "null"}}`, false},
	// $mod: https://www.mongodb.com/docs/manual/reference/operator/query/mod/
	{`{"a": 12}`, `{"a": {"$mod": [4, 0]}}`, true},
	{`{"a": 13.9}`, `{"a": {"$mod": [4, 1]}}`, true},
	{`{"a": -5}`, `{"a": {"$mod": [4, -1]}}`, true},
	{`{"a": "12"}`, `{"a": {"$mod": [4, 0]}}`, false},
	// $all: https://www.mongodb.com/docs/manual/reference/operator/query/all/
	{`{"a": [1, 2, 3]}`, `{"a": {"$all": [3, 1]}}`, true},
	{`{"a": [1, 2]}`, `{"a": {"$all": [1, 4]}}`, false},
	{`{"a": 1}`, `{"a": {"$all": [1]}}`, true},
	{`{"a": [1]}`, `{"a": {"$all": []}}`, false},
	{`{"a": [[1, 2], 3]}`, `{"a": {"$all": [[1, 2]]}}`, true},
	{`{"a": [{"b": 1, "c": 2}, {"b": 3}]}`, `{"a": {"$all": [{"$elemMatch": {"b": 1}}, {"$elemMatch": {"b": 3}}]}}`, true},
	// $elemMatch: https://www.mongodb.com/docs/manual/reference/operator/query/elemMatch/
	{`{"a": [1, 10]}`, `{"a": {"$elemMatch": {"$gt": 5, "$lt": 8}}}`, false},
	{`{"a": [1, 6]}`, `{"a": {"$elemMatch": {"$gt": 5, "$lt": 8}}}`, true},
	{`{"a": [{"b": 1, "c": 1}, {"b": 2, "c": 2}]}`, `{"a": {"$elemMatch": {"b": 1, "c": 2}}}`, false},
	{`{"a": [{"b": 1, "c": 1}, {"b": 2, "c": 2}]}`, `{"a": {"$elemMatch": {"b": 2, "c": 2}}}`, true},
	{`{"a": {"b": 1}}`, `{"a": {"$elemMatch": {"b": 1}}}`, false},
	{`{"a": [[1, 2]]}`, `{"a": {"$elemMatch": {"0": 1}}}`, true},
	{`{"a": [{"b": 1}]}`, `{"a": {"$elemMatch": {"$or": [{"b": 2}, {"b": 1}]}}}`, true},
	// bitwise: https://www.mongodb.com/docs/manual/reference/operator/query-bitwise/
	{`{"a": 54}`, `{"a": {"$bitsAllSet": [1, 5]}}`, true},
	{`{"a": 54}`, `{"a": {"$bitsAllSet": 50}}`, true},
	{`{"a": 20}`, `{"a": {"$bitsAllClear": 35}}`, true},
	{`{"a": 20}`, `{"a": {"$bitsAnySet": [1, 5]}}`, false},
	{`{"a": 20}`, `{"a": {"$bitsAnyClear": [2, 4]}}`, false},
	{`{"a": -1}`, `{"a": {"$bitsAllSet": [70]}}`, true},
	{`{"a": 2.5}`, `{"a": {"$bitsAnySet": [1]}}`, false},
	{`{"a": {"$binary": {"base64": "MA==", "subType": "00"}}}`, `{"a": {"$bitsAllSet": [4, 5]}}`, true},
	{`{"a": 48}`, `{"a": {"$bitsAllSet": {"$binary": {"base64": "MA==", "subType": "00"}}}}`, true},
	// null and missing: https://www.mongodb.com/docs/manual/tutorial/query-for-null-fields/
	{`{"a": {"$undefined": true}}`, `{"a": null}`, false},
	{`{"a": [1, "s"]}`, `{"a.b": null}`, true},
	{`{"a": [{"b": 3}, {}]}`, `{"a.b": null}`, true},
	{`{"a": [{"b": 1}]}`, `{"a.b": {"$exists": true}}`, true},
	{`{"a": []}`, `{"a.b": {"$exists": true}}`, false},
	// $expr: https://www.mongodb.com/docs/manual/reference/operator/query/expr/
	{`{"a": 5, "b": 3}`, `{"$expr": {"$gt": ["$a", "$b"]}}`, true},
	{`{"a": 2, "b": 3}`, `{"$expr": {"$gt": ["$a", "$b"]}}`, false},
	{`{"a": 2, "b": 3}`, `{"$expr": {"$eq": [{"$add": ["$a", 1]}, "$b"]}}`, true},
	{`{"a": 2}`, `{"$expr": {"$cond": [{"$gte": ["$a", 2]}, true, false]}}`, true},
	{`{"a": 0}`, `{"$expr": "$a"}`, false},
	{`{"a": 2}`, `{"$and": [{"a": 2}, {"$expr": {"$eq": ["$$ROOT.a", 2]}}]}`, true},
}

func TestExprLetAndErrors(t *testing.T) {
	sc, err := expr.NewScope(ej(t, `{"target": {"$add": [1, 1]}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFilterWith(ej(t, `{"$expr": {"$eq": ["$a", "$$target"]}}`), Options{Scope: sc})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Matches(ej(t, `{"a": 2}`)) || f.Matches(ej(t, `{"a": 3}`)) {
		t.Fatal("let variable not applied")
	}
	if _, err := ParseFilter(ej(t, `{"$expr": {"$eq": ["$a", "$$nope"]}}`)); err == nil {
		t.Fatal("undefined variable accepted")
	}
	f, err = ParseFilter(ej(t, `{"$expr": {"$divide": [1, "$a"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := f.MatchesErr(ej(t, `{"a": 0}`)); ok || mongoerr.As(err) == nil {
		t.Fatalf("division by zero: %v %v", ok, err)
	}
}

// Positional matches report the element of the first array the match
// went through (mongod's elemMatchKey).
func TestMatchArrayIndex(t *testing.T) {
	for _, tc := range []struct {
		doc, filter string
		want        int
	}{
		{`{"a": [4, 5, 6]}`, `{"a": 5}`, 1},
		{`{"a": [{"b": 1}, {"b": 2}]}`, `{"a.b": 2}`, 1},
		{`{"a": [{"b": [7, 8]}, {"b": [9]}]}`, `{"a.b": 9}`, 1},
		{`{"a": [1, 7, 9]}`, `{"a": {"$elemMatch": {"$gt": 8}}}`, 2},
		{`{"x": 1, "a": [1, 7]}`, `{"x": 1, "a": {"$gte": 7}}`, 1},
		{`{"a": 5}`, `{"a": 5}`, -1},
	} {
		f, err := ParseFilter(ej(t, tc.filter))
		if err != nil {
			t.Fatal(err)
		}
		ok, idx, err := f.MatchArrayIndex(ej(t, tc.doc))
		if err != nil || !ok || idx != tc.want {
			t.Errorf("%s on %s: matched %v at %d, want %d", tc.filter, tc.doc, ok, idx, tc.want)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range matchCases {
		f, err := ParseFilter(ej(t, tc.filter))
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		if got := f.Matches(ej(t, tc.doc)); got != tc.want {
			t.Errorf("%s matches %s = %v, want %v", tc.filter, tc.doc, got, tc.want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	for _, tc := range []struct {
		filter string
		code   mongoerr.Code
		msg    string
	}{
		{`{"a": {"$foo": 1}}`, mongoerr.BadValue, "unknown operator: $foo"},
		{`{"$foo": 1}`, mongoerr.BadValue, "unknown top level operator: $foo"},
		{`{"$and": []}`, mongoerr.BadValue, "$and/$or/$nor must be a nonempty array"},
		{`{"a": {"$in": 1}}`, mongoerr.BadValue, "$in needs an array"},
		{`{"a": {"$not": 1}}`, mongoerr.BadValue, "$not needs a regex or a document"},
		{`{"a": {"$regex": "a", "$options": "q"}}`, mongoerr.Code(51108), " invalid flag in regex options: q"},
		{`{"$where": "1"}`, mongoerr.Code(6108304), "no globalScriptEngine in $where parsing"},
		{`{"a": {"$type": "foo"}}`, mongoerr.BadValue, "Unknown type name alias: foo"},
		{`{"a": {"$type": 100}}`, mongoerr.BadValue, "Invalid numerical type code: 100"},
		{`{"a": {"$type": {}}}`, mongoerr.TypeMismatch, "type must be represented as a number or a string"},
		{`{"a": {"$mod": [0, 1]}}`, mongoerr.BadValue, "divisor cannot be 0"},
		{`{"a": {"$mod": [1]}}`, mongoerr.BadValue, "malformed mod, not enough elements"},
		{`{"a": {"$mod": 1}}`, mongoerr.BadValue, "malformed mod, needs to be an array"},
		{`{"a": {"$all": 1}}`, mongoerr.BadValue, "$all needs an array"},
		{`{"a": {"$all": [{"$elemMatch": {"b": 1}}, 2]}}`, mongoerr.BadValue, "$all/$elemMatch has to be consistent"},
		{`{"a": {"$elemMatch": 1}}`, mongoerr.BadValue, "$elemMatch needs an Object"},
		{`{"a": {"$elemMatch": {"$expr": {"$eq": [1, 1]}}}}`, mongoerr.BadValue, "$expr can only be applied to the top-level document"},
		{`{"a": {"$size": -1}}`, mongoerr.BadValue, "$size may not be negative"},
		{`{"a": {"$size": "x"}}`, mongoerr.BadValue, "$size needs a number"},
		{`{"a": {"$bitsAllSet": "x"}}`, mongoerr.BadValue, ""},
		{`{"a": {"$bitsAllSet": [-1]}}`, mongoerr.BadValue, "bit positions must be >= 0 but got: -1"},
		{`{"a": {"$not": {}}}`, mongoerr.BadValue, "$not cannot be empty"},
		{`{"a": {"$gt": {"$regularExpression": {"pattern": "x", "options": ""}}}}`, mongoerr.BadValue, "Can't have RegEx as arg to predicate over field 'a'."},
		{`{"a": {"$eq": {"$undefined": true}}}`, mongoerr.BadValue, "cannot compare to undefined"},
		{`{"$text": {"$search": "x"}}`, mongoerr.IndexNotFound, "text index required for $text query"},
		{`{"a": {"$options": "i"}}`, mongoerr.BadValue, "$options needs a $regex"},
		{`{"a": {"$regex": "(?<=x)y"}}`, mongoerr.Code(51091), ""},
		{`{"$sampleRate": 2}`, mongoerr.BadValue, "numeric argument to $sampleRate must be in [0, 1]"},
		{`{"$alwaysTrue": 2}`, mongoerr.FailedToParse, "$alwaysTrue must be an integer value of 1"},
	} {
		_, err := ParseFilter(ej(t, tc.filter))
		me := mongoerr.As(err)
		if me == nil || me.Code != tc.code || (tc.msg != "" && me.Message != tc.msg) {
			t.Errorf("%s: got %v, want %d %q", tc.filter, err, tc.code, tc.msg)
		}
	}
}

func TestSort(t *testing.T) {
	s, err := ParseSort(ej(t, `{"a": 1, "b": -1}`))
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{`{"a": 1, "b": 1}`, `{"a": 1, "b": 2}`, `{"b": 5}`, `{"a": "x"}`, `{"a": [0, 9]}`}
	// missing a sorts as null (first); [0, 9] sorts by 0 ascending.
	want := []int{2, 4, 1, 0, 3}
	order := []int{0, 1, 2, 3, 4}
	for i := 0; i < len(order); i++ {
		for j := i + 1; j < len(order); j++ {
			if s.Compare(ej(t, docs[order[j]]), ej(t, docs[order[i]])) < 0 {
				order[i], order[j] = order[j], order[i]
			}
		}
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if _, err := ParseSort(ej(t, `{"a": 2}`)); err == nil {
		t.Fatal("sort value 2 accepted")
	}
}
