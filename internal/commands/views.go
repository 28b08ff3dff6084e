package commands

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/collation"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/pipeline"
	"github.com/secantusdb/secantus/internal/query"
)

// Read-only views: a catalog entry whose options hold viewOn (the
// collection or view it reads) and pipeline. Reads of a view run its
// pipeline over the collection at the bottom of the chain, then the
// operation's own filter, sort, skip, limit and projection; writes are
// refused with CommandNotSupportedOnView.

// maxViewDepth is mongod's limit on a chain of views.
const maxViewDepth = 20

// viewOf returns the definition of c when it is a view.
func viewOf(c *catalog.Collection) (viewOn string, stages []bson.Raw, ok bool) {
	if c == nil {
		return "", nil, false
	}
	on, ok := c.Options().Lookup("viewOn").StringValueOK()
	if !ok {
		return "", nil, false
	}
	if arr, isArr := c.Options().Lookup("pipeline").ArrayOK(); isArr {
		vals, _ := arr.Values()
		for _, v := range vals {
			if d, isDoc := v.DocumentOK(); isDoc {
				stages = append(stages, d)
			}
		}
	}
	return on, stages, true
}

// isView reports whether db.name is a view.
func (s *Service) isView(db, name string) bool {
	s.Catalog.RLock()
	defer s.Catalog.RUnlock()
	_, _, ok := viewOf(s.Catalog.Lookup(db, name))
	return ok
}

// viewNotCollection is the error of an operation a view does not allow.
func viewNotCollection(db, name string) error {
	return mongoerr.Newf(mongoerr.CommandNotSupportedOnView, "Namespace %s.%s is a view, not a collection", db, name)
}

// resolveView follows db.name through views down to a collection: the
// collection's name and the stages to run over it (the innermost view's
// first). isView is false when db.name is not a view.
func (s *Service) resolveView(db, name string) (backing string, stages []bson.Raw, isView bool, err error) {
	s.Catalog.RLock()
	defer s.Catalog.RUnlock()
	cur := name
	var chain [][]bson.Raw
	for depth := 0; ; depth++ {
		on, st, ok := viewOf(s.Catalog.Lookup(db, cur))
		if !ok {
			break
		}
		if depth >= maxViewDepth {
			return "", nil, false, mongoerr.Newf(mongoerr.ViewDepthLimitExceeded, "View depth too deep or view cycle detected. Maximum depth is %d", maxViewDepth)
		}
		chain = append(chain, st)
		cur = on
	}
	for i := len(chain) - 1; i >= 0; i-- {
		stages = append(stages, chain[i]...)
	}
	return cur, stages, len(chain) > 0, nil
}

// openView returns the documents of view db.name: its resolved pipeline
// run over the collection under it.
func (s *Service) openView(ctx context.Context, db, name string, opts query.Options, allowDiskUse bool) (exec.Stage, error) {
	backing, stages, _, err := s.resolveView(db, name)
	if err != nil {
		return nil, err
	}
	return s.openPipeline(ctx, db, backing, stages, opts, allowDiskUse)
}

// openPipeline runs stages over the collection db.name.
func (s *Service) openPipeline(ctx context.Context, db, name string, stages []bson.Raw, opts query.Options, allowDiskUse bool) (exec.Stage, error) {
	p, err := pipeline.Parse(stages, pipeline.Options{Query: opts, DB: db, Collection: name})
	if err != nil {
		return nil, err
	}
	tx, coll := s.readTxn(db, name)
	return p.Build(exec.BuildFind(tx, coll, p.FindSpec()), s.pipelineEnv(allowDiskUse))
}

