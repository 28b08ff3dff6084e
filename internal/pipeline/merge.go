package pipeline

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// $merge writes each result into a target collection, matching it with
// a target document by the 'on' fields (_id by default) and then, as
// whenMatched and whenNotMatched say, replacing, merging into, keeping
// or updating (through a pipeline that sees the result as $$new) the
// matched document, and inserting, discarding or failing on a result
// without a match. Unlike $out, the writes are not atomic: those made
// before an error stay, as on mongod.

func init() {
	register(map[string]stageDef{
		"$merge": {parse: parseMerge, flags: flagLast | flagWrites | flagNoFacet | flagNoLookup},
	})
}

// WriteOptions are the settings of the command whose pipeline writes
// ($out, $merge): its bypassDocumentValidation and whether its write
// concern asks for the journal.
type WriteOptions struct {
	BypassValidation bool
	Journaled        bool
}

type mergeStage struct {
	db, coll       string
	whenMatched    string // replace, keepExisting, merge, fail, pipeline
	whenNotMatched string // insert, discard, fail
	// For whenMatched: pipeline: the update pipeline, the scope it
	// evaluates in, and the variables set from each result.
	update *Pipeline
	scope  *expr.Scope
	newVar expr.VarID
	hasNew bool
	lets   []mergeLet
	// outer evaluates the let expressions against the result.
	outer *expr.EvalContext
}

type mergeLet struct {
	id expr.VarID
	x  expr.Expr
}

// mergeModes are the whenMatched/whenNotMatched pairs mongod supports.
var mergeModes = map[[2]string]bool{
	{"replace", "insert"}: true, {"replace", "fail"}: true, {"replace", "discard"}: true,
	{"keepExisting", "insert"}: true,
	{"merge", "insert"}:        true, {"merge", "fail"}: true, {"merge", "discard"}: true,
	{"fail", "insert"}:     true,
	{"pipeline", "insert"}: true, {"pipeline", "fail"}: true, {"pipeline", "discard"}: true,
}

