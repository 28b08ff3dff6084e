package jsonschema

import (
	"slices"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
)

// Explain describes why doc fails the schema the way mongod's document
// validation errors do (a DocumentValidationFailure's errInfo.details, see
// src/mongo/db/matcher/doc_validation_error.cpp): a document
//
//	{operatorName: "$jsonSchema", title?, description?, schemaRulesNotSatisfied: [...]}
//
// with one entry per keyword the document fails, nested through
// properties, items, allOf, dependencies and the rest. A schema whose
// top-level type excludes "object" matches no document at all, and says so:
//
//	{operatorName: "$jsonSchema", specifiedAs: {$jsonSchema: <schema>},
//	 reason: "expression always evaluates to false"}
//
// Explain is meant for documents that fail the schema; for one that
// matches, the rule list is empty.
func (s *Schema) Explain(doc bson.Raw) bson.Raw {
	if s.rejectsObjects() {
		return alwaysFalse(s.raw)
	}
	x := explainer{root: doc}
	var b bsonx.Builder
	b.Start()
	b.AppendString("operatorName", "$jsonSchema")
	appendAnnotations(&b, s.raw)
	b.AppendArray("schemaRulesNotSatisfied", x.rules(s, bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, true))
	return b.Finish()
}

// The rules below follow how mongod translates a schema into match
// expressions and then explains their failure. A keyword reports an entry
// exactly when its check fails on a value that is present and of the type
// the keyword restricts (the checks here already pass every other value),
// so one recursion over the compiled checks yields mongod's entries, in
// mongod's order (json_schema_parser.cpp: string and number keywords,
// array, object, logical keywords, then type). Inside a schema only the
// normal sense exists: mongod explains a matching "not" or an extra
// "oneOf" match with a reason, never with details.

// explainer carries what the whole explanation shares.
type explainer struct {
	root bson.Raw // the document: a top-level enum reports it
}

// rules explains a value v that fails s: the entries of the keywords it
// fails. top marks a schema that applies to the document itself (the
// $jsonSchema and the allOf/anyOf/oneOf/not/dependencies schemas beside it),
// where mongod drops the restriction keywords and the type keyword. v may
// be missing (Type 0) for a required property that is absent: mongod
// still explains its schema, and only the logical keywords speak then.
func (x *explainer) rules(s *Schema, v bson.RawValue, top bool) []byte {
	var a bsonx.Builder
	a.Start()
	for _, c := range s.checks {
		if _, isType := c.(*typeCheck); isType && top {
			continue
		}
		// properties passes an absent property, but mongod makes a required
		// one match its schema too: properties decides for itself.
		if _, isProps := c.(*propertiesCheck); !isProps && c.matches(v) {
			continue
		}
		for _, e := range x.entries(s, c, v, top) {
			a.AppendDocument(a.NextKey(), e)
		}
	}
	return a.Finish()
}

// subschema explains v against a nested schema: its rule list, or, for a
// document-level schema whose type excludes "object", the object mongod
// reports for a schema that can match nothing.
func (x *explainer) subschema(s *Schema, v bson.RawValue, top bool) bsoncore.Value {
	if top && s.rejectsObjects() {
		return bsoncore.Value{Type: bsoncore.TypeEmbeddedDocument, Data: alwaysFalse(s.raw)}
	}
	return bsoncore.Value{Type: bsoncore.TypeArray, Data: x.rules(s, v, top)}
}

// appendSubschema appends the title and description of s (unless it is a
// schema that matches nothing, which mongod reports bare) and its
// explanation under "details".
func (x *explainer) appendSubschema(b *bsonx.Builder, s *Schema, v bson.RawValue, top bool) {
	d := x.subschema(s, v, top)
	if d.Type == bsoncore.TypeArray {
		appendAnnotations(b, s.raw)
	}
	b.AppendValue("details", d)
}

