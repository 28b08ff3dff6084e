package query

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// level is where in the filter the parser stands (mongod's
// DocumentParseLevel): $expr, $text and $where only apply to the whole
// document, not to the elements $elemMatch looks at.
type level int

const (
	levelTop  level = iota // the filter document itself
	levelUser              // inside $and/$or/$nor: still the whole document
	levelSub               // inside $elemMatch: an array element
)

type parser struct {
	opts  *Options
	path  string // the path whose operators are being parsed, for messages
	exprs bool   // an expression was parsed
}

// scope returns the expression scope of the query, making one without
// let variables when the command gave none.
func (p *parser) scope() (*expr.Scope, error) {
	if p.opts.Scope == nil {
		s, err := expr.NewScope(nil, p.opts.Collator)
		if err != nil {
			return nil, err
		}
		p.opts.Scope = s
	}
	return p.opts.Scope, nil
}

// topParser parses a pathless operator ({$or: [...]}); a nil node with
// no error adds no condition ($comment).
type topParser func(p *parser, name string, arg bson.RawValue, lvl level) (node, error)

// predParser parses one operator of a path's operator document; ops is
// the whole operator document ($regex and $options read each other).
// A nil pred with no error adds nothing ($options).
type predParser func(p *parser, name string, arg bson.RawValue, ops bson.Raw) (pred, error)

var (
	topOperators  map[string]topParser
	pathOperators map[string]predParser
)

func (p *parser) parseDoc(doc bson.Raw, lvl level) (node, error) {
	elems, err := doc.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	next := lvl
	if lvl == levelTop {
		next = levelUser
	}
	var and andNode
	for _, e := range elems {
		key, v := e.Key(), e.Value()
		if strings.HasPrefix(key, "$") {
			parse, ok := topOperators[key]
			if !ok {
				return nil, mongoerr.Newf(mongoerr.BadValue, "unknown top level operator: %s", key)
			}
			n, err := parse(p, key, v, next)
			if err != nil {
				return nil, err
			}
			if n != nil {
				and = append(and, n)
			}
			continue
		}
		p.path = key
		pr, err := p.parseValue(v)
		if err != nil {
			return nil, err
		}
		and = append(and, onPath(newFieldPath(key), pr))
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

// parseValue parses what stands for a path in a filter: an operator
// document, a regex, or a value to compare for equality.
func (p *parser) parseValue(v bson.RawValue) (pred, error) {
	if ops, ok := operatorDoc(v, false); ok {
		return p.parseOps(ops)
	}
	if v.Type == bson.TypeRegex {
		pat, opts := v.Regex()
		return newRegexPred(pat, opts)
	}
	return p.cmp(opEQ, v), nil
}

// parseOps parses an operator document ({$gt: 1, $lt: 5}) into the
// conjunction of its operators.
func (p *parser) parseOps(ops bson.Raw) (pred, error) {
	elems, err := ops.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	var and andPred
	for _, e := range elems {
		name := e.Key()
		parse, ok := pathOperators[name]
		if !ok {
			return nil, mongoerr.Newf(mongoerr.BadValue, "unknown operator: %s", name)
		}
		pr, err := parse(p, name, e.Value(), ops)
		if err != nil {
			return nil, err
		}
		if pr != nil {
			and = append(and, pr)
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

// operatorDoc reports whether v is an operator document: a non-empty
// document whose first field starts with $ and which is not a DBRef
// ({$ref, $id}; with incompleteRef, any of $ref, $id, $db).
func operatorDoc(v bson.RawValue, incompleteRef bool) (bson.Raw, bool) {
	if v.Type != bson.TypeEmbeddedDocument {
		return nil, false
	}
	d := bson.Raw(v.Value)
	first := firstKey(d)
	if !strings.HasPrefix(first, "$") {
		return nil, false
	}
	var ref, id, db bool
	forEach(d, func(_ int, key []byte, _ bson.RawValue) bool {
		switch string(key) {
		case "$ref":
			ref = true
		case "$id":
			id = true
		case "$db":
			db = true
		}
		return false
	})
	if incompleteRef && (ref || id || db) || ref && id {
		return nil, false
	}
	return d, true
}

func firstKey(d bson.Raw) string {
	var k string
	forEach(d, func(_ int, key []byte, _ bson.RawValue) bool {
		k = string(key)
		return true
	})
	return k
}

func notSupported(op string) error {
	return mongoerr.Newf(mongoerr.NotImplemented, "the query operator %s is not supported by SecantusDB yet", op)
}

// IDEquality recognises a filter that pins _id to one value ({_id: v} or
// {_id: {$eq: v}} with v not an array, regex or operator document), so
// the server can look the document up through the _id index.
func IDEquality(filter bson.Raw) (bson.RawValue, bool) {
	if len(filter) <= 5 {
		return bson.RawValue{}, false
	}
	elems, err := filter.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
		return bson.RawValue{}, false
	}
	v := elems[0].Value()
	if d, isOp := operatorDoc(v, false); isOp {
		inner, _ := d.Elements()
		if len(inner) != 1 || inner[0].Key() != "$eq" {
			return bson.RawValue{}, false
		}
		v = inner[0].Value()
	}
	switch v.Type {
	case bson.TypeArray, bson.TypeRegex, bson.TypeNull, bson.TypeUndefined, bson.TypeMinKey, bson.TypeMaxKey:
		return bson.RawValue{}, false
	}
	if _, isOp := operatorDoc(v, false); isOp {
		return bson.RawValue{}, false
	}
	return v, true
}
