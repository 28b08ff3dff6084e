package jsonschema

import (
	"encoding/binary"
	"math/big"
	"regexp"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
)

// typeSet is the set of types named by type or bsonType.
type typeSet struct {
	numbers bool // "number": int, long, double and decimal
	types   []bson.Type
}

func (t *typeSet) has(bt bson.Type) bool {
	if t.numbers && bsonx.IsNumber(bt) {
		return true
	}
	return slices.Contains(t.types, bt)
}

// typeCheck is type or bsonType. Unlike the other keywords it applies to
// every value.
type typeCheck struct {
	name string
	set  typeSet
}

func (c *typeCheck) keyword() string              { return c.name }
func (c *typeCheck) matches(v bson.RawValue) bool { return c.set.has(v.Type) }

// patternCheck is pattern: strings (not symbols: mongod restricts the regex
// to type string) must contain a match.
type patternCheck struct{ re *regexp.Regexp }

func (c *patternCheck) keyword() string { return "pattern" }
func (c *patternCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeString {
		return true
	}
	return c.re.Match(stringBytes(v))
}

// lengthCheck is minLength or maxLength over strings, counted in code
// points.
type lengthCheck struct {
	max bool
	n   int64
}

func (c *lengthCheck) keyword() string {
	if c.max {
		return "maxLength"
	}
	return "minLength"
}

func (c *lengthCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeString {
		return true
	}
	// mongod counts the bytes that do not continue a UTF-8 sequence, which
	// is the code point count for valid UTF-8 and well defined otherwise.
	var n int64
	for _, b := range stringBytes(v) {
		if b&0xC0 != 0x80 {
			n++
		}
	}
	if c.max {
		return n <= c.n
	}
	return n >= c.n
}

// boundCheck is minimum or maximum (with its exclusive flag) over numbers.
type boundCheck struct {
	max       bool
	exclusive bool
	limit     bson.RawValue
}

func (c *boundCheck) keyword() string {
	if c.max {
		return "maximum"
	}
	return "minimum"
}

func (c *boundCheck) matches(v bson.RawValue) bool {
	if !bsonx.IsNumber(v.Type) {
		return true
	}
	// As in mongod's $lt/$lte/$gt/$gte: NaN is equal to NaN and otherwise
	// compares false with everything.
	if vn, ln := isNaN(v), isNaN(c.limit); vn || ln {
		return vn && ln && !c.exclusive
	}
	r := bsonx.CompareNumbers(v, c.limit)
	switch {
	case c.max && c.exclusive:
		return r < 0
	case c.max:
		return r <= 0
	case c.exclusive:
		return r > 0
	}
	return r >= 0
}

// multipleOfCheck is multipleOf over numbers. mongod computes
// value mod divisor in decimal128 (doubles converted with 15 significant
// digits) and matches a zero remainder; exact rationals give the same
// answer for every finite pair.
type multipleOfCheck struct {
	divisor *big.Rat // nil when the divisor is NaN or infinite
	inf     bool     // the divisor is +Infinity
}

func (c *multipleOfCheck) keyword() string { return "multipleOf" }

func (c *multipleOfCheck) matches(v bson.RawValue) bool {
	if !bsonx.IsNumber(v.Type) {
		return true
	}
	x, ok := decimalRat(v)
	if !ok {
		return false // NaN and infinities have no remainder
	}
	if c.inf {
		// x mod +Infinity is x itself.
		return x.Sign() == 0
	}
	if c.divisor == nil {
		return false
	}
	return new(big.Rat).Quo(x, c.divisor).IsInt()
}

// itemCountCheck is minItems or maxItems over arrays.
type itemCountCheck struct {
	max bool
	n   int64
}

func (c *itemCountCheck) keyword() string {
	if c.max {
		return "maxItems"
	}
	return "minItems"
}

func (c *itemCountCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeArray {
		return true
	}
	n := int64(countElements(v.Value))
	if c.max {
		return n <= c.n
	}
	return n >= c.n
}

// uniqueItemsCheck is uniqueItems: true over arrays.
type uniqueItemsCheck struct{}

