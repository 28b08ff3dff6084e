package jsonschema

import (
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// keywords are the $jsonSchema keywords mongod knows.
var keywords = map[string]bool{
	"additionalItems": true, "additionalProperties": true, "allOf": true, "anyOf": true,
	"bsonType": true, "dependencies": true, "description": true, "encrypt": true,
	"encryptMetadata": true, "enum": true, "exclusiveMaximum": true, "exclusiveMinimum": true,
	"items": true, "maxItems": true, "maxLength": true, "maxProperties": true, "maximum": true,
	"minItems": true, "minLength": true, "minProperties": true, "minimum": true,
	"multipleOf": true, "not": true, "oneOf": true, "pattern": true, "patternProperties": true,
	"properties": true, "required": true, "title": true, "type": true, "uniqueItems": true,
}

// unsupportedKeywords are JSON Schema keywords mongod refuses by name.
var unsupportedKeywords = map[string]bool{
	"$ref": true, "$schema": true, "default": true, "definitions": true, "format": true, "id": true,
}

// jsonTypes are the names type accepts ("number" is handled apart, and
// "integer" is refused).
var jsonTypes = map[string]bson.Type{
	"object": bson.TypeEmbeddedDocument, "array": bson.TypeArray, "boolean": bson.TypeBoolean,
	"string": bson.TypeString, "null": bson.TypeNull,
}

// Parse compiles schema, the argument of $jsonSchema. Its errors are
// mongod's: FailedToParse for unknown, unsupported and duplicated keywords
// and for bad values, TypeMismatch for arguments of the wrong type,
// BadValue for unknown type names and empty logical lists, each with
// mongod's message.
func Parse(schema bson.Raw) (*Schema, error) {
	if err := validate(schema, 0); err != nil {
		return nil, err
	}
	return parse(schema)
}

// maxDepth bounds the nesting of a schema, as mongod's BSON depth limit
// (BSONDepth::kDefaultMaxAllowableDepth, 200) bounds every document it
// reads, so that compiling and matching recurse a bounded number of times.
const maxDepth = 200

// validate checks doc and every document and array inside it.
func validate(doc []byte, depth int) error {
	if depth > maxDepth {
		return mongoerr.Newf(mongoerr.InvalidBSON, "$jsonSchema nested deeper than %d levels", maxDepth)
	}
	if err := bsoncore.Document(doc).Validate(); err != nil {
		return mongoerr.Newf(mongoerr.InvalidBSON, "invalid $jsonSchema document: %v", err)
	}
	var err error
	forEach(doc, func(_ string, v bson.RawValue) bool {
		if v.Type == bson.TypeEmbeddedDocument || v.Type == bson.TypeArray {
			err = validate(v.Value, depth+1)
		}
		return err == nil
	})
	return err
}

func failed(format string, args ...any) error {
	return mongoerr.Newf(mongoerr.FailedToParse, format, args...)
}

func mismatch(format string, args ...any) error {
	return mongoerr.Newf(mongoerr.TypeMismatch, format, args...)
}

func typeName(v bson.RawValue) string { return bsonx.TypeName(v.Type) }

// parse compiles one schema object, reporting the first error in the order
// mongod checks: keyword names, metadata, type, then the string and
// number keywords, array, encryption, object and logical keywords.
func parse(doc bson.Raw) (*Schema, error) {
	elems, err := doc.Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid $jsonSchema document: %v", err)
	}
	kw := make(map[string]bson.RawValue, len(elems))
	for _, e := range elems {
		k := e.Key()
		if !keywords[k] {
			if unsupportedKeywords[k] {
				return nil, failed("$jsonSchema keyword '%s' is not currently supported", k)
			}
			return nil, failed("Unknown $jsonSchema keyword: %s", k)
		}
		if _, dup := kw[k]; dup {
			return nil, failed("Duplicate $jsonSchema keyword: %s", k)
		}
		kw[k] = e.Value()
	}
	has := func(k string) bool { _, ok := kw[k]; return ok }

	for _, k := range []string{"description", "title"} {
		if v, ok := kw[k]; ok && v.Type != bson.TypeString {
			return nil, mismatch("$jsonSchema keyword '%s' must be of type string", k)
		}
	}

	switch {
	case has("type") && has("bsonType"):
		return nil, failed("Cannot specify both $jsonSchema keywords 'type' and 'bsonType'")
	case has("encrypt") && (has("type") || has("bsonType")):
		other := "type"
		if has("bsonType") {
			other = "bsonType"
		}
		return nil, failed("$jsonSchema keyword 'encrypt' cannot be used in conjunction with '%s', 'encrypt' implies type 'bsonType::BinData'", other)
	}
	var types *typeCheck
	for _, k := range []string{"type", "bsonType"} {
		if v, ok := kw[k]; ok {
			set, err := parseTypeSet(k, v, k == "type")
			if err != nil {
				return nil, err
			}
			types = &typeCheck{name: k, set: set}
		}
	}

	s := &Schema{raw: doc}
	add := func(c check) { s.checks = append(s.checks, c) }
	steps := []func(map[string]bson.RawValue, func(check)) error{
		parseStringKeywords, parseNumberKeywords, parseArrayKeywords,
		parseEncryptKeywords, parseObjectKeywords, parseLogicalKeywords,
	}
	for _, step := range steps {
		if err := step(kw, add); err != nil {
			return nil, err
		}
	}
	// mongod checks the type last; the order only matters to a
	// validator reporting the first failure.
	if types != nil {
		add(types)
	}
	return s, nil
}

