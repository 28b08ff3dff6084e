package query

import (
	"bytes"
	"testing"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Cases follow the manual's projection pages
// (https://www.mongodb.com/docs/manual/reference/method/db.collection.find/#projection,
// .../reference/operator/projection/{positional,elemMatch,slice}/, .../meta/) and
// mongod's projection_parser.cpp, projection_node.cpp and
// projection_executor_utils.cpp; positional cases mirror
// jstests/core/query/project/positional_projection.js.
var projectionCases = []struct {
	name   string
	filter string // the query filter; "" for none
	spec   string
	doc    string
	want   string        // the projected document, byte for byte (field order included)
	code   mongoerr.Code // or the error
}{
	// Inclusion, exclusion and _id.
	{name: "include", spec: `{"a": 1}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"_id": 1, "a": 1}`},
	{name: "include keeps document order", spec: `{"c": 1, "a": true}`, doc: `{"a": 1, "_id": 1, "b": 2, "c": 3}`, want: `{"a": 1, "_id": 1, "c": 3}`},
	{name: "include without _id", spec: `{"a": 1, "_id": 0}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"a": 1}`},
	{name: "include with _id false", spec: `{"_id": false, "b": 1}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"b": 2}`},
	{name: "non-zero numbers include", spec: `{"a": -1, "b": {"$numberDecimal": "0.5"}, "c": 2.5}`, doc: `{"_id": 1, "a": 1, "b": 2, "c": 3, "d": 4}`, want: `{"_id": 1, "a": 1, "b": 2, "c": 3}`},
	{name: "_id alone is inclusion", spec: `{"_id": 1}`, doc: `{"_id": 1, "a": 1}`, want: `{"_id": 1}`},
	{name: "_id 0 alone is exclusion", spec: `{"_id": 0}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"a": 1, "b": 2}`},
	{name: "exclude", spec: `{"a": 0}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"_id": 1, "b": 2}`},
	{name: "exclude with _id 1", spec: `{"a": 0, "_id": 1}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"_id": 1, "b": 2}`},
	{name: "exclude with _id 0", spec: `{"a": false, "_id": 0}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"b": 2}`},
	{name: "missing included field", spec: `{"x": 1}`, doc: `{"_id": 1, "a": 1}`, want: `{"_id": 1}`},
	{name: "no _id in document", spec: `{"a": 1}`, doc: `{"a": 1, "b": 2}`, want: `{"a": 1}`},

	// Dotted paths, sub-projections and arrays.
	{name: "dotted include", spec: `{"b.c": 1}`, doc: `{"_id": 1, "b": {"c": 2, "d": 3}}`, want: `{"_id": 1, "b": {"c": 2}}`},
	{name: "sub-projection is a dotted path", spec: `{"b": {"d": 1}}`, doc: `{"_id": 1, "b": {"c": 2, "d": 3}}`, want: `{"_id": 1, "b": {"d": 3}}`},
	{name: "sub-projection and dotted path merge", spec: `{"b": {"d": 1}, "b.c": 1}`, doc: `{"_id": 1, "b": {"c": 2, "d": 3, "e": 4}}`, want: `{"_id": 1, "b": {"c": 2, "d": 3}}`},
	{name: "dotted include of a scalar drops it", spec: `{"a.b": 1}`, doc: `{"_id": 1, "a": 5}`, want: `{"_id": 1}`},
	{name: "dotted include of a document without the field", spec: `{"a.b": 1}`, doc: `{"_id": 1, "a": {"c": 1}}`, want: `{"_id": 1, "a": {}}`},
	{name: "include through an array drops scalars", spec: `{"e.f": 1}`, doc: `{"_id": 1, "e": [{"f": 1, "g": 2}, 5, {"g": 3}, [{"f": 4, "h": 1}, 6]]}`, want: `{"_id": 1, "e": [{"f": 1}, {}, [{"f": 4}]]}`},
	{name: "exclude through an array keeps scalars", spec: `{"e.g": 0}`, doc: `{"_id": 1, "e": [{"f": 1, "g": 2}, 5, [{"g": 1, "h": 2}]]}`, want: `{"_id": 1, "e": [{"f": 1}, 5, [{"h": 2}]]}`},
	{name: "dotted exclude", spec: `{"b.c": 0, "a": 0}`, doc: `{"_id": 1, "a": 1, "b": {"c": 2, "d": 3}}`, want: `{"_id": 1, "b": {"d": 3}}`},
	{name: "dotted _id exclusion", spec: `{"_id.x": 0}`, doc: `{"_id": {"x": 1, "y": 2}, "a": 1}`, want: `{"_id": {"y": 2}, "a": 1}`},
	{name: "dotted _id inclusion has no implicit _id", spec: `{"_id.x": 1, "a": 1}`, doc: `{"_id": {"x": 1, "y": 2}, "a": 1, "b": 2}`, want: `{"_id": {"x": 1}, "a": 1}`},

	// Computed fields: aggregation expressions since 4.4.
	{name: "string literal is a field path", spec: `{"x": "$a"}`, doc: `{"_id": 1, "a": 7, "b": 2}`, want: `{"_id": 1, "x": 7}`},
	{name: "plain string is a literal", spec: `{"x": "lit"}`, doc: `{"_id": 1, "a": 7}`, want: `{"_id": 1, "x": "lit"}`},
	{name: "computed fields follow inclusions", spec: `{"x": {"$add": ["$a", 1]}, "b": 1}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"_id": 1, "b": 2, "x": 2}`},
	{name: "computed fields in spec order", spec: `{"z": "lit", "y": null, "a": 1}`, doc: `{"_id": 1, "a": 1, "z": 0}`, want: `{"_id": 1, "a": 1, "z": "lit", "y": null}`},
	{name: "array expression", spec: `{"x": [1, "$a", "$missing"]}`, doc: `{"_id": 1, "a": 2}`, want: `{"_id": 1, "x": [1, 2, null]}`},
	{name: "literal operator", spec: `{"x": {"$literal": "$a"}, "_id": 0}`, doc: `{"_id": 1, "a": 2}`, want: `{"x": "$a"}`},
	{name: "missing field path adds nothing", spec: `{"x": "$nope"}`, doc: `{"_id": 1}`, want: `{"_id": 1}`},
	{name: "computed _id moves last", spec: `{"_id": "$a", "b": 1}`, doc: `{"_id": 1, "a": 5, "b": 2}`, want: `{"b": 2, "_id": 5}`},
	{name: "computed nested field", spec: `{"a": {"c": "$x"}}`, doc: `{"_id": 1, "x": 9, "a": {"b": 1}}`, want: `{"_id": 1, "a": {"c": 9}}`},
	{name: "computed nested field on a missing parent", spec: `{"a.c": {"$literal": 1}, "b": 1}`, doc: `{"_id": 1, "b": 2}`, want: `{"_id": 1, "b": 2, "a": {"c": 1}}`},
	{name: "computed nested field keeps the parent's position", spec: `{"a.b": 1, "a.c": "$x"}`, doc: `{"_id": 1, "a": {"b": 1, "z": 0}, "x": 3}`, want: `{"_id": 1, "a": {"b": 1, "c": 3}}`},
	{name: "computed field below an array of scalars", spec: `{"a.c": "$x", "_id": 0}`, doc: `{"_id": 1, "a": [1, {"b": 2}], "x": 3}`, want: `{"a": [{"c": 3}, {"c": 3}]}`},
	{name: "computed field replaces a scalar parent", spec: `{"a.b": {"$literal": 1}}`, doc: `{"_id": 1, "a": 1}`, want: `{"_id": 1, "a": {"b": 1}}`},
	{name: "expression error", spec: `{"x": {"$divide": [1, 0]}}`, doc: `{"_id": 1}`, code: 2},

	// $slice.
	{name: "slice first n", spec: `{"a": {"$slice": 2}}`, doc: `{"_id": 1, "a": [1, 2, 3], "b": 1}`, want: `{"_id": 1, "a": [1, 2], "b": 1}`},
	{name: "slice last n", spec: `{"a": {"$slice": -2}}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"_id": 1, "a": [2, 3]}`},
	{name: "slice more than length", spec: `{"a": {"$slice": -5}}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"_id": 1, "a": [1, 2, 3]}`},
	{name: "slice zero", spec: `{"a": {"$slice": 0}}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"_id": 1, "a": []}`},
	{name: "slice skip limit", spec: `{"a": {"$slice": [1, 1]}}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"_id": 1, "a": [2]}`},
	{name: "slice negative skip", spec: `{"a": {"$slice": [-2, 5]}}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"_id": 1, "a": [2, 3]}`},
	{name: "slice skip past the end", spec: `{"a": {"$slice": [5, 1]}}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"_id": 1, "a": []}`},
	{name: "slice double is truncated", spec: `{"a": {"$slice": 1.9}}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"_id": 1, "a": [1]}`},
	{name: "slice of a non-array", spec: `{"a": {"$slice": 1}}`, doc: `{"_id": 1, "a": "str"}`, want: `{"_id": 1, "a": "str"}`},
	{name: "slice alone keeps other fields", spec: `{"_id": 0, "a": {"$slice": 1}}`, doc: `{"_id": 1, "a": [1, 2], "b": 3}`, want: `{"a": [1], "b": 3}`},
	{name: "slice with _id 1 is inclusion", spec: `{"_id": 1, "a": {"$slice": 1}}`, doc: `{"_id": 1, "a": [1, 2], "b": 3}`, want: `{"_id": 1, "a": [1]}`},
	{name: "slice in inclusion", spec: `{"qty": 1, "details.colors": {"$slice": 1}}`, doc: `{"_id": 1, "qty": 100, "details": {"colors": ["blue", "red"], "sizes": ["S", "M"]}}`, want: `{"_id": 1, "qty": 100, "details": {"colors": ["blue"]}}`},
	{name: "slice in exclusion", spec: `{"qty": 0, "details.colors": {"$slice": 1}}`, doc: `{"_id": 1, "qty": 100, "details": {"colors": ["blue", "red"], "sizes": ["S", "M"]}}`, want: `{"_id": 1, "details": {"colors": ["blue"], "sizes": ["S", "M"]}}`},
	{name: "slice through an array", spec: `{"a.b": {"$slice": 1}}`, doc: `{"_id": 1, "a": [{"b": [1, 2]}, 3, {"b": [4, 5]}]}`, want: `{"_id": 1, "a": [{"b": [1]}, 3, {"b": [4]}]}`},
	{name: "slice expression fallback", spec: `{"x": {"$slice": ["$a", 1, 1]}}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"_id": 1, "x": [2]}`},
	{name: "slice expression with non-number skip", spec: `{"x": {"$slice": ["$a", 2]}, "_id": 0}`, doc: `{"_id": 1, "a": [1, 2, 3]}`, want: `{"x": [1, 2]}`},
	{name: "slice limit 0 becomes the expression", spec: `{"a": {"$slice": [1, 0]}}`, doc: `{"_id": 1}`, code: codeSliceFirstArg},
	{name: "slice bad argument", spec: `{"a": {"$slice": "x"}}`, doc: `{"_id": 1}`, code: codeSliceOperand},
	{name: "slice and sub-path collide", spec: `{"a": {"$slice": 1}, "a.b": 1}`, doc: `{"_id": 1}`, code: mongoerr.Location31249},

	// $elemMatch.
	{name: "elemMatch", spec: `{"a": {"$elemMatch": {"b": {"$gt": 1}}}}`, doc: `{"_id": 1, "a": [{"b": 1}, {"b": 2}, {"b": 3}], "c": 1}`, want: `{"_id": 1, "a": [{"b": 2}]}`},
	{name: "elemMatch after inclusions", spec: `{"a": {"$elemMatch": {"$gte": 2}}, "c": 1}`, doc: `{"_id": 1, "a": [1, 2, 3], "c": 1}`, want: `{"_id": 1, "c": 1, "a": [2]}`},
	{name: "elemMatch without match", spec: `{"a": {"$elemMatch": {"b": 5}}}`, doc: `{"_id": 1, "a": [{"b": 1}]}`, want: `{"_id": 1}`},
	{name: "elemMatch on a non-array", spec: `{"a": {"$elemMatch": {"b": 1}}, "_id": 0}`, doc: `{"_id": 1, "a": {"b": 1}}`, want: `{}`},
	{name: "elemMatch in exclusion replaces in place", spec: `{"a": {"$elemMatch": {"$gt": 1}}, "b": 0}`, doc: `{"_id": 1, "a": [1, 2], "b": 1, "c": 2}`, want: `{"_id": 1, "a": [2], "c": 2}`},
	{name: "elemMatch nested is an error", spec: `{"a.b": {"$elemMatch": {"c": 1}}}`, doc: `{}`, code: codeElemMatchNested},
	{name: "elemMatch in sub-projection is an error", spec: `{"a": {"b": {"$elemMatch": {"c": 1}}}}`, doc: `{}`, code: codeElemMatchNested},
	{name: "elemMatch needs an object", spec: `{"a": {"$elemMatch": 1}}`, doc: `{}`, code: codeElemMatchArg},
	{name: "elemMatch bad filter", spec: `{"a": {"$elemMatch": {"$foo": 1}}}`, doc: `{}`, code: mongoerr.BadValue},

	// The positional operator.
	{name: "positional", filter: `{"x.a": 2}`, spec: `{"x.$": 1}`, doc: `{"_id": 1, "x": [{"a": 1, "b": 2}, {"a": 2, "c": 3}], "y": 1}`, want: `{"_id": 1, "x": [{"a": 2, "c": 3}]}`},
	{name: "positional on another array", filter: `{"a": 2}`, spec: `{"b.$": 1, "_id": 0}`, doc: `{"_id": 1, "a": [1, 2, 3], "b": [4, 5, 6]}`, want: `{"b": [5]}`},
	{name: "positional nested path", filter: `{"x.y.a": 1}`, spec: `{"x.y.$": 1, "_id": 0}`, doc: `{"x": {"y": [{"a": 1, "b": 1}, {"a": 1, "b": 2}]}}`, want: `{"x": {"y": [{"a": 1, "b": 1}]}}`},
	{name: "positional on a missing field", filter: `{}`, spec: `{"g.$": 1, "_id": 0}`, doc: `{"x": [1, 2]}`, want: `{}`},
	{name: "positional without array", filter: `{"x": {"$gt": 0}}`, spec: `{"a.b.c.$": 1, "_id": 0}`, doc: `{"x": [-1, 1, 2], "a": {"b": {"c": 123}}}`, want: `{"a": {"b": {"c": 123}}}`},
	{name: "positional applies to the first array", filter: `{"x.y.z": 1}`, spec: `{"a.b.c.$": 1, "_id": 0}`, doc: `{"x": {"y": {"z": [0, 1, 2]}}, "a": {"b": [{"c": [1, 2]}, {"c": [4, 5]}]}}`, want: `{"a": {"b": [{"c": [4, 5]}]}}`},
	{name: "positional with elemMatch query", filter: `{"x": {"$elemMatch": {"$gt": 1, "$lt": 3}}}`, spec: `{"x.$": 1, "_id": 0}`, doc: `{"x": [1, 2, 3]}`, want: `{"x": [2]}`},
	{name: "positional with other inclusions", filter: `{"x": 3}`, spec: `{"z": 1, "x.$": 1}`, doc: `{"_id": 1, "x": [1, 3], "y": 0, "z": 2}`, want: `{"_id": 1, "x": [3], "z": 2}`},
	{name: "positional without matched index", filter: `{}`, spec: `{"x.$": 1}`, doc: `{"_id": 1, "x": [1, 2]}`, code: codePosNoMatchingElem},
	{name: "positional whole-array match has no index", filter: `{"b": [4, 5, 6]}`, spec: `{"c.$": 1}`, doc: `{"_id": 1, "b": [4, 5, 6], "c": [7, 8, 9]}`, code: codePosNoMatchingElem},
	{name: "positional index past the projected array", filter: `{"a": 3}`, spec: `{"b.$": 1}`, doc: `{"_id": 1, "a": [1, 2, 3], "b": [1]}`, code: codePosElemMismatch},
	{name: "two positionals", filter: `{"x.a": 1, "y.aa": 1}`, spec: `{"x.$": 1, "y.$": 1}`, doc: `{}`, code: codeTwoPositionals},
	{name: "positional with exclusion", filter: `{"x.a": 2}`, spec: `{"x.$": 1, "y": 0}`, doc: `{}`, code: mongoerr.Location31254},
	{name: "positional zero", filter: `{"x": 1}`, spec: `{"x.$": 0}`, doc: `{}`, code: codePosWithExclusion},
	{name: "positional with slice", filter: `{"x": 1}`, spec: `{"x.$": {"$slice": 1}}`, doc: `{}`, code: codePosWithSubObject},
	{name: "positional with literal", filter: `{"x": 1}`, spec: `{"x.$": "a"}`, doc: `{}`, code: mongoerr.Location31308},
	{name: "positional in the middle", filter: `{"x": 1}`, spec: `{"x.$.a": 1}`, doc: `{}`, code: codePosInMiddle},
	{name: "dot dollar alone", filter: `{}`, spec: `{".$": 1}`, doc: `{}`, code: codePosDotDollar},
	{name: "positional then elemMatch", filter: `{"x": 1}`, spec: `{"x.$": 1, "y": {"$elemMatch": {"a": 1}}}`, doc: `{}`, code: codeElemMatchAfterPos},
	{name: "elemMatch then positional", filter: `{"x": 1}`, spec: `{"y": {"$elemMatch": {"a": 1}}, "x.$": 1}`, doc: `{}`, code: codePosAfterElemMatch},
	{name: "positional without a filter", spec: `{"x.$": 1}`, doc: `{}`, code: codePosNeedsMatcher},
	{name: "positional with $expr filter", filter: `{"$expr": true}`, spec: `{"x.$": 1}`, doc: `{}`, code: mongoerr.QueryFeatureNotAllowed},

	// $meta.
	{name: "meta indexKey on a collection scan", spec: `{"a": 1, "k": {"$meta": "indexKey"}}`, doc: `{"_id": 1, "a": 1}`, want: `{"_id": 1, "a": 1}`},
	{name: "meta alone is exclusion", spec: `{"k": {"$meta": "indexKey"}}`, doc: `{"_id": 1, "a": 1}`, want: `{"_id": 1, "a": 1}`},
	{name: "meta with exclusion", spec: `{"a": 0, "k": {"$meta": "randVal"}}`, doc: `{"_id": 1, "a": 1, "b": 2}`, want: `{"_id": 1, "b": 2}`},
	{name: "meta textScore without $text", spec: `{"s": {"$meta": "textScore"}}`, doc: `{}`, code: codeUnavailableMetadata},
	{name: "meta searchScore in find", spec: `{"s": {"$meta": "searchScore"}}`, doc: `{}`, code: codeUnavailableMetadata},
	{name: "meta unknown", spec: `{"s": {"$meta": "bogus"}}`, doc: `{}`, code: codeMetaUnsupported},
	{name: "meta not a string", spec: `{"s": {"$meta": 1}}`, doc: `{}`, code: codeMetaNotString},

	// Mixing and the 4.4 restrictions.
	{name: "exclusion in inclusion", spec: `{"a": 1, "b": 0}`, doc: `{}`, code: mongoerr.Location31254},
	{name: "inclusion in exclusion", spec: `{"a": 0, "b": 1}`, doc: `{}`, code: mongoerr.Location31253},
	{name: "exclusion after computed", spec: `{"x": "$a", "b": 0}`, doc: `{}`, code: mongoerr.Location31254},
	{name: "literal in exclusion", spec: `{"b": 0, "x": "lit"}`, doc: `{}`, code: codeLiteralInExclusion},
	{name: "expression in exclusion", spec: `{"b": 0, "x": {"$add": [1, 2]}}`, doc: `{}`, code: mongoerr.Location31252},
	{name: "nested exclusion in inclusion", spec: `{"a": {"b": 1, "c": 0}}`, doc: `{}`, code: mongoerr.Location31254},
	{name: "parent then child collide", spec: `{"a": 1, "a.b": 1}`, doc: `{}`, code: mongoerr.Location31249},
	{name: "child then parent collide", spec: `{"a.b": 1, "a": 1}`, doc: `{}`, code: mongoerr.Location31250},
	{name: "sub-projection then parent collide", spec: `{"a": {"b": 1}, "a": 1}`, doc: `{}`, code: mongoerr.Location31250},
	{name: "empty sub-projection", spec: `{"a": {}}`, doc: `{}`, code: codeEmptySubProjection},
	{name: "empty field name", spec: `{"": 1}`, doc: `{}`, code: mongoerr.Location40352},
	{name: "empty path component", spec: `{"a..b": 1}`, doc: `{}`, code: codeFieldPathEmptyName},
	{name: "trailing dot", spec: `{"a.": 1}`, doc: `{}`, code: mongoerr.Location40353},
	{name: "dollar field", spec: `{"$a": 1}`, doc: `{}`, code: codeFieldPathDollarPrefix},
	{name: "dollar in a dotted path", spec: `{"a.$b": 0}`, doc: `{}`, code: codeFieldPathDollarPrefix},
	{name: "unknown expression", spec: `{"a": {"$foo": 1}}`, doc: `{}`, code: codeUnknownExpression},
	{name: "expression with two fields is a sub-projection", spec: `{"a": {"$add": [1], "b": 1}}`, doc: `{}`, code: codeFieldPathDollarPrefix},
}

func TestProjection(t *testing.T) {
	for _, tc := range projectionCases {
		t.Run(tc.name, func(t *testing.T) {
			opts := ProjectionOptions{}
			if tc.filter != "" {
				f, err := ParseFilter(ej(t, tc.filter))
				if err != nil {
					t.Fatalf("filter %s: %v", tc.filter, err)
				}
				opts.Filter = f
			}
			p, err := ParseProjectionWith(ej(t, tc.spec), opts)
			var got []byte
			if err == nil {
				got, err = p.Apply(ej(t, tc.doc))
			}
			if tc.code != 0 {
				if me := mongoerr.As(err); me == nil || me.Code != tc.code {
					t.Fatalf("%s on %s: got %v (%s), want code %d", tc.spec, tc.doc, err, got, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s on %s: %v", tc.spec, tc.doc, err)
			}
			if want := ej(t, tc.want); !bytes.Equal(got, want) {
				t.Fatalf("%s on %s:\n got %s\nwant %s", tc.spec, tc.doc, got, want)
			}
		})
	}
}

func TestProjectionMessages(t *testing.T) {
	for _, tc := range []struct{ spec, msg string }{
		{`{"a": 1, "b": 0}`, "Cannot do exclusion on field b in inclusion projection"},
		{`{"a": 0, "b": {"c": 1}}`, "Cannot do inclusion on field c in exclusion projection"},
		{`{"a": 1, "a.b.c": 1}`, "Path collision at a.b.c remaining portion b.c"},
		{`{"a.b": 1, "a": 1}`, "Path collision at a"},
		{`{"a": {"b": {}}}`, "Invalid empty sub-projection: b"},
		{`{"b": 0, "x": "lit"}`, `Cannot use an expression x: "lit" in an exclusion projection`},
		{`{"a": {"$slice": "x"}}`, `Invalid $slice syntax. The given syntax { $slice: "x" } did not match the find() syntax because :: Location31273: $slice only supports numbers and [skip, limit] arrays :: The given syntax did not match the expression $slice syntax. :: caused by :: Expression $slice takes at least 2 arguments, and at most 3, but 1 were passed in.`},
		{`{"s": {"$meta": "textScore"}}`, "query requires text score metadata, but it is not available"},
	} {
		_, err := ParseProjection(ej(t, tc.spec))
		if me := mongoerr.As(err); me == nil || me.Message != tc.msg {
			t.Errorf("%s: got %v, want %q", tc.spec, err, tc.msg)
		}
	}
}

func TestProjectionApplyParams(t *testing.T) {
	p, err := ParseProjection(ej(t, `{"a": 1, "r": {"$meta": "recordId"}, "k": {"$meta": "indexKey"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !p.NeedsRecordID() {
		t.Fatal("NeedsRecordID is false")
	}
	got, err := p.ApplyWith(ej(t, `{"_id": 1, "a": 2}`), ApplyParams{RecordID: 7, HasRecordID: true, IndexKey: ej(t, `{"a": 2}`)})
	want := ej(t, `{"_id": 1, "a": 2, "r": {"$numberLong": "7"}, "k": {"a": 2}}`)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %s (%v), want %s", got, err, want)
	}

	f, err := ParseFilter(ej(t, `{"a": {"$gt": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err = ParseFindProjection(ej(t, `{"b.$": 1, "_id": 0}`), f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err = p.ApplyMatched(ej(t, `{"a": [0, 5], "b": ["x", "y"]}`), 0)
	if want := ej(t, `{"b": ["x"]}`); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ApplyMatched: got %s (%v), want %s", got, err, want)
	}
}

func TestProjectionAggregation(t *testing.T) {
	for _, tc := range []struct {
		spec string
		code mongoerr.Code
	}{
		{`{}`, mongoerr.Location51272},
		{`{"a.$": 1}`, codePosInAggregation},
		{`{"a": {"$elemMatch": {"b": 1}}}`, mongoerr.InvalidPipelineOperator},
	} {
		_, err := ParseProjectionWith(ej(t, tc.spec), ProjectionOptions{Aggregation: true})
		if me := mongoerr.As(err); me == nil || me.Code != tc.code {
			t.Errorf("%s: got %v, want code %d", tc.spec, err, tc.code)
		}
	}
	// In $project, $slice is the expression and $meta makes an inclusion.
	p, err := ParseProjectionWith(ej(t, `{"a": {"$slice": ["$a", -1]}, "k": {"$meta": "indexKey"}}`), ProjectionOptions{Aggregation: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Apply(ej(t, `{"_id": 1, "a": [1, 2], "b": 3}`))
	if want := ej(t, `{"_id": 1, "a": [2]}`); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %s (%v), want %s", got, err, want)
	}
}

func TestFilterPaths(t *testing.T) {
	f, err := ParseFilter(ej(t, `{"a.b": 1, "$or": [{"c": {"$gt": 1, "$lt": 5}}, {"a.b": 2}], "$nor": [{"d": 1}], "e": {"$not": {"$gt": 1}}, "$expr": true}`))
	if err != nil {
		t.Fatal(err)
	}
	got := f.Paths()
	want := []string{"a.b", "c", "d", "e"}
	if len(got) != len(want) {
		t.Fatalf("Paths = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Paths = %v, want %v", got, want)
		}
	}
	if !f.Constrains("a") || !f.Constrains("a.b.c") || f.Constrains("ab") || f.Constrains("x") {
		t.Fatal("Constrains is wrong")
	}
}
