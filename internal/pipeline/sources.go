package pipeline

import (
	"context"
	"math"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// CollectionStats is what $collStats and $indexStats report about a
// collection, as the server has the numbers.
type CollectionStats struct {
	// Exists is false when the collection does not exist.
	Exists bool
	// Host is the server's "hostname:port".
	Host string
	// Count and Size are the number of documents and their total BSON
	// size.
	Count, Size int64
	// Indexes lists the collection's indexes, the _id index first.
	Indexes []IndexStats
}

// IndexStats describes one index for $collStats and $indexStats.
type IndexStats struct {
	Name string
	Key  bson.Raw
	Spec bson.Raw
	// Size is the index's size in bytes (an estimate).
	Size int64
	// Ops counts the index's uses since Since.
	Ops   int64
	Since time.Time
}

// CurrentOpOptions are the options of $currentOp.
type CurrentOpOptions struct {
	AllUsers, IdleConnections, IdleCursors, IdleSessions, LocalOps bool
}

// LocalSessionsOptions are the options of $listLocalSessions: every
// session (AllUsers), those of the listed users, or (neither) those of
// the user running the command.
type LocalSessionsOptions struct {
	AllUsers bool
	Users    []UserName
}

// UserName names a user: {user, db}.
type UserName struct {
	User, DB string
}

// The source stages: $documents, $collStats, $indexStats, $currentOp
// and $listLocalSessions produce their documents themselves. $documents,
// $currentOp and $listLocalSessions belong to no collection and run in a
// database-level aggregate ({aggregate: 1}); $collStats and $indexStats
// describe the collection aggregated.

func init() {
	register(map[string]stageDef{
		"$documents":         {parse: parseDocuments, flags: flagFirst | flagSource | flagNoFacet},
		"$collStats":         {parse: parseCollStats, flags: flagFirst | flagNoFacet},
		"$indexStats":        {parse: parseIndexStats, flags: flagFirst | flagNoFacet},
		"$currentOp":         {parse: parseCurrentOp, flags: flagFirst | flagSource | flagNoFacet},
		"$listLocalSessions": {parse: parseListLocalSessions, flags: flagFirst | flagSource | flagNoFacet},
	})
}

// collectionless refuses a stage that needs {aggregate: 1} in a
// collection's aggregate; sub-pipelines of $lookup and $unionWith may
// start with one.
func (p *parser) collectionless(name string) error {
	if p.opts.Collection != "" && !p.inLookup {
		return mongoerr.Newf(mongoerr.InvalidNamespace, "'%s' can only be run with {aggregate: 1}", name)
	}
	return nil
}

// sourceStage produces the documents list returns, ignoring its input.
type sourceStage func(ctx context.Context, env *Env) ([]bson.Raw, error)

func (f sourceStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	return &sourceIter{in: in, env: env, list: f}, nil
}

type sourceIter struct {
	in     exec.Stage
	env    *Env
	list   sourceStage
	docs   []bson.Raw
	loaded bool
}

func (s *sourceIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	if !s.loaded {
		s.loaded = true
		docs, err := s.list(ctx, s.env)
		if err != nil {
			return nil, false, err
		}
		s.docs = docs
	}
	if len(s.docs) == 0 {
		return nil, false, nil
	}
	d := s.docs[0]
	s.docs = s.docs[1:]
	return d, true, nil
}

func (s *sourceIter) Close() {
	if s.in != nil {
		s.in.Close()
	}
}

func needNamespaces(env *Env, name string) error {
	if env.Namespaces == nil {
		return mongoerr.Newf(mongoerr.IllegalOperation, "%s cannot run here: the pipeline has no access to the server", name)
	}
	return nil
}

// $documents

func parseDocuments(name string, arg bson.RawValue, p *parser) (stage, error) {
	if err := p.collectionless(name); err != nil {
		return nil, err
	}
	x, err := p.expr(arg)
	if err != nil {
		return nil, err
	}
	ec := p.scope.Eval
	return sourceStage(func(context.Context, *Env) ([]bson.Raw, error) {
		// Evaluated once, against no document, as mongod's desugaring
		// into $queue + $project + $unwind + $replaceRoot does.
		v, err := x.Eval(ec, bson.Raw{5, 0, 0, 0, 0})
		if err != nil {
			return nil, err
		}
		arr, ok := v.ArrayOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.Location5858203, "an array is expected")
		}
		vals, _ := arr.Values()
		docs := make([]bson.Raw, 0, len(vals))
		for _, ev := range vals {
			d, ok := ev.DocumentOK()
			if !ok {
				input := bsoncore.NewDocumentBuilder().AppendValue("_tempDocumentsField", bsoncore.Value{Type: bsoncore.Type(ev.Type), Data: ev.Value}).Build()
				return nil, mongoerr.Newf(mongoerr.Location40228, "'newRoot' expression  must evaluate to an object, but resulting value was: %s. Type of resulting value: '%s'. Input document: %s",
					bsonx.Format(ev), bsonx.TypeName(ev.Type), bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: input}))
			}
			docs = append(docs, d)
		}
		return docs, nil
	}), nil
}

