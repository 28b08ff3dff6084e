package query

import (
	"math"
	"math/big"
	"regexp"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// schema is a compiled $jsonSchema (MongoDB's draft-4 dialect with
// bsonType). Each keyword constrains only values of the type it is about
// (minLength only strings, properties only objects, …), as on mongod.
type schema struct {
	types      *typePred // type / bsonType
	enum       []bson.RawValue
	allOf      []*schema
	anyOf      []*schema
	oneOf      []*schema
	not        *schema
	min, max   *bson.RawValue
	exMin      bool
	exMax      bool
	multipleOf *big.Rat
	minLen     int64
	maxLen     int64
	pattern    *regexp.Regexp
	minItems   int64
	maxItems   int64
	unique     bool
	items      *schema   // every element
	tuple      []*schema // items as an array: element i
	addItems   *schema   // elements past the tuple; nil = allowed
	noAddItems bool
	minProps   int64
	maxProps   int64
	required   []string
	props      map[string]*schema
	patProps   []patternSchema
	addProps   *schema
	noAddProps bool
	hasAddProp bool // additionalProperties given
	depFields  map[string][]string
	depSchemas map[string]*schema
}

type patternSchema struct {
	re *regexp.Regexp
	s  *schema
}

// jsonTypes are the JSON Schema type names $jsonSchema's type accepts.
var jsonTypes = map[string][]bson.Type{
	"object":  {bson.TypeEmbeddedDocument},
	"array":   {bson.TypeArray},
	"boolean": {bson.TypeBoolean},
	"string":  {bson.TypeString},
	"null":    {bson.TypeNull},
}

var unsupportedSchemaKeywords = map[string]bool{"$ref": true, "$schema": true, "default": true, "definitions": true, "format": true, "id": true}

func schemaErr(format string, args ...any) error {
	return mongoerr.Newf(mongoerr.FailedToParse, format, args...)
}

// parseSchema compiles one schema object.
func parseSchema(d bson.Raw) (*schema, error) {
	s := &schema{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1, minProps: -1, maxProps: -1}
	elems, err := d.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	var hasType, hasBSONType, hasExMin, hasExMax bool
	var items, addItems bson.RawValue
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		switch k {
		case "type", "bsonType":
			if k == "type" {
				hasType = true
			} else {
				hasBSONType = true
			}
			t, err := schemaTypes(k, v)
			if err != nil {
				return nil, err
			}
			s.types = t
		case "enum":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'enum' must be an array")
			}
			vals, _ := arr.Values()
			if len(vals) == 0 {
				return nil, schemaErr("$jsonSchema keyword 'enum' cannot be an empty array")
			}
			s.enum = vals
		case "allOf", "anyOf", "oneOf":
			subs, err := schemaList(k, v)
			if err != nil {
				return nil, err
			}
			switch k {
			case "allOf":
				s.allOf = subs
			case "anyOf":
				s.anyOf = subs
			default:
				s.oneOf = subs
			}
		case "not":
			sub, err := schemaObject(k, v)
			if err != nil {
				return nil, err
			}
			s.not = sub
		case "minimum", "maximum":
			if !bsonx.IsNumber(v.Type) {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' must be a number", k)
			}
			val := v
			if k == "minimum" {
				s.min = &val
			} else {
				s.max = &val
			}
		case "exclusiveMinimum", "exclusiveMaximum":
			b, ok := v.BooleanOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' must be a boolean", k)
			}
			if k == "exclusiveMinimum" {
				s.exMin, hasExMin = b, true
			} else {
				s.exMax, hasExMax = b, true
			}
		case "multipleOf":
			if !bsonx.IsNumber(v.Type) {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword 'multipleOf' must be a number")
			}
			r, ok := numberRat(v)
			if !ok || r.Sign() <= 0 {
				return nil, schemaErr("$jsonSchema keyword 'multipleOf' must have a positive value")
			}
			s.multipleOf = r
		case "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties":
			n, err := schemaCount(k, v)
			if err != nil {
				return nil, err
			}
			switch k {
			case "minLength":
				s.minLen = n
			case "maxLength":
				s.maxLen = n
			case "minItems":
				s.minItems = n
			case "maxItems":
				s.maxItems = n
			case "minProperties":
				s.minProps = n
			default:
				s.maxProps = n
			}
		case "pattern":
			p, ok := v.StringValueOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'pattern' must be a string")
			}
			re, err := CompileRegex(p, "")
			if err != nil {
				return nil, err
			}
			s.pattern = re
		case "uniqueItems":
			b, ok := v.BooleanOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'uniqueItems' must be a boolean")
			}
			s.unique = b
		case "items":
			items = v
		case "additionalItems":
			addItems = v
		case "required":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'required' must be an array")
			}
			vals, _ := arr.Values()
			if len(vals) == 0 {
				return nil, schemaErr("$jsonSchema keyword 'required' cannot be an empty array")
			}
			seen := map[string]bool{}
			for _, rv := range vals {
				name, ok := rv.StringValueOK()
				if !ok {
					return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'required' must be an array of strings")
				}
				if seen[name] {
					return nil, schemaErr("$jsonSchema keyword 'required' array cannot contain duplicate values")
				}
				seen[name] = true
				s.required = append(s.required, name)
			}
		case "properties":
			pd, ok := v.DocumentOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'properties' must be an object")
			}
			s.props = map[string]*schema{}
			pes, _ := pd.Elements()
			for _, pe := range pes {
				sub, err := schemaObject("properties."+pe.Key(), pe.Value())
				if err != nil {
					return nil, err
				}
				s.props[pe.Key()] = sub
			}
		case "patternProperties":
			pd, ok := v.DocumentOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'patternProperties' must be an object")
			}
			pes, _ := pd.Elements()
			for _, pe := range pes {
				re, err := CompileRegex(pe.Key(), "")
				if err != nil {
					return nil, err
				}
				sub, err := schemaObject("patternProperties."+pe.Key(), pe.Value())
				if err != nil {
					return nil, err
				}
				s.patProps = append(s.patProps, patternSchema{re, sub})
			}
		case "additionalProperties":
			s.hasAddProp = true
			if b, ok := v.BooleanOK(); ok {
				s.noAddProps = !b
				continue
			}
			sub, err := schemaObject(k, v)
			if err != nil {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'additionalProperties' must be either an object or a boolean")
			}
			s.addProps = sub
		case "dependencies":
			dd, ok := v.DocumentOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'dependencies' must be an object")
			}
			des, _ := dd.Elements()
			for _, de := range des {
				switch de.Value().Type {
				case bson.TypeEmbeddedDocument:
					sub, err := schemaObject("dependencies."+de.Key(), de.Value())
					if err != nil {
						return nil, err
					}
					if s.depSchemas == nil {
						s.depSchemas = map[string]*schema{}
					}
					s.depSchemas[de.Key()] = sub
				case bson.TypeArray:
					vals, _ := de.Value().Array().Values()
					if len(vals) == 0 {
						return nil, schemaErr("property '%s' in $jsonSchema keyword 'dependencies' cannot be an empty array", de.Key())
					}
					var names []string
					for _, nv := range vals {
						n, ok := nv.StringValueOK()
						if !ok {
							return nil, mongoerr.Newf(mongoerr.TypeMismatch, "property '%s' in $jsonSchema keyword 'dependencies' must be an array of strings", de.Key())
						}
						names = append(names, n)
					}
					if s.depFields == nil {
						s.depFields = map[string][]string{}
					}
					s.depFields[de.Key()] = names
				default:
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "property '%s' in $jsonSchema keyword 'dependencies' must be either an object or an array", de.Key())
				}
			}
		case "description", "title":
			if _, ok := v.StringValueOK(); !ok {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' must be a string", k)
			}
		default:
			if unsupportedSchemaKeywords[k] {
				return nil, schemaErr("$jsonSchema keyword '%s' is not currently supported", k)
			}
			return nil, schemaErr("Unknown $jsonSchema keyword: %s", k)
		}
	}
	if hasType && hasBSONType {
		return nil, schemaErr("Cannot specify both $jsonSchema keywords 'type' and 'bsonType'")
	}
	if hasExMin && s.min == nil {
		return nil, schemaErr("$jsonSchema keyword 'minimum' must be a present if exclusiveMinimum is present")
	}
	if hasExMax && s.max == nil {
		return nil, schemaErr("$jsonSchema keyword 'maximum' must be a present if exclusiveMaximum is present")
	}
	if items.Type != 0 {
		switch items.Type {
		case bson.TypeEmbeddedDocument:
			sub, err := parseSchema(items.Document())
			if err != nil {
				return nil, err
			}
			s.items = sub
		case bson.TypeArray:
			subs, err := schemaList("items", items)
			if err != nil {
				return nil, err
			}
			s.tuple = subs
		default:
			return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'items' must be an array or an object")
		}
	}
	if addItems.Type != 0 {
		if b, ok := addItems.BooleanOK(); ok {
			s.noAddItems = !b
		} else if d, ok := addItems.DocumentOK(); ok {
			sub, err := parseSchema(d)
			if err != nil {
				return nil, err
			}
			s.addItems = sub
		} else {
			return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema keyword 'additionalItems' must be either an object or a boolean")
		}
		if s.tuple == nil {
			// Without an items array there are no "additional" items.
			s.addItems, s.noAddItems = nil, false
		}
	}
	return s, nil
}

