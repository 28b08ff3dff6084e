package update

import (
	"sort"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// An update is parsed, as mongod parses it, into a tree that mirrors its
// paths: objNode for a path part naming a field (or array index), arrNode
// for a part followed by $[] or $[<identifier>], leaf for the modifier at
// the end of a path. Two modifiers on one path, or on a path and its
// prefix, cannot both find a place in the tree: that is the conflict
// error.

type unode interface{ isNode() }

type objNode struct {
	kids       map[string]unode
	keys       []string // kids' names in the order mongod applies them
	positional unode    // the "$" child
}

type arrNode struct {
	kids map[string]unode // "" for $[], the identifier for $[<identifier>]
	keys []string
}

func (*objNode) isNode() {}
func (*arrNode) isNode() {}
func (*leaf) isNode()    {}

func newObjNode() *objNode { return &objNode{kids: map[string]unode{}} }
func newArrNode() *arrNode { return &arrNode{kids: map[string]unode{}} }

// lessField orders sibling paths as mongod's cmpPathsAndArrayIndexes:
// decimal numbers without leading zeros by value, anything else bytewise.
func lessField(a, b string) bool {
	num := func(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' && (s[0] != '0' || len(s) == 1) }
	if !num(a) || !num(b) {
		return a < b
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func (n *objNode) child(name string) unode {
	if name == "$" {
		return n.positional
	}
	return n.kids[name]
}

func (n *objNode) set(name string, c unode) {
	if name == "$" {
		n.positional = c
		return
	}
	n.kids[name] = c
	n.keys = append(n.keys, name)
	sort.Slice(n.keys, func(i, j int) bool { return lessField(n.keys[i], n.keys[j]) })
}

func (n *arrNode) set(name string, c unode) {
	n.kids[name] = c
	n.keys = append(n.keys, name)
	sort.Slice(n.keys, func(i, j int) bool { return lessField(n.keys[i], n.keys[j]) })
}

func isIdentifier(part string) bool {
	return strings.HasPrefix(part, "$[") && strings.HasSuffix(part, "]") && len(part) >= 3
}

// checkUpdatable applies mongod's rules for an update path: no empty
// path, no empty part.
func checkUpdatable(path string) error {
	if path == "" {
		return mongoerr.New(mongoerr.EmptyFieldName, "An empty update path is not valid.")
	}
	for _, p := range strings.Split(path, ".") {
		if p == "" {
			return mongoerr.Newf(mongoerr.EmptyFieldName, "The update path '%s' contains an empty field name, which is not allowed.", path)
		}
	}
	return nil
}

// insert places l at path in the tree rooted at root.
func (p *parser) insert(root *objNode, path string, l unode) error {
	if err := checkUpdatable(path); err != nil {
		return err
	}
	parts := strings.Split(path, ".")
	positional, first := 0, -1
	for i, s := range parts {
		if s == "$" {
			positional++
			if first < 0 {
				first = i
			}
		}
	}
	if positional > 1 {
		return mongoerr.Newf(mongoerr.BadValue, "Too many positional (i.e. '$') elements found in path '%s'", path)
	}
	if first == 0 {
		return mongoerr.Newf(mongoerr.BadValue, "Cannot have positional (i.e. '$') element in the first position in path '%s'", path)
	}
	if positional > 0 {
		p.positional = true
	}
	var cur unode = root
	for i, s := range parts {
		name := s
		if isIdentifier(s) {
			if i == 0 {
				return mongoerr.Newf(mongoerr.BadValue, "Cannot have array filter identifier (i.e. '$[<id>]') element in the first position in path '%s'", path)
			}
			name = s[2 : len(s)-1]
			if name != "" {
				if _, ok := p.filters[name]; !ok {
					return mongoerr.Newf(mongoerr.BadValue, "No array filter found for identifier '%s' in path '%s'", name, path)
				}
				p.used[name] = true
			}
		}
		var existing unode
		switch c := cur.(type) {
		case *objNode:
			existing = c.child(name)
		case *arrNode:
			existing = c.kids[name]
		}
		last := i == len(parts)-1
		if last {
			if existing != nil {
				return mongoerr.Newf(mongoerr.ConflictingUpdateOperators, "Updating the path '%s' would create a conflict at '%s'", path, path)
			}
			setChild(cur, name, l)
			return nil
		}
		wantArr := isIdentifier(parts[i+1])
		if existing != nil {
			_, isArr := existing.(*arrNode)
			_, isObj := existing.(*objNode)
			if (wantArr && !isArr) || (!wantArr && !isObj) {
				return mongoerr.Newf(mongoerr.ConflictingUpdateOperators, "Updating the path '%s' would create a conflict at '%s'", path, strings.Join(parts[:i+1], "."))
			}
			cur = existing
			continue
		}
		var next unode = newObjNode()
		if wantArr {
			next = newArrNode()
		}
		setChild(cur, name, next)
		cur = next
	}
	return nil
}

func setChild(parent unode, name string, c unode) {
	switch p := parent.(type) {
	case *objNode:
		p.set(name, c)
	case *arrNode:
		p.set(name, c)
	}
}

// merge combines two subtrees that apply to the same element — the
// positional child and a sibling of the same name, or several array
// filters matching one element. Only internal nodes merge; two
// modifiers meeting on one element is a conflict.
func merge(a, b unode, path []string) (unode, error) {
	switch x := a.(type) {
	case *objNode:
		if y, ok := b.(*objNode); ok {
			m := newObjNode()
			if err := mergeKids(x.kids, y.kids, path, false, m.set); err != nil {
				return nil, err
			}
			pos, err := mergeOpt(x.positional, y.positional, join(path, "$"))
			if err != nil {
				return nil, err
			}
			m.positional = pos
			return m, nil
		}
	case *arrNode:
		if y, ok := b.(*arrNode); ok {
			m := newArrNode()
			if err := mergeKids(x.kids, y.kids, path, true, m.set); err != nil {
				return nil, err
			}
			return m, nil
		}
	}
	return nil, mongoerr.Newf(mongoerr.ConflictingUpdateOperators, "Update created a conflict at '%s'", strings.Join(path, "."))
}

func mergeOpt(a, b unode, path []string) (unode, error) {
	switch {
	case a == nil:
		return b, nil
	case b == nil:
		return a, nil
	}
	return merge(a, b, path)
}

func mergeKids(a, b map[string]unode, path []string, ident bool, set func(string, unode)) error {
	names := map[string]bool{}
	for k := range a {
		names[k] = true
	}
	for k := range b {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return lessField(keys[i], keys[j]) })
	for _, k := range keys {
		part := k
		if ident {
			part = "$[" + k + "]"
		}
		m, err := mergeOpt(a[k], b[k], join(path, part))
		if err != nil {
			return err
		}
		set(k, m)
	}
	return nil
}

// applier carries one Apply call's state down the tree.
type applier struct {
	u        *Update
	root     *mval
	insert   bool
	matched  string // the positional element's index, "" when none
	modified bool
}

func join(a []string, b ...string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// applyObj applies an object node's children to cur, the value at
// taken; when toCreate is not empty cur is the deepest existing value
// and toCreate the missing rest of the path.
func (a *applier) applyObj(n *objNode, cur *mval, taken, toCreate []string) error {
	usePos := n.positional != nil
	if usePos && a.matched == "" {
		return mongoerr.New(mongoerr.BadValue, "The positional operator did not find the match needed from the query.")
	}
	apply := func(c unode, field string) error {
		// A sibling applied before may have created the missing path.
		if len(toCreate) > 0 {
			if v := cur.lookup(toCreate); v != nil {
				cur, taken, toCreate = v, join(taken, toCreate...), nil
			}
		}
		if len(toCreate) == 0 {
			if i := cur.childIndex(field); i >= 0 {
				return a.applyNode(c, cur, i, join(taken, field), nil)
			}
			return a.applyNode(c, cur, -1, taken, []string{field})
		}
		return a.applyNode(c, cur, -1, taken, join(toCreate, field))
	}
	for _, k := range n.keys {
		c := n.kids[k]
		if usePos && k == a.matched {
			m, err := merge(n.positional, c, join(join(taken, toCreate...), k))
			if err != nil {
				return err
			}
			if err := apply(m, k); err != nil {
				return err
			}
			usePos = false
			continue
		}
		if usePos && a.matched < k {
			if err := apply(n.positional, a.matched); err != nil {
				return err
			}
			usePos = false
		}
		if err := apply(c, k); err != nil {
			return err
		}
	}
	if usePos {
		return apply(n.positional, a.matched)
	}
	return nil
}

// applyNode applies c to parent's child at idx, or, with idx -1, to the
// path toCreate missing under parent.
func (a *applier) applyNode(c unode, parent *mval, idx int, taken, toCreate []string) error {
	switch n := c.(type) {
	case *objNode:
		if idx >= 0 {
			return a.applyObj(n, parent.kids[idx].v, taken, nil)
		}
		return a.applyObj(n, parent, taken, toCreate)
	case *arrNode:
		if idx < 0 {
			return mongoerr.Newf(mongoerr.BadValue, "The path '%s' must exist in the document in order to apply array updates.", strings.Join(join(taken, toCreate...), "."))
		}
		return a.applyArr(n, parent, idx, taken)
	case *leaf:
		return a.applyLeaf(n, parent, idx, taken, toCreate)
	}
	return nil
}

// applyArr applies $[] and $[<identifier>] children to every element of
// the array they select.
func (a *applier) applyArr(n *arrNode, parent *mval, idx int, taken []string) error {
	arr := parent.kids[idx].v
	if arr.t != bson.TypeArray {
		return mongoerr.Newf(mongoerr.BadValue, "Cannot apply array updates to non-array element %s", formatElem(fieldName(parent, idx), arr))
	}
	arr.expand()
	// Decide every element's updates before changing any, as mongod does.
	matches := make([][]unode, len(arr.kids))
	for i, k := range arr.kids {
		for _, id := range n.keys {
			if id == "" || a.u.filters[id].matches(id, k.v) {
				matches[i] = append(matches[i], n.kids[id])
			}
		}
	}
	for i, ups := range matches {
		if len(ups) == 0 {
			continue
		}
		path := join(taken, strconv.Itoa(i))
		c := ups[0]
		for _, o := range ups[1:] {
			m, err := merge(c, o, path)
			if err != nil {
				return err
			}
			c = m
		}
		if err := a.applyNode(c, arr, i, path, nil); err != nil {
			return err
		}
	}
	return nil
}

// fieldName is the name mongod prints for parent's child at idx.
func fieldName(parent *mval, idx int) string {
	if parent.t == bson.TypeArray {
		return strconv.Itoa(idx)
	}
	return parent.kids[idx].name
}

// createPath creates toCreate under parent (the value at taken) and
// stores v at its end, padding arrays with nulls up to a numeric part.
func (a *applier) createPath(parent *mval, taken, toCreate []string, v *mval) error {
	first := toCreate[0]
	switch parent.t {
	case bson.TypeArray:
		n, ok := arrayIndex(first)
		if !ok {
			return notViable(first, taken, parent)
		}
		if n-len(parent.kids) > maxPadding {
			return mongoerr.Newf(mongoerr.BadValue, "can't backfill more than %d elements", maxPadding)
		}
		parent.expand()
		for len(parent.kids) < n {
			parent.kids = append(parent.kids, mfield{v: newVal(nullVal)})
		}
		parent.kids = append(parent.kids, mfield{v: nest(toCreate[1:], v)})
	case bson.TypeEmbeddedDocument:
		// An upsert's new document is validated as an insert, which
		// allows top-level '$' names.
		if len(taken) == 0 && strings.HasPrefix(first, "$") && !a.insert {
			return errDollarField(first)
		}
		parent.expand()
		parent.kids = append(parent.kids, mfield{name: first, v: nest(toCreate[1:], v)})
	default:
		return notViable(first, taken, parent)
	}
	a.modified = true
	return nil
}

// errDollarField is mongod's storage validation error for a top-level
// field name starting with '$' that an update of an existing document
// creates or changes (since MongoDB 5.0 such names are allowed below the
// top level, and anywhere in an upsert's new document).
func errDollarField(name string) error {
	return mongoerr.Newf(mongoerr.DollarPrefixedFieldName, "The dollar ($) prefixed field '%s' in '%s' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.", name, name)
}

// maxPadding is mongod's cap on the nulls one update may add to an array.
const maxPadding = 1500000

func notViable(part string, taken []string, parent *mval) error {
	name := ""
	if len(taken) > 0 {
		name = taken[len(taken)-1]
	}
	return mongoerr.Newf(mongoerr.PathNotViable, "Cannot create field '%s' in element {%s}", part, formatElem(name, parent))
}

// nest wraps v in documents named by path, innermost last.
func nest(path []string, v *mval) *mval {
	for i := len(path) - 1; i >= 0; i-- {
		d := newDoc()
		d.kids = []mfield{{name: path[i], v: v}}
		v = d
	}
	return v
}

// checkViable reports mongod's error for a modifier that never creates
// paths ($pop, $pull, $pullAll) when the missing path could not have been
// created either.
func checkViable(parent *mval, taken, toCreate []string) error {
	if parent.t == bson.TypeEmbeddedDocument {
		return nil
	}
	if _, ok := arrayIndex(toCreate[0]); ok && parent.t == bson.TypeArray {
		return nil
	}
	name := ""
	if len(taken) > 0 {
		name = taken[len(taken)-1]
	}
	return mongoerr.Newf(mongoerr.PathNotViable, "Cannot use the part (%s) of (%s) to traverse the element ({%s})",
		toCreate[0], strings.Join(join(taken, toCreate...), "."), formatElem(name, parent))
}

// idString renders the document's _id as mongod prints it in messages.
func (a *applier) idString() string {
	if i := a.root.childIndex("_id"); i >= 0 {
		return "_id: " + bsonx.Format(a.root.kids[i].v.value())
	}
	return "no id"
}
