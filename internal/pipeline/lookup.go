package pipeline

import (
	"context"
	"encoding/binary"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/keystring"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// $lookup joins each input document with documents of another
// collection, in one of three forms:
//
//   - equality: {from, localField, foreignField, as}: the foreign
//     documents whose foreignField equals a value of localField, with
//     mongod's query semantics (a local array joins on each of its
//     elements, a foreign array matches by element, null or missing
//     joins with null or missing);
//   - pipeline: {from?, let?, pipeline, as}: the output of a
//     sub-pipeline run over the foreign collection for each input
//     document, the let variables bound to values computed from it;
//   - both: the equality join first, then the pipeline over the
//     documents it selected.
//
// The result is an array stored at as. Like mongod, each join is a query
// {foreignField: {$eq | $in: local values}} over the foreign collection;
// SecantusDB reads the collection once per execution and, when it fits
// the memory limit, hashes it on foreignField, so that each input
// document only tests the candidates its values select.

func init() {
	register(map[string]stageDef{"$lookup": {parse: parseLookup}})
}

// lookupMaxResultBytes is mongod's
// internalLookupStageIntermediateDocumentMaxSizeBytes: the joined
// documents of one input document may not exceed it.
const lookupMaxResultBytes = 100 << 20

// defaultForeignMemLimit bounds the foreign documents a stage keeps in
// memory when the pipeline's Env sets no limit.
const defaultForeignMemLimit = 100 << 20

// foreignNS names a collection; coll is "" for a sub-pipeline that reads
// no collection (it starts with $documents).
type foreignNS struct{ db, coll string }

func (n foreignNS) String() string { return n.db + "." + n.coll }

type lookupStage struct {
	from         foreignNS
	as           []string
	localField   []string // nil: no equality join
	foreignField string
	letIDs       []expr.VarID
	letExprs     []expr.Expr
	sub          *Pipeline // nil: equality form
	ec           *expr.EvalContext
	qopts        query.Options
}

func parseLookup(_ string, arg bson.RawValue, p *parser) (stage, error) {
	spec, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "the $lookup stage specification must be an object, but found %s", typeName(arg))
	}
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	st := &lookupStage{ec: p.scope.Eval, qopts: p.opts.Query}

	// mongod's lite parse comes first: the namespace and the shape of
	// the pipeline.
	fromV, pipeV := spec.Lookup("from"), spec.Lookup("pipeline")
	var pipeSpecs []bson.Raw
	if pipeV.Type != 0 {
		if pipeSpecs, err = nestedPipelineSpecs(pipeV); err != nil {
			return nil, err
		}
	}
	if fromV.Type == 0 {
		if pipeV.Type == 0 {
			return nil, mongoerr.New(mongoerr.FailedToParse, "must specify 'pipeline' when 'from' is empty")
		}
		if len(pipeSpecs) == 0 || pipeSpecs[0].Lookup("$documents").Type == 0 {
			return nil, mongoerr.New(mongoerr.FailedToParse, "$lookup stage without explicit collection must have a pipeline with $documents as first stage")
		}
		st.from = foreignNS{db: p.opts.DB}
	} else if st.from, err = parseLookupFrom(fromV, p.opts.DB); err != nil {
		return nil, err
	}

	var as, local, foreign string
	var letSpec bson.Raw
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "pipeline", "from":
			continue
		case "let":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.FailedToParse, "$lookup argument 'let: %s' must be an object, is type %s", bsonx.Format(v), typeName(v))
			}
			letSpec = d
			continue
		case "_internalCollation":
			return nil, mongoerr.New(mongoerr.NotImplemented, "$lookup's _internalCollation is not supported by SecantusDB")
		}
		s, ok := v.StringValueOK()
		if !ok {
			shown := e.Key() + ": " + bsonx.Format(v)
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "$lookup argument '%s' must be a string, found %s: %s", shown, shown, typeName(v))
		}
		switch e.Key() {
		case "as":
			as = s
		case "localField":
			local = s
		case "foreignField":
			foreign = s
		default:
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "unknown argument to $lookup: %s", e.Key())
		}
	}
	if as == "" {
		return nil, mongoerr.New(mongoerr.FailedToParse, "must specify 'as' field for a $lookup")
	}
	hasPipeline := pipeV.Type != 0
	switch {
	case hasPipeline && (local != "" || foreign != "") && (local == "" || foreign == ""):
		return nil, mongoerr.New(mongoerr.FailedToParse, "$lookup requires both or neither of 'localField' and 'foreignField' to be specified")
	case !hasPipeline && (local == "" || foreign == ""):
		return nil, mongoerr.New(mongoerr.FailedToParse, "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified")
	case !hasPipeline && letSpec != nil:
		return nil, mongoerr.New(mongoerr.FailedToParse, "$lookup with a 'let' argument must also specify 'pipeline'")
	}
	if st.as, err = fieldPathParts(as); err != nil {
		return nil, err
	}
	if local != "" {
		if st.localField, err = fieldPathParts(local); err != nil {
			return nil, err
		}
		if _, err = fieldPathParts(foreign); err != nil {
			return nil, err
		}
		st.foreignField = foreign
	}
	if !hasPipeline {
		return st, nil
	}

	// The let variables are computed in the scope around the stage and
	// visible only inside its pipeline.
	var names []string
	if letSpec != nil {
		lets, err := letSpec.Elements()
		if err != nil {
			return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
		}
		for _, e := range lets {
			x, err := p.expr(e.Value())
			if err != nil {
				return nil, err
			}
			names = append(names, e.Key())
			st.letExprs = append(st.letExprs, x)
		}
	}
	if err := checkNestedStages(pipeSpecs, mongoerr.Location51047, "%s is not allowed within a $lookup's sub-pipeline"); err != nil {
		return nil, err
	}
	defined := 0
	defer func() { p.scope.Parse.EndScope(defined) }()
	for _, n := range names {
		id, err := p.scope.Parse.Define(n)
		if err != nil {
			return nil, err
		}
		defined++
		st.letIDs = append(st.letIDs, id)
	}
	if st.sub, err = p.subPipeline("pipeline", pipeV, false); err != nil {
		return nil, err
	}
	return st, nil
}

