package pipeline

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// $out replaces a collection with the results of the pipeline: the
// server writes them to a temporary collection that copies the target's
// options and indexes, and renames it over the target once every
// document is in, so that readers see the old contents or the new ones
// and a failed $out (a duplicate _id, a validation error) leaves the
// target as it was.

func init() {
	register(map[string]stageDef{
		"$out": {parse: parseOut, flags: flagLast | flagWrites | flagNoFacet | flagNoLookup},
	})
}

type outStage struct {
	db, coll string
}

func parseOut(_ string, arg bson.RawValue, p *parser) (stage, error) {
	st := &outStage{db: p.opts.DB}
	switch arg.Type {
	case bson.TypeString:
		st.coll = arg.StringValue()
	case bson.TypeEmbeddedDocument:
		elems, _ := arg.Document().Elements()
		var haveDB, haveColl bool
		for _, e := range elems {
			v := e.Value()
			switch e.Key() {
			case "db", "coll":
				s, ok := v.StringValueOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$out.%s' is the wrong type '%s', expected type 'string'", e.Key(), typeName(v))
				}
				if e.Key() == "db" {
					st.db, haveDB = s, true
				} else {
					st.coll, haveColl = s, true
				}
			case "timeseries":
				return nil, mongoerr.New(mongoerr.NotImplemented, "$out to a time-series collection is not supported by SecantusDB: time-series collections do not exist yet")
			default:
				return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$out.%s' is an unknown field.", e.Key())
			}
		}
		if !haveDB {
			return nil, mongoerr.New(mongoerr.Location40414, "BSON field '$out.db' is missing but a required field")
		}
		if !haveColl {
			return nil, mongoerr.New(mongoerr.Location40414, "BSON field '$out.coll' is missing but a required field")
		}
	default:
		return nil, mongoerr.Newf(mongoerr.Location16990, "$out only supports a string or object argument, but found %s", typeName(arg))
	}
	if !validTargetNamespace(st.db, st.coll) {
		return nil, mongoerr.Newf(mongoerr.InvalidNamespace, "Invalid $out target namespace, %s.%s", st.db, st.coll)
	}
	if strings.HasPrefix(st.coll, "system.") {
		return nil, mongoerr.Newf(mongoerr.Location17385, "Can't $out to special collection: %s", st.coll)
	}
	if internalDB(st.db) {
		return nil, mongoerr.Newf(mongoerr.Location31321, "Can't $out to internal database: %s", st.db)
	}
	return st, nil
}

// validTargetNamespace is mongod's NamespaceString::isValid for the
// target of $out and $merge.
func validTargetNamespace(db, coll string) bool { return catalog.ValidateCollection(db, coll) == nil }

// internalDB reports the databases mongod keeps for itself, which $out
// and $merge may not write.
func internalDB(db string) bool { return db == "admin" || db == "config" || db == "local" }

func (o *outStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	if env.Namespaces == nil {
		in.Close()
		return nil, mongoerr.New(mongoerr.IllegalOperation, "$out cannot write here: the pipeline has no access to collections")
	}
	return &writeIter{in: in, run: func(ctx context.Context) error {
		return env.Namespaces.ReplaceCollection(ctx, o.db, o.coll, in, env.Write)
	}}, nil
}

// writeIter runs a writing stage on the first Next and then reports the
// end of the stream: $out and $merge return no documents.
type writeIter struct {
	in   exec.Stage
	run  func(ctx context.Context) error
	done bool
}

func (w *writeIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	if w.done {
		return nil, false, nil
	}
	w.done = true
	return nil, false, w.run(ctx)
}

func (w *writeIter) Close() { w.in.Close() }
