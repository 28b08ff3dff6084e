package jsonschema

import (
	"slices"
	"sort"
	"strconv"

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
	var b builder
	b.start()
	b.appendString("operatorName", "$jsonSchema")
	appendAnnotations(&b, s.raw)
	b.appendArray("schemaRulesNotSatisfied", x.rules(s, bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, true))
	return b.finish()
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
	var a builder
	a.start()
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
			a.appendDocument(a.nextKey(), e)
		}
	}
	return a.finish()
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
func (x *explainer) appendSubschema(b *builder, s *Schema, v bson.RawValue, top bool) {
	d := x.subschema(s, v, top)
	if d.Type == bsoncore.TypeArray {
		appendAnnotations(b, s.raw)
	}
	b.appendValue("details", d)
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
	var b builder
	b.start()
	switch c := c.(type) {
	case *typeCheck:
		b.appendString("operatorName", c.name)
		b.appendDocument("specifiedAs", spec(s.raw, c.name))
		b.appendString("reason", "type did not match")
		b.appendRaw("consideredValue", v)
		b.appendString("consideredType", bsonx.TypeName(v.Type))
	case *patternCheck:
		leafEntry(&b, s.raw, "pattern", "regular expression did not match", v)
	case *lengthCheck:
		leafEntry(&b, s.raw, c.keyword(), "specified string length was not satisfied", v)
	case *multipleOfCheck:
		leafEntry(&b, s.raw, "multipleOf", "considered value is not a multiple of the specified value", v)
	case *boundCheck:
		k := c.keyword()
		b.appendString("operatorName", k)
		if c.exclusive {
			var sp builder
			sp.start()
			sp.appendRaw(k, lookupRaw(s.raw, k))
			sp.appendBool("exclusiveM"+k[1:], true)
			b.appendDocument("specifiedAs", sp.finish())
		} else {
			b.appendDocument("specifiedAs", spec(s.raw, k))
		}
		b.appendString("reason", "comparison failed")
		b.appendRaw("consideredValue", v)
	case *itemCountCheck:
		leafEntry(&b, s.raw, c.keyword(), "array did not match specified length", v)
		b.appendInt32("numberOfItems", int32(countElements(v.Value)))
	case uniqueItemsCheck:
		leafEntry(&b, s.raw, "uniqueItems", "found a duplicate item", v)
		b.appendRaw("duplicatedValue", firstDuplicate(v))
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
		b.appendString("operatorName", "required")
		b.appendDocument("specifiedAs", spec(s.raw, "required"))
		var missing []string
		for _, name := range c.names {
			if _, ok := lookup(v.Value, name); !ok {
				missing = append(missing, name)
			}
		}
		// mongod checks the required names in sorted order.
		slices.Sort(missing)
		b.appendArray("missingProperties", stringArray(missing))
	case *propertyCountCheck:
		b.appendString("operatorName", c.keyword())
		b.appendDocument("specifiedAs", spec(s.raw, c.keyword()))
		b.appendString("reason", "specified number of properties was not satisfied")
		b.appendInt32("numberOfProperties", int32(countElements(v.Value)))
	case *dependenciesCheck:
		x.dependencies(&b, s.raw, c, v, top)
	case *logicalCheck:
		x.logical(&b, c, v, top)
	case *enumCheck:
		b.appendString("operatorName", "enum")
		b.appendDocument("specifiedAs", spec(s.raw, "enum"))
		if !top {
			b.appendString("reason", "value was not found in enum")
			b.appendRaw("consideredValue", v)
			break
		}
		// At the top level mongod compares the document with the enum's
		// objects only; with none the keyword can match nothing.
		objects := false
		for _, e := range c.values {
			objects = objects || e.Type == bson.TypeEmbeddedDocument
		}
		if !objects {
			b.appendString("reason", "expression always evaluates to false")
			break
		}
		b.appendString("reason", "value was not found in enum")
		b.appendDocument("consideredValue", x.root)
	default:
		return nil
	}
	return [][]byte{b.finish()}
}

// leafEntry appends the fields every scalar keyword reports.
func leafEntry(b *builder, raw bson.Raw, keyword, reason string, v bson.RawValue) {
	b.appendString("operatorName", keyword)
	b.appendDocument("specifiedAs", spec(raw, keyword))
	b.appendString("reason", reason)
	b.appendRaw("consideredValue", v)
}

