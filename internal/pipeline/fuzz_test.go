package pipeline

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FuzzPipeline parses arbitrary stage lists (a BSON document whose values
// are the stages) and runs the ones that parse over a few documents: the
// parser and the stages must answer with an error, never panic or hang.
//
//	go test ./internal/pipeline -run '^$' -fuzz FuzzPipeline -fuzztime 60s
func FuzzPipeline(f *testing.F) {
	seeds := []bson.D{
		{{Key: "0", Value: bson.D{{Key: "$match", Value: bson.D{{Key: "a", Value: 1}}}}}},
		{{Key: "0", Value: bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$a"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}}}},
		{{Key: "0", Value: bson.D{{Key: "$unwind", Value: bson.D{{Key: "path", Value: "$b"}, {Key: "includeArrayIndex", Value: "i"}}}}},
			{Key: "1", Value: bson.D{{Key: "$sort", Value: bson.D{{Key: "b", Value: -1}}}}},
			{Key: "2", Value: bson.D{{Key: "$limit", Value: 2}}}},
		{{Key: "0", Value: bson.D{{Key: "$addFields", Value: bson.D{{Key: "c.d", Value: bson.D{{Key: "$add", Value: bson.A{"$a", 1}}}}}}}},
			{Key: "1", Value: bson.D{{Key: "$project", Value: bson.D{{Key: "c", Value: 1}}}}}},
		{{Key: "0", Value: bson.D{{Key: "$redact", Value: bson.D{{Key: "$cond", Value: bson.A{true, "$$DESCEND", "$$PRUNE"}}}}}}},
		{{Key: "0", Value: bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "other"}, {Key: "localField", Value: "a"}, {Key: "foreignField", Value: "x"}, {Key: "as", Value: "o"}}}}}},
		{{Key: "0", Value: bson.D{{Key: "$facet", Value: bson.D{{Key: "f", Value: bson.A{bson.D{{Key: "$count", Value: "n"}}}}}}}}},
		{{Key: "0", Value: bson.D{{Key: "$setWindowFields", Value: bson.D{{Key: "sortBy", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "output", Value: bson.D{{Key: "r", Value: bson.D{{Key: "$rank", Value: bson.D{}}}}}}}}}}},
		{{Key: "0", Value: bson.D{{Key: "$bucketAuto", Value: bson.D{{Key: "groupBy", Value: "$a"}, {Key: "buckets", Value: 2}}}}}},
	}
	for _, s := range seeds {
		b, _ := bson.Marshal(s)
		f.Add(b)
	}
	docs := []bson.Raw{}
	for _, d := range []bson.D{
		{{Key: "_id", Value: 1}, {Key: "a", Value: 1}, {Key: "b", Value: bson.A{1, "x", bson.D{{Key: "c", Value: 2}}}}},
		{{Key: "_id", Value: 2}, {Key: "a", Value: "s"}, {Key: "b", Value: bson.D{{Key: "c", Value: bson.A{}}}}},
		{{Key: "_id", Value: 3}},
	} {
		b, _ := bson.Marshal(d)
		docs = append(docs, b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := bson.Raw(data)
		if raw.Validate() != nil {
			return
		}
		vals, err := raw.Values()
		if err != nil || len(vals) > 8 {
			return
		}
		specs := make([]bson.Raw, 0, len(vals))
		for _, v := range vals {
			d, ok := v.DocumentOK()
			if !ok {
				return
			}
			specs = append(specs, d)
		}
		pl, err := Parse(specs, Options{DB: "test", Collection: "coll"})
		if err != nil {
			return
		}
		ns := newFakeNamespaces()
		ns.colls["test.coll"] = docs
		ns.colls["test.other"] = docs
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var src = &sliceIter{docs: docs}
		st, err := pl.Build(src, &Env{MemLimit: 1 << 20, TempDir: t.TempDir(), Namespaces: ns})
		if err != nil {
			return
		}
		defer st.Close()
		for n := 0; n < 10000; n++ {
			_, ok, err := st.Next(ctx)
			if !ok || err != nil {
				return
			}
		}
	})
}
