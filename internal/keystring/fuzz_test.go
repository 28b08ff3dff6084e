package keystring

import (
	"bytes"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
)

// FuzzKeyStringOrder parses two fuzz inputs as BSON documents and checks,
// for the documents themselves and for their first elements, that byte
// order of the encodings equals bsonx.Compare (ascending and descending)
// and that each encoding decodes back to an equal value.
func FuzzKeyStringOrder(f *testing.F) {
	var seeds [][]byte
	for _, v := range corpusValues(f) {
		doc, err := bson.Marshal(bson.D{{Key: "v", Value: v}})
		if err == nil {
			seeds = append(seeds, doc)
		}
	}
	for i := range seeds {
		f.Add(seeds[i], seeds[(i*7+3)%len(seeds)])
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		// Decoding arbitrary bytes must fail cleanly, never panic.
		_, _, _ = Decode(a, 2, []bool{false, true})
		ra, rb := bson.Raw(a), bson.Raw(b)
		if ra.Validate() != nil || rb.Validate() != nil {
			return
		}
		pairs := [][2]bson.RawValue{{
			{Type: bson.TypeEmbeddedDocument, Value: a},
			{Type: bson.TypeEmbeddedDocument, Value: b},
		}}
		ea, errA := ra.IndexErr(0)
		eb, errB := rb.IndexErr(0)
		if errA == nil && errB == nil {
			pairs = append(pairs, [2]bson.RawValue{ea.Value(), eb.Value()})
		}
		for _, p := range pairs {
			want := bsonx.Compare(p[0], p[1])
			for _, desc := range []bool{false, true} {
				ka, kb := AppendValue(nil, p[0], desc), AppendValue(nil, p[1], desc)
				got := bytes.Compare(ka, kb)
				if desc {
					got = -got
				}
				if got != want {
					t.Fatalf("%v vs %v (desc=%v): bytes %d, Compare %d", p[0], p[1], desc, got, want)
				}
				dec, rest, err := Decode(ka, 1, []bool{desc})
				if err != nil || len(rest) != 0 || bsonx.Compare(dec[0], p[0]) != 0 {
					t.Fatalf("%v (desc=%v) round trip: %v, %v, rest %x", p[0], desc, dec, err, rest)
				}
			}
		}
	})
}