// parseTypeSet reads type (json) or bsonType: an alias or an array of
// distinct aliases.
func parseTypeSet(key string, v bson.RawValue, json bool) (typeSet, error) {
	var aliases []string
	switch v.Type {
	case bson.TypeString:
		a := v.StringValue()
		if a == "integer" {
			return typeSet{}, failed("$jsonSchema type 'integer' is not currently supported.")
		}
		aliases = append(aliases, a)
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		for _, e := range vals {
			a, ok := e.StringValueOK()
			if !ok {
				return typeSet{}, mismatch("$jsonSchema keyword '%s' array elements must be strings", key)
			}
			if a == "integer" {
				return typeSet{}, failed("$jsonSchema type 'integer' is not currently supported.")
			}
			if slices.Contains(aliases, a) {
				return typeSet{}, failed("$jsonSchema keyword '%s' has duplicate value: %s", key, a)
			}
			aliases = append(aliases, a)
		}
	default:
		return typeSet{}, mismatch("$jsonSchema keyword '%s' must be either a string or an array of strings", key)
	}
	// mongod resolves the names from a sorted set: the first unknown name
	// in byte order is the one reported.
	slices.Sort(aliases)
	var set typeSet
	for _, a := range aliases {
		if a == "number" {
			set.numbers = true
			continue
		}
		var t bson.Type
		var ok bool
		if json {
			t, ok = jsonTypes[a]
		} else {
			t, ok = bsonx.TypeByAlias(a)
		}
		switch {
		case ok:
			set.types = append(set.types, t)
		case a == "missing":
			return typeSet{}, mongoerr.New(mongoerr.BadValue, "'missing' is not a legal type name. To query for non-existence of a field, use {$exists:false}.")
		default:
			return typeSet{}, mongoerr.Newf(mongoerr.BadValue, "Unknown type name alias: %s", a)
		}
	}
	if !set.numbers && len(set.types) == 0 {
		return typeSet{}, failed("$jsonSchema keyword '%s' must name at least one type", key)
	}
	return set, nil
}

// nonNegativeLong reads the argument of a length or count keyword as
// mongod's parseIntegerElementToNonNegativeLong does.
func nonNegativeLong(key string, v bson.RawValue) (int64, error) {
	n, err := bsonx.IntegerElement(key, v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		elem := key + ": " + bsonx.Format(v)
		if d, ok := v.Decimal128OK(); ok {
			elem = key + ": " + d.String()
		}
		return 0, failed("Expected a non-negative number in: %s", elem)
	}
	return n, nil
}