// entries explains one failed check. Most keywords give one entry; the
// additionalProperties/patternProperties pair may give two, and a keyword
// about a missing value none.
func (x *explainer) entries(s *Schema, c check, v bson.RawValue, top bool) [][]byte {
	if v.Type == 0 {
		// Only the logical keywords can fail on a missing value and say
		// something about it: type and enum stay silent, as in mongod.
		if _, ok := c.(*logicalCheck); !ok {
			return nil
		}
	}
	var b bsonx.Builder
	b.Start()
	switch c := c.(type) {
	case *typeCheck:
		b.AppendString("operatorName", c.name)
		b.AppendDocument("specifiedAs", spec(s.raw, c.name))
		b.AppendString("reason", "type did not match")
		b.AppendRaw("consideredValue", v)
		b.AppendString("consideredType", bsonx.TypeName(v.Type))
	case *patternCheck:
		leafEntry(&b, s.raw, "pattern", "regular expression did not match", v)
	case *lengthCheck:
		leafEntry(&b, s.raw, c.keyword(), "specified string length was not satisfied", v)
	case *multipleOfCheck:
		leafEntry(&b, s.raw, "multipleOf", "considered value is not a multiple of the specified value", v)
	case *boundCheck:
		k := c.keyword()
		b.AppendString("operatorName", k)
		if c.exclusive {
			var sp bsonx.Builder
			sp.Start()
			sp.AppendRaw(k, lookupRaw(s.raw, k))
			sp.AppendBool("exclusiveM"+k[1:], true)
			b.AppendDocument("specifiedAs", sp.Finish())
		} else {
			b.AppendDocument("specifiedAs", spec(s.raw, k))
		}
		b.AppendString("reason", "comparison failed")
		b.AppendRaw("consideredValue", v)
	case *itemCountCheck:
		leafEntry(&b, s.raw, c.keyword(), "array did not match specified length", v)
		b.AppendInt32("numberOfItems", int32(countElements(v.Value)))
	case uniqueItemsCheck:
		leafEntry(&b, s.raw, "uniqueItems", "found a duplicate item", v)
		b.AppendRaw("duplicatedValue", firstDuplicate(v))
	case *itemsCheck:
		x.items(&b, c, v)
	case *additionalItemsCheck:
		x.additionalItems(&b, s.raw, c, v)
	case *propertiesCheck:
		if !x.properties(&b, s, c, v) {
			return nil
		}
	case *allowedPropertiesCheck:
		return x.allowedProperties(s.raw, c, v)
	case *requiredCheck:
		b.AppendString("operatorName", "required")
		b.AppendDocument("specifiedAs", spec(s.raw, "required"))
		var missing []string
		for _, name := range c.names {
			if _, ok := lookup(v.Value, name); !ok {
				missing = append(missing, name)
			}
		}
		// mongod checks the required names in sorted order.
		slices.Sort(missing)
		b.AppendArray("missingProperties", stringArray(missing))
	case *propertyCountCheck:
		b.AppendString("operatorName", c.keyword())
		b.AppendDocument("specifiedAs", spec(s.raw, c.keyword()))
		b.AppendString("reason", "specified number of properties was not satisfied")
		b.AppendInt32("numberOfProperties", int32(countElements(v.Value)))
	case *dependenciesCheck:
		x.dependencies(&b, s.raw, c, v, top)
	case *logicalCheck:
		x.logical(&b, c, v, top)
	case *enumCheck:
		b.AppendString("operatorName", "enum")
		b.AppendDocument("specifiedAs", spec(s.raw, "enum"))
		if !top {
			b.AppendString("reason", "value was not found in enum")
			b.AppendRaw("consideredValue", v)
			break
		}
		// At the top level mongod compares the document with the enum's
		// objects only; with none the keyword can match nothing.
		objects := false
		for _, e := range c.values {
			objects = objects || e.Type == bson.TypeEmbeddedDocument
		}
		if !objects {
			b.AppendString("reason", "expression always evaluates to false")
			break
		}
		b.AppendString("reason", "value was not found in enum")
		b.AppendDocument("consideredValue", x.root)
	default:
		return nil
	}
	return [][]byte{b.Finish()}
}

