package pipeline

import (
	"context"
	"math"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// $graphLookup searches the foreign collection breadth first: the
// documents whose connectToField matches the startWith value(s), then
// those whose connectToField matches the connectFromField values of the
// documents found, and so on, each document visited once (by _id), up to
// maxDepth; restrictSearchWithMatch filters every step. Each level is the
// query mongod runs, {connectToField: {$in: frontier}}, over the
// collection read once per execution and hashed on connectToField. The
// documents found are stored at as in the order found (mongod's order is
// unspecified).

func init() {
	register(map[string]stageDef{"$graphLookup": {parse: parseGraphLookup}})
}

type graphLookupStage struct {
	from        foreignNS
	as          []string
	startWith   expr.Expr
	connectFrom []string
	connectTo   string
	depthField  []string // nil: none
	maxDepth    int64    // -1: unbounded
	restrict    *query.Filter
	ec          *expr.EvalContext
	qopts       query.Options
}

func parseGraphLookup(_ string, arg bson.RawValue, p *parser) (stage, error) {
	spec, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "the $graphLookup stage specification must be an object, but found %s", typeName(arg))
	}
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	st := &graphLookupStage{maxDepth: -1, ec: p.scope.Eval, qopts: p.opts.Query}
	fromV := spec.Lookup("from")
	if fromV.Type == 0 {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "missing 'from' option to $graphLookup stage specification: %s", bsonx.Format(arg))
	}
	if st.from, err = parseGraphLookupFrom(fromV, p.opts.DB); err != nil {
		return nil, err
	}
	var as, connectFrom, connectTo string
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "startWith":
			if st.startWith, err = p.expr(v); err != nil {
				return nil, err
			}
			continue
		case "maxDepth":
			if st.maxDepth, err = graphMaxDepth(v); err != nil {
				return nil, err
			}
			continue
		case "restrictSearchWithMatch":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.Location40185, "restrictSearchWithMatch must be an object, found %s", typeName(v))
			}
			if st.restrict, err = query.ParseFilterWith(d, p.opts.Query); err != nil {
				if me := mongoerr.As(err); me != nil {
					return nil, mongoerr.Newf(me.Code, "Failed to parse 'restrictSearchWithMatch' option to $graphLookup :: caused by :: %s", me.Message)
				}
				return nil, err
			}
			continue
		case "from", "as", "connectFromField", "depthField", "connectToField":
			if v.Type != bson.TypeString && v.Type != bson.TypeEmbeddedDocument {
				return nil, mongoerr.Newf(mongoerr.Location40103, "expected string as argument for %s, found: %s", e.Key(), typeName(v))
			}
		default:
			return nil, mongoerr.Newf(mongoerr.Location40104, "Unknown argument to $graphLookup: %s", e.Key())
		}
		// mongod reads an object here (allowed for from) as "".
		s, _ := v.StringValueOK()
		switch e.Key() {
		case "as":
			as = s
		case "connectFromField":
			connectFrom = s
		case "connectToField":
			connectTo = s
		case "depthField":
			if st.depthField, err = fieldPathParts(s); err != nil {
				return nil, err
			}
		}
	}
	if as == "" || st.startWith == nil || connectFrom == "" || connectTo == "" {
		return nil, mongoerr.New(mongoerr.Location40105, "$graphLookup requires 'from', 'as', 'startWith', 'connectFromField', and 'connectToField' to be specified.")
	}
	if st.as, err = fieldPathParts(as); err != nil {
		return nil, err
	}
	if st.connectFrom, err = fieldPathParts(connectFrom); err != nil {
		return nil, err
	}
	if _, err = fieldPathParts(connectTo); err != nil {
		return nil, err
	}
	st.connectTo = connectTo
	return st, nil
}

