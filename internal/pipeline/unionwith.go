package pipeline

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// $unionWith outputs its input, then the documents of another collection
// passed through an optional sub-pipeline: {$unionWith: "coll"} or
// {$unionWith: {coll, pipeline}}; without coll the pipeline must start
// with $documents and reads no collection.

func init() {
	register(map[string]stageDef{"$unionWith": {parse: parseUnionWith}})
}

type unionWithStage struct {
	from foreignNS // coll "": the pipeline starts with $documents
	sub  *Pipeline // nil: the collection as it is
}

func parseUnionWith(_ string, arg bson.RawValue, p *parser) (stage, error) {
	st := &unionWithStage{from: foreignNS{db: p.opts.DB}}
	switch arg.Type {
	case bson.TypeString:
		st.from.coll = arg.StringValue()
	case bson.TypeEmbeddedDocument:
		elems, err := arg.Document().Elements()
		if err != nil {
			return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
		}
		var collV, pipeV bson.RawValue
		for _, e := range elems {
			v := e.Value()
			switch e.Key() {
			case "coll":
				if v.Type != bson.TypeString {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$unionWith.coll' is the wrong type '%s', expected type 'string'", typeName(v))
				}
				collV = v
			case "pipeline":
				arr, ok := v.ArrayOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$unionWith.pipeline' is the wrong type '%s', expected type 'array'", typeName(v))
				}
				vals, _ := arr.Values()
				for i, sv := range vals {
					if sv.Type != bson.TypeEmbeddedDocument {
						return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$unionWith.pipeline.%d' is the wrong type '%s', expected type 'object'", i, typeName(sv))
					}
				}
				pipeV = v
			default:
				return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$unionWith.%s' is an unknown field.", e.Key())
			}
		}
		var specs []bson.Raw
		if pipeV.Type != 0 {
			vals, _ := pipeV.Array().Values()
			for _, sv := range vals {
				specs = append(specs, sv.Document())
			}
		}
		if collV.Type != 0 {
			st.from.coll = collV.StringValue()
		} else if len(specs) == 0 || specs[0].Lookup("$documents").Type == 0 {
			return nil, mongoerr.New(mongoerr.FailedToParse, "$unionWith stage without explicit collection must have a pipeline with $documents as first stage")
		}
		if pipeV.Type != 0 {
			if err := checkNestedStages(specs, mongoerr.Location31441, "%s is not allowed within a $unionWith's sub-pipeline"); err != nil {
				return nil, err
			}
			sub, err := p.subPipeline("pipeline", pipeV, false)
			if err != nil {
				return nil, err
			}
			st.sub = sub
		}
	default:
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "the $unionWith stage specification must be an object or string, but found %s", typeName(arg))
	}
	if (st.from.coll != "" || arg.Type == bson.TypeString) && !validCollectionName(st.from.coll) {
		return nil, mongoerr.Newf(mongoerr.InvalidNamespace, "invalid $unionWith namespace: %s", st.from)
	}
	return st, nil
}

func (s *unionWithStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	if s.from.coll != "" {
		if err := needNamespaces(env, "$unionWith"); err != nil {
			return nil, err
		}
	}
	return &unionWithIter{in: in, st: s, env: env}, nil
}

type unionWithIter struct {
	in      exec.Stage
	st      *unionWithStage
	env     *Env
	sub     exec.Stage // the second branch, once started
	inDone  bool
	subDone bool
}

func (u *unionWithIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	if !u.inDone {
		d, ok, err := u.in.Next(ctx)
		if err != nil || ok {
			return d, ok, err
		}
		u.inDone = true
	}
	if u.subDone {
		return nil, false, nil
	}
	if u.sub == nil {
		var src exec.Stage = &rawDocsIter{}
		if u.st.from.coll != "" {
			var err error
			if src, err = u.env.Namespaces.Open(ctx, u.st.from.db, u.st.from.coll); err != nil {
				return nil, false, err
			}
		}
		u.sub = src
		if u.st.sub != nil {
			st, err := u.st.sub.Build(src, u.env)
			if err != nil {
				u.sub = nil
				return nil, false, err
			}
			u.sub = st
		}
	}
	d, ok, err := u.sub.Next(ctx)
	if !ok && err == nil {
		u.subDone = true
	}
	return d, ok, err
}

func (u *unionWithIter) Close() {
	u.in.Close()
	if u.sub != nil {
		u.sub.Close()
	}
}