// leafEntry appends the fields every scalar keyword reports.
func leafEntry(b *bsonx.Builder, raw bson.Raw, keyword, reason string, v bson.RawValue) {
	b.AppendString("operatorName", keyword)
	b.AppendDocument("specifiedAs", spec(raw, keyword))
	b.AppendString("reason", reason)
	b.AppendRaw("consideredValue", v)
}

// items explains items: with one schema the first element failing it,
// with a list of schemas every position that fails its own.
func (x *explainer) items(b *bsonx.Builder, c *itemsCheck, v bson.RawValue) {
	b.AppendString("operatorName", "items")
	if c.all != nil {
		i, e := firstFailing(v, 0, c.all)
		appendAnnotations(b, c.all.raw)
		b.AppendString("reason", "At least one item did not match the sub-schema")
		b.AppendInt32("itemIndex", int32(i))
		b.AppendValue("details", x.subschema(c.all, e, false))
		return
	}
	var a bsonx.Builder
	a.Start()
	i := 0
	forEach(v.Value, func(_ string, e bson.RawValue) bool {
		if i >= len(c.tuple) {
			return false
		}
		if !c.tuple[i].matches(e) {
			var d bsonx.Builder
			d.Start()
			// mongod appends this position as a 64-bit integer, unlike
			// the itemIndex of a single items schema.
			d.AppendInt64("itemIndex", int64(i))
			d.AppendValue("details", x.subschema(c.tuple[i], e, false))
			a.AppendDocument(a.NextKey(), d.Finish())
		}
		i++
		return true
	})
	b.AppendArray("details", a.Finish())
}

// additionalItems explains the elements past an items list: all of them
// when they are refused outright, else the first that fails the schema.
func (x *explainer) additionalItems(b *bsonx.Builder, raw bson.Raw, c *additionalItemsCheck, v bson.RawValue) {
	b.AppendString("operatorName", "additionalItems")
	if c.schema == nil {
		b.AppendDocument("specifiedAs", spec(raw, "additionalItems"))
		b.AppendString("reason", "found additional items")
		var a bsonx.Builder
		a.Start()
		i := 0
		forEach(v.Value, func(_ string, e bson.RawValue) bool {
			if i >= c.from {
				a.AppendRaw(a.NextKey(), e)
			}
			i++
			return true
		})
		b.AppendArray("additionalItems", a.Finish())
		return
	}
	i, e := firstFailing(v, c.from, c.schema)
	appendAnnotations(b, c.schema.raw)
	b.AppendString("reason", "At least one additional item did not match the sub-schema")
	b.AppendInt32("itemIndex", int32(i))
	b.AppendValue("details", x.subschema(c.schema, e, false))
}

// firstFailing finds the first element of the array v from position from
// on that fails s.
func firstFailing(v bson.RawValue, from int, s *Schema) (int, bson.RawValue) {
	at, i := -1, 0
	var found bson.RawValue
	forEach(v.Value, func(_ string, e bson.RawValue) bool {
		if i >= from && !s.matches(e) {
			at, found = i, e
			return false
		}
		i++
		return true
	})
	return at, found
}

// properties explains properties: each named property whose value fails
// its schema, and each required property that is missing when its schema
// still has something to say about that. It reports false when no
// property does, and mongod then leaves the keyword out.
func (x *explainer) properties(b *bsonx.Builder, s *Schema, c *propertiesCheck, v bson.RawValue) bool {
	if v.Type != bson.TypeEmbeddedDocument {
		return false
	}
	required := map[string]bool{}
	for _, k := range s.checks {
		if r, ok := k.(*requiredCheck); ok {
			for _, n := range r.names {
				required[n] = true
			}
		}
	}
	var a bsonx.Builder
	a.Start()
	for i, name := range c.names {
		sub := c.schemas[i]
		p, present := lookup(v.Value, name)
		// An optional property that is absent satisfies its schema; a
		// required one is explained (mongod walks its schema either way).
		if !present && !required[name] || sub.matches(p) {
			continue
		}
		details := x.rules(sub, p, false)
		if len(details) <= 5 {
			continue
		}
		var e bsonx.Builder
		e.Start()
		e.AppendString("propertyName", name)
		appendAnnotations(&e, sub.raw)
		e.AppendArray("details", details)
		a.AppendDocument(a.NextKey(), e.Finish())
	}
	if a.Len() == 0 {
		return false
	}
	b.AppendString("operatorName", "properties")
	b.AppendArray("propertiesNotSatisfied", a.Finish())
	return true
}

