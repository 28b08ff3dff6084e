// Package query parses and evaluates MongoDB query filters, projections
// and sort specifications over raw BSON documents, the way mongod's
// matcher does. A parsed filter is a tree of nodes: logical nodes
// ($and, $or, $nor, $not) over path nodes, each of which walks one
// dotted path through the stored BSON in place and tests the values it
// reaches with a predicate ($eq, $gt, $in, $regex, $elemMatch, …).
// Operators are entries in a table (operators.go), so the language grows
// by adding entries.
package query

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/expr"
)

// Collator compares strings under a collation; nil means the simple
// (binary) collation.
type Collator interface {
	CompareStrings(a, b string) int
}

// Options are the query-wide settings a filter is parsed with.
type Options struct {
	// Collator compares strings in $eq, $in, ranges and sorts.
	Collator Collator
	// Scope holds the command's let variables and $$NOW for $expr; nil
	// means no let.
	Scope *expr.Scope
}

// Filter is a parsed query filter.
type Filter struct {
	root  node
	opts  Options
	exprs bool // the filter evaluates expressions, which may fail
	// spec is the filter document as written (like the predicates, it
	// refers to the caller's bytes): a collection validator explains a
	// failing document from it (ValidationDetails).
	spec bson.Raw
}

// ParseFilter parses a filter document with the simple collation; nil
// or empty matches everything.
func ParseFilter(filter bson.Raw) (*Filter, error) { return ParseFilterWith(filter, Options{}) }

// ParseFilterWith parses a filter document with query options.
func ParseFilterWith(filter bson.Raw, opts Options) (*Filter, error) {
	f := &Filter{opts: opts, spec: filter}
	if len(filter) <= 5 {
		f.root = andNode{}
		return f, nil
	}
	p := &parser{opts: &f.opts}
	root, err := p.parseDoc(filter, levelTop)
	if err != nil {
		return nil, err
	}
	f.root, f.exprs = root, p.exprs
	return f, nil
}

// Collated reports whether strings compare under a non-simple collation,
// in which case an equality on a string is not a binary key lookup.
func (f *Filter) Collated() bool { return f != nil && f.opts.Collator != nil }

// Matches reports whether doc satisfies the filter. An expression that
// fails to evaluate ($expr dividing by zero) does not match; callers that
// must report such errors, as every query command does, use MatchesErr.
func (f *Filter) Matches(doc bson.Raw) bool {
	ok, _ := f.MatchesErr(doc)
	return ok
}

// MatchesErr reports whether doc satisfies the filter, or the error an
// expression in it raised.
func (f *Filter) MatchesErr(doc bson.Raw) (ok bool, err error) {
	if f == nil {
		return true, nil
	}
	if f.exprs {
		defer catchEval(&err)
	}
	return f.root.match(doc, nil), nil
}

// MatchArrayIndex matches doc and also returns the position, in the
// first array the match went through, of the element that satisfied it
// (mongod's elemMatchKey, which the positional $ operator uses), or -1.
func (f *Filter) MatchArrayIndex(doc bson.Raw) (ok bool, idx int, err error) {
	if f == nil {
		return true, -1, nil
	}
	if f.exprs {
		defer catchEval(&err)
	}
	d := details{idx: -1}
	ok = f.root.match(doc, &d)
	return ok, d.idx, nil
}

// evalError carries an expression's evaluation error out of the match
// tree, whose nodes answer only yes or no.
type evalError struct{ err error }

func catchEval(err *error) {
	if r := recover(); r != nil {
		e, ok := r.(evalError)
		if !ok {
			panic(r)
		}
		*err = e.err
	}
}

// exprNode is $expr: the aggregation expression evaluated against the
// document must be truthy.
type exprNode struct {
	e  expr.Expr
	ec *expr.EvalContext
}

func (n *exprNode) match(doc bson.Raw, _ *details) bool {
	v, err := n.e.Eval(n.ec, doc)
	if err != nil {
		panic(evalError{err})
	}
	return expr.Truthy(v)
}

// details collects what a match found, when the caller asks.
type details struct {
	idx int
}

// record notes the array position a path match went through; the last
// one recorded wins, as in mongod ({$and: [...]} reports its last clause).
func (d *details) record(idx int) {
	if d != nil && idx >= 0 {
		d.idx = idx
	}
}

// node is one match expression of a filter tree.
type node interface {
	match(doc bson.Raw, d *details) bool
}

type andNode []node

