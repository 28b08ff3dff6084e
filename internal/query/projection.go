package query

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Projection is a parsed find projection: inclusion or exclusion of
// (dotted) paths, with literal values for computed fields.
type Projection struct {
	inclusion bool
	idMode    int // 0 default (include), 1 include, -1 exclude
	root      *projNode
}

// projNode is a trie of projected paths.
type projNode struct {
	children map[string]*projNode
	order    []string
	leaf     bool          // the path ends here
	literal  bson.RawValue // for computed fields (inclusion projections)
	hasLit   bool
}

func newNode() *projNode { return &projNode{children: map[string]*projNode{}} }

// ParseProjection parses a projection document.
func ParseProjection(spec bson.Raw) (*Projection, error) {
	p := &Projection{root: newNode()}
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	mode := 0 // +1 inclusion, -1 exclusion
	type item struct {
		path string
		v    bson.RawValue
	}
	var items []item
	var flatten func(prefix string, d bson.Raw) error
	flatten = func(prefix string, d bson.Raw) error {
		es, _ := d.Elements()
		for _, e := range es {
			path := e.Key()
			if prefix != "" {
				path = prefix + "." + path
			}
			v := e.Value()
			if sub, ok := v.DocumentOK(); ok && !strings.HasPrefix(firstKey(sub), "$") && len(sub) > 5 {
				if err := flatten(path, sub); err != nil {
					return err
				}
				continue
			}
			items = append(items, item{path, v})
		}
		return nil
	}
	for _, e := range elems {
		v := e.Value()
		if sub, ok := v.DocumentOK(); ok && !strings.HasPrefix(firstKey(sub), "$") && len(sub) > 5 {
			if err := flatten(e.Key(), sub); err != nil {
				return nil, err
			}
			continue
		}
		items = append(items, item{e.Key(), v})
	}
	for _, it := range items {
		path, v := it.path, it.v
		if strings.Contains(path, "$") {
			return nil, mongoerr.Newf(mongoerr.NotImplemented, "positional projection (%s) is not supported by SecantusDB yet", path)
		}
		var include bool
		literal := false
		switch v.Type {
		case bson.TypeBoolean:
			include = v.Boolean()
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
			include = truthy(v)
		case bson.TypeEmbeddedDocument:
			op := firstKey(v.Document())
			return nil, mongoerr.Newf(mongoerr.NotImplemented, "projection operator %s is not supported by SecantusDB yet", op)
		default:
			literal, include = true, true
		}
		if path == "_id" && !literal {
			if include {
				p.idMode = 1
			} else {
				p.idMode = -1
			}
			continue
		}
		m := -1
		if include {
			m = 1
		}
		if mode == 0 {
			mode = m
		} else if mode != m {
			if mode == 1 {
				return nil, mongoerr.Newf(mongoerr.Code(31254), "Cannot do exclusion on field %s in inclusion projection", path)
			}
			return nil, mongoerr.Newf(mongoerr.Code(31253), "Cannot do inclusion on field %s in exclusion projection", path)
		}
		if err := p.add(path, v, literal); err != nil {
			return nil, err
		}
	}
	switch {
	case mode == 1:
		p.inclusion = true
	case mode == 0 && p.idMode == 1:
		p.inclusion = true // {_id: 1}
	}
	if literalID := p.root.children["_id"]; literalID != nil && literalID.hasLit {
		p.inclusion = true
	}
	return p, nil
}

func (p *Projection) add(path string, v bson.RawValue, literal bool) error {
	n := p.root
	parts := strings.Split(path, ".")
	for i, part := range parts {
		if n.leaf {
			return mongoerr.Newf(mongoerr.Code(31250), "Path collision at %s remaining portion %s", path, strings.Join(parts[i:], "."))
		}
		c := n.children[part]
		if c == nil {
			c = newNode()
			n.children[part] = c
			n.order = append(n.order, part)
		}
		n = c
	}
	if n.leaf || len(n.children) > 0 {
		return mongoerr.Newf(mongoerr.Code(31249), "Path collision at %s", path)
	}
	n.leaf = true
	if literal {
		n.literal, n.hasLit = v, true
	}
	return nil
}

