package bsonx

import (
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Builder appends the elements of one BSON document or array (an array
// takes NextKey as each element's key). The zero Builder is ready for
// Start.
type Builder struct {
	b   []byte
	idx int32
	n   int // elements appended, for array keys
}

// Start begins the document.
func (b *Builder) Start() { b.idx, b.b = bsoncore.AppendDocumentStart(b.b) }

// Finish ends the document and returns it.
func (b *Builder) Finish() bson.Raw {
	b.b, _ = bsoncore.AppendDocumentEnd(b.b, b.idx)
	return b.b
}

// NextKey is the key of the next array element.
func (b *Builder) NextKey() string { return strconv.Itoa(b.n) }

// Len is how many elements have been appended.
func (b *Builder) Len() int { return b.n }

// AppendString appends a string element.
func (b *Builder) AppendString(k, v string) {
	b.b = bsoncore.AppendStringElement(b.b, k, v)
	b.n++
}

// AppendInt32 appends an int32 element.
func (b *Builder) AppendInt32(k string, v int32) {
	b.b = bsoncore.AppendInt32Element(b.b, k, v)
	b.n++
}

// AppendInt64 appends an int64 element.
func (b *Builder) AppendInt64(k string, v int64) {
	b.b = bsoncore.AppendInt64Element(b.b, k, v)
	b.n++
}

// AppendBool appends a boolean element.
func (b *Builder) AppendBool(k string, v bool) {
	b.b = bsoncore.AppendBooleanElement(b.b, k, v)
	b.n++
}

// AppendDocument appends an embedded document element.
func (b *Builder) AppendDocument(k string, d []byte) {
	b.b = bsoncore.AppendDocumentElement(b.b, k, d)
	b.n++
}

// AppendArray appends an array element.
func (b *Builder) AppendArray(k string, a []byte) {
	b.b = bsoncore.AppendArrayElement(b.b, k, a)
	b.n++
}

// AppendValue appends any value element.
func (b *Builder) AppendValue(k string, v bsoncore.Value) {
	b.b = bsoncore.AppendValueElement(b.b, k, v)
	b.n++
}

// AppendRaw appends v; a missing value (Type 0) appends nothing.
func (b *Builder) AppendRaw(k string, v bson.RawValue) {
	if v.Type == 0 {
		return
	}
	b.AppendValue(k, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
}

// NewBuilder returns a started document builder.
func NewBuilder() *Builder {
	b := &Builder{}
	b.Start()
	return b
}

// NewArrayBuilder returns a started builder for an array (keys from
// NextKey).
func NewArrayBuilder() *Builder { return NewBuilder() }