func (a andNode) match(doc bson.Raw, d *details) bool {
	for _, n := range a {
		if !n.match(doc, d) {
			return false
		}
	}
	return true
}

type orNode []node

func (o orNode) match(doc bson.Raw, d *details) bool {
	for _, n := range o {
		if n.match(doc, d) {
			return true
		}
	}
	return false
}

type norNode []node

func (o norNode) match(doc bson.Raw, _ *details) bool {
	for _, n := range o {
		if n.match(doc, nil) {
			return false
		}
	}
	return true
}

type notNode struct{ n node }

func (n notNode) match(doc bson.Raw, _ *details) bool { return !n.n.match(doc, nil) }

type alwaysNode bool

func (a alwaysNode) match(bson.Raw, *details) bool { return bool(a) }

// pathNode tests the values a path reaches with a predicate: it matches
// when any of them satisfies it.
type pathNode struct {
	path fieldPath
	pred pred
}

func (p *pathNode) match(doc bson.Raw, d *details) bool {
	matched := false
	ip, indexed := p.pred.(indexedPred)
	p.path.walk(doc, p.pred.expand(), func(v bson.RawValue, idx int) bool {
		if indexed && d != nil {
			ok, at := ip.testIndex(v)
			if ok {
				matched = true
				d.record(outer(idx, at))
			}
			return ok
		}
		if p.pred.test(v) {
			matched = true
			d.record(idx)
			return true
		}
		return false
	})
	return matched
}

// pred is a test on one value reached by a path (a zero Type means the
// path reached nothing there). Array predicates ($size, $elemMatch) see
// a leaf array whole; all others also see its elements (expand).
type pred interface {
	test(v bson.RawValue) bool
	expand() bool
}

// indexedPred is a predicate on arrays that can tell which element
// satisfied it ($elemMatch), for the positional operator.
type indexedPred interface {
	testIndex(v bson.RawValue) (bool, int)
}

// andPred and notPred combine predicates. On a path they become logical
// nodes over separate walks ({a: {$gt: 1, $lt: 5}} may be satisfied by
// different elements); inside a value $elemMatch they apply to one value.
type andPred []pred

func (a andPred) test(v bson.RawValue) bool {
	for _, p := range a {
		if !p.test(v) {
			return false
		}
	}
	return true
}

func (andPred) expand() bool { return true }

type notPred struct{ p pred }

func (n notPred) test(v bson.RawValue) bool { return !n.p.test(v) }

func (notPred) expand() bool { return true }

// onPath turns a predicate into the node that applies it to a path.
func onPath(path fieldPath, p pred) node {
	switch p := p.(type) {
	case andPred:
		if m := newMultiPath(path, p); m != nil {
			return m
		}
		and := make(andNode, 0, len(p))
		for _, s := range p {
			and = append(and, onPath(path, s))
		}
		if len(and) == 1 {
			return and[0]
		}
		return and
	case notPred:
		return notNode{onPath(path, p.p)}
	case alwaysPred:
		return alwaysNode(p)
	}
	return &pathNode{path: path, pred: p}
}

// multiPathNode is the conjunction of several predicates on one path
// ({a: {$gte: 1, $lt: 5}}) evaluated in a single walk: each predicate
// must be satisfied by some value the path reaches, not necessarily the
// same one, exactly as separate path nodes would be.
type multiPathNode struct {
	path  fieldPath
	preds []pred
}

func newMultiPath(path fieldPath, ps andPred) node {
	if len(ps) < 2 || len(ps) > 64 {
		return nil
	}
	for _, p := range ps {
		switch p.(type) {
		case andPred, notPred, alwaysPred:
			return nil
		}
		if !p.expand() {
			return nil
		}
		if _, ok := p.(indexedPred); ok {
			return nil
		}
	}
	return &multiPathNode{path: path, preds: ps}
}

func (m *multiPathNode) match(doc bson.Raw, d *details) bool {
	var done uint64
	all := uint64(1)<<len(m.preds) - 1
	m.path.walk(doc, true, func(v bson.RawValue, idx int) bool {
		for i, p := range m.preds {
			if done&(1<<i) == 0 && p.test(v) {
				done |= 1 << i
				d.record(idx)
			}
		}
		return done == all
	})
	return done == all
}

// alwaysPred is a predicate with a fixed answer ({$all: []} never matches).
type alwaysPred bool

func (a alwaysPred) test(bson.RawValue) bool { return bool(a) }

func (alwaysPred) expand() bool { return false }
