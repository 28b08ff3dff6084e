package pipeline

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestScanProjection(t *testing.T) {
	tests := []struct {
		name     string
		pipeline string // Extended JSON array of stages
		want     string // Extended JSON projection, "" for none
	}{
		{"group reads its fields", `[{"$group": {"_id": "$a", "t": {"$sum": "$b.c"}}}]`, `{"_id": 0, "a": 1, "b": 1}`},
		{"match and sort before group", `[{"$match": {"x": 1}}, {"$sort": {"y": 1}}, {"$match": {"w": 1}}, {"$group": {"_id": null, "n": {"$sum": 1}}}]`, `{"_id": 0, "w": 1, "y": 1}`},
		{"leading match is the scan's", `[{"$match": {"x": 1}}, {"$count": "n"}]`, `{"_id": 1}`},
		{"inclusion project keeps _id", `[{"$project": {"a": 1, "s": {"$add": ["$b", 1]}}}]`, `{"_id": 1, "a": 1, "b": 1, "s": 1}`},
		{"inclusion project without _id", `[{"$project": {"_id": 0, "a": 1}}]`, `{"_id": 0, "a": 1}`},
		{"exclusion project is not exhaustive", `[{"$project": {"a": 0}}]`, ``},
		{"no exhaustive stage", `[{"$match": {"a": 1}}, {"$sort": {"b": 1}}]`, ``},
		{"ROOT needs everything", `[{"$group": {"_id": "$a", "docs": {"$push": "$$ROOT"}}}]`, ``},
		{"getField needs everything", `[{"$group": {"_id": {"$getField": "a"}}}]`, ``},
		{"unknown stage needs everything", `[{"$redact": "$$KEEP"}, {"$count": "n"}]`, ``},
		{"unwind then group", `[{"$unwind": "$tags"}, {"$group": {"_id": "$tags", "n": {"$sum": 1}}}]`, `{"_id": 0, "tags": 1}`},
		{"variables are not fields", `[{"$replaceWith": {"$mergeObjects": ["$$NOW", {"a": "$a"}]}}]`, `{"_id": 0, "a": 1}`},
		{"or branches", `[{"$match": {"z": 1}}, {"$match": {"$or": [{"p": 1}, {"q": 2}]}}, {"$count": "n"}]`, `{"_id": 0, "p": 1, "q": 1}`},
		{"lookup reads its local field", `[{"$lookup": {"from": "o", "localField": "a.b", "foreignField": "x", "as": "c"}}, {"$count": "n"}]`, `{"_id": 0, "a": 1}`},
		{"facet of exhaustive sub-pipelines", `[{"$facet": {"x": [{"$group": {"_id": "$a"}}], "y": [{"$sort": {"b": 1}}, {"$count": "n"}]}}]`, `{"_id": 0, "a": 1, "b": 1}`},
		{"facet with a whole-document branch", `[{"$facet": {"x": [{"$limit": 1}]}}]`, ``},
		{"window fields", `[{"$setWindowFields": {"partitionBy": "$p", "sortBy": {"d": 1}, "output": {"r": {"$sum": "$v", "window": {"documents": ["unbounded", "current"]}}}}}, {"$group": {"_id": "$r"}}]`, `{"_id": 0, "d": 1, "p": 1, "r": 1, "v": 1}`},
		{"where needs everything", `[{"$match": {"z": 1}}, {"$match": {"$jsonSchema": {}}}, {"$count": "n"}]`, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var holder struct {
				P []bson.Raw `bson:"p"`
			}
			if err := bson.UnmarshalExtJSON([]byte(`{"p": `+tc.pipeline+`}`), false, &holder); err != nil {
				t.Fatal(err)
			}
			pl, err := Parse(holder.P, Options{DB: "test", Collection: "c"})
			if err != nil {
				t.Fatal(err)
			}
			got := pl.ScanProjection()
			if tc.want == "" {
				if got != nil {
					t.Fatalf("got %s, want none", got)
				}
				return
			}
			var want bson.Raw
			if err := bson.UnmarshalExtJSON([]byte(tc.want), false, &want); err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
}