// $collStats

type collStatsStage struct {
	db, coll string
	storage  bool
	scale    int64
	count    bool
	now      bson.DateTime
}

func parseCollStats(_ string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Location40166, "$collStats must take a nested object but found: $collStats: %s", bsonx.Format(arg))
	}
	st := &collStatsStage{db: p.opts.DB, coll: p.opts.Collection, scale: 1, now: p.scope.Eval.Now}
	elems, _ := d.Elements()
	for _, e := range elems {
		v := e.Value()
		sub, ok := v.DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$collStats.%s' is the wrong type '%s', expected type 'object'", e.Key(), typeName(v))
		}
		switch e.Key() {
		case "latencyStats":
			return nil, mongoerr.New(mongoerr.NotImplemented, "$collStats latencyStats is not supported by SecantusDB: operation latencies are not measured per collection yet")
		case "queryExecStats":
			return nil, mongoerr.New(mongoerr.NotImplemented, "$collStats queryExecStats is not supported by SecantusDB: collection scans are not counted per collection yet")
		case "count":
			if fe, _ := sub.Elements(); len(fe) > 0 {
				return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$collStats.count.%s' is an unknown field.", fe[0].Key())
			}
			st.count = true
		case "storageStats":
			st.storage = true
			opts, _ := sub.Elements()
			for _, o := range opts {
				ov := o.Value()
				switch o.Key() {
				case "scale":
					n, ok := integral(ov)
					if !ok {
						return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$collStats.storageStats.scale' is the wrong type '%s', expected types '[long, int, decimal, double]'", typeName(ov))
					}
					if n < 1 {
						return nil, mongoerr.Newf(mongoerr.Location51024, "BSON field 'scale' value must be >= 1, actual value '%d'", n)
					}
					st.scale = n
				case "verbose", "waitForLock", "numericOnly":
					// Without storage-engine details, these change nothing.
					if _, ok := ov.BooleanOK(); !ok {
						return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$collStats.storageStats.%s' is the wrong type '%s', expected type 'bool'", o.Key(), typeName(ov))
					}
				default:
					return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$collStats.storageStats.%s' is an unknown field.", o.Key())
				}
			}
		default:
			return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$collStats.%s' is an unknown field.", e.Key())
		}
	}
	return st, nil
}

