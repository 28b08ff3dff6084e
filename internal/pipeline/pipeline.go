// Package pipeline parses and runs aggregation pipelines. A pipeline is
// a list of stages; each stage parses its specification once (its
// expressions with the command's expression scope) and, when the
// pipeline runs, wraps the stream of documents coming from the stage
// before it in an exec.Stage: pull iterators over raw BSON, so that a
// pipeline over a large collection streams unless a stage must block
// ($sort, $group, …), and blocking stages account for their memory and
// spill to disk when allowed.
//
// Stages live in a table (register): adding one is a parse function in
// the file of its family, registered with the constraints mongod puts on
// where it may appear.
package pipeline

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// Options say how a pipeline is parsed.
type Options struct {
	// Query holds the collation and the expression scope (the command's
	// let variables and $$NOW) that every stage parses its expressions
	// in. A nil Scope is replaced by an empty one.
	Query query.Options
	// DB is the database the command runs in: $lookup, $unionWith,
	// $out and $merge name collections in it.
	DB string
	// Collection is the collection aggregated; "" for a database-level
	// aggregate ({aggregate: 1}), whose first stage must be one that
	// produces documents on its own.
	Collection string
	// Update restricts the pipeline to the stages an update may use.
	Update bool
}

// Pipeline is a parsed pipeline.
type Pipeline struct {
	stages []stageSpec
	// Filter is a leading $match (nil when there is none), which the
	// caller pushes into the scan that feeds the pipeline; RawFilter is
	// its document.
	Filter    *query.Filter
	RawFilter bson.Raw
	scope     *expr.Scope
}

// stageSpec is one parsed stage.
type stageSpec struct {
	name string
	arg  bson.RawValue
	st   stage
}

// stage is a parsed stage.
type stage interface {
	// build wraps in, the documents flowing into the stage, in the
	// stage's iterator.
	build(in exec.Stage, env *Env) (exec.Stage, error)
}

// Env is what a running pipeline reaches besides its input.
type Env struct {
	// MemLimit bounds the memory of each blocking stage (mongod's
	// 100 MiB internalQueryMaxBlockingSortMemoryUsageBytes and
	// friends); AllowDiskUse lets such a stage spill to TempDir instead
	// of failing with QueryExceededMemoryLimitNoDiskUseAllowed.
	MemLimit     int64
	AllowDiskUse bool
	// TempDir is where spills go ("" means os.TempDir()).
	TempDir string
	// Namespaces reads and writes other collections; nil when the
	// pipeline has no access to any (then stages that need it fail).
	Namespaces Namespaces
	// Write holds the settings of the command for the stages that write
	// ($out, $merge).
	Write WriteOptions
}

// Namespaces is the pipeline's access to the collections of the server,
// provided by the command that runs it. Reads see the command's
// snapshot.
type Namespaces interface {
	// Open returns the documents of db.coll in natural order (through
	// the view's pipeline when coll is a view); a collection that does
	// not exist has no documents.
	Open(ctx context.Context, db, coll string) (exec.Stage, error)

	// ReplaceCollection replaces db.coll with the documents of src, as
	// $out does: they are written to a temporary collection with the
	// target's options and indexes, which is then renamed over the
	// target; on an error (a duplicate _id, a validation failure) the
	// target is left unchanged.
	ReplaceCollection(ctx context.Context, db, coll string, src exec.Stage, opts WriteOptions) error
	// Insert inserts doc into db.coll (created when missing) through
	// the server's insert path: a duplicate _id is error 11000.
	Insert(ctx context.Context, db, coll string, doc bson.Raw, opts WriteOptions) error
	// Merge finds the document of db.coll whose _id is id and calls
	// decide with it (nil when there is none); the document decide
	// returns replaces the current one, or is inserted when there was
	// none (the collection is created then); nil leaves the collection
	// unchanged. Validation and unique indexes apply as to updates.
	Merge(ctx context.Context, db, coll string, id bson.RawValue, opts WriteOptions, decide func(current bson.Raw) (bson.Raw, error)) error

	// CollectionStats reports db.coll's counters ($collStats,
	// $indexStats).
	CollectionStats(ctx context.Context, db, coll string) (CollectionStats, error)
	// CurrentOp lists the operations in progress ($currentOp).
	CurrentOp(ctx context.Context, opts CurrentOpOptions) ([]bson.Raw, error)
	// LocalSessions lists the sessions the server holds in memory
	// ($listLocalSessions).
	LocalSessions(ctx context.Context, opts LocalSessionsOptions) ([]bson.Raw, error)
}

// stage placement constraints, as mongod's StageConstraints.
type stageFlags uint16

