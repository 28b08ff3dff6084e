package query

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/jsonschema"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// A validator is explained over the tree mongod's parser builds for it
// (expression_parser.cpp), not over the tree Filter matches with: the
// two differ in shape ({a: {$gt: 0, $lt: 9}} is one multi-predicate node
// here, two clauses of the top-level $and there), and the explanation
// follows mongod's shape clause by clause. Each vnode carries what mongod
// annotates the node with, its operator name and the part of the filter
// it was written as (specifiedAs), and matches with this package's
// predicates, so the explanation agrees with the validator's verdict.

// vop is the kind of a vnode.
type vop int

const (
	vAnd    vop = iota // $and, and the implicit $and of a filter document
	vOr                // $or
	vNor               // $nor
	vNot               // $not, and the negation behind $ne, $nin and {$exists: false}
	vPath              // comparisons, $in, $regex, $mod, $size, $elemMatch, $bits*
	vType              // $type
	vExists            // $exists
	vAll               // $all
	vAlways            // $all: [], $alwaysTrue, $alwaysFalse
	vExpr              // $expr
	vSample            // $sampleRate
	vSchema            // $jsonSchema
)

// vnode is one node of a validator, as explained.
type vnode struct {
	op vop
	// name is the operator name reported; "" makes the node pass its
	// child's explanation through (mongod's kIgnoreButDescend: the $not
	// behind $ne, the one-clause $and under $not).
	name string
	spec bson.Raw // specifiedAs: the operator as written, under its path
	kids []*vnode

	path   fieldPath
	test   node     // leaves: the predicate on path, as Filter matches it
	leaf   leafInfo // vPath: how the leaf explains itself
	expr   *exprNode
	sample sampleNode
	always bool
	schema *jsonschema.Schema
}

// leafInfo is how a path leaf reports a failure: its reasons in the normal
// and the negated sense, the types its operand must have, and whether
// arrays at the end of the path are considered whole or element by
// element.
type leafInfo struct {
	normal, inverted string
	types            []bson.Type // nil: any type
	whole            bool
}

var (
	numberTypes = []bson.Type{bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128}
	compared    = leafInfo{normal: "comparison failed", inverted: "comparison succeeded"}
	leafInfos   = map[string]leafInfo{
		"$eq":  compared,
		"$ne":  compared,
		"$gt":  compared,
		"$gte": compared,
		"$lt":  compared,
		"$lte": compared,
		"$in":  {normal: "no matching value found in array", inverted: "matching value found in array"},
		"$nin": {normal: "no matching value found in array", inverted: "matching value found in array"},
		"$regex": {normal: "regular expression did not match", inverted: "regular expression did match",
			types: []bson.Type{bson.TypeString, bson.TypeSymbol, bson.TypeRegex}},
		"$mod": {normal: "$mod did not evaluate to expected remainder", inverted: "$mod did evaluate to expected remainder",
			types: numberTypes},
		"$size": {normal: "array length was not equal to given size", inverted: "array length was equal to given size",
			types: []bson.Type{bson.TypeArray}, whole: true},
		"$elemMatch": {normal: "array did not satisfy the child predicate", inverted: "array did satisfy the child predicate",
			types: []bson.Type{bson.TypeArray}, whole: true},
		"$all": {normal: "array did not contain all specified values", inverted: "array did contain all specified values",
			whole: true},
	}
	bitsInfo = leafInfo{normal: "bitwise operator failed to match", inverted: "bitwise operator matched successfully",
		types: append([]bson.Type{bson.TypeBinary}, numberTypes...)}
)

// vbuilder builds the explanation tree of a filter document.
type vbuilder struct{ p *parser }

// doc builds a filter document: the conjunction of its clauses, or its
// only clause alone, as mongod's parser returns it.
func (b *vbuilder) doc(d bson.Raw, lvl level) (*vnode, error) {
	elems, err := d.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	next := lvl
	if lvl == levelTop {
		next = levelUser
	}
	root := &vnode{op: vAnd, name: "$and"}
	for _, e := range elems {
		key, v := e.Key(), e.Value()
		if strings.HasPrefix(key, "$") {
			n, err := b.top(key, v, next)
			if err != nil {
				return nil, err
			}
			if n != nil {
				root.kids = append(root.kids, n)
			}
			continue
		}
		b.p.path = key
		switch ops, isOps := operatorDoc(v, false); {
		case isOps:
			// Each operator of {a: {$gt: 0, $lt: 9}} is a clause of the
			// enclosing conjunction.
			if err := b.ops(key, ops, root); err != nil {
				return nil, err
			}
		case v.Type == bson.TypeRegex:
			pat, opts := v.Regex()
			r, err := newRegexPred(pat, opts)
			if err != nil {
				return nil, err
			}
			root.kids = append(root.kids, b.pathLeaf("$regex", key, wrap(key, v), r))
		default:
			root.kids = append(root.kids, b.pathLeaf("$eq", key, wrap(key, v), b.p.cmp(opEQ, v)))
		}
	}
	if len(root.kids) == 1 {
		return root.kids[0], nil
	}
	return root, nil
}

