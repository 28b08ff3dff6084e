package update

import (
	"bytes"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// pipelineStage is one stage of a pipeline-style update: it turns the
// document into the next one.
type pipelineStage interface {
	apply(doc bson.Raw) (bson.Raw, error)
}

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
	scope := opts.Scope
	if scope == nil {
		if scope, err = expr.NewScope(nil, nil); err != nil {
			return nil, err
		}
	}
	u := &Update{pipeline: []pipelineStage{}}
	for _, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.TypeMismatch, "Each element of the 'pipeline' array must be an object")
		}
		elems, _ := d.Elements()
		if len(elems) != 1 {
			return nil, mongoerr.New(mongoerr.Code(40323), "A pipeline stage specification object must contain exactly one field.")
		}
		name, arg := elems[0].Key(), elems[0].Value()
		var st pipelineStage
		switch name {
		case "$addFields", "$set":
			st, err = parseSetStage(name, arg, scope)
		case "$unset":
			st, err = parseUnsetStage(arg)
		case "$project":
			st, err = parseProjectStage(arg)
		case "$replaceRoot", "$replaceWith":
			st, err = parseReplaceStage(name, arg, scope)
		default:
			if !aggregationStages[name] {
				return nil, mongoerr.Newf(mongoerr.Location40324, "Unrecognized pipeline stage name: '%s'", name)
			}
			return nil, mongoerr.Newf(mongoerr.InvalidOptions, "%s is not allowed to be used within an update", name)
		}
		if err != nil {
			return nil, err
		}
		u.pipeline = append(u.pipeline, st)
	}
	return u, nil
}

// aggregationStages names the stages mongod knows but does not allow in
// an update pipeline (InvalidOptions); any other name is unrecognized.
var aggregationStages = map[string]bool{
	"$bucket": true, "$bucketAuto": true, "$changeStream": true, "$changeStreamSplitLargeEvent": true,
	"$collStats": true, "$count": true, "$currentOp": true, "$densify": true, "$documents": true,
	"$facet": true, "$fill": true, "$geoNear": true, "$graphLookup": true, "$group": true,
	"$indexStats": true, "$limit": true, "$listLocalSessions": true, "$listSampledQueries": true,
	"$listSearchIndexes": true, "$listSessions": true, "$lookup": true, "$match": true,
	"$merge": true, "$out": true, "$planCacheStats": true, "$querySettings": true, "$redact": true,
	"$sample": true, "$search": true, "$searchMeta": true, "$setWindowFields": true,
	"$shardedDataDistribution": true, "$skip": true, "$sort": true, "$sortByCount": true,
	"$unionWith": true, "$unwind": true, "$vectorSearch": true,
}

