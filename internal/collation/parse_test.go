package collation

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

func doc(t *testing.T, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The field errors are mongod 8's IDL parser messages (as measured against
// a live mongod for find/aggregate/count/distinct/findAndModify); the
// locale and version errors are those of mongod's collator factory
// (src/mongo/db/query/collation/collator_factory_icu.cpp).
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		spec bson.D
		code mongoerr.Code
		msg  string
	}{
		{"missing locale", bson.D{{Key: "strength", Value: int32(2)}}, mongoerr.Location40414, "BSON field 'collation.locale' is missing but a required field"},
		{"null locale is missing", bson.D{{Key: "locale", Value: nil}}, mongoerr.Location40414, "BSON field 'collation.locale' is missing but a required field"},
		{"locale wrong type", bson.D{{Key: "locale", Value: int32(5)}}, mongoerr.TypeMismatch, "BSON field 'collation.locale' is the wrong type 'int', expected type 'string'"},
		{"strength string", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: "x"}}, mongoerr.TypeMismatch, "BSON field 'collation.strength' is the wrong type 'string', expected types '[double, decimal, long, int]'"},
		{"strength bool", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: true}}, mongoerr.TypeMismatch, "BSON field 'collation.strength' is the wrong type 'bool', expected types '[double, decimal, long, int]'"},
		{"strength 6", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: int32(6)}}, mongoerr.BadValue, "BSON field 'strength' value must be <= 5, actual value '6'"},
		{"strength -1", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: int64(-1)}}, mongoerr.BadValue, "BSON field 'strength' value must be >= 0, actual value '-1'"},
		{"strength 0", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 0.0}}, mongoerr.BadValue, "Enumeration value '0' for field 'collation.strength' is not a valid value."},
		{"caseLevel int", bson.D{{Key: "locale", Value: "en"}, {Key: "caseLevel", Value: int32(1)}}, mongoerr.TypeMismatch, "BSON field 'collation.caseLevel' is the wrong type 'int', expected type 'bool'"},
		{"caseFirst enum", bson.D{{Key: "locale", Value: "en"}, {Key: "caseFirst", Value: "sideways"}}, mongoerr.BadValue, "Enumeration value 'sideways' for field 'collation.caseFirst' is not a valid value."},
		{"caseFirst type", bson.D{{Key: "locale", Value: "en"}, {Key: "caseFirst", Value: true}}, mongoerr.TypeMismatch, "BSON field 'collation.caseFirst' is the wrong type 'bool', expected type 'string'"},
		{"alternate enum", bson.D{{Key: "locale", Value: "en"}, {Key: "alternate", Value: "nope"}}, mongoerr.BadValue, "Enumeration value 'nope' for field 'collation.alternate' is not a valid value."},
		{"maxVariable enum", bson.D{{Key: "locale", Value: "en"}, {Key: "maxVariable", Value: "nope"}}, mongoerr.BadValue, "Enumeration value 'nope' for field 'collation.maxVariable' is not a valid value."},
		{"numericOrdering type", bson.D{{Key: "locale", Value: "en"}, {Key: "numericOrdering", Value: "x"}}, mongoerr.TypeMismatch, "BSON field 'collation.numericOrdering' is the wrong type 'string', expected type 'bool'"},
		{"normalization type", bson.D{{Key: "locale", Value: "en"}, {Key: "normalization", Value: 1.0}}, mongoerr.TypeMismatch, "BSON field 'collation.normalization' is the wrong type 'double', expected type 'bool'"},
		{"backwards type", bson.D{{Key: "locale", Value: "en"}, {Key: "backwards", Value: "x"}}, mongoerr.TypeMismatch, "Field 'backwards' should be a boolean value, but found: string"},
		{"version type", bson.D{{Key: "locale", Value: "en"}, {Key: "version", Value: int32(57)}}, mongoerr.TypeMismatch, "BSON field 'collation.version' is the wrong type 'int', expected type 'string'"},
		{"unknown field", bson.D{{Key: "locale", Value: "en"}, {Key: "bogus", Value: int32(1)}}, mongoerr.UnrecognizedCommandField, "BSON field 'collation.bogus' is an unknown field."},
		{"unknown field beside simple", bson.D{{Key: "locale", Value: "simple"}, {Key: "strangth", Value: int32(1)}}, mongoerr.UnrecognizedCommandField, "BSON field 'collation.strangth' is an unknown field."},
		{"first bad field wins", bson.D{{Key: "locale", Value: "en"}, {Key: "bogus", Value: int32(1)}, {Key: "strength", Value: int32(9)}}, mongoerr.UnrecognizedCommandField, "BSON field 'collation.bogus' is an unknown field."},
		{"duplicate field", bson.D{{Key: "locale", Value: "en"}, {Key: "locale", Value: "fr"}}, mongoerr.Location40413, "BSON field 'collation.locale' is a duplicate field"},
		{"invalid locale", bson.D{{Key: "locale", Value: "xx"}}, mongoerr.BadValue, `Field 'locale' is invalid in: { locale: "xx" }`},
		{"invalid locale with hint", bson.D{{Key: "locale", Value: "en_GB"}, {Key: "strength", Value: int32(1)}}, mongoerr.BadValue, `Field 'locale' is invalid in: { locale: "en_GB", strength: 1 }. Did you mean 'en'?`},
		{"BCP 47 spelling", bson.D{{Key: "locale", Value: "en-US"}}, mongoerr.BadValue, `Field 'locale' is invalid in: { locale: "en-US" }. Did you mean 'en_US'?`},
		{"empty locale", bson.D{{Key: "locale", Value: ""}}, mongoerr.BadValue, `Field 'locale' cannot be the empty string in: { locale: "" }`},
		{"wrong version", bson.D{{Key: "locale", Value: "en"}, {Key: "version", Value: "58.2"}}, mongoerr.IncompatibleCollationVersion, `Requested collation version 58.2 but the only available collator version was 57.1. Requested collation spec: { locale: "en", version: "58.2" }`},
		// Valid MongoDB that x/text cannot reproduce.
		{"ICU locale without a table", bson.D{{Key: "locale", Value: "am"}}, mongoerr.NotImplemented, "collation locale 'am' is not supported by SecantusDB (no collation table for it); supported locales are listed by the collation package"},
		{"search variant", bson.D{{Key: "locale", Value: "de@collation=search"}}, mongoerr.NotImplemented, "collation locale 'de@collation=search' is not supported by SecantusDB (no collation table for it); supported locales are listed by the collation package"},
		{"caseLevel true", bson.D{{Key: "locale", Value: "en"}, {Key: "caseLevel", Value: true}}, mongoerr.NotImplemented, "collation option caseLevel: true is not supported by SecantusDB: golang.org/x/text has no separate case level"},
		{"maxVariable space shifted", bson.D{{Key: "locale", Value: "en"}, {Key: "alternate", Value: "shifted"}, {Key: "maxVariable", Value: "space"}}, mongoerr.NotImplemented, `collation option maxVariable: "space" is not supported by SecantusDB: with alternate: "shifted" golang.org/x/text always treats punctuation as variable as well`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(doc(t, tc.spec))
			if err == nil {
				t.Fatalf("Parse succeeded with %s, want error %d", c.Spec(), tc.code)
			}
			me := mongoerr.As(err)
			if me.Code != tc.code || me.Message != tc.msg {
				t.Errorf("got (%d) %q\nwant (%d) %q", me.Code, me.Message, tc.code, tc.msg)
			}
		})
	}
}

