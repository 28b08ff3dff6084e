package collation

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Version is the collator version mongod reports: the ICU version it is
// built with (mongod 8.0 still bundles ICU 57.1).
const Version = "57.1"

// Option values, spelled as in the collation document.
const (
	CaseFirstUpper = "upper"
	CaseFirstLower = "lower"
	CaseFirstOff   = "off"

	AlternateNonIgnorable = "non-ignorable"
	AlternateShifted      = "shifted"

	MaxVariablePunct = "punct"
	MaxVariableSpace = "space"
)

// fields is what Parse read from the document; nil pointers are absent
// fields, which take the locale's defaults.
type fields struct {
	locale        *string
	caseLevel     *bool
	caseFirst     *string
	strength      *int
	numeric       *bool
	alternate     *string
	maxVariable   *string
	normalization *bool
	backwards     *bool
	version       *string
}

// Parse validates a collation document as mongod 8.0 does and returns the
// collator it describes. An empty document and {locale: "simple"} mean the
// simple binary collation and return (nil, nil); callers treat a nil
// *Collation as "compare bytes".
//
// Errors are *mongoerr.Error values with mongod's codes and wording. The
// field checks (types, enumerations, strength's range, unknown and
// duplicate fields, the required locale) are mongod's IDL parser errors,
// which commands report unchanged. The locale and version checks are
// mongod's collator-factory errors: find, aggregate, count, distinct and
// findAndModify prefix those with "unable to parse collation :: caused by
// :: " (see WithQueryContext). Options golang.org/x/text cannot honour are
// NotImplemented errors naming the option.
func Parse(spec bson.Raw) (*Collation, error) {
	f, err := parseFields(spec)
	if err != nil {
		return nil, err
	}
	if f.locale == nil {
		if len(spec) <= 5 {
			return nil, nil // {} is "no collation", not an error
		}
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field 'collation.locale' is missing but a required field")
	}
	id := *f.locale
	if id == "simple" {
		// mongod ignores any other (well-typed) field beside "simple".
		return nil, nil
	}
	info, err := lookupLocale(id, spec)
	if err != nil {
		return nil, err
	}
	if f.version != nil && *f.version != Version {
		return nil, &factoryError{mongoerr.Newf(mongoerr.IncompatibleCollationVersion,
			"Requested collation version %s but the only available collator version was %s. Requested collation spec: %s",
			*f.version, Version, format(spec))}
	}
	c := &Collation{
		locale:        id,
		caseFirst:     CaseFirstOff,
		strength:      3,
		alternate:     AlternateNonIgnorable,
		maxVariable:   MaxVariablePunct,
		normalization: info.normalization,
		backwards:     info.backwards,
	}
	if info.upperFirst {
		c.caseFirst = CaseFirstUpper
	}
	if info.shifted {
		c.alternate = AlternateShifted
	}
	if f.caseLevel != nil {
		c.caseLevel = *f.caseLevel
	}
	if f.caseFirst != nil {
		c.caseFirst = *f.caseFirst
	}
	if f.strength != nil {
		c.strength = *f.strength
	}
	if f.numeric != nil {
		c.numeric = *f.numeric
	}
	if f.alternate != nil {
		c.alternate = *f.alternate
	}
	if f.maxVariable != nil {
		c.maxVariable = *f.maxVariable
	}
	if f.normalization != nil {
		c.normalization = *f.normalization
	}
	if f.backwards != nil {
		c.backwards = *f.backwards
	}
	if err := c.checkSupported(f); err != nil {
		return nil, err
	}
	c.build(info.tag)
	return c, nil
}

