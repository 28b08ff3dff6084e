package update

import (
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
)

// mval is one value of the document being updated. It stays as the raw
// bytes it was read from until an operator needs to look inside it, so
// an update touches only the subtrees on its paths and every untouched
// value is copied back byte for byte.
type mval struct {
	t    bson.Type
	raw  []byte   // the value's bytes while not expanded
	kids []mfield // the fields or elements once expanded
	exp  bool
}

// mfield is a named child; array elements' names are their positions,
// recomputed when the array is written out.
type mfield struct {
	name string
	v    *mval
}

func newVal(v bson.RawValue) *mval { return &mval{t: v.Type, raw: v.Value} }

func newDoc() *mval { return &mval{t: bson.TypeEmbeddedDocument, exp: true} }

func newArray(vals ...*mval) *mval {
	a := &mval{t: bson.TypeArray, exp: true}
	for _, v := range vals {
		a.kids = append(a.kids, mfield{v: v})
	}
	return a
}

var nullVal = bson.RawValue{Type: bson.TypeNull}

func (m *mval) container() bool {
	return m.t == bson.TypeEmbeddedDocument || m.t == bson.TypeArray
}

// expand parses a document or array into its children; corrupt bytes
// leave it empty rather than failing half way through an update.
func (m *mval) expand() {
	if m.exp || !m.container() {
		return
	}
	m.exp = true
	elems, err := bson.Raw(m.raw).Elements()
	if err != nil {
		return
	}
	m.kids = make([]mfield, 0, len(elems))
	for _, e := range elems {
		m.kids = append(m.kids, mfield{name: e.Key(), v: newVal(e.Value())})
	}
	m.raw = nil
}

// childIndex returns the position of the child a path part names, or
// -1. An array is entered only through a decimal index, as mongod's
// update walker does.
func (m *mval) childIndex(part string) int {
	switch m.t {
	case bson.TypeEmbeddedDocument:
		m.expand()
		for i, k := range m.kids {
			if k.name == part {
				return i
			}
		}
	case bson.TypeArray:
		n, ok := arrayIndex(part)
		m.expand()
		if ok && n < len(m.kids) {
			return n
		}
	}
	return -1
}

// arrayIndex parses a path part made only of decimal digits.
func arrayIndex(part string) (int, bool) {
	if part == "" || len(part) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(part); i++ {
		c := part[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// bytes returns the value's encoding.
func (m *mval) bytes() []byte {
	if !m.exp {
		return m.raw
	}
	return m.appendTo(nil)
}

func (m *mval) appendTo(dst []byte) []byte {
	if !m.exp {
		return append(dst, m.raw...)
	}
	idx, dst := bsoncore.ReserveLength(dst)
	for i, k := range m.kids {
		name := k.name
		if m.t == bson.TypeArray {
			name = strconv.Itoa(i)
		}
		dst = bsoncore.AppendHeader(dst, bsoncore.Type(k.v.t), name)
		dst = k.v.appendTo(dst)
	}
	dst = append(dst, 0)
	return bsoncore.UpdateLength(dst, idx, int32(len(dst)-int(idx)))
}

func (m *mval) value() bson.RawValue { return bson.RawValue{Type: m.t, Value: m.bytes()} }

// lookup returns the child named by a dotted path, or nil.
func (m *mval) lookup(path []string) *mval {
	cur := m
	for _, p := range path {
		i := cur.childIndex(p)
		if i < 0 {
			return nil
		}
		cur = cur.kids[i].v
	}
	return cur
}

// format renders "name: value" as mongod prints an element.
func formatElem(name string, v *mval) string {
	return name + ": " + bsonx.Format(v.value())
}
