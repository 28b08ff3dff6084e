package query

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// missing is the value a path yields where it reaches nothing (mongod's
// EOO element): an absent field, or a path that runs into a scalar.
var missing = bson.RawValue{}

// visitFunc receives each value a path reaches and the position of the
// outermost array element it was found under (-1 when no array was
// traversed); returning true stops the walk.
type visitFunc func(v bson.RawValue, idx int) bool

// fieldPath is a parsed dotted path.
type fieldPath struct {
	full  string
	parts []string
}

func newFieldPath(p string) fieldPath { return fieldPath{full: p, parts: strings.Split(p, ".")} }

// walk calls fn with every value p reaches in doc, the way mongod's
// matcher iterates a path, and reports whether fn stopped the walk:
//
//   - embedded documents are descended by field name;
//   - an array met before the end of the path is traversed: each document
//     element is descended with the rest of the path (a missing field there
//     yields missing), and when the next component is an array index the
//     element at that position is descended with the index consumed instead
//     (an array there at the end of the path is expanded like any leaf);
//     scalars in the array yield nothing, and an array that yields nothing
//     at all yields missing once;
//   - a scalar met before the end of the path yields missing;
//   - an array at the end of the path yields its elements and then itself
//     when expand is set, else only itself.
func (p *fieldPath) walk(doc bson.Raw, expand bool, fn visitFunc) bool {
	return walkDoc(doc, p.parts, expand, -1, fn)
}

func walkDoc(doc []byte, parts []string, expand bool, idx int, fn visitFunc) bool {
	v, ok := lookupField(doc, parts[0])
	if !ok {
		return fn(missing, idx)
	}
	return walkValue(v, parts[1:], expand, idx, fn)
}

func walkValue(v bson.RawValue, rest []string, expand bool, idx int, fn visitFunc) bool {
	if len(rest) == 0 {
		return yieldLeaf(v, expand, idx, fn)
	}
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		return walkDoc(v.Value, rest, expand, idx, fn)
	case bson.TypeArray:
		return walkArray(v.Value, rest, expand, idx, fn)
	}
	return fn(missing, idx)
}

func yieldLeaf(v bson.RawValue, expand bool, idx int, fn visitFunc) bool {
	if expand && v.Type == bson.TypeArray {
		if forEach(v.Value, func(i int, _ []byte, e bson.RawValue) bool { return fn(e, outer(idx, i)) }) {
			return true
		}
	}
	return fn(v, idx)
}

func walkArray(arr []byte, rest []string, expand bool, idx int, fn visitFunc) bool {
	want, numeric := arrayIndex(rest[0])
	yielded := false
	if forEach(arr, func(i int, _ []byte, e bson.RawValue) bool {
		eidx := outer(idx, i)
		if numeric && i == want {
			yielded = true
			return walkValue(e, rest[1:], expand, eidx, fn)
		}
		if e.Type == bson.TypeEmbeddedDocument {
			yielded = true
			return walkDoc(e.Value, rest, expand, eidx, fn)
		}
		return false
	}) {
		return true
	}
	if !yielded {
		return fn(missing, idx)
	}
	return false
}

func outer(idx, i int) int {
	if idx >= 0 {
		return idx
	}
	return i
}

// arrayIndex reads a path component as an array position: decimal digits
// in canonical form ("0", "12"; not "01").
func arrayIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// lookupField finds a top-level field of a BSON document in place,
// skipping over the other elements by their sizes without decoding them.
func lookupField(doc []byte, name string) (bson.RawValue, bool) {
	if len(doc) < 5 {
		return bson.RawValue{}, false
	}
	end := len(doc) - 1
	for i := 4; i < end; {
		t := doc[i]
		i++
		k := bytes.IndexByte(doc[i:end], 0)
		if k < 0 {
			return bson.RawValue{}, false
		}
		key := doc[i : i+k]
		i += k + 1
		n := valueSize(t, doc[i:end])
		if n < 0 {
			return bson.RawValue{}, false
		}
		if string(key) == name {
			return bson.RawValue{Type: bson.Type(t), Value: doc[i : i+n]}, true
		}
		i += n
	}
	return bson.RawValue{}, false
}

// valueSize returns the length of a BSON value of type t at the start of
// b, or -1 if it does not fit.
func valueSize(t byte, b []byte) int {
	n := -1
	switch bson.Type(t) {
	case bson.TypeUndefined, bson.TypeNull, bson.TypeMinKey, bson.TypeMaxKey:
		n = 0
	case bson.TypeBoolean:
		n = 1
	case bson.TypeInt32:
		n = 4
	case bson.TypeDouble, bson.TypeDateTime, bson.TypeTimestamp, bson.TypeInt64:
		n = 8
	case bson.TypeObjectID:
		n = 12
	case bson.TypeDecimal128:
		n = 16
	case bson.TypeString, bson.TypeJavaScript, bson.TypeSymbol:
		if len(b) >= 4 {
			n = 4 + int(int32(binary.LittleEndian.Uint32(b)))
		}
	case bson.TypeEmbeddedDocument, bson.TypeArray, bson.TypeCodeWithScope:
		if len(b) >= 4 {
			n = int(int32(binary.LittleEndian.Uint32(b)))
		}
	case bson.TypeBinary:
		if len(b) >= 4 {
			n = 5 + int(int32(binary.LittleEndian.Uint32(b)))
		}
	case bson.TypeDBPointer:
		if len(b) >= 4 {
			n = 4 + int(int32(binary.LittleEndian.Uint32(b))) + 12
		}
	case bson.TypeRegex:
		p := bytes.IndexByte(b, 0)
		if p >= 0 {
			if o := bytes.IndexByte(b[p+1:], 0); o >= 0 {
				n = p + 1 + o + 1
			}
		}
	}
	if n < 0 || n > len(b) {
		return -1
	}
	return n
}

// forEach calls fn with each element of a BSON document or array in
// place (no allocation) until fn returns true, and reports whether it did.
func forEach(doc []byte, fn func(i int, key []byte, v bson.RawValue) bool) bool {
	if len(doc) < 5 {
		return false
	}
	rem := doc[4 : len(doc)-1]
	for i := 0; len(rem) > 0; i++ {
		elem, rest, ok := bsoncore.ReadElement(rem)
		if !ok {
			return false
		}
		rem = rest
		t := bsoncore.Type(elem[0])
		key := elem[1:]
		n := 0
		for n < len(key) && key[n] != 0 {
			n++
		}
		if fn(i, key[:n], bson.RawValue{Type: bson.Type(t), Value: key[n+1:]}) {
			return true
		}
	}
	return false
}