func TestWithQueryContext(t *testing.T) {
	_, err := Parse(doc(t, bson.D{{Key: "locale", Value: "xx"}}))
	me := mongoerr.As(WithQueryContext(err))
	if me.Code != mongoerr.BadValue || me.Message != `unable to parse collation :: caused by :: Field 'locale' is invalid in: { locale: "xx" }` {
		t.Errorf("got (%d) %q", me.Code, me.Message)
	}
	// IDL field errors are thrown past that context in mongod.
	_, err = Parse(doc(t, bson.D{{Key: "locale", Value: "en"}, {Key: "bogus", Value: int32(1)}}))
	if me := mongoerr.As(WithQueryContext(err)); me.Message != "BSON field 'collation.bogus' is an unknown field." {
		t.Errorf("got %q", me.Message)
	}
	if WithQueryContext(nil) != nil {
		t.Error("WithQueryContext(nil) != nil")
	}
}

func TestParseSimple(t *testing.T) {
	for _, spec := range []bson.D{
		{},
		{{Key: "locale", Value: "simple"}},
		// mongod accepts (and ignores) well-typed options beside simple.
		{{Key: "locale", Value: "simple"}, {Key: "strength", Value: int32(2)}},
	} {
		c, err := Parse(doc(t, spec))
		if err != nil || c != nil {
			t.Errorf("Parse(%v) = %v, %v; want nil, nil", spec, c, err)
		}
		if c.Spec() != nil || c.Locale() != "simple" || c.CompareStrings("a", "B") != 1 || string(c.Key("ab")) != "ab" {
			t.Errorf("nil *Collation does not behave as simple")
		}
	}
}