// items explains items: with one schema the first element failing it,
// with a list of schemas every position that fails its own.
func (x *explainer) items(b *builder, c *itemsCheck, v bson.RawValue) {
	b.appendString("operatorName", "items")
	if c.all != nil {
		i, e := firstFailing(v, 0, c.all)
		appendAnnotations(b, c.all.raw)
		b.appendString("reason", "At least one item did not match the sub-schema")
		b.appendInt32("itemIndex", int32(i))
		b.appendValue("details", x.subschema(c.all, e, false))
		return
	}
	var a builder
	a.start()
	i := 0
	forEach(v.Value, func(_ string, e bson.RawValue) bool {
		if i >= len(c.tuple) {
			return false
		}
		if !c.tuple[i].matches(e) {
			var d builder
			d.start()
			// mongod appends this position as a 64-bit integer, unlike
			// the itemIndex of a single items schema.
			d.appendInt64("itemIndex", int64(i))
			d.appendValue("details", x.subschema(c.tuple[i], e, false))
			a.appendDocument(a.nextKey(), d.finish())
		}
		i++
		return true
	})
	b.appendArray("details", a.finish())
}

// additionalItems explains the elements past an items list: all of them
// when they are refused outright, else the first that fails the schema.
func (x *explainer) additionalItems(b *builder, raw bson.Raw, c *additionalItemsCheck, v bson.RawValue) {
	b.appendString("operatorName", "additionalItems")
	if c.schema == nil {
		b.appendDocument("specifiedAs", spec(raw, "additionalItems"))
		b.appendString("reason", "found additional items")
		var a builder
		a.start()
		i := 0
		forEach(v.Value, func(_ string, e bson.RawValue) bool {
			if i >= c.from {
				a.appendRaw(a.nextKey(), e)
			}
			i++
			return true
		})
		b.appendArray("additionalItems", a.finish())
		return
	}
	i, e := firstFailing(v, c.from, c.schema)
	appendAnnotations(b, c.schema.raw)
	b.appendString("reason", "At least one additional item did not match the sub-schema")
	b.appendInt32("itemIndex", int32(i))
	b.appendValue("details", x.subschema(c.schema, e, false))
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
func (x *explainer) properties(b *builder, s *Schema, c *propertiesCheck, v bson.RawValue) bool {
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
	var a builder
	a.start()
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
		var e builder
		e.start()
		e.appendString("propertyName", name)
		appendAnnotations(&e, sub.raw)
		e.appendArray("details", details)
		a.appendDocument(a.nextKey(), e.finish())
	}
	if a.n == 0 {
		return false
	}
	b.appendString("operatorName", "properties")
	b.appendArray("propertiesNotSatisfied", a.finish())
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
		var b builder
		b.start()
		b.appendString("operatorName", "additionalProperties")
		b.appendDocument("specifiedAs", spec(raw, "additionalProperties"))
		b.appendArray("additionalProperties", stringArray(additional))
		out = append(out, b.finish())
	case c.other != nil:
		for _, name := range additional {
			e, _ := lookup(v.Value, name)
			if c.other.matches(e) {
				continue
			}
			var b builder
			b.start()
			b.appendString("operatorName", "additionalProperties")
			appendAnnotations(&b, c.other.raw)
			b.appendString("reason", "at least one additional property did not match the subschema")
			b.appendString("failingProperty", name)
			b.appendValue("details", x.subschema(c.other, e, false))
			out = append(out, b.finish())
			break
		}
	}
	// Each pattern reports the first property it finds that fails its
	// schema.
	var a builder
	a.start()
	for _, p := range c.patterns {
		forEach(v.Value, func(key string, e bson.RawValue) bool {
			if !p.re.MatchString(key) || p.schema.matches(e) {
				return true
			}
			var d builder
			d.start()
			d.appendString("propertyName", key)
			appendAnnotations(&d, p.schema.raw)
			d.appendString("regexMatched", p.source)
			d.appendValue("details", x.subschema(p.schema, e, false))
			a.appendDocument(a.nextKey(), d.finish())
			return false
		})
	}
	if a.n > 0 {
		var b builder
		b.start()
		b.appendString("operatorName", "patternProperties")
		b.appendArray("details", a.finish())
		out = append(out, b.finish())
	}
	return out
}