// parseLookupFrom reads $lookup's from: a collection of the pipeline's
// database, or {db, coll} for the few namespaces mongod allows so.
func parseLookupFrom(v bson.RawValue, db string) (foreignNS, error) {
	switch v.Type {
	case bson.TypeString:
		ns := foreignNS{db: db, coll: v.StringValue()}
		if !validCollectionName(ns.coll) {
			return ns, mongoerr.Newf(mongoerr.InvalidNamespace, "invalid $lookup namespace: %s", ns)
		}
		return ns, nil
	case bson.TypeEmbeddedDocument:
		ns, err := parseNamespaceSpec("from", v.Document())
		if err != nil {
			return ns, err
		}
		allowed := ns.db == "config" && strings.HasPrefix(ns.coll, "cache.chunks.") ||
			ns.db == "local" && (ns.coll == "oplog.rs" || ns.coll == "tenantMigration.oplogView")
		if !allowed {
			return ns, mongoerr.Newf(mongoerr.FailedToParse, "$lookup with syntax {from: {db:<>, coll:<>},..} is not supported for db: %s and coll: %s", ns.db, ns.coll)
		}
		return ns, nil
	}
	return foreignNS{}, mongoerr.Newf(mongoerr.FailedToParse, "$lookup 'from' field must be a string, but found %s", typeName(v))
}

// parseNamespaceSpec reads mongod's NamespaceSpec {db, coll}.
func parseNamespaceSpec(field string, d bson.Raw) (foreignNS, error) {
	var ns foreignNS
	elems, _ := d.Elements()
	for _, e := range elems {
		s, ok := e.Value().StringValueOK()
		switch e.Key() {
		case "db", "coll":
			if !ok {
				return ns, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '%s.%s' is the wrong type '%s', expected type 'string'", field, e.Key(), typeName(e.Value()))
			}
			if e.Key() == "db" {
				ns.db = s
			} else {
				ns.coll = s
			}
		default:
			return ns, mongoerr.Newf(mongoerr.Location40415, "BSON field '%s.%s' is an unknown field.", field, e.Key())
		}
	}
	return ns, nil
}

// validCollectionName applies mongod's rules for the collection part of
// a namespace.
func validCollectionName(c string) bool {
	return c != "" && !strings.ContainsAny(c, "$\x00") && c[0] != '.'
}