// parseStringKeywords reads pattern, maxLength and minLength.
func parseStringKeywords(kw map[string]bson.RawValue, add func(check)) error {
	if v, ok := kw["pattern"]; ok {
		p, isString := v.StringValueOK()
		if !isString {
			return mismatch("$jsonSchema keyword 'pattern' must be a string")
		}
		re, err := compilePattern(p)
		if err != nil {
			return err
		}
		add(&patternCheck{re: re})
	}
	for _, k := range []string{"maxLength", "minLength"} {
		if v, ok := kw[k]; ok {
			n, err := nonNegativeLong(k, v)
			if err != nil {
				return err
			}
			add(&lengthCheck{max: k == "maxLength", n: n})
		}
	}
	return nil
}

// parseNumberKeywords reads multipleOf, maximum and minimum with their
// exclusive flags.
func parseNumberKeywords(kw map[string]bson.RawValue, add func(check)) error {
	if v, ok := kw["multipleOf"]; ok {
		if !bsonx.IsNumber(v.Type) {
			return mismatch("$jsonSchema keyword 'multipleOf' must be a number")
		}
		r, finite := decimalRat(v)
		if decimalNegative(v) || (finite && r.Sign() == 0) {
			return failed("$jsonSchema keyword 'multipleOf' must have a positive value")
		}
		c := &multipleOfCheck{divisor: r}
		if !finite && !isNaN(v) {
			c.inf = true
		}
		add(c)
	}
	for _, k := range []string{"maximum", "minimum"} {
		ex := "exclusiveM" + k[1:]
		v, ok := kw[k]
		if !ok {
			if _, hasEx := kw[ex]; hasEx {
				return failed("$jsonSchema keyword '%s' must be a present if %s is present", k, ex)
			}
			continue
		}
		exclusive := false
		if e, hasEx := kw[ex]; hasEx {
			b, isBool := e.BooleanOK()
			if !isBool {
				return mismatch("$jsonSchema keyword '%s' must be a boolean", ex)
			}
			exclusive = b
		}
		if !bsonx.IsNumber(v.Type) {
			return mismatch("$jsonSchema keyword '%s' must be a number", k)
		}
		add(&boundCheck{max: k == "maximum", exclusive: exclusive, limit: v})
	}
	return nil
}

// parseArrayKeywords reads minItems, maxItems, uniqueItems, items and
// additionalItems.
func parseArrayKeywords(kw map[string]bson.RawValue, add func(check)) error {
	for _, k := range []string{"minItems", "maxItems"} {
		if v, ok := kw[k]; ok {
			n, err := nonNegativeLong(k, v)
			if err != nil {
				return err
			}
			add(&itemCountCheck{max: k == "maxItems", n: n})
		}
	}
	if v, ok := kw["uniqueItems"]; ok {
		b, isBool := v.BooleanOK()
		if !isBool {
			return mismatch("$jsonSchema keyword 'uniqueItems' must be a boolean")
		}
		if b {
			add(uniqueItemsCheck{})
		}
	}
	// additionalItems only means something after items given as an array.
	tuple := -1
	if v, ok := kw["items"]; ok {
		switch v.Type {
		case bson.TypeEmbeddedDocument:
			sub, err := parse(v.Document())
			if err != nil {
				return err
			}
			add(&itemsCheck{all: sub})
		case bson.TypeArray:
			vals, _ := v.Array().Values()
			c := &itemsCheck{}
			for _, e := range vals {
				if e.Type != bson.TypeEmbeddedDocument {
					return mismatch("$jsonSchema keyword 'items' requires that each element of the array is an object, but found a %s", typeName(e))
				}
				sub, err := parse(e.Document())
				if err != nil {
					return err
				}
				c.tuple = append(c.tuple, sub)
			}
			tuple = len(c.tuple)
			add(c)
		default:
			return mismatch("$jsonSchema keyword 'items' must be an array or an object, not %s", typeName(v))
		}
	}
	if v, ok := kw["additionalItems"]; ok {
		c := &additionalItemsCheck{from: tuple}
		switch v.Type {
		case bson.TypeBoolean:
			c.ok = v.Boolean()
		case bson.TypeEmbeddedDocument:
			sub, err := parse(v.Document())
			if err != nil {
				return err
			}
			c.schema = sub
		default:
			return mismatch("$jsonSchema keyword 'additionalItems' must be either an object or a boolean, but got a %s", typeName(v))
		}
		if tuple >= 0 {
			add(c)
		}
	}
	return nil
}