// applyPipeline runs the stages and stores their output as mongod's
// PipelineExecutor does, as a replacement: an output without _id keeps
// the document's _id, an output with one may restate it (1 and 1.0 are
// equal) but not change it, and _id goes first.
func (u *Update) applyPipeline(doc bson.Raw) (bson.Raw, bool, error) {
	out := doc
	for _, st := range u.pipeline {
		next, err := st.apply(out)
		if err != nil {
			return nil, false, err
		}
		out = next
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

// setStage is $set / $addFields: each field gets the value of its
// expression, evaluated against the stage's input document.
type setStage struct {
	paths [][]string
	exprs []expr.Expr
	ec    *expr.EvalContext
}

func parseSetStage(name string, arg bson.RawValue, scope *expr.Scope) (pipelineStage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Code(40272), "%s specification stage must be an object, got %s", name, bsonx.TypeName(arg.Type))
	}
	st := &setStage{ec: scope.Eval}
	elems, _ := d.Elements()
	for _, e := range elems {
		if strings.HasPrefix(e.Key(), "$") || e.Key() == "" {
			return nil, mongoerr.Newf(mongoerr.Code(16410), "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
		x, err := expr.Parse(e.Value(), scope.Parse)
		if err != nil {
			return nil, err
		}
		st.paths = append(st.paths, strings.Split(e.Key(), "."))
		st.exprs = append(st.exprs, x)
	}
	return st, nil
}

func (s *setStage) apply(doc bson.Raw) (bson.Raw, error) {
	vals := make([]bson.RawValue, len(s.exprs))
	for i, x := range s.exprs {
		v, err := x.Eval(s.ec, doc)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	out := doc
	for i, p := range s.paths {
		out = bsonx.SetPath(out, p, vals[i])
	}
	return out, nil
}

// unsetStage is $unset: the listed paths are removed.
type unsetStage struct{ paths [][]string }

func parseUnsetStage(arg bson.RawValue) (pipelineStage, error) {
	st := &unsetStage{}
	add := func(v bson.RawValue) error {
		s, ok := v.StringValueOK()
		if !ok {
			return mongoerr.New(mongoerr.Code(31120), "$unset specification must be a string or an array containing only string values")
		}
		st.paths = append(st.paths, strings.Split(s, "."))
		return nil
	}
	if arr, ok := arg.ArrayOK(); ok {
		vals, _ := arr.Values()
		if len(vals) == 0 {
			return nil, mongoerr.New(mongoerr.Code(31119), "$unset specification must be a string or an array with at least one field")
		}
		for _, v := range vals {
			if err := add(v); err != nil {
				return nil, err
			}
		}
		return st, nil
	}
	if err := add(arg); err != nil {
		return nil, err
	}
	return st, nil
}

func (s *unsetStage) apply(doc bson.Raw) (bson.Raw, error) {
	out := doc
	for _, p := range s.paths {
		if _, err := out.LookupErr(p...); err == nil {
			out = bsonx.SetPath(out, p, bson.RawValue{})
		}
	}
	return out, nil
}

// projectStage is $project with aggregation rules.
type projectStage struct{ p *query.Projection }

func parseProjectStage(arg bson.RawValue) (pipelineStage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.Code(15969), "$project specification must be an object")
	}
	p, err := query.ParseProjectionWith(d, query.ProjectionOptions{Aggregation: true})
	if err != nil {
		return nil, err
	}
	return &projectStage{p}, nil
}

func (s *projectStage) apply(doc bson.Raw) (bson.Raw, error) { return s.p.Apply(doc) }

// replaceStage is $replaceRoot / $replaceWith: the document becomes the
// value of an expression, which must be a document.
type replaceStage struct {
	x    expr.Expr
	ec   *expr.EvalContext
	what string // how mongod's message names the expression
}

func parseReplaceStage(name string, arg bson.RawValue, scope *expr.Scope) (pipelineStage, error) {
	root := arg
	if name == "$replaceRoot" {
		d, ok := arg.DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.Code(40228), "expected an object as specification for $replaceRoot stage, got %s", bsonx.TypeName(arg.Type))
		}
		v, err := d.LookupErr("newRoot")
		if err != nil {
			return nil, mongoerr.New(mongoerr.Code(40231), "no newRoot specified for the $replaceRoot stage")
		}
		root = v
	}
	x, err := expr.Parse(root, scope.Parse)
	if err != nil {
		return nil, err
	}
	what := "'replacement document'"
	if name == "$replaceRoot" {
		what = "'newRoot' expression " // mongod's context string ends in a space
	}
	return &replaceStage{x: x, ec: scope.Eval, what: what}, nil
}

func (s *replaceStage) apply(doc bson.Raw) (bson.Raw, error) {
	v, err := s.x.Eval(s.ec, doc)
	if err != nil {
		return nil, err
	}
	d, ok := v.DocumentOK()
	if !ok {
		shown, typ := "MISSING", "missing"
		if v.Type != 0 {
			shown, typ = bsonx.Format(v), bsonx.TypeName(v.Type)
		}
		return nil, mongoerr.Newf(mongoerr.Code(40228), "%s must evaluate to an object, but resulting value was: %s. Type of resulting value: '%s'. Input document: %s", s.what, shown, typ, bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}))
	}
	return d, nil
}
