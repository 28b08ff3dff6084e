package query

import (
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// benchDocs builds n documents of about 1 KiB with the fields the
// benchmark filters use.
func benchDocs(n int) []bson.Raw {
	docs := make([]bson.Raw, n)
	pad := make([]byte, 700)
	for i := range pad {
		pad[i] = 'x'
	}
	for i := range docs {
		d, _ := bson.Marshal(bson.D{
			{Key: "_id", Value: i},
			{Key: "n", Value: i % 1000},
			{Key: "name", Value: fmt.Sprintf("user%06d", i)},
			{Key: "tags", Value: bson.A{"t" + fmt.Sprint(i%7), "t" + fmt.Sprint(i%11), "t" + fmt.Sprint(i%13)}},
			{Key: "addr", Value: bson.D{{Key: "city", Value: fmt.Sprintf("city%d", i%50)}, {Key: "zip", Value: int32(i % 100000)}}},
			{Key: "items", Value: bson.A{bson.D{{Key: "sku", Value: i % 97}, {Key: "qty", Value: i % 5}}, bson.D{{Key: "sku", Value: i % 89}, {Key: "qty", Value: i % 3}}}},
			{Key: "pad", Value: string(pad)},
		})
		docs[i] = d
	}
	return docs
}

// BenchmarkFilter100k evaluates five representative filters over 100 000
// documents of about 1 KiB, as a collection scan would.
func BenchmarkFilter100k(b *testing.B) {
	docs := benchDocs(100000)
	for _, bc := range []struct{ name, filter string }{
		{"eq-top", `{"n": 7}`},
		{"range-nested", `{"addr.zip": {"$gte": 500, "$lt": 600}}`},
		{"in-strings", `{"name": {"$in": ["user000001", "user050000", "user099999"]}}`},
		{"and-or-array", `{"$and": [{"tags": "t3"}, {"$or": [{"items.sku": 5}, {"items.qty": {"$gt": 3}}]}]}`},
		{"regex-prefix", `{"name": {"$regex": "^user0001"}}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f, err := ParseFilter(ej(b, bc.filter))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = 0
				for _, d := range docs {
					if f.Matches(d) {
						n++
					}
				}
			}
			b.ReportMetric(float64(n), "matches")
		})
	}
}
