package update

import (
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// UpsertSeed builds the document an operator-style or pipeline-style
// upsert starts from when its filter matches nothing: the filter's
// equality conditions (see (*Update).UpsertSeed), every path of them.
func UpsertSeed(filter bson.Raw) (bson.Raw, error) { return seedFrom(filter, false) }

// UpsertSeed builds the document an upsert of u starts from when its
// filter matches nothing, as mongod's populateDocumentWithQueryFields:
// the equality conditions of the filter as its canonical query has them
// ({a: 1}, {a: {$eq: 1}}, a one-value $in, each value of $all, inside
// $and or a one-clause $or; not a regex, not $gt, $ne, $elemMatch, $not,
// $nor …), set at their paths in path order, dotted paths as embedded
// documents, _id first. A replacement takes only _id from the filter and
// rejects a condition on a part of it. Two conditions on one path, or on
// a path and its prefix, cannot both be seeded (NotSingleValueField).
// u is then applied to the seed as an insert.
func (u *Update) UpsertSeed(filter bson.Raw) (bson.Raw, error) {
	return seedFrom(filter, u.replacement != nil)
}

// equality is one equality condition of a filter.
type equality struct {
	path string
	val  bson.RawValue
}

func seedFrom(filter bson.Raw, idOnly bool) (bson.Raw, error) {
	var eqs []equality
	if err := collectEqualities(filter, &eqs); err != nil {
		return nil, err
	}
	// mongod keeps the equalities in a map ordered by path and checks
	// each against the ones before it: a prefix sorts before its
	// extensions, so the longer path is the one reported.
	sort.SliceStable(eqs, func(i, j int) bool { return eqs[i].path < eqs[j].path })
	root := newSeedNode()
	var kept []equality
	for _, eq := range eqs {
		if idOnly {
			if eq.path != "_id" && !strings.HasPrefix(eq.path, "_id.") {
				continue
			}
			if eq.path != "_id" {
				return nil, mongoerr.Newf(mongoerr.NotExactValueField, "field at '_id' must be exactly specified, field at sub-path '%s'found", eq.path)
			}
		}
		for _, k := range kept {
			if k.path == eq.path {
				return nil, mongoerr.Newf(mongoerr.NotSingleValueField, "cannot infer query fields to set, path '%s' is matched twice", eq.path)
			}
			if strings.HasPrefix(eq.path, k.path+".") {
				return nil, mongoerr.Newf(mongoerr.NotSingleValueField, "cannot infer query fields to set, both paths '%s' and '%s' are matched", eq.path, k.path)
			}
		}
		kept = append(kept, eq)
		root.set(strings.Split(eq.path, "."), eq.val)
	}
	// mongod stores _id as the first field of an inserted document.
	if i := root.index("_id"); i > 0 {
		id := root.kids[i]
		copy(root.kids[1:i+1], root.kids[:i])
		root.kids[0] = id
	}
	return bson.Raw(root.appendDoc(nil)), nil
}

// collectEqualities appends the equality conditions of filter in the
// order they appear.
func collectEqualities(filter bson.Raw, out *[]equality) error {
	elems, err := filter.Elements()
	if err != nil {
		return mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		switch k {
		case "$and", "$or":
			arr, ok := v.ArrayOK()
			if !ok {
				continue
			}
			clauses, _ := arr.Values()
			// A one-clause $or is its clause in the canonical query; an
			// $or of several clauses fixes no field.
			if k == "$or" && len(clauses) != 1 {
				continue
			}
			for _, c := range clauses {
				if d, ok := c.DocumentOK(); ok {
					if err := collectEqualities(d, out); err != nil {
						return err
					}
				}
			}
			continue
		}
		if strings.HasPrefix(k, "$") {
			continue
		}
		if d, ok := v.DocumentOK(); ok && isOperatorDoc(d) {
			ops, _ := d.Elements()
			for _, op := range ops {
				opVal := op.Value()
				switch op.Key() {
				case "$eq":
					*out = append(*out, equality{k, opVal})
				case "$in":
					// mongod rewrites a one-value $in as an equality.
					if arr, ok := opVal.ArrayOK(); ok {
						vals, _ := arr.Values()
						if len(vals) == 1 && vals[0].Type != bson.TypeRegex {
							*out = append(*out, equality{k, vals[0]})
						}
					}
				case "$all":
					// $all is an $and of equalities, one per value.
					if arr, ok := opVal.ArrayOK(); ok {
						vals, _ := arr.Values()
						for _, av := range vals {
							if av.Type == bson.TypeRegex {
								continue
							}
							if ad, ok := av.DocumentOK(); ok && isOperatorDoc(ad) {
								continue
							}
							*out = append(*out, equality{k, av})
						}
					}
				}
			}
			continue
		}
		if v.Type == bson.TypeRegex {
			continue
		}
		*out = append(*out, equality{k, v})
	}
	return nil
}

// isOperatorDoc reports whether a filter value is a document of query
// operators rather than a document to compare with: its first field
// starts with '$' and it is not a DBRef.
func isOperatorDoc(d bson.Raw) bool {
	first, err := d.IndexErr(0)
	if err != nil || !strings.HasPrefix(first.Key(), "$") {
		return false
	}
	switch first.Key() {
	case "$ref", "$id", "$db":
		return false
	}
	return true
}

// seedNode is a document being seeded: its fields in insertion order,
// each an embedded document or a value.
type seedNode struct {
	kids []seedField
}

type seedField struct {
	name string
	doc  *seedNode
	val  bson.RawValue
}

func newSeedNode() *seedNode { return &seedNode{} }

func (n *seedNode) index(name string) int {
	for i, k := range n.kids {
		if k.name == name {
			return i
		}
	}
	return -1
}

// set stores v at path, creating embedded documents; the caller has
// ruled out paths that are prefixes of one another.
func (n *seedNode) set(path []string, v bson.RawValue) {
	cur := n
	for _, p := range path[:len(path)-1] {
		i := cur.index(p)
		if i < 0 {
			cur.kids = append(cur.kids, seedField{name: p, doc: newSeedNode()})
			i = len(cur.kids) - 1
		}
		cur = cur.kids[i].doc
	}
	cur.kids = append(cur.kids, seedField{name: path[len(path)-1], val: v})
}

func (n *seedNode) appendDoc(dst []byte) []byte {
	idx, dst := bsoncore.ReserveLength(dst)
	for _, k := range n.kids {
		if k.doc != nil {
			dst = bsoncore.AppendDocumentElement(dst, k.name, k.doc.appendDoc(nil))
			continue
		}
		dst = bsoncore.AppendValueElement(dst, k.name, bsoncore.Value{Type: bsoncore.Type(k.val.Type), Data: k.val.Value})
	}
	dst = append(dst, 0)
	return bsoncore.UpdateLength(dst, idx, int32(len(dst)-int(idx)))
}
