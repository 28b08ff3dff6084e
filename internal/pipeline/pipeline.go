// Package pipeline runs aggregation pipelines as composable pull
// iterators over exec stages. This first cut carries the stages that
// counting and simple reporting need ($match, $sort, $skip, $limit,
// $project, $count, $group with the common accumulators, $unwind); any
// other stage is refused with an explicit error, never ignored.
package pipeline

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// Pipeline is a parsed pipeline.
type Pipeline struct {
	stages []stageSpec
	// Filter is a leading $match, which the caller pushes into the scan.
	Filter    *query.Filter
	RawFilter bson.Raw
}

type stageSpec struct {
	name string
	arg  bson.RawValue
	// parsed forms
	filter *query.Filter
	sort   *query.Sort
	n      int64
	proj   *query.Projection
	group  *groupSpec
	field  string
	unwind unwindSpec
}

var known = map[string]bool{
	"$addFields": true, "$bucket": true, "$bucketAuto": true, "$changeStream": true, "$collStats": true,
	"$currentOp": true, "$densify": true, "$documents": true, "$facet": true, "$fill": true, "$geoNear": true,
	"$graphLookup": true, "$indexStats": true, "$listLocalSessions": true, "$listSessions": true, "$lookup": true,
	"$merge": true, "$out": true, "$planCacheStats": true, "$redact": true, "$replaceRoot": true,
	"$replaceWith": true, "$sample": true, "$set": true, "$setWindowFields": true, "$sortByCount": true,
	"$unionWith": true, "$unset": true,
}

// Parse parses the stages of an aggregate command, with the command's
// collation and let variables.
func Parse(stages []bson.Raw, opts query.Options) (*Pipeline, error) {
	p := &Pipeline{}
	for i, st := range stages {
		elems, err := st.Elements()
		if err != nil {
			return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
		}
		if len(elems) != 1 {
			return nil, mongoerr.New(mongoerr.Code(40323), "A pipeline stage specification object must contain exactly one field.")
		}
		s := stageSpec{name: elems[0].Key(), arg: elems[0].Value()}
		if err := s.parse(opts); err != nil {
			return nil, err
		}
		if i == 0 && s.name == "$match" {
			p.Filter, p.RawFilter = s.filter, s.arg.Document()
			continue
		}
		p.stages = append(p.stages, s)
	}
	return p, nil
}

func (s *stageSpec) parse(opts query.Options) error {
	var err error
	switch s.name {
	case "$match":
		d, ok := s.arg.DocumentOK()
		if !ok {
			return mongoerr.New(mongoerr.Location15959, "the match filter must be an expression in an object")
		}
		s.filter, err = query.ParseFilterWith(d, opts)
	case "$sort":
		d, ok := s.arg.DocumentOK()
		if !ok || len(d) <= 5 {
			return mongoerr.New(mongoerr.Location15973, "the $sort key specification must be an object")
		}
		s.sort, err = query.ParseSortWith(d, opts.Collator)
	case "$skip", "$limit":
		n, ok := s.arg.AsInt64OK()
		if !ok {
			if f, isF := s.arg.DoubleOK(); isF && f == float64(int64(f)) {
				n, ok = int64(f), true
			}
		}
		if !ok || n < 0 || (s.name == "$limit" && n == 0) {
			return mongoerr.Newf(mongoerr.Location15958, "invalid argument to %s stage: %s", s.name, s.arg)
		}
		s.n = n
	case "$project":
		d, ok := s.arg.DocumentOK()
		if !ok {
			return mongoerr.New(mongoerr.Location15969, "$project specification must be an object")
		}
		if len(d) <= 5 {
			return mongoerr.New(mongoerr.Location51272, "projection specification must have at least one field")
		}
		if err := rejectExpressions(d); err != nil {
			return err
		}
		s.proj, err = query.ParseProjectionWith(d, query.ProjectionOptions{Aggregation: true})
	case "$count":
		f, ok := s.arg.StringValueOK()
		if !ok || f == "" || strings.HasPrefix(f, "$") || strings.Contains(f, ".") {
			return mongoerr.New(mongoerr.Location40156, "the count field must be a non-empty string that does not start with $ or contain a '.'")
		}
		s.field = f
	case "$group":
		s.group, err = parseGroup(s.arg, opts)
	case "$unwind":
		s.unwind, err = parseUnwind(s.arg)
	default:
		if known[s.name] {
			return mongoerr.Newf(mongoerr.NotImplemented, "the %s aggregation stage is not supported by SecantusDB yet", s.name)
		}
		return mongoerr.Newf(mongoerr.Location40324, "Unrecognized pipeline stage name: '%s'", s.name)
	}
	return err
}