func parseGraphLookupFrom(v bson.RawValue, db string) (foreignNS, error) {
	switch v.Type {
	case bson.TypeString:
		ns := foreignNS{db: db, coll: v.StringValue()}
		if !validCollectionName(ns.coll) {
			return ns, mongoerr.Newf(mongoerr.InvalidNamespace, "invalid $graphLookup namespace: %s", ns)
		}
		return ns, nil
	case bson.TypeEmbeddedDocument:
		ns, err := parseNamespaceSpec("from", v.Document())
		if err != nil {
			return ns, err
		}
		if ns.db != "local" || ns.coll != "system.tenantMigration.oplogView" {
			return ns, mongoerr.Newf(mongoerr.FailedToParse, "$graphLookup with syntax {from: {db:<>, coll:<>},..} is not supported for db: %s and coll: %s", ns.db, ns.coll)
		}
		return ns, nil
	}
	return foreignNS{}, mongoerr.Newf(mongoerr.FailedToParse, "$graphLookup 'from' field must be a string, but found %s", typeName(v))
}

// graphMaxDepth reads maxDepth: a number whose value is a non-negative
// integer.
func graphMaxDepth(v bson.RawValue) (int64, error) {
	var n int64
	var f float64
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		n, _ = v.AsInt64OK()
		f = float64(n)
	case bson.TypeDouble, bson.TypeDecimal128:
		f, _ = numberAsFloat(v)
		switch {
		case math.IsNaN(f):
			n = 0
		case f >= math.MaxInt64:
			n = math.MaxInt64
		case f <= math.MinInt64:
			n = math.MinInt64
		default:
			n = int64(f)
		}
	default:
		return 0, mongoerr.Newf(mongoerr.Location40100, "maxDepth must be numeric, found type: %s", typeName(v))
	}
	if n < 0 {
		return 0, mongoerr.Newf(mongoerr.Location40101, "maxDepth requires a nonnegative argument, found: %d", n)
	}
	if float64(n) != f {
		return 0, mongoerr.Newf(mongoerr.Location40102, "maxDepth could not be represented as a long long: %d", n)
	}
	return n, nil
}

func (s *graphLookupStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	if err := needNamespaces(env, "$graphLookup"); err != nil {
		return nil, err
	}
	k, keyOK := joinKeyer(s.qopts.Collator)
	limit := env.MemLimit
	if limit <= 0 {
		limit = defaultForeignMemLimit
	}
	return &graphLookupIter{in: in, st: s, env: env, fc: newForeignColl(env, s.from), keyFn: k, keyOK: keyOK, limit: limit}, nil
}

type graphLookupIter struct {
	in    exec.Stage
	st    *graphLookupStage
	env   *Env
	fc    *foreignColl
	keyFn joinKeyFunc
	keyOK bool
	limit int64
}

func (it *graphLookupIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	d, ok, err := it.in.Next(ctx)
	if !ok || err != nil {
		return nil, ok, err
	}
	if err := exec.Interrupted(ctx); err != nil {
		return nil, false, err
	}
	found, err := it.search(ctx, d)
	if err != nil {
		return nil, false, err
	}
	arr := bsonx.NewArrayBuilder()
	for _, doc := range found {
		arr.AppendDocument(arr.NextKey(), doc)
	}
	return bsonx.SetPath(d, it.st.as, bson.RawValue{Type: bson.TypeArray, Value: arr.Finish()}), true, nil
}

func (it *graphLookupIter) Close() { it.in.Close() }

// graphFrontier is a set of values under the collation, in insertion order.
type graphFrontier struct {
	keyFn   joinKeyFunc
	keyOK   bool
	keys    map[string]bool
	vals    []bson.RawValue
	missing bool // a missing value was added
	bytes   int64
	coll    query.Collator
}

func (it *graphLookupIter) newFrontier() *graphFrontier {
	return &graphFrontier{keyFn: it.keyFn, keyOK: it.keyOK, keys: map[string]bool{}, coll: it.st.qopts.Collator}
}

func (f *graphFrontier) add(v bson.RawValue) {
	if v.Type == 0 {
		f.missing = true
		return
	}
	if f.keyOK {
		k := string(appendHashKey(nil, v, f.keyFn))
		if f.keys[k] {
			return
		}
		f.keys[k] = true
	} else {
		for _, w := range f.vals {
			if bsonx.CompareWith(v, w, f.coll) == 0 {
				return
			}
		}
	}
	f.vals = append(f.vals, v)
	f.bytes += int64(len(v.Value)) + 16
}

func (f *graphFrontier) empty() bool { return len(f.vals) == 0 && !f.missing }