// nestedPipelineSpecs checks a sub-pipeline argument as mongod's
// parsePipelineFromBSON does.
func nestedPipelineSpecs(v bson.RawValue) ([]bson.Raw, error) {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, mongoerr.New(mongoerr.TypeMismatch, "'pipeline' option must be specified as an array")
	}
	vals, _ := arr.Values()
	specs := make([]bson.Raw, 0, len(vals))
	for _, sv := range vals {
		d, ok := sv.DocumentOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.TypeMismatch, "Each element of the 'pipeline' array must be an object")
		}
		specs = append(specs, d)
	}
	return specs, nil
}

// checkNestedStages refuses the stages mongod does not allow in a
// $lookup or $unionWith sub-pipeline ($out, $merge), with the stage's
// own code and message (msg has one %s, the stage name).
func checkNestedStages(specs []bson.Raw, code mongoerr.Code, msg string) error {
	for _, s := range specs {
		elems, _ := s.Elements()
		if len(elems) != 1 {
			continue // the parser reports it
		}
		if def, ok := stages[elems[0].Key()]; ok && def.flags&flagNoLookup != 0 {
			return mongoerr.Newf(code, msg, elems[0].Key())
		}
	}
	return nil
}

// fieldPathParts checks a dotted path as mongod's FieldPath does and
// splits it.
func fieldPathParts(path string) ([]string, error) {
	switch {
	case path == "":
		return nil, mongoerr.New(mongoerr.Location40352, "FieldPath cannot be constructed with empty string")
	case path[len(path)-1] == '.':
		return nil, mongoerr.New(mongoerr.Location40353, "FieldPath must not end with a '.'.")
	}
	parts := strings.Split(path, ".")
	for _, part := range parts {
		switch {
		case part == "":
			return nil, mongoerr.New(mongoerr.Location15998, "FieldPath field names may not be empty strings.")
		case part[0] == '$' && part != "$id" && part != "$ref" && part != "$db" && part != "$sortKey":
			return nil, mongoerr.New(mongoerr.Location16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		case strings.IndexByte(part, 0) >= 0:
			return nil, mongoerr.New(mongoerr.Location16411, "FieldPath field names may not contain '\\0'.")
		}
	}
	return parts, nil
}

func (s *lookupStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	if s.from.coll != "" {
		if err := needNamespaces(env, "$lookup"); err != nil {
			return nil, err
		}
	}
	k, keyOK := joinKeyer(s.qopts.Collator)
	return &lookupIter{in: in, st: s, env: env, fc: newForeignColl(env, s.from), keyFn: k, keyOK: keyOK}, nil
}

type lookupIter struct {
	in    exec.Stage
	st    *lookupStage
	env   *Env
	fc    *foreignColl
	keyFn joinKeyFunc
	keyOK bool
	n     int
}

func (it *lookupIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	d, ok, err := it.in.Next(ctx)
	if !ok || err != nil {
		return nil, ok, err
	}
	if it.n++; it.n%64 == 0 {
		if err := exec.Interrupted(ctx); err != nil {
			return nil, false, err
		}
	}
	arr := bsonx.NewArrayBuilder()
	var total int64
	add := func(doc bson.Raw) error {
		if total += int64(len(doc)); total > lookupMaxResultBytes {
			return mongoerr.Newf(mongoerr.Location4568, "Total size of documents in %s matching pipeline's $lookup stage exceeds %d bytes", it.st.from.coll, lookupMaxResultBytes)
		}
		arr.AppendDocument(arr.NextKey(), doc)
		return nil
	}
	if err := it.join(ctx, d, add); err != nil {
		return nil, false, err
	}
	out := bsonx.SetPath(d, it.st.as, bson.RawValue{Type: bson.TypeArray, Value: arr.Finish()})
	return out, true, nil
}

// join passes add the documents joined with d, in order.
func (it *lookupIter) join(ctx context.Context, d bson.Raw, add func(bson.Raw) error) error {
	st := it.st
	var matched exec.Stage // the foreign documents the equality join selects
	if st.localField != nil {
		vals := localValues(d, st.localField)
		filter, err := joinFilter(st.foreignField, vals, st.qopts)
		if err != nil {
			return err
		}
		startsWithSource := st.sub != nil && len(st.sub.stages) > 0 && stages[st.sub.stages[0].name].flags&flagSource != 0
		if startsWithSource {
			// {$documents} then the join's $match, as mongod places it.
			return it.runSub(ctx, d, nil, filter, add)
		}
		exact := true
		for _, v := range vals {
			if v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
				exact = false // null also matches missing: test every document
			}
		}
		if matched, err = it.fc.matching(ctx, []*query.Filter{filter}, st.foreignField, vals, exact, it.keyFn, it.keyOK); err != nil {
			return err
		}
		if st.sub == nil {
			return drainInto(ctx, matched, add)
		}
	}
	return it.runSub(ctx, d, matched, nil, add)
}