func (uniqueItemsCheck) keyword() string { return "uniqueItems" }

func (uniqueItemsCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeArray {
		return true
	}
	var elems []bson.RawValue
	forEach(v.Value, func(_ string, e bson.RawValue) bool {
		elems = append(elems, e)
		return true
	})
	// Sorting makes equal elements neighbours: n log n, not n².
	slices.SortFunc(elems, compareUnordered)
	for i := 1; i < len(elems); i++ {
		if compareUnordered(elems[i-1], elems[i]) == 0 {
			return false
		}
	}
	return true
}

// itemsCheck is items over arrays: a schema for every element, or (items
// as an array) one schema per position, later positions unchecked here.
type itemsCheck struct {
	all   *Schema
	tuple []*Schema
}

func (c *itemsCheck) keyword() string { return "items" }

func (c *itemsCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeArray {
		return true
	}
	if c.all != nil {
		return forEach(v.Value, func(_ string, e bson.RawValue) bool { return c.all.matches(e) })
	}
	ok, i := true, 0
	forEach(v.Value, func(_ string, e bson.RawValue) bool {
		if i >= len(c.tuple) {
			return false // past the tuple: additionalItems' business
		}
		ok = c.tuple[i].matches(e)
		i++
		return ok
	})
	return ok
}

// additionalItemsCheck is additionalItems over arrays: the elements past
// the positions items (as an array) names match a schema, or are allowed
// or refused as a whole.
type additionalItemsCheck struct {
	from   int
	schema *Schema // nil: the boolean form, ok
	ok     bool
}

func (c *additionalItemsCheck) keyword() string { return "additionalItems" }

func (c *additionalItemsCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeArray {
		return true
	}
	i := 0
	return forEach(v.Value, func(_ string, e bson.RawValue) bool {
		i++
		if i <= c.from {
			return true
		}
		if c.schema != nil {
			return c.schema.matches(e)
		}
		return c.ok
	})
}

// propertiesCheck is properties over objects: each named property, when
// present, matches its schema.
type propertiesCheck struct {
	names   []string
	schemas []*Schema
}

func (c *propertiesCheck) keyword() string { return "properties" }

func (c *propertiesCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeEmbeddedDocument {
		return true
	}
	for i, name := range c.names {
		// A missing property passes here; if it is required, required
		// fails it.
		if p, ok := lookup(v.Value, name); ok && !c.schemas[i].matches(p) {
			return false
		}
	}
	return true
}

// patternSchema is one entry of patternProperties.
type patternSchema struct {
	source string // the pattern as written
	re     *regexp.Regexp
	schema *Schema
}

// allowedPropertiesCheck is patternProperties with additionalProperties
// over objects: every field whose name a pattern finds must match that
// pattern's schema; a field neither named in properties nor found by a
// pattern must match additionalProperties.
type allowedPropertiesCheck struct {
	name       string // the keyword reported: additionalProperties when given
	properties map[string]bool
	patterns   []patternSchema
	other      *Schema // additionalProperties as a schema
	otherOK    bool    // additionalProperties as a boolean (or absent: true)
}

func (c *allowedPropertiesCheck) keyword() string { return c.name }

func (c *allowedPropertiesCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeEmbeddedDocument {
		return true
	}
	return forEach(v.Value, func(key string, e bson.RawValue) bool {
		additional := true
		for _, p := range c.patterns {
			if p.re.MatchString(key) {
				additional = false
				if !p.schema.matches(e) {
					return false
				}
			}
		}
		if !additional || c.properties[key] {
			return true
		}
		if c.other != nil {
			return c.other.matches(e)
		}
		return c.otherOK
	})
}

// requiredCheck is required over objects.
type requiredCheck struct{ names []string }

func (c *requiredCheck) keyword() string { return "required" }

func (c *requiredCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeEmbeddedDocument {
		return true
	}
	for _, name := range c.names {
		if _, ok := lookup(v.Value, name); !ok {
			return false
		}
	}
	return true
}

// propertyCountCheck is minProperties or maxProperties over objects.
type propertyCountCheck struct {
	max bool
	n   int64
}

