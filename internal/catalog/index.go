package catalog

import (
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/keystring"
)

// Index is an index's spec and the compiled form used to derive its keys.
type Index struct {
	id     uint32
	Name   string
	Key    bson.Raw // the key pattern, e.g. {a: 1, b: -1}
	Unique bool
	// Spec is the full document listIndexes reports: {v, key, name, ...}.
	Spec bson.Raw

	fields    []string
	desc      []bool
	isID      bool
	clustered bool
}

func newIndex(id uint32, key bson.Raw, name string, isID bool) *Index {
	b := bsoncore.NewDocumentBuilder().AppendInt32("v", 2).AppendDocument("key", key).AppendString("name", name)
	ix, _ := indexFromSpec(id, bson.Raw(b.Build()))
	ix.Unique = ix.Unique || isID
	return ix
}

func indexFromSpec(id uint32, spec bson.Raw) (*Index, error) {
	ix := &Index{id: id, Spec: spec}
	keyVal, err := spec.LookupErr("key")
	if err != nil {
		return nil, fmt.Errorf("index spec without key: %v", spec)
	}
	ix.Key = keyVal.Document()
	ix.Name, _ = spec.Lookup("name").StringValueOK()
	if u, ok := spec.Lookup("unique").BooleanOK(); ok {
		ix.Unique = u
	}
	elems, err := ix.Key.Elements()
	if err != nil {
		return nil, err
	}
	for _, e := range elems {
		ix.fields = append(ix.fields, e.Key())
		n, _ := e.Value().AsFloat64OK()
		ix.desc = append(ix.desc, n < 0)
	}
	clustered, _ := spec.Lookup("clustered").BooleanOK()
	if ix.Name == "_id_" || clustered {
		ix.Unique, ix.isID, ix.clustered = true, true, clustered
	}
	return ix, nil
}

// IsID reports whether ix is the _id index (which a clustered
// collection may have named otherwise).
func (ix *Index) IsID() bool { return ix.isID }

// Clustered reports whether ix is a clustered collection's _id index.
func (ix *Index) Clustered() bool { return ix.clustered }

// values extracts ix's key values from doc: the value at each key path,
// null where the path is missing.
func (ix *Index) values(doc bson.Raw) []bson.RawValue {
	out := make([]bson.RawValue, len(ix.fields))
	for i, f := range ix.fields {
		v, err := doc.LookupErr(strings.Split(f, ".")...)
		if err != nil {
			v = bson.RawValue{Type: bson.TypeNull}
		}
		out[i] = v
	}
	return out
}

// entryKey is the engine key of doc's entry in ix: the index prefix, the
// encoded key and, for non-unique indexes, the record id.
func (ix *Index) entryKey(collID uint64, doc bson.Raw, rid int64) ([]byte, error) {
	k := indexPrefix(collID, ix.id)
	for i, v := range ix.values(doc) {
		k = keystring.AppendValue(k, v, ix.desc[i])
	}
	if !ix.Unique {
		k = keystring.AppendRecordID(k, rid)
	}
	return k, nil
}