// runSub runs the sub-pipeline for input document d over src (nil: the
// foreign collection), or, when the pipeline starts with a source stage,
// over what that stage produces filtered by filter (nil: all).
func (it *lookupIter) runSub(ctx context.Context, d bson.Raw, src exec.Stage, filter *query.Filter, add func(bson.Raw) error) error {
	st := it.st
	for i, x := range st.letExprs {
		v, err := x.Eval(st.ec, d)
		if err != nil {
			if src != nil {
				src.Close()
			}
			return err
		}
		st.ec.SetVar(st.letIDs[i], v)
	}
	rest := st.sub
	if len(st.sub.stages) > 0 && stages[st.sub.stages[0].name].flags&flagSource != 0 {
		first, err := st.sub.stages[0].st.build(&rawDocsIter{}, it.env)
		if err != nil {
			return err
		}
		src = first
		if filter != nil {
			src = &filterMatchIter{in: first, fs: []*query.Filter{filter}}
		}
		rest = &Pipeline{stages: st.sub.stages[1:], scope: st.sub.scope}
	} else if src == nil {
		var err error
		if src, err = it.fc.open(ctx); err != nil {
			return err
		}
	}
	out, err := rest.Build(src, it.env)
	if err != nil {
		return err
	}
	return drainInto(ctx, out, add)
}

func (it *lookupIter) Close() { it.in.Close() }

// drain passes every document of st to add and closes st.
func drainInto(ctx context.Context, st exec.Stage, add func(bson.Raw) error) error {
	defer st.Close()
	for {
		doc, ok, err := st.Next(ctx)
		if err != nil || !ok {
			return err
		}
		if err := add(doc); err != nil {
			return err
		}
	}
}

// joinFilter is the query mongod's $lookup runs against the foreign
// collection for the local values vals: {f: {$eq: v}} for one value,
// {f: {$in: vals}} for several, or a $or of equalities when one is a
// regular expression (which $in would apply as a pattern).
func joinFilter(foreign string, vals []bson.RawValue, opts query.Options) (*query.Filter, error) {
	b := bsoncore.NewDocumentBuilder()
	eq := func(v bson.RawValue) bsoncore.Document {
		return bsoncore.NewDocumentBuilder().AppendValue("$eq", rawCore(v)).Build()
	}
	switch {
	case len(vals) == 1:
		b.AppendDocument(foreign, eq(vals[0]))
	default:
		regex := false
		for _, v := range vals {
			regex = regex || v.Type == bson.TypeRegex
		}
		arr := bsoncore.NewArrayBuilder()
		for _, v := range vals {
			if regex {
				arr.AppendDocument(bsoncore.NewDocumentBuilder().AppendDocument(foreign, eq(v)).Build())
			} else {
				arr.AppendValue(rawCore(v))
			}
		}
		if regex {
			b.AppendArray("$or", arr.Build())
		} else {
			b.AppendDocument(foreign, bsoncore.NewDocumentBuilder().AppendArray("$in", arr.Build()).Build())
		}
	}
	return query.ParseFilterWith(bson.Raw(b.Build()), opts)
}

func rawCore(v bson.RawValue) bsoncore.Value {
	return bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value}
}

// localValues are the values $lookup joins on: every value at path in
// doc, arrays along it and at its end expanded (mongod's
// visitAllValuesAtPath); none is a null.
func localValues(doc bson.Raw, path []string) []bson.RawValue {
	var out []bson.RawValue
	visitPathValues(doc, path, func(v bson.RawValue) { out = append(out, v) })
	if len(out) == 0 {
		out = append(out, bson.RawValue{Type: bson.TypeNull})
	}
	return out
}