// parseFields is the IDL half of mongod's parse: one pass over the
// document in order, so the first offending field is the one reported.
func parseFields(spec bson.Raw) (*fields, error) {
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid collation document: %v", err)
	}
	var f fields
	seen := make(map[string]bool, len(elems))
	for _, e := range elems {
		key, v := e.Key(), e.Value()
		if seen[key] {
			return nil, mongoerr.Newf(mongoerr.Location40413, "BSON field 'collation.%s' is a duplicate field", key)
		}
		seen[key] = true
		// IDL reads an explicit null of an optional field as absent
		// (mongod 8 reports {locale: null} as a missing locale).
		null := v.Type == bson.TypeNull
		switch key {
		case "locale":
			if !null {
				s, err := stringField(key, v)
				if err != nil {
					return nil, err
				}
				f.locale = &s
			}
		case "caseLevel", "numericOrdering", "normalization":
			if null {
				continue
			}
			b, ok := v.BooleanOK()
			if !ok {
				return nil, wrongType(key, v, "expected type 'bool'")
			}
			switch key {
			case "caseLevel":
				f.caseLevel = &b
			case "numericOrdering":
				f.numeric = &b
			default:
				f.normalization = &b
			}
		case "backwards":
			// backwards is an optionalBool in mongod's IDL, which has
			// its own wording.
			if null {
				continue
			}
			b, ok := v.BooleanOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "Field 'backwards' should be a boolean value, but found: %s", typeName(v.Type))
			}
			f.backwards = &b
		case "strength":
			if null {
				continue
			}
			n, err := strengthField(v)
			if err != nil {
				return nil, err
			}
			f.strength = &n
		case "caseFirst", "alternate", "maxVariable":
			if null {
				continue
			}
			s, err := stringField(key, v)
			if err != nil {
				return nil, err
			}
			var valid bool
			switch key {
			case "caseFirst":
				valid = s == CaseFirstUpper || s == CaseFirstLower || s == CaseFirstOff
				f.caseFirst = &s
			case "alternate":
				valid = s == AlternateNonIgnorable || s == AlternateShifted
				f.alternate = &s
			default:
				valid = s == MaxVariablePunct || s == MaxVariableSpace
				f.maxVariable = &s
			}
			if !valid {
				return nil, mongoerr.Newf(mongoerr.BadValue, "Enumeration value '%s' for field 'collation.%s' is not a valid value.", s, key)
			}
		case "version":
			if null {
				continue
			}
			s, err := stringField(key, v)
			if err != nil {
				return nil, err
			}
			f.version = &s
		default:
			return nil, mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'collation.%s' is an unknown field.", key)
		}
	}
	return &f, nil
}

func stringField(key string, v bson.RawValue) (string, error) {
	s, ok := v.StringValueOK()
	if !ok {
		return "", wrongType(key, v, "expected type 'string'")
	}
	return s, nil
}

// strengthField reads strength as mongod's IDL does: any number,
// truncated toward zero (2.5 is 2), range-checked, then matched against
// the enumeration 1–5 (0 is in range but not a level).
func strengthField(v bson.RawValue) (int, error) {
	var n int64
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		n = v.AsInt64()
	case bson.TypeDouble:
		n = truncate(v.Double())
	case bson.TypeDecimal128:
		d, _ := strconv.ParseFloat(v.Decimal128().String(), 64)
		n = truncate(d)
	default:
		return 0, wrongType("strength", v, "expected types '[double, decimal, long, int]'")
	}
	switch {
	case n < 0:
		return 0, mongoerr.Newf(mongoerr.BadValue, "BSON field 'strength' value must be >= 0, actual value '%d'", n)
	case n > 5:
		return 0, mongoerr.Newf(mongoerr.BadValue, "BSON field 'strength' value must be <= 5, actual value '%d'", n)
	case n == 0:
		return 0, mongoerr.New(mongoerr.BadValue, "Enumeration value '0' for field 'collation.strength' is not a valid value.")
	}
	return int(n), nil
}