// top builds a pathless operator ($and, $expr, $jsonSchema, …); nil for
// $comment.
func (b *vbuilder) top(key string, v bson.RawValue, lvl level) (*vnode, error) {
	switch key {
	case "$and", "$or", "$nor":
		arr, ok := v.ArrayOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.BadValue, "%s must be an array", key)
		}
		n := &vnode{op: map[string]vop{"$and": vAnd, "$or": vOr, "$nor": vNor}[key], name: key}
		vals, _ := arr.Values()
		for _, sub := range vals {
			d, ok := sub.DocumentOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.BadValue, "$or/$and/$nor entries need to be full objects")
			}
			k, err := b.doc(d, lvl)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, k)
		}
		return n, nil
	}
	parse, ok := topOperators[key]
	if !ok {
		return nil, mongoerr.Newf(mongoerr.BadValue, "unknown top level operator: %s", key)
	}
	parsed, err := parse(b.p, key, v, lvl)
	if err != nil || parsed == nil {
		return nil, err
	}
	n := &vnode{name: key, spec: wrap(key, v)}
	switch parsed := parsed.(type) {
	case *exprNode:
		n.op, n.expr = vExpr, parsed
	case schemaNode:
		n.op, n.schema = vSchema, parsed.s
	case alwaysNode:
		n.op, n.always = vAlways, bool(parsed)
	case sampleNode:
		n.op, n.sample = vSample, parsed
	default:
		return nil, notSupported(key)
	}
	return n, nil
}

// ops adds to into the clauses of an operator document on path.
func (b *vbuilder) ops(path string, ops bson.Raw, into *vnode) error {
	elems, err := ops.Elements()
	if err != nil {
		return mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		name, arg := e.Key(), e.Value()
		b.p.path = path
		if name == "$not" {
			n, err := b.not(path, arg)
			if err != nil {
				return err
			}
			into.kids = append(into.kids, n)
			continue
		}
		parse, ok := pathOperators[name]
		if !ok {
			return mongoerr.Newf(mongoerr.BadValue, "unknown operator: %s", name)
		}
		pr, err := parse(b.p, name, arg, ops)
		if err != nil {
			return err
		}
		if pr == nil { // $options, read with its $regex
			continue
		}
		into.kids = append(into.kids, b.op(path, name, arg, ops, pr))
	}
	return nil
}

// op builds one operator of an operator document.
func (b *vbuilder) op(path, name string, arg bson.RawValue, ops bson.Raw, pr pred) *vnode {
	spec := wrap(path, docValue(wrap(name, arg)))
	fp := newFieldPath(path)
	switch name {
	case "$ne", "$nin":
		// mongod negates $eq and $in, naming the negation after the
		// operator written; the leaf then reports in the negated sense.
		leaf := b.pathLeaf(name, path, spec, pr.(notPred).p)
		return &vnode{op: vNot, kids: []*vnode{leaf}}
	case "$exists":
		leaf := &vnode{op: vExists, name: name, spec: spec, path: fp, test: onPath(fp, existsPred{})}
		if _, negated := pr.(notPred); negated {
			return &vnode{op: vNot, kids: []*vnode{leaf}}
		}
		return leaf
	case "$regex":
		// The regex is reported with its whole operator document, $options
		// and all.
		return b.pathLeaf(name, path, wrap(path, docValue(ops)), pr)
	case "$type":
		return &vnode{op: vType, name: name, spec: spec, path: fp, test: onPath(fp, pr)}
	case "$all":
		if a, ok := pr.(alwaysPred); ok {
			return &vnode{op: vAlways, name: name, spec: spec, always: bool(a)}
		}
		return &vnode{op: vAll, name: name, spec: spec, path: fp, test: onPath(fp, pr), leaf: leafInfos[name]}
	}
	return b.pathLeaf(name, path, spec, pr)
}

// not builds $not: over a regex, or over the conjunction of an operator
// document, which mongod keeps but does not name when it has one clause.
func (b *vbuilder) not(path string, arg bson.RawValue) (*vnode, error) {
	if arg.Type == bson.TypeRegex {
		pat, opts := arg.Regex()
		r, err := newRegexPred(pat, opts)
		if err != nil {
			return nil, err
		}
		return &vnode{op: vNot, name: "$not", kids: []*vnode{b.pathLeaf("$regex", path, wrap(path, arg), r)}}, nil
	}
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.BadValue, "$not needs a regex or a document")
	}
	and := &vnode{op: vAnd, name: "$and"}
	if err := b.ops(path, d, and); err != nil {
		return nil, err
	}
	if len(and.kids) == 1 {
		and.name = ""
	}
	return &vnode{op: vNot, name: "$not", kids: []*vnode{and}}, nil
}

// pathLeaf builds a leaf that tests the values on path with pr.
func (b *vbuilder) pathLeaf(name, path string, spec bson.Raw, pr pred) *vnode {
	info, ok := leafInfos[name]
	if !ok && strings.HasPrefix(name, "$bits") {
		info = bitsInfo
	}
	fp := newFieldPath(path)
	return &vnode{op: vPath, name: name, spec: spec, path: fp, test: onPath(fp, pr), leaf: info}
}