func schemaObject(k string, v bson.RawValue) (*schema, error) {
	d, ok := v.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' must be an object", k)
	}
	return parseSchema(d)
}

func schemaList(k string, v bson.RawValue) ([]*schema, error) {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' must be an array", k)
	}
	vals, _ := arr.Values()
	if len(vals) == 0 && k != "items" {
		return nil, schemaErr("$jsonSchema keyword '%s' must be a non-empty array", k)
	}
	out := make([]*schema, 0, len(vals))
	for _, sv := range vals {
		d, ok := sv.DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' must be an array of objects, but found an element of type %s", k, bsonx.TypeName(sv.Type))
		}
		sub, err := parseSchema(d)
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, nil
}

func schemaCount(k string, v bson.RawValue) (int64, error) {
	if !bsonx.IsNumber(v.Type) {
		return 0, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' must be a number", k)
	}
	n, err := IntegerElement(k, v)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, schemaErr("$jsonSchema keyword '%s' must be non-negative", k)
	}
	return n, nil
}

func schemaTypes(k string, v bson.RawValue) (*typePred, error) {
	t := &typePred{types: map[bson.Type]bool{}}
	add := func(name string) error {
		if k == "type" {
			if name == "integer" {
				return schemaErr("$jsonSchema type 'integer' is not currently supported.")
			}
			if name == "number" {
				t.number = true
				return nil
			}
			ts, ok := jsonTypes[name]
			if !ok {
				return schemaErr("Unknown type name alias: %s", name)
			}
			for _, bt := range ts {
				t.types[bt] = true
			}
			return nil
		}
		if name == "number" {
			t.number = true
			return nil
		}
		bt, ok := bsonx.TypeByAlias(name)
		if !ok {
			return schemaErr("Unknown type name alias: %s", name)
		}
		t.types[bt] = true
		return nil
	}
	switch v.Type {
	case bson.TypeString:
		if err := add(v.StringValue()); err != nil {
			return nil, err
		}
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		if len(vals) == 0 {
			return nil, schemaErr("$jsonSchema keyword '%s' must name at least one type", k)
		}
		for _, tv := range vals {
			name, ok := tv.StringValueOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' array elements must be strings", k)
			}
			if err := add(name); err != nil {
				return nil, err
			}
		}
	default:
		return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$jsonSchema keyword '%s' must be either a string or an array of strings", k)
	}
	return t, nil
}

