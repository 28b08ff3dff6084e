package bsonx

import (
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Lookup follows a dotted path through embedded documents and arrays the
// way mongod's query traversal does and returns every value it reaches.
// At an array, a numeric path component selects that element, and every
// document element of the array is also descended into with the same
// component. missing reports that at least one branch found nothing
// (the path is absent there), which matters for null and $exists.
// Leaf arrays are returned whole; matchers look inside them.
func Lookup(doc bson.Raw, path string) (values []bson.RawValue, missing bool) {
	parts := strings.Split(path, ".")
	walk(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, parts, &values, &missing)
	return values, missing
}

func walk(cur bson.RawValue, parts []string, out *[]bson.RawValue, missing *bool) {
	if len(parts) == 0 {
		*out = append(*out, cur)
		return
	}
	switch cur.Type {
	case bson.TypeEmbeddedDocument:
		v, err := bson.Raw(cur.Value).LookupErr(parts[0])
		if err != nil {
			*missing = true
			return
		}
		walk(v, parts[1:], out, missing)
	case bson.TypeArray:
		arr := bson.Raw(cur.Value)
		if idx, err := strconv.Atoi(parts[0]); err == nil && idx >= 0 && isDigits(parts[0]) {
			if v, err := arr.LookupErr(parts[0]); err == nil {
				walk(v, parts[1:], out, missing)
			} else {
				*missing = true
			}
			_ = idx
		}
		vals, _ := arr.Values()
		any := false
		for _, e := range vals {
			if e.Type == bson.TypeEmbeddedDocument {
				any = true
				walk(e, parts, out, missing)
			}
		}
		if !any && !isDigits(parts[0]) {
			*missing = true
		}
	default:
		*missing = true
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DistinctValues returns the values distinct collects from doc at path:
// every value reached, with arrays at the end of the path unwound one
// level, as mongod's distinct does.
func DistinctValues(doc bson.Raw, path string) []bson.RawValue {
	vals, _ := Lookup(doc, path)
	var out []bson.RawValue
	for _, v := range vals {
		if v.Type == bson.TypeArray {
			elems, _ := bson.Raw(v.Value).Values()
			out = append(out, elems...)
			continue
		}
		out = append(out, v)
	}
	return out
}

// LookupFirst returns the first value at a dotted path through embedded
// documents only (no array traversal), as index key extraction for
// non-multikey paths and sort keys of plain documents need.
func LookupFirst(doc bson.Raw, path string) (bson.RawValue, bool) {
	v, err := doc.LookupErr(strings.Split(path, ".")...)
	return v, err == nil
}