const (
	// flagFirst: the stage must be the first of its pipeline.
	flagFirst stageFlags = 1 << iota
	// flagLast: the stage must be the last of its pipeline ($out, $merge).
	flagLast
	// flagSource: the stage produces documents without an input, and so
	// may start a database-level aggregate.
	flagSource
	// flagNoFacet: not allowed inside $facet.
	flagNoFacet
	// flagNoLookup: not allowed inside a $lookup or $unionWith
	// sub-pipeline.
	flagNoLookup
	// flagUpdate: allowed in a pipeline-style update.
	flagUpdate
	// flagWrites: the stage writes ($out, $merge).
	flagWrites
)

// stageDef is one entry of the stage table.
type stageDef struct {
	parse func(name string, arg bson.RawValue, p *parser) (stage, error)
	flags stageFlags
}

var stages = map[string]stageDef{}

// register adds stages to the table; each family's file calls it from
// init.
func register(defs map[string]stageDef) {
	for name, d := range defs {
		if _, dup := stages[name]; dup {
			panic("pipeline: stage registered twice: " + name)
		}
		stages[name] = d
	}
}

// knownElsewhere names the stages mongod has that SecantusDB refuses with
// an explicit error instead of "unrecognized".
var knownElsewhere = map[string]string{
	"$changeStream":                "change streams are not supported by SecantusDB yet",
	"$changeStreamSplitLargeEvent": "change streams are not supported by SecantusDB yet",
	"$geoNear":                     "geospatial queries are not supported by SecantusDB yet",
	"$search":                      "$search is only available on MongoDB Atlas",
	"$searchMeta":                  "$searchMeta is only available on MongoDB Atlas",
	"$vectorSearch":                "$vectorSearch is only available on MongoDB Atlas",
	"$listSearchIndexes":           "search indexes are only available on MongoDB Atlas",
	"$listSessions":                "$listSessions requires the config.system.sessions collection, which SecantusDB does not keep",
	"$listSampledQueries":          "query sampling is not supported by SecantusDB",
	"$querySettings":               "query settings are not supported by SecantusDB",
	"$shardedDataDistribution":     "sharding is not supported by SecantusDB",
	"$planCacheStats":              "there is no plan cache yet",
}

// parser is the state of parsing one pipeline and its sub-pipelines.
type parser struct {
	opts  Options
	scope *expr.Scope
	// where the pipeline being parsed sits: inside $facet, inside a
	// $lookup / $unionWith sub-pipeline; depth counts nesting.
	inFacet, inLookup bool
	depth             int
}

// maxSubPipelineDepth is mongod's internalMaxSubPipelineViewDepth (20).
const maxSubPipelineDepth = 20

// Parse parses the stages of a pipeline.
func Parse(specs []bson.Raw, opts Options) (*Pipeline, error) {
	scope := opts.Query.Scope
	if scope == nil {
		var err error
		if scope, err = expr.NewScope(nil, opts.Query.Collator); err != nil {
			return nil, err
		}
		opts.Query.Scope = scope
	}
	p := &parser{opts: opts, scope: scope}
	pl, err := p.parsePipeline(specs)
	if err != nil {
		return nil, err
	}
	if opts.Collection == "" && !opts.Update {
		if len(pl.stages) == 0 && pl.Filter == nil {
			return nil, mongoerr.New(mongoerr.InvalidNamespace, "{aggregate: 1} is not valid for an empty pipeline.")
		}
		if pl.Filter != nil || stages[pl.stages[0].name].flags&flagSource == 0 {
			name := "$match"
			if pl.Filter == nil {
				name = pl.stages[0].name
			}
			return nil, mongoerr.Newf(mongoerr.InvalidNamespace, "{aggregate: 1} is not valid for '%s'; a collection is required.", name)
		}
	}
	return pl, nil
}

// parsePipeline parses a (sub-)pipeline in p's current context.
func (p *parser) parsePipeline(specs []bson.Raw) (*Pipeline, error) {
	pl := &Pipeline{scope: p.scope}
	for i, spec := range specs {
		elems, err := spec.Elements()
		if err != nil {
			return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
		}
		if len(elems) != 1 {
			return nil, mongoerr.New(mongoerr.Location40323, "A pipeline stage specification object must contain exactly one field.")
		}
		name, arg := elems[0].Key(), elems[0].Value()
		def, ok := stages[name]
		if !ok {
			if msg, known := knownElsewhere[name]; known {
				if p.opts.Update {
					return nil, mongoerr.Newf(mongoerr.InvalidOptions, "%s is not allowed to be used within an update", name)
				}
				return nil, mongoerr.New(mongoerr.NotImplemented, msg)
			}
			return nil, mongoerr.Newf(mongoerr.Location40324, "Unrecognized pipeline stage name: '%s'", name)
		}
		if err := p.checkPlacement(name, def.flags, i, len(specs)); err != nil {
			return nil, err
		}
		st, err := def.parse(name, arg, p)
		if err != nil {
			return nil, err
		}
		if i == 0 && name == "$match" && p.depth == 0 && !p.opts.Update {
			m := st.(*matchStage)
			pl.Filter, pl.RawFilter = m.filter, m.raw
			continue
		}
		pl.stages = append(pl.stages, stageSpec{name: name, arg: arg, st: st})
	}
	pl.optimize()
	return pl, nil
}

