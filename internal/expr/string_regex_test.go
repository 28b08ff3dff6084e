package expr

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// mongod (PCRE) accepts these patterns; RE2 cannot run them, so they are
// refused with mongod's "Invalid Regex" code and a message naming what is
// missing. The corpus holds only what mongod itself returns, so these
// server-specific answers are pinned here.
func TestRegexFeaturesRE2Lacks(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{`a(?=b)`, "lookahead assertions are not supported"},
		{`(?<!x)b`, "lookbehind assertions are not supported"},
		{`(a)\1`, "backreferences are not supported"},
		{`(?>a+)b`, "atomic groups are not supported"},
		{`a++b`, "possessive quantifiers are not supported"},
		{`(*UCP)\w`, "start-of-pattern settings"},
		{`a\Z`, "escape sequences"},
	}
	for _, c := range cases {
		for _, op := range []string{"$regexFind", "$regexFindAll", "$regexMatch"} {
			// Constant patterns fail when parsed, patterns from a field when evaluated.
			for _, regexArg := range []any{c.pattern, "$p"} {
				expr, err := bson.Marshal(bson.D{{Key: "e", Value: bson.D{{Key: op, Value: bson.D{
					{Key: "input", Value: "ab"}, {Key: "regex", Value: regexArg}}}}}})
				if err != nil {
					t.Fatal(err)
				}
				doc, err := bson.Marshal(bson.D{{Key: "p", Value: c.pattern}})
				if err != nil {
					t.Fatal(err)
				}
				e, err := Parse(bson.Raw(expr).Lookup("e"), NewParseContext())
				if err == nil {
					_, err = e.Eval(NewEvalContext(), doc)
				}
				me := mongoerr.As(err)
				if me == nil || me.Code != codeRegexInvalid || !strings.Contains(me.Message, c.want) ||
					!strings.Contains(me.Message, "Invalid Regex in "+op) {
					t.Errorf("%s %q (%v): got %v, want code 51111 with %q", op, c.pattern, regexArg, err, c.want)
				}
			}
		}
	}
}

// $regexFindAll resumes each search where the last match ended, with the
// text before that point still in view: a pattern anchored with ^ or \b
// must not match again just because the search restarted there.
func TestRegexFindAllKeepsContext(t *testing.T) {
	cases := []struct {
		input, pattern, options string
		want                    []int32 // idx of each match
	}{
		{"aaa", `^a`, "", []int32{0}},
		{"aaa", `^a`, "m", []int32{0}},
		{"a\na\na", `^a`, "m", []int32{0, 2, 4}},
		{"abab", `\bab`, "", []int32{0}},
		{"abb", `\Bb`, "", []int32{1, 2}},
		{"a)b)", `\Q)`, "", []int32{1, 3}},
	}
	for _, c := range cases {
		expr, err := bson.Marshal(bson.D{{Key: "e", Value: bson.D{{Key: "$regexFindAll", Value: bson.D{
			{Key: "input", Value: c.input}, {Key: "regex", Value: c.pattern}, {Key: "options", Value: c.options}}}}}})
		if err != nil {
			t.Fatal(err)
		}
		e, err := Parse(bson.Raw(expr).Lookup("e"), NewParseContext())
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		v, err := e.Eval(NewEvalContext(), bson.Raw{5, 0, 0, 0, 0})
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		vals, _ := bson.Raw(v.Value).Values()
		var got []int32
		for _, m := range vals {
			got = append(got, bson.Raw(m.Value).Lookup("idx").Int32())
		}
		if len(got) != len(c.want) {
			t.Errorf("%q on %q: idx %v, want %v", c.pattern, c.input, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q on %q: idx %v, want %v", c.pattern, c.input, got, c.want)
				break
			}
		}
	}
}
