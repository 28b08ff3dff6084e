package commands

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/pipeline"
	"github.com/secantusdb/secantus/internal/query"
)

func init() {
	register(&Command{Name: "aggregate", Handler: aggregateCmd, Help: "run an aggregation pipeline"})
}

func aggregateCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "pipeline", "explain", "allowDiskUse", "cursor", "bypassDocumentValidation",
		"collation", "hint", "let", "collectionUUID", "isMapReduceCommand"); err != nil {
		return err
	}
	start := time.Now()
	// {aggregate: 1} aggregates no collection: its pipeline starts with
	// a stage that makes its own documents.
	dbLevel, err := aggregatesDatabase(req)
	if err != nil {
		return err
	}
	name := ""
	if !dbLevel {
		if name, err = collectionArg(req); err != nil {
			return err
		}
	}
	v, err := req.Body.LookupErr("pipeline")
	if err != nil {
		return mongoerr.New(mongoerr.Location40414, "BSON field 'aggregate.pipeline' is missing but a required field")
	}
	arr, ok := v.ArrayOK()
	if !ok {
		return typeMismatch("aggregate.pipeline", "array", v)
	}
	vals, _ := arr.Values()
	stages := make([]bson.Raw, 0, len(vals))
	for _, sv := range vals {
		d, ok := sv.DocumentOK()
		if !ok {
			return mongoerr.New(mongoerr.TypeMismatch, "Each element of the 'pipeline' array must be an object")
		}
		stages = append(stages, d)
	}
	if explain, err := boolArg(req, "explain"); err != nil {
		return err
	} else if explain {
		return rejectUnsupported(req, "explain")
	}
	opts, err := queryOptions(req, "aggregate.collation", req.Arg("collation"))
	if err != nil {
		return err
	}
	if req.Arg("cursor").Type == 0 {
		return mongoerr.New(mongoerr.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument")
	}
	batchSize, err := cursorBatchSize(req)
	if err != nil {
		return err
	}
	allowDiskUse, err := boolArg(req, "allowDiskUse")
	if err != nil {
		return err
	}
	// A view runs its pipeline first, over the collection under it.
	source := name
	if dbLevel {
		if err := catalog.ValidateDB(req.DB); err != nil {
			return err
		}
	} else if backing, viewStages, isView, err := s.resolveView(req.DB, name); err != nil {
		return err
	} else if isView {
		source, stages = backing, append(viewStages, stages...)
	}
	p, err := pipeline.Parse(stages, pipeline.Options{Query: opts, DB: req.DB, Collection: source})
	if err != nil {
		return err
	}
	env := s.pipelineEnv(allowDiskUse)
	env.Namespaces = aggNamespaces{namespaces: namespaces{s}, req: req, start: start, opid: s.opCounter.Add(1)}
	if p.Writes() {
		if env.Write, err = aggregateWriteOptions(req, p); err != nil {
			return err
		}
	}
	if dbLevel {
		st, err := p.Build(&sliceSource{}, env)
		if err != nil {
			return err
		}
		return s.aggregateReply(ctx, req, req.DB+".$cmd.aggregate", st, p.Writes(), batchSize, reply)
	}
	tx, coll := s.readTxn(req.DB, source)
	if err := checkHint(coll, req.Arg("hint")); err != nil {
		tx.Rollback()
		return err
	}
	src := exec.BuildFind(tx, coll, p.FindSpec())
	st, err := p.Build(src, env)
	if err != nil {
		return err
	}
	return s.aggregateReply(ctx, req, req.DB+"."+name, st, p.Writes(), batchSize, reply)
}

// pipelineEnv is what the pipelines of a command reach at run time.
func (s *Service) pipelineEnv(allowDiskUse bool) *pipeline.Env {
	return &pipeline.Env{
		MemLimit:     s.Params.SortMemoryLimit(),
		AllowDiskUse: allowDiskUse,
		TempDir:      s.TempDir(),
		Namespaces:   namespaces{s},
	}
}

// namespaces gives pipelines read access to the server's collections.
type namespaces struct{ s *Service }

// Open implements pipeline.Namespaces: each call reads a fresh snapshot.
func (n namespaces) Open(ctx context.Context, db, coll string) (exec.Stage, error) {
	if n.s.isView(db, coll) {
		// A view read by another pipeline uses the simple collation.
		return n.s.openView(ctx, db, coll, query.Options{}, true)
	}
	tx, c := n.s.readTxn(db, coll)
	return exec.BuildFind(tx, c, exec.FindSpec{}), nil
}