// Apply returns doc projected.
func (p *Projection) Apply(doc bson.Raw) (bson.Raw, error) {
	b := bsoncore.NewDocumentBuilder()
	elems, err := doc.Elements()
	if err != nil {
		return nil, err
	}
	if p.inclusion {
		if p.idMode >= 0 {
			if id, err := doc.LookupErr("_id"); err == nil && p.root.children["_id"] == nil {
				b.AppendValue("_id", raw(id))
			}
		}
		p.include(b, elems, p.root)
		// Computed (literal) fields that were not in the document come last.
		appendLiterals(b, p.root, elems)
		return bson.Raw(b.Build()), nil
	}
	for _, e := range elems {
		k := e.Key()
		if k == "_id" && p.idMode < 0 {
			continue
		}
		c := p.root.children[k]
		switch {
		case c == nil:
			b.AppendValue(k, raw(e.Value()))
		case c.leaf:
		default:
			if v, ok := excludeValue(e.Value(), c); ok {
				b.AppendValue(k, v)
			}
		}
	}
	return bson.Raw(b.Build()), nil
}

func raw(v bson.RawValue) bsoncore.Value {
	return bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value}
}

func (p *Projection) include(b *bsoncore.DocumentBuilder, elems []bson.RawElement, n *projNode) {
	for _, e := range elems {
		k := e.Key()
		c := n.children[k]
		if c == nil {
			continue
		}
		if c.hasLit {
			b.AppendValue(k, raw(c.literal))
			continue
		}
		if c.leaf {
			b.AppendValue(k, raw(e.Value()))
			continue
		}
		if v, ok := includeValue(e.Value(), c); ok {
			b.AppendValue(k, v)
		}
	}
}

// includeValue projects a sub-document (or each document of an array)
// keeping only the paths under n.
func includeValue(v bson.RawValue, n *projNode) (bsoncore.Value, bool) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		sub := bsoncore.NewDocumentBuilder()
		es, _ := bson.Raw(v.Value).Elements()
		(&Projection{}).include(sub, es, n)
		appendLiterals(sub, n, es)
		return bsoncore.Value{Type: bsoncore.TypeEmbeddedDocument, Data: sub.Build()}, true
	case bson.TypeArray:
		arr := bsoncore.NewArrayBuilder()
		vals, _ := bson.Raw(v.Value).Values()
		for _, e := range vals {
			if e.Type == bson.TypeEmbeddedDocument || e.Type == bson.TypeArray {
				if pv, ok := includeValue(e, n); ok {
					arr.AppendValue(pv)
				}
			}
		}
		return bsoncore.Value{Type: bsoncore.TypeArray, Data: arr.Build()}, true
	}
	return bsoncore.Value{}, false
}

func appendLiterals(b *bsoncore.DocumentBuilder, n *projNode, elems []bson.RawElement) {
	present := map[string]bool{}
	for _, e := range elems {
		present[e.Key()] = true
	}
	for _, k := range n.order {
		c := n.children[k]
		if present[k] {
			continue
		}
		if c.hasLit {
			b.AppendValue(k, raw(c.literal))
		} else if !c.leaf && hasLiterals(c) {
			sub := bsoncore.NewDocumentBuilder()
			appendLiterals(sub, c, nil)
			b.AppendDocument(k, sub.Build())
		}
	}
}

func hasLiterals(n *projNode) bool {
	if n.hasLit {
		return true
	}
	for _, c := range n.children {
		if hasLiterals(c) {
			return true
		}
	}
	return false
}

// excludeValue removes the paths under n from a sub-document (or each
// document of an array).
func excludeValue(v bson.RawValue, n *projNode) (bsoncore.Value, bool) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		sub := bsoncore.NewDocumentBuilder()
		es, _ := bson.Raw(v.Value).Elements()
		for _, e := range es {
			c := n.children[e.Key()]
			switch {
			case c == nil:
				sub.AppendValue(e.Key(), raw(e.Value()))
			case c.leaf:
			default:
				if pv, ok := excludeValue(e.Value(), c); ok {
					sub.AppendValue(e.Key(), pv)
				}
			}
		}
		return bsoncore.Value{Type: bsoncore.TypeEmbeddedDocument, Data: sub.Build()}, true
	case bson.TypeArray:
		arr := bsoncore.NewArrayBuilder()
		vals, _ := bson.Raw(v.Value).Values()
		for _, e := range vals {
			if pv, ok := excludeValue(e, n); ok {
				arr.AppendValue(pv)
			}
		}
		return bsoncore.Value{Type: bsoncore.TypeArray, Data: arr.Build()}, true
	}
	return raw(v), true
}