// rejectExpressions refuses aggregation expressions in $project until
// the expression evaluator exists: "$a" is a field path there, not the
// string literal it would be in a find projection.
func rejectExpressions(d bson.Raw) error {
	elems, _ := d.Elements()
	for _, e := range elems {
		v := e.Value()
		if s, ok := v.StringValueOK(); ok && strings.HasPrefix(s, "$") {
			return mongoerr.New(mongoerr.NotImplemented, "aggregation expressions in $project are not supported by SecantusDB yet")
		}
		if sub, ok := v.DocumentOK(); ok {
			if err := rejectExpressions(sub); err != nil {
				return err
			}
		}
		switch v.Type {
		case bson.TypeString, bson.TypeArray, bson.TypeEmbeddedDocument, bson.TypeBoolean,
			bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		default:
			return mongoerr.New(mongoerr.NotImplemented, "aggregation expressions in $project are not supported by SecantusDB yet")
		}
	}
	return nil
}

// Build wraps in (the documents of the source collection, already
// filtered by Filter) with the pipeline's stages.
func (p *Pipeline) Build(in exec.Stage, memLimit int64, allowDiskUse bool) exec.Stage {
	st := in
	for i := range p.stages {
		s := &p.stages[i]
		switch s.name {
		case "$match":
			st = &filterStage{in: st, f: s.filter}
		case "$sort":
			limit := int64(0)
			if i+1 < len(p.stages) && p.stages[i+1].name == "$limit" {
				limit = p.stages[i+1].n // top-k sort
			}
			st = &exec.Sort{In: st, Spec: s.sort, Limit: limit, MemLimit: memLimit, AllowDiskUse: allowDiskUse}
		case "$skip":
			st = &exec.Skip{In: st, N: s.n}
		case "$limit":
			st = &exec.Limit{In: st, N: s.n}
		case "$project":
			st = &exec.Project{In: st, Proj: s.proj}
		case "$count":
			st = &countStage{in: st, field: s.field}
		case "$group":
			st = &groupStage{in: st, spec: s.group}
		case "$unwind":
			st = &unwindStage{in: st, spec: s.unwind}
		}
	}
	return st
}

type filterStage struct {
	in exec.Stage
	f  *query.Filter
}

func (f *filterStage) Next(ctx context.Context) (bson.Raw, bool, error) {
	for {
		d, ok, err := f.in.Next(ctx)
		if !ok || err != nil {
			return nil, ok, err
		}
		if ok, err := f.f.MatchesErr(d); err != nil {
			return nil, false, err
		} else if ok {
			return d, true, nil
		}
	}
}

func (f *filterStage) Close() { f.in.Close() }

type countStage struct {
	in    exec.Stage
	field string
	done  bool
}

func (c *countStage) Next(ctx context.Context) (bson.Raw, bool, error) {
	if c.done {
		return nil, false, nil
	}
	c.done = true
	var n int64
	for {
		_, ok, err := c.in.Next(ctx)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			break
		}
		n++
	}
	if n == 0 {
		return nil, false, nil // $count of nothing yields no document
	}
	b := bsoncore.NewDocumentBuilder()
	if n <= 1<<31-1 {
		b.AppendInt32(c.field, int32(n))
	} else {
		b.AppendInt64(c.field, n)
	}
	return bson.Raw(b.Build()), true, nil
}

func (c *countStage) Close() { c.in.Close() }