// truncate converts a double to an integer toward zero, saturating, with
// NaN as 0 (which the enumeration then rejects).
func truncate(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

func wrongType(key string, v bson.RawValue, expected string) error {
	return mongoerr.Newf(mongoerr.TypeMismatch, "BSON field 'collation.%s' is the wrong type '%s', %s", key, typeName(v.Type), expected)
}

// lookupLocale validates the locale ID the way mongod's collator factory
// does: ICU must know it under exactly this spelling.
func lookupLocale(id string, spec bson.Raw) (localeInfo, error) {
	if id == "" {
		return localeInfo{}, &factoryError{mongoerr.Newf(mongoerr.BadValue, "Field 'locale' cannot be the empty string in: %s", format(spec))}
	}
	if strings.IndexByte(id, 0) >= 0 {
		return localeInfo{}, &factoryError{mongoerr.Newf(mongoerr.BadValue, "Field 'locale' cannot contain null byte. Collation spec: %s", format(spec))}
	}
	if info, ok := locales[id]; ok {
		return info, nil
	}
	if icuOnly[id] {
		return localeInfo{}, mongoerr.Newf(mongoerr.NotImplemented,
			"collation locale '%s' is not supported by SecantusDB (no collation table for it); supported locales are listed by the collation package", id)
	}
	msg := fmt.Sprintf("Field 'locale' is invalid in: %s", format(spec))
	if s := suggestLocale(id); s != "" {
		msg += fmt.Sprintf(". Did you mean '%s'?", s)
	}
	return localeInfo{}, &factoryError{mongoerr.New(mongoerr.BadValue, msg)}
}

// checkSupported rejects, with NotImplemented naming the option, every
// resolved setting golang.org/x/text cannot reproduce. Settings that have
// no effect at the chosen strength are accepted, as they cannot change a
// result.
func (c *Collation) checkSupported(f *fields) error {
	notImpl := func(option, why string) error {
		return mongoerr.Newf(mongoerr.NotImplemented, "collation option %s is not supported by SecantusDB: %s", option, why)
	}
	if c.caseLevel {
		return notImpl("caseLevel: true", "golang.org/x/text has no separate case level")
	}
	if c.alternate == AlternateShifted && c.maxVariable == MaxVariableSpace {
		return notImpl("maxVariable: \"space\"", "with alternate: \"shifted\" golang.org/x/text always treats punctuation as variable as well")
	}
	return nil
}

// factoryError marks an error mongod's collator factory returns as a
// Status (rather than throws from its IDL parser): the find family adds
// context to those. It unwraps to the *mongoerr.Error.
type factoryError struct{ err *mongoerr.Error }

func (e *factoryError) Error() string { return e.err.Error() }

func (e *factoryError) Unwrap() error { return e.err }

// WithQueryContext returns err as find, aggregate, count, distinct and
// findAndModify report a collation error: the collator factory's errors
// (invalid locale, version mismatch) prefixed with "unable to parse
// collation :: caused by :: ", field errors unchanged.
func WithQueryContext(err error) error {
	if fe, ok := err.(*factoryError); ok {
		return &mongoerr.Error{Code: fe.err.Code, Message: "unable to parse collation :: caused by :: " + fe.err.Message}
	}
	return err
}

// format renders the spec as mongod prints a BSONObj in messages.
func format(spec bson.Raw) string {
	return bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: spec})
}

func typeName(t bson.Type) string {
	switch t {
	case bson.TypeDouble:
		return "double"
	case bson.TypeString:
		return "string"
	case bson.TypeEmbeddedDocument:
		return "object"
	case bson.TypeArray:
		return "array"
	case bson.TypeBinary:
		return "binData"
	case bson.TypeUndefined:
		return "undefined"
	case bson.TypeObjectID:
		return "objectId"
	case bson.TypeBoolean:
		return "bool"
	case bson.TypeDateTime:
		return "date"
	case bson.TypeNull:
		return "null"
	case bson.TypeRegex:
		return "regex"
	case bson.TypeDBPointer:
		return "dbPointer"
	case bson.TypeJavaScript:
		return "javascript"
	case bson.TypeSymbol:
		return "symbol"
	case bson.TypeCodeWithScope:
		return "javascriptWithScope"
	case bson.TypeInt32:
		return "int"
	case bson.TypeTimestamp:
		return "timestamp"
	case bson.TypeInt64:
		return "long"
	case bson.TypeDecimal128:
		return "decimal"
	case bson.TypeMinKey:
		return "minKey"
	case bson.TypeMaxKey:
		return "maxKey"
	}
	return fmt.Sprintf("type %d", byte(t))
}
