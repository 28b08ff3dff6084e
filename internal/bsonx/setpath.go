package bsonx

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

var emptyDoc = []byte{5, 0, 0, 0, 0}

// SetPath returns doc with the field at a dotted path (already split)
// set to v: in place when it exists, appended when not, creating
// documents on the way and replacing non-documents there. A zero v (Type
// 0, missing) removes the field instead and creates nothing.
func SetPath(doc []byte, path []string, v bson.RawValue) []byte {
	b := bsoncore.NewDocumentBuilder()
	found := false
	elems, _ := bson.Raw(doc).Elements()
	for _, e := range elems {
		ev := e.Value()
		if found || e.Key() != path[0] {
			b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(ev.Type), Data: ev.Value})
			continue
		}
		found = true
		appendAt(b, path, ev, v)
	}
	if !found && v.Type != 0 {
		appendAt(b, path, bson.RawValue{}, v)
	}
	return b.Build()
}

// appendAt appends path[0] holding v (at the end of the path) or cur
// with the rest of the path set.
func appendAt(b *bsoncore.DocumentBuilder, path []string, cur, v bson.RawValue) {
	if len(path) == 1 {
		if v.Type != 0 {
			b.AppendValue(path[0], bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
		}
		return
	}
	sub := emptyDoc
	if cur.Type == bson.TypeEmbeddedDocument {
		sub = cur.Value
	}
	b.AppendDocument(path[0], SetPath(sub, path[1:], v))
}