func (p *parser) checkPlacement(name string, f stageFlags, i, n int) error {
	switch {
	case p.opts.Update && f&flagUpdate == 0:
		return mongoerr.Newf(mongoerr.InvalidOptions, "%s is not allowed to be used within an update", name)
	case f&flagFirst != 0 && i != 0:
		return mongoerr.Newf(mongoerr.Location40602, "%s is only valid as the first stage in a pipeline", name)
	case f&flagLast != 0 && i != n-1:
		return mongoerr.Newf(mongoerr.Location40601, "%s can only be the final stage in the pipeline", name)
	case f&flagNoFacet != 0 && p.inFacet:
		return mongoerr.Newf(mongoerr.Location40600, "%s is not allowed to be used within a $facet stage", name)
	case f&flagNoLookup != 0 && p.inLookup:
		return mongoerr.Newf(mongoerr.Location51047, "%s is not allowed within a $lookup's sub-pipeline", name)
	}
	return nil
}

// subPipeline parses the pipeline argument of $lookup, $unionWith or
// $facet (field names the argument in errors). Variables the caller
// defined in p.scope before the call are visible in it.
func (p *parser) subPipeline(field string, v bson.RawValue, facet bool) (*Pipeline, error) {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.TypeMismatch, "%s must be an array of stages, found %s", field, typeName(v))
	}
	vals, _ := arr.Values()
	specs := make([]bson.Raw, 0, len(vals))
	for _, sv := range vals {
		d, ok := sv.DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.TypeMismatch, "Each element of the '%s' array must be an object", field)
		}
		specs = append(specs, d)
	}
	if p.depth >= maxSubPipelineDepth {
		return nil, mongoerr.Newf(mongoerr.MaxSubPipelineDepthExceeded, "Maximum number of nested sub-pipelines exceeded. Limit is %d", maxSubPipelineDepth)
	}
	sub := *p
	sub.depth++
	if facet {
		sub.inFacet = true
	} else {
		sub.inLookup = true
	}
	return sub.parsePipeline(specs)
}

// expr parses an expression in the pipeline's scope.
func (p *parser) expr(v bson.RawValue) (expr.Expr, error) { return expr.Parse(v, p.scope.Parse) }

// optimize rewrites adjacent stages as mongod's pipeline optimizer does
// where it changes cost, not results: a $sort followed by a $limit keeps
// only the top k.
func (pl *Pipeline) optimize() {
	for i := 0; i+1 < len(pl.stages); i++ {
		if s, ok := pl.stages[i].st.(*sortStage); ok {
			if l, ok := pl.stages[i+1].st.(*limitStage); ok && (s.limit == 0 || l.n < s.limit) {
				s.limit = l.n
			}
		}
	}
}

// Stages returns the names of the stages, in order (the pushed-down
// leading $match not included).
func (pl *Pipeline) Stages() []string {
	names := make([]string, len(pl.stages))
	for i, s := range pl.stages {
		names[i] = s.name
	}
	return names
}

// Writes reports whether the pipeline ends in $out or $merge.
func (pl *Pipeline) Writes() bool {
	return len(pl.stages) > 0 && stages[pl.stages[len(pl.stages)-1].name].flags&flagWrites != 0
}

// EvalContext is the evaluation context the pipeline's expressions run
// with (its let variables, $$NOW, collation).
func (pl *Pipeline) EvalContext() *expr.EvalContext { return pl.scope.Eval }

// Build wraps in (the documents of the aggregated collection, already
// filtered by Filter; ignored by a pipeline that starts with a source
// stage) in the pipeline's stages.
func (pl *Pipeline) Build(in exec.Stage, env *Env) (exec.Stage, error) {
	if env == nil {
		env = &Env{}
	}
	st := in
	for _, s := range pl.stages {
		next, err := s.st.build(st, env)
		if err != nil {
			st.Close()
			return nil, err
		}
		st = next
	}
	return st, nil
}

func typeName(v bson.RawValue) string {
	if v.Type == 0 {
		return "missing"
	}
	return bsonx.TypeName(v.Type)
}