// search runs the breadth-first search for input document d.
func (it *graphLookupIter) search(ctx context.Context, d bson.Raw) ([]bson.Raw, error) {
	st := it.st
	start, err := st.startWith.Eval(st.ec, d)
	if err != nil {
		return nil, err
	}
	front := it.newFrontier()
	if start.Type == bson.TypeArray {
		vals, _ := bson.Raw(start.Value).Values()
		for _, v := range vals {
			front.add(v)
		}
	} else {
		front.add(start)
	}
	visited := map[string]bool{}
	var found []bson.Raw
	var visitedBytes int64
	for depth := int64(0); !front.empty(); depth++ {
		filter, exact, err := it.levelFilter(front)
		if err != nil {
			return nil, err
		}
		filters := []*query.Filter{filter}
		if st.restrict != nil {
			filters = append(filters, st.restrict)
		}
		docs, err := it.fc.matching(ctx, filters, st.connectTo, front.vals, exact, it.keyFn, it.keyOK)
		if err != nil {
			return nil, err
		}
		next := it.newFrontier()
		more := false
		err = drainInto(ctx, docs, func(doc bson.Raw) error {
			id := doc.Lookup("_id")
			if id.Type == 0 {
				return mongoerr.Newf(mongoerr.Location40271, "Documents in the '%s' namespace must contain an _id for de-duplication in $graphLookup", st.from)
			}
			key := string(appendHashKey(nil, id, nil))
			if visited[key] {
				return nil
			}
			visited[key] = true
			more = true
			if st.depthField != nil {
				doc = bsonx.SetPath(doc, st.depthField, bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, depth)})
			} else {
				doc = append(bson.Raw(nil), doc...)
			}
			visitPathValues(doc, st.connectFrom, next.add)
			found = append(found, doc)
			visitedBytes += int64(len(doc)) + int64(len(id.Value))
			if visitedBytes+next.bytes >= it.limit {
				return mongoerr.New(mongoerr.Location40099, "$graphLookup reached maximum memory consumption")
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if !more || st.maxDepth >= 0 && depth >= st.maxDepth {
			break
		}
		front = next
	}
	return found, nil
}

// levelFilter is mongod's query for one level of the search:
// {connectToField: {$in: frontier}}, and, when the frontier holds null,
// undefined or a missing value (which $in would match with a missing
// field), connectToField must exist and be of the type asked for. exact
// reports that the hash of the collection can serve it.
func (it *graphLookupIter) levelFilter(front *graphFrontier) (*query.Filter, bool, error) {
	path := it.st.connectTo
	in := bsoncore.NewArrayBuilder()
	matchNull, matchUndefined, exact := false, false, true
	for _, v := range front.vals {
		switch v.Type {
		case bson.TypeNull:
			matchNull = true
		case bson.TypeUndefined:
			matchUndefined = true
		case bson.TypeRegex:
			exact = false // $in applies it as a pattern
		}
		in.AppendValue(rawCore(v))
	}
	if matchNull || matchUndefined {
		exact = false
	}
	and := bsoncore.NewArrayBuilder()
	and.AppendDocument(bsoncore.NewDocumentBuilder().AppendDocument(path,
		bsoncore.NewDocumentBuilder().AppendArray("$in", in.Build()).Build()).Build())
	if matchNull || matchUndefined || front.missing {
		and.AppendDocument(bsoncore.NewDocumentBuilder().AppendDocument(path,
			bsoncore.NewDocumentBuilder().AppendBoolean("$exists", true).Build()).Build())
	}
	notType := ""
	switch {
	case matchNull && !matchUndefined:
		notType = "undefined"
	case matchUndefined && !matchNull:
		notType = "null"
	}
	if notType != "" {
		not := bsoncore.NewDocumentBuilder().AppendDocument("$not",
			bsoncore.NewDocumentBuilder().AppendString("$type", notType).Build()).Build()
		and.AppendDocument(bsoncore.NewDocumentBuilder().AppendDocument(path, not).Build())
	}
	spec := bsoncore.NewDocumentBuilder().AppendArray("$and", and.Build()).Build()
	f, err := query.ParseFilterWith(bson.Raw(spec), it.st.qopts)
	return f, exact, err
}