// integral reads an integral number (a double must be whole).
func integral(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		return int64(v.Int32()), true
	case bson.TypeInt64:
		return v.Int64(), true
	case bson.TypeDouble:
		f := v.Double()
		if f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// appendNumber appends n as mongod's BSONObjBuilder::appendNumber does:
// an int when it is small enough, a long otherwise.
func appendNumber(b *bsoncore.DocumentBuilder, key string, n int64) {
	if n >= -(1<<30) && n <= 1<<30 {
		b.AppendInt32(key, int32(n))
		return
	}
	b.AppendInt64(key, n)
}

func (c *collStatsStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	return sourceStage(func(ctx context.Context, env *Env) ([]bson.Raw, error) {
		if err := needNamespaces(env, "$collStats"); err != nil {
			return nil, err
		}
		st, err := env.Namespaces.CollectionStats(ctx, c.db, c.coll)
		if err != nil {
			return nil, err
		}
		ns := c.db + "." + c.coll
		notFound := func(what string) error {
			return mongoerr.Newf(mongoerr.NamespaceNotFound, "Unable to retrieve %s in $collStats stage :: caused by :: Collection [%s] not found.", what, ns)
		}
		b := bsoncore.NewDocumentBuilder().
			AppendString("ns", ns).
			AppendString("host", st.Host).
			AppendDateTime("localTime", int64(c.now))
		if c.storage {
			if !st.Exists {
				return nil, notFound("storageStats")
			}
			b.AppendDocument("storageStats", storageStats(st, c.scale))
		}
		if c.count {
			if !st.Exists {
				return nil, notFound("count")
			}
			appendNumber(b, "count", st.Count)
		}
		return []bson.Raw{bson.Raw(b.Build())}, nil
	}).build(in, env)
}

// storageStats is the storageStats document of $collStats, shaped as
// mongod's (without the storage engine's own section).
func storageStats(st CollectionStats, scale int64) bsoncore.Document {
	var ixTotal int64
	sizes := bsoncore.NewDocumentBuilder()
	for _, ix := range st.Indexes {
		ixTotal += ix.Size
		appendNumber(sizes, ix.Name, ix.Size/scale)
	}
	b := bsoncore.NewDocumentBuilder()
	appendNumber(b, "size", st.Size/scale)
	appendNumber(b, "count", st.Count)
	appendNumber(b, "numOrphanDocs", 0)
	if st.Count > 0 {
		b.AppendInt32("avgObjSize", int32(st.Size/st.Count))
	}
	appendNumber(b, "storageSize", st.Size/scale)
	appendNumber(b, "freeStorageSize", 0)
	b.AppendBoolean("capped", false)
	appendNumber(b, "nindexes", int64(len(st.Indexes)))
	b.AppendDocument("indexDetails", bsoncore.NewDocumentBuilder().Build())
	b.AppendArray("indexBuilds", bsoncore.NewArrayBuilder().Build())
	appendNumber(b, "totalIndexSize", ixTotal/scale)
	appendNumber(b, "totalSize", (st.Size+ixTotal)/scale)
	b.AppendDocument("indexSizes", sizes.Build())
	b.AppendInt32("scaleFactor", int32(min(scale, math.MaxInt32)))
	return b.Build()
}

// $indexStats

type indexStatsStage struct{ db, coll string }

func parseIndexStats(_ string, arg bson.RawValue, p *parser) (stage, error) {
	if d, ok := arg.DocumentOK(); !ok || len(d) > 5 {
		return nil, mongoerr.New(mongoerr.Location28803, "The $indexStats stage specification must be an empty object")
	}
	return &indexStatsStage{db: p.opts.DB, coll: p.opts.Collection}, nil
}

func (s *indexStatsStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	return sourceStage(func(ctx context.Context, env *Env) ([]bson.Raw, error) {
		if err := needNamespaces(env, "$indexStats"); err != nil {
			return nil, err
		}
		st, err := env.Namespaces.CollectionStats(ctx, s.db, s.coll)
		if err != nil {
			return nil, err
		}
		var out []bson.Raw
		for _, ix := range st.Indexes {
			acc := bsoncore.NewDocumentBuilder().AppendInt64("ops", ix.Ops).
				AppendDateTime("since", ix.Since.UnixMilli()).Build()
			out = append(out, bson.Raw(bsoncore.NewDocumentBuilder().
				AppendString("name", ix.Name).
				AppendDocument("key", ix.Key).
				AppendString("host", st.Host).
				AppendDocument("accesses", acc).
				AppendDocument("spec", ix.Spec).Build()))
		}
		return out, nil
	}).build(in, env)
}

// $currentOp

func parseCurrentOp(name string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "$currentOp options must be specified in an object, but found: %s", typeName(arg))
	}
	if p.opts.DB != "admin" || p.opts.Collection != "" {
		return nil, mongoerr.New(mongoerr.InvalidNamespace, "$currentOp must be run against the 'admin' database with {aggregate: 1}")
	}
	opts := CurrentOpOptions{IdleSessions: true}
	elems, _ := d.Elements()
	for _, e := range elems {
		b, ok := e.Value().BooleanOK()
		k := e.Key()
		switch k {
		case "allUsers", "idleConnections", "idleCursors", "idleSessions", "localOps", "truncateOps", "backtrace", "targetAllNodes":
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Unrecognized option '%s' in $currentOp stage.", k)
		}
		if !ok {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "The '%s' parameter of the $currentOp stage must be a boolean value, but found: %s", k, typeName(e.Value()))
		}
		switch k {
		case "allUsers":
			opts.AllUsers = b
		case "idleSessions":
			opts.IdleSessions = b
		case "localOps":
			opts.LocalOps = b
		case "idleConnections", "idleCursors", "truncateOps", "backtrace", "targetAllNodes":
			if b {
				return nil, mongoerr.Newf(mongoerr.NotImplemented, "$currentOp %s is not supported by SecantusDB yet", k)
			}
		}
	}
	return sourceStage(func(ctx context.Context, env *Env) ([]bson.Raw, error) {
		if err := needNamespaces(env, name); err != nil {
			return nil, err
		}
		return env.Namespaces.CurrentOp(ctx, opts)
	}), nil
}