// readSource opens what a find, count or distinct on db.name reads: a
// plan over the collection, or, for a view, the view's documents with
// spec applied over them. Options a view cannot honour are refused.
func (s *Service) readSource(ctx context.Context, req *Request, db, name string, spec exec.FindSpec, opts query.Options) (exec.Stage, *catalog.Collection, error) {
	tx, coll := s.readTxn(db, name)
	if _, _, ok := viewOf(coll); !ok {
		if err := checkHint(coll, req.Arg("hint")); err != nil {
			tx.Rollback()
			return nil, nil, err
		}
		return exec.BuildFind(tx, coll, spec), coll, nil
	}
	tx.Rollback()
	if spec.ShowRecordID || spec.ReturnKey {
		return nil, nil, mongoerr.New(mongoerr.InvalidPipelineOperator, "showRecordId and returnKey are not supported on a view")
	}
	if h := req.Arg("hint"); h.Type != 0 {
		return nil, nil, mongoerr.Newf(mongoerr.OptionNotSupportedOnView, "hint not supported on a view")
	}
	src, err := s.openView(ctx, db, name, opts, spec.AllowDiskUse)
	if err != nil {
		return nil, nil, err
	}
	return exec.BuildOver(src, spec), coll, nil
}

// createView is create with viewOn: the definition is checked (the
// pipeline must parse and may not write) and stored.
func (s *Service) createView(req *Request, name string) error {
	var viewOn string
	pipelineVal := bson.RawValue{Type: bson.TypeArray, Value: bsoncore.NewArrayBuilder().Build()}
	var coll bson.RawValue
	elems, _ := req.Body.Elements()
	for i, e := range elems {
		k := e.Key()
		if i == 0 || genericArgs[k] {
			continue
		}
		switch k {
		case "viewOn":
			on, ok := e.Value().StringValueOK()
			if !ok {
				return typeMismatch("create.viewOn", "string", e.Value())
			}
			if on == "" {
				return mongoerr.New(mongoerr.BadValue, "'viewOn' cannot be empty")
			}
			viewOn = on
		case "pipeline":
			if e.Value().Type != bson.TypeArray {
				return typeMismatch("create.pipeline", "array", e.Value())
			}
			pipelineVal = e.Value()
		case "collation":
			if _, ok := e.Value().DocumentOK(); !ok {
				return typeMismatch("create.collation", "object", e.Value())
			}
			coll = e.Value()
		default:
			return mongoerr.Newf(mongoerr.InvalidOptions, "option not supported on a view: %s", k)
		}
	}
	if viewOn == "" {
		return mongoerr.New(mongoerr.BadValue, "'pipeline' requires 'viewOn' to also be specified")
	}
	vals, _ := pipelineVal.Array().Values()
	stages := make([]bson.Raw, 0, len(vals))
	for _, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return mongoerr.New(mongoerr.TypeMismatch, "Each element of the 'pipeline' array must be an object")
		}
		stages = append(stages, d)
	}
	opts, err := queryOptions(req, "create.collation", coll)
	if err != nil {
		return err
	}
	p, err := pipeline.Parse(stages, pipeline.Options{Query: opts, DB: req.DB, Collection: viewOn})
	if err != nil {
		return err
	}
	if p.Writes() {
		return mongoerr.New(mongoerr.OptionNotSupportedOnView, "$out and $merge cannot be used in a view definition")
	}
	b := bsoncore.NewDocumentBuilder().AppendString("viewOn", viewOn).
		AppendArray("pipeline", pipelineVal.Value)
	if opts.Collator != nil {
		if c, ok := opts.Collator.(*collation.Collation); ok && c != nil {
			// Stored resolved, as listCollections reports it.
			b.AppendDocument("collation", c.Spec())
		}
	}
	raw := bson.Raw(b.Build())
	s.Catalog.RLock()
	existing := s.Catalog.Lookup(req.DB, name)
	s.Catalog.RUnlock()
	if existing != nil {
		if string(existing.Options()) == string(raw) {
			return nil
		}
		return mongoerr.Newf(mongoerr.NamespaceExists, "Namespace %s.%s already exists", req.DB, name)
	}
	_, err = s.Catalog.Create(req.DB, name, catalog.CreateOptions{Raw: raw}, false)
	return err
}
