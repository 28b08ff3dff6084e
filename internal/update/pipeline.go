package update

import (
	"bytes"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/pipeline"
	"github.com/secantusdb/secantus/internal/query"
)

// parsePipeline parses an update given as an aggregation pipeline; only
// the stages mongod allows in updates are accepted.
func parsePipeline(arr bson.Raw, opts Options) (*Update, error) {
	vals, err := arr.Values()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	if len(opts.ArrayFilters) > 0 {
		return nil, mongoerr.New(mongoerr.FailedToParse, "arrayFilters may not be specified for pipeline-style updates")
	}
	specs := make([]bson.Raw, 0, len(vals))
	for _, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.TypeMismatch, "Each element of the 'pipeline' array must be an object")
		}
		specs = append(specs, d)
	}
	pl, err := pipeline.Parse(specs, pipeline.Options{
		Query:  query.Options{Collator: opts.Collator, Scope: opts.Scope},
		Update: true,
	})
	if err != nil {
		return nil, err
	}
	return &Update{pipeline: pl}, nil
}

// applyPipeline runs the stages and stores their output as mongod's
// PipelineExecutor does, as a replacement: an output without _id keeps
// the document's _id, an output with one may restate it (1 and 1.0 are
// equal) but not change it, and _id goes first.
func (u *Update) applyPipeline(doc bson.Raw) (bson.Raw, bool, error) {
	out, err := u.pipeline.Apply(doc)
	if err != nil {
		return nil, false, err
	}
	if oldID, err := doc.LookupErr("_id"); err == nil {
		newID, err := out.LookupErr("_id")
		if err != nil {
			out = prependID(oldID, out)
		} else if bsonx.Compare(oldID, newID) != 0 {
			return nil, false, mongoerr.Newf(mongoerr.ImmutableField, "After applying the update, the (immutable) field '_id' was found to have been altered to _id: %s", bsonx.Format(newID))
		}
	}
	if bytes.Equal(out, doc) {
		return doc, false, nil
	}
	return finish(out)
}