// allowedProperties explains additionalProperties and patternProperties,
// which mongod checks as one expression and reports as up to two entries:
// the additional properties first, then the pattern properties.
func (x *explainer) allowedProperties(raw bson.Raw, c *allowedPropertiesCheck, v bson.RawValue) [][]byte {
	var additional []string
	forEach(v.Value, func(key string, _ bson.RawValue) bool {
		if c.properties[key] {
			return true
		}
		for _, p := range c.patterns {
			if p.re.MatchString(key) {
				return true
			}
		}
		additional = append(additional, key)
		return true
	})
	var out [][]byte
	addRaw := lookupRaw(raw, "additionalProperties")
	switch {
	case addRaw.Type == bson.TypeBoolean && !c.otherOK && len(additional) > 0:
		var b bsonx.Builder
		b.Start()
		b.AppendString("operatorName", "additionalProperties")
		b.AppendDocument("specifiedAs", spec(raw, "additionalProperties"))
		b.AppendArray("additionalProperties", stringArray(additional))
		out = append(out, b.Finish())
	case c.other != nil:
		for _, name := range additional {
			e, _ := lookup(v.Value, name)
			if c.other.matches(e) {
				continue
			}
			var b bsonx.Builder
			b.Start()
			b.AppendString("operatorName", "additionalProperties")
			appendAnnotations(&b, c.other.raw)
			b.AppendString("reason", "at least one additional property did not match the subschema")
			b.AppendString("failingProperty", name)
			b.AppendValue("details", x.subschema(c.other, e, false))
			out = append(out, b.Finish())
			break
		}
	}
	// Each pattern reports the first property it finds that fails its
	// schema.
	var a bsonx.Builder
	a.Start()
	for _, p := range c.patterns {
		forEach(v.Value, func(key string, e bson.RawValue) bool {
			if !p.re.MatchString(key) || p.schema.matches(e) {
				return true
			}
			var d bsonx.Builder
			d.Start()
			d.AppendString("propertyName", key)
			appendAnnotations(&d, p.schema.raw)
			d.AppendString("regexMatched", p.source)
			d.AppendValue("details", x.subschema(p.schema, e, false))
			a.AppendDocument(a.NextKey(), d.Finish())
			return false
		})
	}
	if a.Len() > 0 {
		var b bsonx.Builder
		b.Start()
		b.AppendString("operatorName", "patternProperties")
		b.AppendArray("details", a.Finish())
		out = append(out, b.Finish())
	}
	return out
}

// dependencies explains each dependency whose property is present but
// whose required properties are missing or whose schema fails.
func (x *explainer) dependencies(b *bsonx.Builder, raw bson.Raw, c *dependenciesCheck, v bson.RawValue, top bool) {
	b.AppendString("operatorName", "dependencies")
	// A title or description inside the dependencies object annotates it.
	if d, ok := lookupRaw(raw, "dependencies").DocumentOK(); ok {
		appendAnnotations(b, d)
	}
	var a bsonx.Builder
	a.Start()
	for _, d := range c.deps {
		if _, ok := lookup(v.Value, d.property); !ok {
			continue
		}
		var e bsonx.Builder
		e.Start()
		e.AppendString("conditionalProperty", d.property)
		if d.schema != nil {
			if d.schema.matches(v) {
				continue
			}
			e.AppendValue("details", x.subschema(d.schema, v, top))
		} else {
			var missing []string
			for _, f := range d.fields {
				if _, ok := lookup(v.Value, f); !ok {
					missing = append(missing, f)
				}
			}
			if len(missing) == 0 {
				continue
			}
			e.AppendArray("missingProperties", stringArray(missing))
		}
		a.AppendDocument(a.NextKey(), e.Finish())
	}
	b.AppendArray("failingDependencies", a.Finish())
}