// parseEncryptKeywords refuses encrypt and encryptMetadata: client-side
// field level encryption is not implemented.
func parseEncryptKeywords(kw map[string]bson.RawValue, _ func(check)) error {
	_, enc := kw["encrypt"]
	_, meta := kw["encryptMetadata"]
	if enc || meta {
		return mongoerr.New(mongoerr.QueryFeatureNotAllowed, "Encryption-related validator keywords are not allowed in this context")
	}
	return nil
}

// parseObjectKeywords reads required, properties, patternProperties,
// additionalProperties, minProperties, maxProperties and dependencies.
func parseObjectKeywords(kw map[string]bson.RawValue, add func(check)) error {
	var required []string
	if v, ok := kw["required"]; ok {
		if v.Type != bson.TypeArray {
			return mismatch("$jsonSchema keyword 'required' must be an array, but found an element of type %s", typeName(v))
		}
		vals, _ := v.Array().Values()
		for _, e := range vals {
			name, isString := e.StringValueOK()
			if !isString {
				return mismatch("$jsonSchema keyword 'required' must be an array of strings, but found an element of type: %s", typeName(e))
			}
			if slices.Contains(required, name) {
				return failed("$jsonSchema keyword 'required' array cannot contain duplicate values")
			}
			required = append(required, name)
		}
		if len(required) == 0 {
			return failed("$jsonSchema keyword 'required' cannot be an empty array")
		}
	}

	props, hasProps := kw["properties"]
	names := map[string]bool{}
	if hasProps {
		if props.Type != bson.TypeEmbeddedDocument {
			return mismatch("$jsonSchema keyword 'properties' must be an object")
		}
		elems, _ := props.Document().Elements()
		c := &propertiesCheck{}
		for _, e := range elems {
			v := e.Value()
			if v.Type != bson.TypeEmbeddedDocument {
				return mismatch("Nested schema for $jsonSchema property '%s' must be an object", e.Key())
			}
			sub, err := parse(v.Document())
			if err != nil {
				return err
			}
			c.names = append(c.names, e.Key())
			c.schemas = append(c.schemas, sub)
			names[e.Key()] = true
		}
		add(c)
	}

	patProps, hasPat := kw["patternProperties"]
	addProps, hasAdd := kw["additionalProperties"]
	if hasPat || hasAdd {
		c := &allowedPropertiesCheck{name: "additionalProperties", properties: names, otherOK: true}
		if !hasAdd {
			c.name = "patternProperties"
		}
		if hasPat {
			if patProps.Type != bson.TypeEmbeddedDocument {
				return mismatch("$jsonSchema keyword 'patternProperties' must be an object")
			}
			elems, _ := patProps.Document().Elements()
			for _, e := range elems {
				v := e.Value()
				if v.Type != bson.TypeEmbeddedDocument {
					return mismatch("$jsonSchema keyword 'patternProperties' has property '%s' which is not an object", e.Key())
				}
				sub, err := parse(v.Document())
				if err != nil {
					return err
				}
				re, err := compilePattern(e.Key())
				if err != nil {
					return err
				}
				c.patterns = append(c.patterns, patternSchema{source: e.Key(), re: re, schema: sub})
			}
		}
		if hasAdd {
			switch addProps.Type {
			case bson.TypeBoolean:
				c.otherOK = addProps.Boolean()
			case bson.TypeEmbeddedDocument:
				sub, err := parse(addProps.Document())
				if err != nil {
					return err
				}
				c.other = sub
			default:
				return mismatch("$jsonSchema keyword 'additionalProperties' must be an object or a boolean")
			}
		}
		add(c)
	}

	if len(required) > 0 {
		add(&requiredCheck{names: required})
	}

	for _, k := range []string{"minProperties", "maxProperties"} {
		if v, ok := kw[k]; ok {
			n, err := nonNegativeLong(k, v)
			if err != nil {
				return err
			}
			add(&propertyCountCheck{max: k == "maxProperties", n: n})
		}
	}

	if v, ok := kw["dependencies"]; ok {
		c, err := parseDependencies(v)
		if err != nil {
			return err
		}
		add(c)
	}
	return nil
}