// visitPathValues calls fn with each value at path in doc: a leaf
// array's elements one by one; through arrays inside the path, the
// values below each document element (not within nested arrays); a
// strictly numeric component right after an array selects an element.
// The first component is always a field name.
func visitPathValues(doc bson.Raw, path []string, fn func(bson.RawValue)) {
	v, err := doc.LookupErr(path[0])
	if err != nil {
		return
	}
	i := 1
	for i < len(path) && v.Type == bson.TypeArray && isStrictIndex(path[i]) {
		v, err = bson.Raw(v.Value).LookupErr(path[i])
		if err != nil {
			return
		}
		i++
	}
	if i == len(path) {
		if v.Type == bson.TypeArray {
			vals, _ := bson.Raw(v.Value).Values()
			for _, e := range vals {
				fn(e)
			}
			return
		}
		fn(v)
		return
	}
	switch v.Type {
	case bson.TypeArray:
		vals, _ := bson.Raw(v.Value).Values()
		for _, e := range vals {
			if e.Type == bson.TypeEmbeddedDocument {
				visitPathValues(e.Document(), path[i:], fn)
			}
		}
	case bson.TypeEmbeddedDocument:
		visitPathValues(v.Document(), path[i:], fn)
	}
}

// isStrictIndex reports a path component mongod reads as an array
// position: decimal digits without a leading zero (except "0").
func isStrictIndex(s string) bool {
	if s == "" || len(s) > 9 || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// The foreign collection: read once per execution of a stage, kept in
// memory when it fits, and hashed on the joined path.

// joinKeyFunc maps a string to a key that is equal for strings the collation
// finds equal (nil: the simple collation).
type joinKeyFunc func(string) []byte

// joinKeyer returns the key function of c; ok is false when c cannot
// produce keys (then values cannot be hashed).
func joinKeyer(c query.Collator) (k joinKeyFunc, ok bool) {
	if c == nil {
		return nil, true
	}
	if kc, ok := c.(interface{ Key(string) []byte }); ok {
		return kc.Key, true
	}
	return nil, false
}

// appendHashKey appends a key of v to dst such that values equal under
// MongoDB's comparison (numbers across types, strings under the
// collation) get equal keys.
func appendHashKey(dst []byte, v bson.RawValue, k joinKeyFunc) []byte {
	if k == nil {
		return keystring.AppendValue(dst, v, false)
	}
	switch v.Type {
	case bson.TypeString, bson.TypeSymbol:
		s, _ := v.StringValueOK()
		if v.Type == bson.TypeSymbol {
			s, _ = v.SymbolOK()
		}
		key := k(s)
		dst = append(dst, 's')
		dst = binary.AppendUvarint(dst, uint64(len(key)))
		return append(dst, key...)
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		elems, _ := bson.Raw(v.Value).Elements()
		if v.Type == bson.TypeArray {
			dst = append(dst, 'a')
		} else {
			dst = append(dst, 'o')
		}
		dst = binary.AppendUvarint(dst, uint64(len(elems)))
		for _, e := range elems {
			if v.Type == bson.TypeEmbeddedDocument {
				dst = binary.AppendUvarint(dst, uint64(len(e.Key())))
				dst = append(dst, e.Key()...)
			}
			dst = appendHashKey(dst, e.Value(), k)
		}
		return dst
	}
	return keystring.AppendValue(dst, v, false)
}

type foreignColl struct {
	env    *Env
	ns     foreignNS
	limit  int64
	loaded bool
	tooBig bool // the documents did not fit in limit: read the collection each time
	docs   []bson.Raw
	size   int64
	index  *foreignIndex
}

// foreignIndex hashes the documents of a foreignColl on one path.
type foreignIndex struct {
	path    string
	buckets map[string][]int32
}

func newForeignColl(env *Env, ns foreignNS) *foreignColl {
	limit := env.MemLimit
	if limit <= 0 {
		limit = defaultForeignMemLimit
	}
	return &foreignColl{env: env, ns: ns, limit: limit}
}

// load reads the collection into memory, unless it is larger than the
// limit.
func (f *foreignColl) load(ctx context.Context) error {
	if f.loaded {
		return nil
	}
	f.loaded = true
	if f.ns.coll == "" {
		return nil
	}
	st, err := f.env.Namespaces.Open(ctx, f.ns.db, f.ns.coll)
	if err != nil {
		return err
	}
	defer st.Close()
	for n := 1; ; n++ {
		d, ok, err := st.Next(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if n%256 == 0 {
			if err := exec.Interrupted(ctx); err != nil {
				return err
			}
		}
		f.size += int64(len(d)) + 24
		if f.size > f.limit {
			f.docs, f.tooBig = nil, true
			return nil
		}
		f.docs = append(f.docs, append(bson.Raw(nil), d...))
	}
}

// open returns the documents of the collection in natural order.
func (f *foreignColl) open(ctx context.Context) (exec.Stage, error) {
	if err := f.load(ctx); err != nil {
		return nil, err
	}
	if f.ns.coll == "" {
		return &rawDocsIter{}, nil
	}
	if f.tooBig {
		return f.env.Namespaces.Open(ctx, f.ns.db, f.ns.coll)
	}
	return &rawDocsIter{docs: f.docs}, nil
}

// matching returns the documents all filters match, in natural order.
// filters[0] tests path for equality with one of vals (and possibly more):
// when exact (vals hold no null, which also matches missing fields, and
// no regular expression the filter applies as a pattern) and the
// collection is in memory, only the documents whose values at path hash
// like one of vals are tested.
func (f *foreignColl) matching(ctx context.Context, filters []*query.Filter, path string, vals []bson.RawValue, exact bool, k joinKeyFunc, keyOK bool) (exec.Stage, error) {
	if err := f.load(ctx); err != nil {
		return nil, err
	}
	if exact && keyOK && !f.tooBig && f.ns.coll != "" {
		if idx := f.indexOn(path, k); idx != nil {
			var cands []int32
			var key []byte
			for _, v := range vals {
				key = appendHashKey(key[:0], v, k)
				cands = append(cands, idx.buckets[string(key)]...)
			}
			sort.Slice(cands, func(i, j int) bool { return cands[i] < cands[j] })
			docs := make([]bson.Raw, 0, len(cands))
			for i, c := range cands {
				if i == 0 || c != cands[i-1] {
					docs = append(docs, f.docs[c])
				}
			}
			return &filterMatchIter{in: &rawDocsIter{docs: docs}, fs: filters}, nil
		}
	}
	st, err := f.open(ctx)
	if err != nil {
		return nil, err
	}
	return &filterMatchIter{in: st, fs: filters}, nil
}

// indexOn returns the hash of the documents on path (built on first
// use), or nil when it cannot serve: a numeric path component, whose
// array positions the query also follows, or a table over the memory
// limit.
func (f *foreignColl) indexOn(path string, k joinKeyFunc) *foreignIndex {
	if f.index != nil && f.index.path == path {
		return f.index
	}
	for _, part := range strings.Split(path, ".") {
		if part != "" && part[0] >= '0' && part[0] <= '9' {
			return nil
		}
	}
	idx := &foreignIndex{path: path, buckets: map[string][]int32{}}
	size := f.size
	var key []byte
	for i, d := range f.docs {
		vals, _ := bsonx.Lookup(d, path)
		add := func(v bson.RawValue) {
			key = appendHashKey(key[:0], v, k)
			b := idx.buckets[string(key)]
			if len(b) == 0 {
				size += int64(len(key)) + 48
			}
			if len(b) > 0 && b[len(b)-1] == int32(i) {
				return
			}
			idx.buckets[string(key)] = append(b, int32(i))
			size += 4
		}
		for _, v := range vals {
			add(v)
			if v.Type == bson.TypeArray {
				elems, _ := bson.Raw(v.Value).Values()
				for _, e := range elems {
					add(e)
				}
			}
		}
		if size > f.limit {
			return nil
		}
	}
	f.index = idx
	return idx
}

// rawDocsIter streams a list of documents.
type rawDocsIter struct {
	docs []bson.Raw
	pos  int
}

func (s *rawDocsIter) Next(context.Context) (bson.Raw, bool, error) {
	if s.pos >= len(s.docs) {
		return nil, false, nil
	}
	s.pos++
	return s.docs[s.pos-1], true, nil
}

func (s *rawDocsIter) Close() {}

// filterMatchIter keeps the documents of in that all of fs match.
type filterMatchIter struct {
	in exec.Stage
	fs []*query.Filter
	n  int
}

func (m *filterMatchIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	for {
		d, ok, err := m.in.Next(ctx)
		if !ok || err != nil {
			return nil, ok, err
		}
		if m.n++; m.n%256 == 0 {
			if err := exec.Interrupted(ctx); err != nil {
				return nil, false, err
			}
		}
		match := true
		for _, f := range m.fs {
			if match, err = f.MatchesErr(d); err != nil {
				return nil, false, err
			}
			if !match {
				break
			}
		}
		if match {
			return d, true, nil
		}
	}
}

func (m *filterMatchIter) Close() { m.in.Close() }