func TestSpec(t *testing.T) {
	resolved := func(locale, caseFirst string, strength int32, numeric bool, alternate, maxVariable string, normalization, backwards bool) bson.D {
		return bson.D{
			{Key: "locale", Value: locale}, {Key: "caseLevel", Value: false}, {Key: "caseFirst", Value: caseFirst},
			{Key: "strength", Value: strength}, {Key: "numericOrdering", Value: numeric},
			{Key: "alternate", Value: alternate}, {Key: "maxVariable", Value: maxVariable},
			{Key: "normalization", Value: normalization}, {Key: "backwards", Value: backwards},
			{Key: "version", Value: "57.1"},
		}
	}
	tests := []struct {
		name string
		in   bson.D
		want bson.D
	}{
		{"en defaults", bson.D{{Key: "locale", Value: "en"}}, resolved("en", "off", 3, false, "non-ignorable", "punct", false, false)},
		{"fr_CA backwards by default", bson.D{{Key: "locale", Value: "fr_CA"}}, resolved("fr_CA", "off", 3, false, "non-ignorable", "punct", false, true)},
		{"fr_CA backwards overridden", bson.D{{Key: "locale", Value: "fr_CA"}, {Key: "backwards", Value: false}}, resolved("fr_CA", "off", 3, false, "non-ignorable", "punct", false, false)},
		{"th shifted by default", bson.D{{Key: "locale", Value: "th"}}, resolved("th", "off", 3, false, "shifted", "punct", false, false)},
		{"vi normalization by default", bson.D{{Key: "locale", Value: "vi"}}, resolved("vi", "off", 3, false, "non-ignorable", "punct", true, false)},
		{"da upper first at strength 2", bson.D{{Key: "locale", Value: "da"}, {Key: "strength", Value: int32(2)}}, resolved("da", "upper", 2, false, "non-ignorable", "punct", false, false)},
		{"da caseFirst off", bson.D{{Key: "locale", Value: "da"}, {Key: "caseFirst", Value: "off"}}, resolved("da", "off", 3, false, "non-ignorable", "punct", false, false)},
		{"strength truncates", bson.D{{Key: "locale", Value: "de"}, {Key: "strength", Value: 2.5}}, resolved("de", "off", 2, false, "non-ignorable", "punct", false, false)},
		{"decimal strength", bson.D{{Key: "locale", Value: "de"}, {Key: "strength", Value: mustDecimal(t, "1.9")}}, resolved("de", "off", 1, false, "non-ignorable", "punct", false, false)},
		{"all options", bson.D{
			{Key: "version", Value: "57.1"}, {Key: "backwards", Value: true}, {Key: "normalization", Value: true},
			{Key: "maxVariable", Value: "punct"}, {Key: "alternate", Value: "shifted"}, {Key: "numericOrdering", Value: true},
			{Key: "strength", Value: int64(4)}, {Key: "caseFirst", Value: "lower"}, {Key: "caseLevel", Value: false},
			{Key: "locale", Value: "en_US"},
		}, resolved("en_US", "lower", 4, true, "shifted", "punct", true, true)},
		{"maxVariable space without shifting", bson.D{{Key: "locale", Value: "es"}, {Key: "maxVariable", Value: "space"}}, resolved("es", "off", 3, false, "non-ignorable", "space", false, false)},
		{"nulls are defaults", bson.D{{Key: "locale", Value: "sv"}, {Key: "strength", Value: nil}, {Key: "backwards", Value: nil}}, resolved("sv", "off", 3, false, "non-ignorable", "punct", false, false)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(doc(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if want := doc(t, tc.want); string(c.Spec()) != string(want) {
				t.Errorf("Spec = %s\nwant   %s", c.Spec(), want)
			}
			// The resolved spec parses back to the same collation.
			again, err := Parse(c.Spec())
			if err != nil || !again.Equal(c) {
				t.Errorf("re-parsing the spec: %v, equal %v", err, again.Equal(c))
			}
		})
	}
}

func TestLocalesAllParse(t *testing.T) {
	for _, id := range Locales() {
		spec := bson.D{{Key: "locale", Value: id}}
		if locales[id].upperFirst {
			spec = append(spec, bson.E{Key: "caseFirst", Value: "off"})
		}
		c, err := Parse(doc(t, spec))
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if c.CompareStrings("a", "b") >= 0 {
			t.Errorf("%s: a >= b", id)
		}
	}
}

func mustDecimal(t *testing.T, s string) bson.Decimal128 {
	d, err := bson.ParseDecimal128(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