// dependencies explains each dependency whose property is present but
// whose required properties are missing or whose schema fails.
func (x *explainer) dependencies(b *builder, raw bson.Raw, c *dependenciesCheck, v bson.RawValue, top bool) {
	b.appendString("operatorName", "dependencies")
	// A title or description inside the dependencies object annotates it.
	if d, ok := lookupRaw(raw, "dependencies").DocumentOK(); ok {
		appendAnnotations(b, d)
	}
	var a builder
	a.start()
	for _, d := range c.deps {
		if _, ok := lookup(v.Value, d.property); !ok {
			continue
		}
		var e builder
		e.start()
		e.appendString("conditionalProperty", d.property)
		if d.schema != nil {
			if d.schema.matches(v) {
				continue
			}
			e.appendValue("details", x.subschema(d.schema, v, top))
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
			e.appendArray("missingProperties", stringArray(missing))
		}
		a.appendDocument(a.nextKey(), e.finish())
	}
	b.appendArray("failingDependencies", a.finish())
}

// logical explains allOf (the subschemas that fail), anyOf (all of them),
// oneOf (all of them, or the ones that match when more than one does) and
// not.
func (x *explainer) logical(b *builder, c *logicalCheck, v bson.RawValue, top bool) {
	b.appendString("operatorName", c.name)
	if c.name == "not" {
		b.appendString("reason", "child expression matched")
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
			b.appendString("reason", "more than one subschema matched")
			var a builder
			a.start()
			for _, i := range matching {
				a.appendInt32(a.nextKey(), int32(i))
			}
			b.appendArray("matchingSchemaIndexes", a.finish())
			return
		}
	}
	var a builder
	a.start()
	for i, s := range c.schemas {
		if c.name == "allOf" && s.matches(v) {
			continue
		}
		var e builder
		e.start()
		e.appendInt32("index", int32(i))
		x.appendSubschema(&e, s, v, top)
		a.appendDocument(a.nextKey(), e.finish())
	}
	b.appendArray("schemasNotSatisfied", a.finish())
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
	var sp builder
	sp.start()
	sp.appendDocument("$jsonSchema", raw)
	var b builder
	b.start()
	b.appendString("operatorName", "$jsonSchema")
	b.appendDocument("specifiedAs", sp.finish())
	b.appendString("reason", "expression always evaluates to false")
	return b.finish()
}

// appendAnnotations appends the title and description of a schema (or of
// a dependencies object), in that order, when they are strings.
func appendAnnotations(b *builder, raw bson.Raw) {
	for _, k := range []string{"title", "description"} {
		if s, ok := lookupRaw(raw, k).StringValueOK(); ok {
			b.appendString(k, s)
		}
	}
}

// spec is a keyword as written, {keyword: value}: the specifiedAs of its
// explanation.
func spec(raw bson.Raw, keyword string) []byte {
	var b builder
	b.start()
	b.appendRaw(keyword, lookupRaw(raw, keyword))
	return b.finish()
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
	var a builder
	a.start()
	for _, s := range ss {
		a.appendString(a.nextKey(), s)
	}
	return a.finish()
}

// builder appends the elements of one BSON document or array.
type builder struct {
	b   []byte
	idx int32
	n   int // elements appended, for array keys
}

func (b *builder) start() { b.idx, b.b = bsoncore.AppendDocumentStart(b.b) }

func (b *builder) finish() []byte {
	b.b, _ = bsoncore.AppendDocumentEnd(b.b, b.idx)
	return b.b
}

// nextKey is the key of the next array element.
func (b *builder) nextKey() string { return strconv.Itoa(b.n) }

func (b *builder) appendString(k, v string) {
	b.b = bsoncore.AppendStringElement(b.b, k, v)
	b.n++
}

func (b *builder) appendInt32(k string, v int32) {
	b.b = bsoncore.AppendInt32Element(b.b, k, v)
	b.n++
}

func (b *builder) appendInt64(k string, v int64) {
	b.b = bsoncore.AppendInt64Element(b.b, k, v)
	b.n++
}

func (b *builder) appendBool(k string, v bool) {
	b.b = bsoncore.AppendBooleanElement(b.b, k, v)
	b.n++
}

func (b *builder) appendDocument(k string, d []byte) {
	b.b = bsoncore.AppendDocumentElement(b.b, k, d)
	b.n++
}

func (b *builder) appendArray(k string, a []byte) {
	b.b = bsoncore.AppendArrayElement(b.b, k, a)
	b.n++
}

func (b *builder) appendValue(k string, v bsoncore.Value) {
	b.b = bsoncore.AppendValueElement(b.b, k, v)
	b.n++
}

func (b *builder) appendRaw(k string, v bson.RawValue) {
	if v.Type == 0 { // missing: there is nothing to append
		return
	}
	b.appendValue(k, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
}