func parseMerge(_ string, arg bson.RawValue, p *parser) (stage, error) {
	m := &mergeStage{db: p.opts.DB, whenMatched: "merge", whenNotMatched: "insert"}
	var on []string
	var let bson.Raw
	var pipelineArg bson.RawValue
	switch arg.Type {
	case bson.TypeString:
		m.coll = arg.StringValue()
		if m.coll == "" {
			return nil, mongoerr.New(mongoerr.Location5786800, "$merge 'into' field cannot be an empty string")
		}
	case bson.TypeEmbeddedDocument:
		elems, _ := arg.Document().Elements()
		haveInto := false
		for _, e := range elems {
			v := e.Value()
			switch e.Key() {
			case "into":
				haveInto = true
				if err := m.parseInto(v); err != nil {
					return nil, err
				}
			case "on":
				var err error
				if on, err = parseMergeOn(v); err != nil {
					return nil, err
				}
			case "let":
				d, ok := v.DocumentOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$merge.let' is the wrong type '%s', expected type 'object'", typeName(v))
				}
				let = d
			case "whenMatched":
				switch v.Type {
				case bson.TypeString:
					switch s := v.StringValue(); s {
					case "replace", "keepExisting", "merge", "fail":
						m.whenMatched = s
					default:
						return nil, mongoerr.Newf(mongoerr.BadValue, "Enumeration value '%s' for field 'whenMatched' is not a valid value.", s)
					}
				case bson.TypeArray:
					m.whenMatched, pipelineArg = "pipeline", v
				default:
					return nil, mongoerr.Newf(mongoerr.Location51191, "$merge 'whenMatched' field  must be either a string or an array, but found %s", typeName(v))
				}
			case "whenNotMatched":
				s, ok := v.StringValueOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '$merge.whenNotMatched' is the wrong type '%s', expected type 'string'", typeName(v))
				}
				switch s {
				case "insert", "discard", "fail":
					m.whenNotMatched = s
				default:
					return nil, mongoerr.Newf(mongoerr.BadValue, "Enumeration value '%s' for field '$merge.whenNotMatched' is not a valid value.", s)
				}
			case "targetCollectionVersion":
				return nil, mongoerr.New(mongoerr.NotImplemented, "$merge targetCollectionVersion is for sharded clusters, which SecantusDB is not")
			default:
				return nil, mongoerr.Newf(mongoerr.Location40415, "BSON field '$merge.%s' is an unknown field.", e.Key())
			}
		}
		if !haveInto {
			return nil, mongoerr.New(mongoerr.Location40414, "BSON field '$merge.into' is missing but a required field")
		}
	default:
		return nil, mongoerr.Newf(mongoerr.TypeMismatch, "$merge requires a string or object argument, but found %s", typeName(arg))
	}
	if !mergeModes[[2]string{m.whenMatched, m.whenNotMatched}] {
		return nil, mongoerr.Newf(mongoerr.Location51181, "Combination of $merge modes 'whenMatched: %s' and 'whenNotMatched: %s' is not supported", m.whenMatched, m.whenNotMatched)
	}
	if !validTargetNamespace(m.db, m.coll) {
		return nil, mongoerr.Newf(mongoerr.InvalidNamespace, "Invalid $merge target namespace: '%s.%s'", m.db, m.coll)
	}
	if strings.HasPrefix(m.coll, "system.") {
		return nil, mongoerr.Newf(mongoerr.Location31319, "Cannot $merge to special collection: %s", m.coll)
	}
	if internalDB(m.db) {
		return nil, mongoerr.Newf(mongoerr.Location31320, "Cannot $merge to internal database: %s", m.db)
	}
	if m.whenMatched != "pipeline" && let != nil {
		return nil, mongoerr.Newf(mongoerr.Location51199, "Cannot use 'let' variables with 'whenMatched: %s' mode", m.whenMatched)
	}
	if on != nil && (len(on) != 1 || on[0] != "_id") {
		// Only the _id index exists, and mongod requires a unique index
		// on exactly the 'on' fields.
		return nil, mongoerr.New(mongoerr.Location51183, "Cannot find index to verify that join fields will be unique")
	}
	if m.whenMatched == "pipeline" {
		if err := m.parseUpdate(pipelineArg, let, p); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *mergeStage) parseInto(v bson.RawValue) error {
	switch v.Type {
	case bson.TypeString:
		m.coll = v.StringValue()
		if m.coll == "" {
			return mongoerr.New(mongoerr.Location5786800, "$merge 'into' field cannot be an empty string")
		}
		return nil
	case bson.TypeEmbeddedDocument:
		elems, _ := v.Document().Elements()
		for _, e := range elems {
			ev := e.Value()
			switch e.Key() {
			case "db", "coll":
				if ev.Type == bson.TypeNull || ev.Type == bson.TypeUndefined {
					continue
				}
				s, ok := ev.StringValueOK()
				if !ok {
					return mongoerr.Newf(mongoerr.TypeMismatch, "BSON field 'into.%s' is the wrong type '%s', expected type 'string'", e.Key(), typeName(ev))
				}
				if e.Key() == "db" {
					m.db = s
				} else {
					m.coll = s
				}
			default:
				return mongoerr.Newf(mongoerr.Location40415, "BSON field 'into.%s' is an unknown field.", e.Key())
			}
		}
		if m.coll == "" {
			return mongoerr.New(mongoerr.Location5786801, "$merge 'into' field must specify a 'coll' that is not empty, null or undefined")
		}
		return nil
	}
	return mongoerr.Newf(mongoerr.Location51178, "$merge 'into' field  must be either a string or an object, but found %s", typeName(v))
}