func parseDependencies(v bson.RawValue) (check, error) {
	if v.Type != bson.TypeEmbeddedDocument {
		return nil, mismatch("$jsonSchema keyword 'dependencies' must be an object")
	}
	c := &dependenciesCheck{}
	elems, _ := v.Document().Elements()
	for _, e := range elems {
		name, dv := e.Key(), e.Value()
		switch dv.Type {
		case bson.TypeEmbeddedDocument:
			sub, err := parse(dv.Document())
			if err != nil {
				return nil, err
			}
			c.deps = append(c.deps, dependency{property: name, schema: sub})
		case bson.TypeArray:
			vals, _ := dv.Array().Values()
			if len(vals) == 0 {
				return nil, failed("property '%s' in $jsonSchema keyword 'dependencies' cannot be an empty array", name)
			}
			d := dependency{property: name}
			for _, f := range vals {
				s, isString := f.StringValueOK()
				if !isString {
					return nil, mismatch("array '%s' in $jsonSchema keyword 'dependencies' can only contain strings, but found element of type: %s", name, typeName(f))
				}
				if slices.Contains(d.fields, s) {
					return nil, failed("array '%s' in $jsonSchema keyword 'dependencies' contains duplicate element: %s", name, s)
				}
				d.fields = append(d.fields, s)
			}
			c.deps = append(c.deps, d)
		default:
			// mongod lets a title or description annotate the list.
			if dv.Type == bson.TypeString && (name == "title" || name == "description") {
				continue
			}
			return nil, mismatch("property '%s' in $jsonSchema keyword 'dependencies' must be either an object or an array", name)
		}
	}
	return c, nil
}

// parseLogicalKeywords reads allOf, anyOf, oneOf, not and enum.
func parseLogicalKeywords(kw map[string]bson.RawValue, add func(check)) error {
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		v, ok := kw[k]
		if !ok {
			continue
		}
		if v.Type != bson.TypeArray {
			return mismatch("$jsonSchema keyword '%s' must be an array", k)
		}
		vals, _ := v.Array().Values()
		if len(vals) == 0 {
			return mongoerr.Newf(mongoerr.BadValue, "$jsonSchema keyword '%s' must be a non-empty array", k)
		}
		c := &logicalCheck{name: k}
		for _, e := range vals {
			if e.Type != bson.TypeEmbeddedDocument {
				return mismatch("$jsonSchema keyword '%s' must be an array of objects, but found an element of type %s", k, typeName(e))
			}
			sub, err := parse(e.Document())
			if err != nil {
				return err
			}
			c.schemas = append(c.schemas, sub)
		}
		add(c)
	}
	if v, ok := kw["not"]; ok {
		if v.Type != bson.TypeEmbeddedDocument {
			return mismatch("$jsonSchema keyword 'not' must be an object, but found an element of type %s", typeName(v))
		}
		sub, err := parse(v.Document())
		if err != nil {
			return err
		}
		add(&logicalCheck{name: "not", schemas: []*Schema{sub}})
	}
	if v, ok := kw["enum"]; ok {
		if v.Type != bson.TypeArray {
			return mismatch("$jsonSchema keyword 'enum' must be an array, but found an element of type %s", typeName(v))
		}
		vals, _ := v.Array().Values()
		if len(vals) == 0 {
			return failed("$jsonSchema keyword 'enum' cannot be an empty array")
		}
		sorted := slices.Clone(vals)
		slices.SortFunc(sorted, compareUnordered)
		for i := 1; i < len(sorted); i++ {
			if compareUnordered(sorted[i-1], sorted[i]) == 0 {
				return failed("$jsonSchema keyword 'enum' array cannot contain duplicate values.")
			}
		}
		add(&enumCheck{values: vals})
	}
	return nil
}