// $listLocalSessions

func parseListLocalSessions(name string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.UnsupportedFormat, "$listLocalSessions options must be specified in an object, but found: %s", typeName(arg))
	}
	if p.opts.Collection != "" {
		return nil, mongoerr.New(mongoerr.InvalidNamespace, "$listLocalSessions must be run against the database with {aggregate: 1}, not a collection")
	}
	var opts LocalSessionsOptions
	elems, _ := d.Elements()
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "allUsers":
			b, ok := v.BooleanOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$listLocalSessions.allUsers' is the wrong type '%s', expected type 'bool'", typeName(v))
			}
			opts.AllUsers = b
		case "users":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$listLocalSessions.users' is the wrong type '%s', expected type 'array'", typeName(v))
			}
			vals, _ := arr.Values()
			for i, uv := range vals {
				ud, ok := uv.DocumentOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$listLocalSessions.users.%d' is the wrong type '%s', expected type 'object'", i, typeName(uv))
				}
				var u UserName
				for _, f := range []string{"user", "db"} {
					fv := ud.Lookup(f)
					s, ok := fv.StringValueOK()
					if fv.Type == 0 {
						return nil, mongoerr.Newf(mongoerr.Location40414, "BSON field 'ListSessionsUser.%s' is missing but a required field", f)
					}
					if !ok {
						return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field 'ListSessionsUser.%s' is the wrong type '%s', expected type 'string'", f, typeName(fv))
					}
					if f == "user" {
						u.User = s
					} else {
						u.DB = s
					}
				}
				opts.Users = append(opts.Users, u)
			}
		default:
			return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$listLocalSessions.%s' is an unknown field.", e.Key())
		}
	}
	if opts.AllUsers && len(opts.Users) > 0 {
		return nil, mongoerr.New(mongoerr.UnsupportedFormat, "$listLocalSessions may not specify {allUsers:true} and {users:[...]} at the same time")
	}
	return sourceStage(func(ctx context.Context, env *Env) ([]bson.Raw, error) {
		if err := needNamespaces(env, name); err != nil {
			return nil, err
		}
		return env.Namespaces.LocalSessions(ctx, opts)
	}), nil
}