func parseMergeOn(v bson.RawValue) ([]string, error) {
	var fields []string
	switch v.Type {
	case bson.TypeString:
		fields = []string{v.StringValue()}
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		for _, f := range vals {
			s, ok := f.StringValueOK()
			if !ok {
				return nil, mongoerr.Newf(mongoerr.Location51134, "$merge 'on' array elements must be strings, but found %s", typeName(f))
			}
			fields = append(fields, s)
		}
	default:
		return nil, mongoerr.Newf(mongoerr.Location51186, "$merge 'on' field  must be either a string or an array of strings, but found %s", typeName(v))
	}
	if len(fields) == 0 {
		return nil, mongoerr.New(mongoerr.Location51187, "If explicitly specifying $merge 'on', must include at least one field")
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f] {
			return nil, mongoerr.Newf(mongoerr.Location31465, "Found a duplicate field '%s'", f)
		}
		seen[f] = true
	}
	return fields, nil
}

// parseUpdate parses whenMatched's pipeline in a scope of its own that
// adds $$new (the result, unless let defines it otherwise) and the let
// variables, whose expressions are evaluated against the result.
func (m *mergeStage) parseUpdate(v bson.RawValue, let bson.Raw, p *parser) error {
	sc, err := p.scope.WithConstants(bson.Raw{5, 0, 0, 0, 0})
	if err != nil {
		return err
	}
	m.scope, m.outer = sc, p.scope.Eval
	hasNew := false
	elems, _ := let.Elements()
	for _, e := range elems {
		if e.Key() == "new" {
			if s, ok := e.Value().StringValueOK(); !ok || s != "$$ROOT" {
				return mongoerr.New(mongoerr.Location51273, "'let' may not define a value for the reserved 'new' variable other than '$$ROOT'")
			}
			hasNew = true
			continue
		}
		x, err := expr.Parse(e.Value(), p.scope.Parse)
		if err != nil {
			return err
		}
		id, err := sc.Parse.Define(e.Key())
		if err != nil {
			return err
		}
		m.lets = append(m.lets, mergeLet{id: id, x: x})
	}
	// Without let, $$new is the result; with a let that leaves it out,
	// only an insert-capable merge still defines it (as mongod does).
	if let == nil || hasNew || m.whenNotMatched == "insert" {
		id, err := sc.Parse.Define("new")
		if err != nil {
			return err
		}
		m.newVar, m.hasNew = id, true
	}
	arr := v.Array()
	vals, _ := arr.Values()
	specs := make([]bson.Raw, 0, len(vals))
	for _, sv := range vals {
		d, ok := sv.DocumentOK()
		if !ok {
			return mongoerr.New(mongoerr.TypeMismatch, "Each element of the 'whenMatched' array must be an object")
		}
		specs = append(specs, d)
	}
	upd, err := Parse(specs, Options{Query: query.Options{Collator: p.opts.Query.Collator, Scope: sc}, DB: m.db, Collection: m.coll, Update: true})
	if err != nil {
		return err
	}
	m.update = upd
	return nil
}

func (m *mergeStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	if env.Namespaces == nil {
		in.Close()
		return nil, mongoerr.New(mongoerr.IllegalOperation, "$merge cannot write here: the pipeline has no access to collections")
	}
	return &writeIter{in: in, run: func(ctx context.Context) error {
		for n := 0; ; n++ {
			doc, ok, err := in.Next(ctx)
			if err != nil || !ok {
				return err
			}
			if n%256 == 255 {
				if err := exec.Interrupted(ctx); err != nil {
					return err
				}
			}
			if err := m.write(ctx, env, append(bson.Raw(nil), doc...)); err != nil {
				return err
			}
		}
	}}, nil
}