// logical explains allOf (the subschemas that fail), anyOf (all of them),
// oneOf (all of them, or the ones that match when more than one does) and
// not.
func (x *explainer) logical(b *bsonx.Builder, c *logicalCheck, v bson.RawValue, top bool) {
	b.AppendString("operatorName", c.name)
	if c.name == "not" {
		b.AppendString("reason", "child expression matched")
		return
	}
	if c.name == "oneOf" {
		var matching []int
		for i, s := range c.schemas {
			if s.matches(v) {
				matching = append(matching, i)
			}
		}
		if len(matching) > 0 {
			b.AppendString("reason", "more than one subschema matched")
			var a bsonx.Builder
			a.Start()
			for _, i := range matching {
				a.AppendInt32(a.NextKey(), int32(i))
			}
			b.AppendArray("matchingSchemaIndexes", a.Finish())
			return
		}
	}
	var a bsonx.Builder
	a.Start()
	for i, s := range c.schemas {
		if c.name == "allOf" && s.matches(v) {
			continue
		}
		var e bsonx.Builder
		e.Start()
		e.AppendInt32("index", int32(i))
		x.appendSubschema(&e, s, v, top)
		a.AppendDocument(a.NextKey(), e.Finish())
	}
	b.AppendArray("schemasNotSatisfied", a.Finish())
}

// rejectsObjects reports a schema whose type keyword does not admit
// objects, which at the top level matches no document.
func (s *Schema) rejectsObjects() bool {
	for _, c := range s.checks {
		if t, ok := c.(*typeCheck); ok {
			return !t.set.has(bson.TypeEmbeddedDocument)
		}
	}
	return false
}

// alwaysFalse is mongod's explanation of a schema that matches nothing.
func alwaysFalse(raw bson.Raw) []byte {
	var sp bsonx.Builder
	sp.Start()
	sp.AppendDocument("$jsonSchema", raw)
	var b bsonx.Builder
	b.Start()
	b.AppendString("operatorName", "$jsonSchema")
	b.AppendDocument("specifiedAs", sp.Finish())
	b.AppendString("reason", "expression always evaluates to false")
	return b.Finish()
}

// appendAnnotations appends the title and description of a schema (or of
// a dependencies object), in that order, when they are strings.
func appendAnnotations(b *bsonx.Builder, raw bson.Raw) {
	for _, k := range []string{"title", "description"} {
		if s, ok := lookupRaw(raw, k).StringValueOK(); ok {
			b.AppendString(k, s)
		}
	}
}

// spec is a keyword as written, {keyword: value}: the specifiedAs of its
// explanation.
func spec(raw bson.Raw, keyword string) []byte {
	var b bsonx.Builder
	b.Start()
	b.AppendRaw(keyword, lookupRaw(raw, keyword))
	return b.Finish()
}

func lookupRaw(raw bson.Raw, key string) bson.RawValue {
	v, _ := lookup(raw, key)
	return v
}

// firstDuplicate returns the first element of the array v that equals an
// earlier one.
func firstDuplicate(v bson.RawValue) bson.RawValue {
	var elems []bson.RawValue
	forEach(v.Value, func(_ string, e bson.RawValue) bool {
		elems = append(elems, e)
		return true
	})
	order := make([]int, len(elems))
	for i := range order {
		order[i] = i
	}
	// Equal elements sort next to each other, in array order; the second
	// of each run is a duplicate, and the earliest of those is the first.
	sort.SliceStable(order, func(i, j int) bool { return compareUnordered(elems[order[i]], elems[order[j]]) < 0 })
	first := -1
	for i := 1; i < len(order); i++ {
		if compareUnordered(elems[order[i-1]], elems[order[i]]) == 0 && (i < 2 || compareUnordered(elems[order[i-2]], elems[order[i]]) != 0) {
			if first < 0 || order[i] < first {
				first = order[i]
			}
		}
	}
	if first < 0 {
		return bson.RawValue{}
	}
	return elems[first]
}

func stringArray(ss []string) []byte {
	var a bsonx.Builder
	a.Start()
	for _, s := range ss {
		a.AppendString(a.NextKey(), s)
	}
	return a.Finish()
}