func (c *propertyCountCheck) keyword() string {
	if c.max {
		return "maxProperties"
	}
	return "minProperties"
}

func (c *propertyCountCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeEmbeddedDocument {
		return true
	}
	n := int64(countElements(v.Value))
	if c.max {
		return n <= c.n
	}
	return n >= c.n
}

// dependency is one entry of dependencies: when the object has property,
// it must also have every name in fields, or match schema.
type dependency struct {
	property string
	fields   []string
	schema   *Schema
}

// dependenciesCheck is dependencies over objects.
type dependenciesCheck struct{ deps []dependency }

func (c *dependenciesCheck) keyword() string { return "dependencies" }

func (c *dependenciesCheck) matches(v bson.RawValue) bool {
	if v.Type != bson.TypeEmbeddedDocument {
		return true
	}
	for _, d := range c.deps {
		if _, ok := lookup(v.Value, d.property); !ok {
			continue
		}
		if d.schema != nil && !d.schema.matches(v) {
			return false
		}
		for _, f := range d.fields {
			if _, ok := lookup(v.Value, f); !ok {
				return false
			}
		}
	}
	return true
}

// logicalCheck is allOf, anyOf, oneOf or not: subschemas applied to the
// same value.
type logicalCheck struct {
	name    string
	schemas []*Schema
}

func (c *logicalCheck) keyword() string { return c.name }

func (c *logicalCheck) matches(v bson.RawValue) bool {
	switch c.name {
	case "allOf":
		for _, s := range c.schemas {
			if !s.matches(v) {
				return false
			}
		}
		return true
	case "anyOf":
		for _, s := range c.schemas {
			if s.matches(v) {
				return true
			}
		}
		return false
	case "oneOf":
		n := 0
		for _, s := range c.schemas {
			if s.matches(v) {
				if n++; n > 1 {
					return false
				}
			}
		}
		return n == 1
	}
	// not
	return !c.schemas[0].matches(v)
}

// enumCheck is enum: the value equals one of the listed values.
type enumCheck struct{ values []bson.RawValue }

func (c *enumCheck) keyword() string { return "enum" }

func (c *enumCheck) matches(v bson.RawValue) bool {
	// A missing value equals nothing (mongod compares EOO); only Explain
	// asks, for a required property that is absent.
	if v.Type == 0 {
		return false
	}
	for _, e := range c.values {
		if compareUnordered(v, e) == 0 {
			return true
		}
	}
	return false
}

// stringBytes returns a string value's bytes without length and NUL.
func stringBytes(v bson.RawValue) []byte {
	if len(v.Value) < 5 {
		return nil
	}
	return v.Value[4 : len(v.Value)-1]
}

// forEach calls fn for each element of the document or array doc, in
// order, until fn returns false; it returns false if fn did. A malformed
// tail ends the walk.
func forEach(doc []byte, fn func(key string, v bson.RawValue) bool) bool {
	if len(doc) < 5 {
		return true
	}
	n := int(int32(binary.LittleEndian.Uint32(doc)))
	if n < 5 || n > len(doc) {
		return true
	}
	rem := doc[4 : n-1]
	for len(rem) > 0 {
		e, rest, ok := bsoncore.ReadElement(rem)
		if !ok {
			return true
		}
		key, err := e.KeyErr()
		if err != nil {
			return true
		}
		val, err := e.ValueErr()
		if err != nil {
			return true
		}
		if !fn(key, bson.RawValue{Type: bson.Type(val.Type), Value: val.Data}) {
			return false
		}
		rem = rest
	}
	return true
}

// lookup finds the first field of doc named name (a name, never a dotted
// path: JSON Schema properties are literal).
func lookup(doc []byte, name string) (bson.RawValue, bool) {
	var found bson.RawValue
	ok := false
	forEach(doc, func(key string, v bson.RawValue) bool {
		if key == name {
			found, ok = v, true
			return false
		}
		return true
	})
	return found, ok
}

func countElements(doc []byte) int {
	n := 0
	forEach(doc, func(string, bson.RawValue) bool { n++; return true })
	return n
}