// write merges one result into the target.
func (m *mergeStage) write(ctx context.Context, env *Env, doc bson.Raw) error {
	id := doc.Lookup("_id")
	switch id.Type {
	case 0:
		// mongod gives a result without _id a new one before matching.
		doc = prependID(doc, bson.RawValue{Type: bson.TypeObjectID, Value: objectIDBytes()})
		id = doc.Lookup("_id")
	case bson.TypeNull, bson.TypeUndefined:
		return mongoerr.New(mongoerr.Location51132, "$merge write error: 'on' field cannot be missing, null, undefined or an array")
	case bson.TypeArray:
		return mongoerr.New(mongoerr.Location51185, "$merge write error: 'on' field cannot be missing, null, undefined or an array")
	}
	ns := env.Namespaces
	if m.whenMatched == "fail" {
		err := ns.Insert(ctx, m.db, m.coll, doc, env.Write)
		if me := mongoerr.As(err); me != nil && me.Code == mongoerr.DuplicateKey {
			return withContext(me, "$merge with whenMatched: fail found an existing document with the same values for the 'on' fields")
		}
		return err
	}
	err := ns.Merge(ctx, m.db, m.coll, id, env.Write, func(cur bson.Raw) (bson.Raw, error) {
		if cur == nil {
			switch m.whenNotMatched {
			case "insert":
				return doc, nil
			case "fail":
				return nil, mongoerr.New(mongoerr.MergeStageNoMatchingDocument, "$merge could not find a matching document in the target collection for at least one document in the source collection")
			}
			return nil, nil // discard
		}
		switch m.whenMatched {
		case "replace":
			return doc, nil
		case "keepExisting":
			return nil, nil
		case "merge":
			return mergeFields(cur, doc), nil
		}
		return m.applyUpdate(cur, doc)
	})
	if me := mongoerr.As(err); me != nil && me.Code == mongoerr.DuplicateKey {
		return withContext(me, "$merge failed due to a DuplicateKey error")
	}
	return err
}

// applyUpdate runs the whenMatched pipeline over the matched document
// cur with $$new and the let variables taken from the result.
func (m *mergeStage) applyUpdate(cur, result bson.Raw) (bson.Raw, error) {
	ec := m.scope.Eval
	for _, l := range m.lets {
		v, err := l.x.Eval(m.outer, result)
		if err != nil {
			return nil, err
		}
		ec.SetVar(l.id, v)
	}
	if m.hasNew {
		ec.SetVar(m.newVar, bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: result})
	}
	out, err := m.update.Apply(cur)
	if err != nil {
		return nil, err
	}
	// An update keeps the _id: a pipeline that drops it gets it back,
	// one that changes it fails.
	curID := cur.Lookup("_id")
	switch newID := out.Lookup("_id"); {
	case newID.Type == 0:
		out = prependID(out, curID)
	case newID.Type != curID.Type || string(newID.Value) != string(curID.Value):
		return nil, mongoerr.New(mongoerr.ImmutableField, "$merge failed to update the matching document, did you attempt to modify the _id or the shard key? :: caused by :: Performing an update on the path '_id' would modify the immutable field '_id'")
	}
	return out, nil
}

// mergeFields is whenMatched: merge: the fields of result set on cur,
// new ones after the existing ones.
func mergeFields(cur, result bson.Raw) bson.Raw {
	b := bsoncore.NewDocumentBuilder()
	curElems, _ := cur.Elements()
	seen := map[string]bool{}
	for _, e := range curElems {
		k := e.Key()
		seen[k] = true
		v := e.Value()
		if nv := result.Lookup(k); nv.Type != 0 {
			v = nv
		}
		b.AppendValue(k, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
	}
	resElems, _ := result.Elements()
	for _, e := range resElems {
		if !seen[e.Key()] {
			b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
		}
	}
	return bson.Raw(b.Build())
}

func prependID(doc bson.Raw, id bson.RawValue) bson.Raw {
	b := bsoncore.NewDocumentBuilder().AppendValue("_id", bsoncore.Value{Type: bsoncore.Type(id.Type), Data: id.Value})
	elems, _ := doc.Elements()
	for _, e := range elems {
		if e.Key() == "_id" {
			continue
		}
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
	}
	return bson.Raw(b.Build())
}

func objectIDBytes() []byte {
	id := bson.NewObjectID()
	return id[:]
}

// withContext is mongod's addContext: the message prefixed with what
// was being done, the code and extra fields kept.
func withContext(e *mongoerr.Error, context string) error {
	out := *e
	out.Message = context + " :: caused by :: " + e.Message
	return &out
}