// valid reports whether v satisfies the schema.
func (s *schema) valid(v bson.RawValue) bool {
	if s.types != nil && !s.types.test(v) {
		return false
	}
	if s.enum != nil {
		found := false
		for _, e := range s.enum {
			if bsonx.Compare(e, v) == 0 {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, sub := range s.allOf {
		if !sub.valid(v) {
			return false
		}
	}
	if s.anyOf != nil {
		ok := false
		for _, sub := range s.anyOf {
			if sub.valid(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if s.oneOf != nil {
		n := 0
		for _, sub := range s.oneOf {
			if sub.valid(v) {
				n++
			}
		}
		if n != 1 {
			return false
		}
	}
	if s.not != nil && s.not.valid(v) {
		return false
	}
	switch {
	case bsonx.IsNumber(v.Type):
		return s.validNumber(v)
	case v.Type == bson.TypeString:
		return s.validString(v.StringValue())
	case v.Type == bson.TypeArray:
		return s.validArray(v.Value)
	case v.Type == bson.TypeEmbeddedDocument:
		return s.validObject(v.Value)
	}
	return true
}

func (s *schema) validNumber(v bson.RawValue) bool {
	if s.min != nil {
		if isNaN(v) {
			return false
		}
		c := bsonx.Compare(v, *s.min)
		if c < 0 || (s.exMin && c == 0) {
			return false
		}
	}
	if s.max != nil {
		if isNaN(v) {
			return false
		}
		c := bsonx.Compare(v, *s.max)
		if c > 0 || (s.exMax && c == 0) {
			return false
		}
	}
	if s.multipleOf != nil {
		r, ok := numberRat(v)
		if !ok {
			return false
		}
		q := new(big.Rat).Quo(r, s.multipleOf)
		if !q.IsInt() {
			return false
		}
	}
	return true
}

func (s *schema) validString(str string) bool {
	if s.minLen >= 0 || s.maxLen >= 0 {
		n := int64(utf8.RuneCountInString(str))
		if (s.minLen >= 0 && n < s.minLen) || (s.maxLen >= 0 && n > s.maxLen) {
			return false
		}
	}
	return s.pattern == nil || s.pattern.MatchString(str)
}

func (s *schema) validArray(arr []byte) bool {
	vals, err := bson.Raw(arr).Values()
	if err != nil {
		return false
	}
	n := int64(len(vals))
	if (s.minItems >= 0 && n < s.minItems) || (s.maxItems >= 0 && n > s.maxItems) {
		return false
	}
	if s.unique {
		for i := range vals {
			for j := i + 1; j < len(vals); j++ {
				if bsonx.Compare(vals[i], vals[j]) == 0 {
					return false
				}
			}
		}
	}
	for i, e := range vals {
		switch {
		case s.items != nil:
			if !s.items.valid(e) {
				return false
			}
		case s.tuple != nil && i < len(s.tuple):
			if !s.tuple[i].valid(e) {
				return false
			}
		case s.tuple != nil:
			if s.noAddItems || (s.addItems != nil && !s.addItems.valid(e)) {
				return false
			}
		}
	}
	return true
}

func (s *schema) validObject(doc []byte) bool {
	n := int64(0)
	ok := true
	forEach(doc, func(_ int, key []byte, v bson.RawValue) bool {
		n++
		name := string(key)
		matched := false
		if sub, has := s.props[name]; has {
			matched = true
			if !sub.valid(v) {
				ok = false
				return true
			}
		}
		for _, pp := range s.patProps {
			if pp.re.MatchString(name) {
				matched = true
				if !pp.s.valid(v) {
					ok = false
					return true
				}
			}
		}
		if !matched && s.hasAddProp {
			if s.noAddProps || (s.addProps != nil && !s.addProps.valid(v)) {
				ok = false
				return true
			}
		}
		if deps, has := s.depFields[name]; has {
			for _, dep := range deps {
				if _, found := lookupField(doc, dep); !found {
					ok = false
					return true
				}
			}
		}
		if sub, has := s.depSchemas[name]; has {
			if !sub.valid(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}) {
				ok = false
				return true
			}
		}
		return false
	})
	if !ok {
		return false
	}
	if (s.minProps >= 0 && n < s.minProps) || (s.maxProps >= 0 && n > s.maxProps) {
		return false
	}
	for _, r := range s.required {
		if _, found := lookupField(doc, r); !found {
			return false
		}
	}
	return true
}

// numberRat converts a finite number to an exact rational.
func numberRat(v bson.RawValue) (*big.Rat, bool) {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		return new(big.Rat).SetInt64(v.AsInt64()), true
	case bson.TypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		r := new(big.Rat)
		if r.SetFloat64(f) == nil {
			return nil, false
		}
		return r, true
	case bson.TypeDecimal128:
		d := v.Decimal128()
		if d.IsNaN() || d.IsInf() != 0 {
			return nil, false
		}
		return new(big.Rat).SetString(d.String())
	}
	return nil, false
}

// schemaNode is $jsonSchema in a filter: the document must satisfy it.
type schemaNode struct{ s *schema }

func (n *schemaNode) match(doc bson.Raw, _ *details) bool {
	return n.s.valid(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc})
}
