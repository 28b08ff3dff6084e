package commands

import (
	"context"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/cursor"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(&Command{Name: "bulkWrite", Handler: bulkWriteCmd, AdminOnly: true, Write: true,
		Help: "command to apply inserts, updates and deletes in bulk"})
}

// bulkWriteNS is the namespace of the cursor bulkWrite returns its
// per-operation results through (mongod's NamespaceString::makeBulkWriteNSS);
// drivers send getMore with collection "$cmd.bulkWrite" on admin.
const bulkWriteNS = "admin.$cmd.bulkWrite"

// bulkOpKind is what a bulkWrite ops entry does.
type bulkOpKind byte

const (
	bulkInsert bulkOpKind = iota
	bulkUpdate
	bulkDelete
)

// bulkOp is one structurally valid entry of bulkWrite's ops. Updates and
// deletes are kept as the statement documents the update and delete
// commands take ({q, u, upsert, multi, ...} / {q, limit, ...}), so that
// they go through the same statement parsers and executors as those
// commands; their semantic errors (bad filter, unknown modifier, ...) are
// then per-operation errors, as on mongod.
type bulkOp struct {
	kind bulkOpKind
	ns   int      // index into nsInfo
	doc  bson.Raw // insert: the document; update/delete: the statement
	raw  bson.Raw // the ops entry as sent, for error messages
}

// bulkNamespace is one nsInfo entry.
type bulkNamespace struct {
	db, coll string
	// req is a stand-in command for this namespace ({bulkWrite: <coll>,
	// let}) so that queryOptions finds the collection's default collation
	// and the command's let variables exactly as it does for update and
	// delete.
	req *Request
	// bypass is the command's bypassDocumentValidation.
	bypass bool
}

// bulkRequest is a parsed bulkWrite command.
type bulkRequest struct {
	ops        []bulkOp
	nsInfo     []bulkNamespace
	ordered    bool
	errorsOnly bool
	batchSize  int64 // -1: unlimited
	let        bson.RawValue
}

// bulkOpResult is the outcome of one executed operation: one entry of
// the result cursor.
type bulkOpResult struct {
	done      bool // the operation ran (ordered execution stops early)
	n         int
	nModified int
	upserted  bson.RawValue
	err       *mongoerr.Error
}

// bulkWriteCmd runs MongoDB 8.0's cross-namespace bulkWrite: the whole
// command is parsed and validated first (any error there fails the
// command), then the operations run one after the other, each in its own
// transaction as update and delete do, and their results come back
// through a cursor together with summary counts.
func bulkWriteCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	br, err := parseBulkWrite(s, req)
	if err != nil {
		return err
	}
	results, err := s.runBulkWrite(ctx, req, br)
	if err != nil {
		return err
	}

	var nErrors, nInserted, nMatched, nModified, nUpserted, nDeleted int
	var entries []bson.Raw
	for i, r := range results {
		if !r.done {
			break
		}
		if r.err != nil {
			nErrors++
		} else {
			switch br.ops[i].kind {
			case bulkInsert:
				nInserted += r.n
			case bulkUpdate:
				// mongod counts an upsert in nUpserted, not nMatched.
				if r.upserted.Type != 0 {
					nUpserted++
				} else {
					nMatched += r.n
				}
				nModified += r.nModified
			case bulkDelete:
				nDeleted += r.n
			}
		}
		if r.err == nil && br.errorsOnly {
			continue
		}
		entries = append(entries, bulkResultEntry(i, br.ops[i].kind, r))
	}

	if req.Unacknowledged || writeConcernUnacknowledged(req) {
		// Nobody will read the cursor: do not leave one open.
		appendCursor(reply, 0, bulkWriteNS, "firstBatch", nil)
	} else {
		c := cursor.New(bulkWriteNS, &sliceSource{docs: entries})
		c.Session = sessionKey(req)
		c.Comment = req.Arg("comment")
		batchSize := len(entries) + 1
		if br.batchSize >= 0 && br.batchSize < int64(batchSize) {
			batchSize = int(br.batchSize)
		}
		if err := s.firstBatch(ctx, c, batchSize, false, reply); err != nil {
			return err
		}
	}
	reply.AppendInt32("nErrors", int32(nErrors))
	reply.AppendInt32("nInserted", int32(nInserted))
	reply.AppendInt32("nMatched", int32(nMatched))
	reply.AppendInt32("nModified", int32(nModified))
	reply.AppendInt32("nUpserted", int32(nUpserted))
	reply.AppendInt32("nDeleted", int32(nDeleted))
	return nil
}

// bulkResultEntry renders one result as mongod's BulkWriteReplyItem:
// {ok, idx, code?, errmsg?, <error details>, n, nModified?, upserted?}.
func bulkResultEntry(idx int, kind bulkOpKind, r bulkOpResult) bson.Raw {
	b := bsoncore.NewDocumentBuilder()
	if r.err != nil {
		b.AppendDouble("ok", 0).AppendInt32("idx", int32(idx)).
			AppendInt32("code", int32(r.err.Code)).
			AppendString("errmsg", r.err.Message)
		// Error details (keyPattern/keyValue, errInfo) sit beside code.
		for _, f := range r.err.Extra {
			appendAny(b, f.Key, f.Value)
		}
		b.AppendInt32("n", 0)
		if kind == bulkUpdate {
			b.AppendInt32("nModified", 0)
		}
		return bson.Raw(b.Build())
	}
	b.AppendDouble("ok", 1).AppendInt32("idx", int32(idx)).AppendInt32("n", int32(r.n))
	if kind == bulkUpdate {
		b.AppendInt32("nModified", int32(r.nModified))
		if r.upserted.Type != 0 {
			// mongod reports the upsert as write_ops::Upserted with index 0:
			// the index within the one-statement update it ran.
			b.AppendDocument("upserted", bsoncore.NewDocumentBuilder().
				AppendInt32("index", 0).
				AppendValue("_id", bsoncore.Value{Type: bsoncore.Type(r.upserted.Type), Data: r.upserted.Value}).
				Build())
		}
	}
	return bson.Raw(b.Build())
}

// writeConcernUnacknowledged reports whether the command asked for
// writeConcern {w: 0} without j (mongod's isUnacknowledgedBulkWrite).
func writeConcernUnacknowledged(req *Request) bool {
	wc, ok := req.Body.Lookup("writeConcern").DocumentOK()
	if !ok {
		return false
	}
	n, ok := asInt64(wc.Lookup("w"))
	return ok && n == 0 && !writeConcernJournaled(req)
}

// runBulkWrite executes the operations in order and returns one result
// per operation; with ordered set, execution stops at the first error and
// the remaining results are left not done. Only errors that end the whole
// command (time limit, interruption, internal failures) are returned.
func (s *Service) runBulkWrite(ctx context.Context, req *Request, br *bulkRequest) ([]bulkOpResult, error) {
	durable := writeConcernJournaled(req)
	results := make([]bulkOpResult, len(br.ops))
	fail := func(i int, err error) error {
		if !isWriteError(err) {
			return err
		}
		results[i] = bulkOpResult{done: true, err: mongoerr.As(err)}
		return nil
	}
	for i := 0; i < len(br.ops); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		op := br.ops[i]
		ns := br.nsInfo[op.ns]
		if op.kind == bulkInsert {
			// Like mongod's InsertBatch, consecutive inserts into one
			// namespace are written together.
			end := i + 1
			for end < len(br.ops) && end-i < insertGroup && br.ops[end].kind == bulkInsert && br.ops[end].ns == op.ns {
				end++
			}
			stop, err := s.bulkInserts(ctx, ns, br.ops, i, end, br.ordered, durable, results)
			if err != nil {
				return nil, err
			}
			if stop {
				break
			}
			i = end
			continue
		}
		var err error
		switch op.kind {
		case bulkUpdate:
			results[i], err = s.bulkUpdateOne(ctx, ns, i, op.doc, durable)
			s.Stats.Update.Add(1)
			s.Stats.DocsUpdated.Add(int64(results[i].nModified))
		case bulkDelete:
			results[i], err = s.bulkDeleteOne(ctx, ns, op.doc, durable)
			s.Stats.Delete.Add(1)
			s.Stats.DocsDeleted.Add(int64(results[i].n))
		}
		if err != nil {
			if err := fail(i, err); err != nil {
				return nil, err
			}
		}
		if results[i].err != nil && br.ordered {
			break
		}
		i++
	}
	return results, nil
}

// bulkUpdateOne runs one update statement through the update command's
// parser and executor.
func (s *Service) bulkUpdateOne(ctx context.Context, ns bulkNamespace, i int, stmt bson.Raw, durable bool) (bulkOpResult, error) {
	if err := catalog.ValidateCollection(ns.db, ns.coll); err != nil {
		return bulkOpResult{}, err
	}
	st, err := parseUpdateStatement(ns.req, i, stmt)
	if err != nil {
		return bulkOpResult{}, err
	}
	st.bypass = ns.bypass
	res, err := s.runUpdate(ctx, ns.db, ns.coll, st, durable)
	if err != nil {
		return bulkOpResult{}, err
	}
	out := bulkOpResult{done: true, n: res.matched, nModified: res.modified, upserted: res.upsertedID}
	if res.upsertedID.Type != 0 {
		out.n = 1
	}
	return out, nil
}

// bulkDeleteOne runs one delete statement through the delete command's
// parser and executor.
func (s *Service) bulkDeleteOne(ctx context.Context, ns bulkNamespace, stmt bson.Raw, durable bool) (bulkOpResult, error) {
	if err := catalog.ValidateCollection(ns.db, ns.coll); err != nil {
		return bulkOpResult{}, err
	}
	st, err := parseDeleteStatement(ns.req, stmt)
	if err != nil {
		return bulkOpResult{}, err
	}
	n, _, err := s.runDelete(ctx, ns.db, ns.coll, st.rawFilter, st.filter, nil, st.one, st.hint, durable)
	if err != nil {
		return bulkOpResult{}, err
	}
	return bulkOpResult{done: true, n: n}, nil
}

// bulkInserts inserts the documents of ops[start:end] (all inserts into
// ns) and fills their results. It first tries them in one transaction;
// if that fails they are redone one at a time so that the errors name the
// exact documents, as the insert command does. stop reports that ordered
// execution must end here.
func (s *Service) bulkInserts(ctx context.Context, ns bulkNamespace, ops []bulkOp, start, end int, ordered, durable bool, results []bulkOpResult) (stop bool, err error) {
	nsErr := catalog.ValidateCollection(ns.db, ns.coll)
	prepared := make([]bson.Raw, end-start)
	last := end // one past the last operation to attempt
	for i := start; i < end; i++ {
		doc, err := ops[i].doc, nsErr
		if err == nil {
			doc, err = prepareInsert(doc)
		}
		if err != nil {
			results[i] = bulkOpResult{done: true, err: mongoerr.As(err)}
			if ordered {
				last = i
				break
			}
			continue
		}
		prepared[i-start] = doc
	}
	insertAll := func(docs []bson.Raw) error { return s.insertDocs(ctx, ns.db, ns.coll, docs, durable, ns.bypass) }
	succeeded := func(i int) {
		results[i] = bulkOpResult{done: true, n: 1}
		s.Stats.Insert.Add(1)
		s.Stats.DocsInserted.Add(1)
	}
	group := prepared[:last-start]
	if err := insertAll(group); err == nil {
		for i := start; i < last; i++ {
			if prepared[i-start] != nil {
				succeeded(i)
			}
		}
		return ordered && last < end, nil
	} else if ctx.Err() != nil || !isWriteError(err) {
		return false, err
	}
	for i := start; i < last; i++ {
		doc := prepared[i-start]
		if doc == nil {
			continue
		}
		if err := insertAll([]bson.Raw{doc}); err != nil {
			if !isWriteError(err) {
				return false, err
			}
			results[i] = bulkOpResult{done: true, err: mongoerr.As(err)}
			if ordered {
				return true, nil
			}
			continue
		}
		succeeded(i)
	}
	return ordered && last < end, nil
}

// bulkWriteFields are bulkWrite's own top-level fields (bulk_write.idl).
var bulkWriteFields = []string{"ops", "nsInfo", "cursor", "bypassDocumentValidation", "ordered",
	"stmtId", "stmtIds", "let", "errorsOnly"}

// parseBulkWrite reads and validates the whole command as mongod's IDL
// parser and bulk_write_common::validateRequest do: every error here
// fails the command before any operation runs.
func parseBulkWrite(s *Service, req *Request) (*bulkRequest, error) {
	if err := checkFields(req, bulkWriteFields...); err != nil {
		return nil, err
	}
	br := &bulkRequest{ordered: true, batchSize: -1}
	var err error
	if v := req.Arg("ordered"); v.Type != 0 {
		if br.ordered, err = strictBool("bulkWrite.ordered", v); err != nil {
			return nil, err
		}
	}
	if v := req.Arg("errorsOnly"); v.Type != 0 {
		if br.errorsOnly, err = strictBool("bulkWrite.errorsOnly", v); err != nil {
			return nil, err
		}
	}
	bypass, err := boolArg(req, "bypassDocumentValidation")
	if err != nil {
		return nil, err
	}
	if v := req.Arg("let"); v.Type != 0 {
		if v.Type != bson.TypeEmbeddedDocument {
			return nil, typeMismatch("bulkWrite.let", "object", v)
		}
		br.let = v
	}
	if v := req.Arg("cursor"); v.Type != 0 {
		if br.batchSize, err = bulkCursorBatchSize(v); err != nil {
			return nil, err
		}
	}
	if err := checkStmtIDs(req); err != nil {
		return nil, err
	}

	rawOps, present, err := req.Docs("ops")
	if err != nil {
		return nil, bulkDocsError("ops", err)
	}
	if !present {
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field 'bulkWrite.ops' is missing but a required field")
	}
	rawNS, present, err := req.Docs("nsInfo")
	if err != nil {
		return nil, bulkDocsError("nsInfo", err)
	}
	if !present {
		return nil, mongoerr.New(mongoerr.Location40414, "BSON field 'bulkWrite.nsInfo' is missing but a required field")
	}
	br.ops = make([]bulkOp, len(rawOps))
	for i, raw := range rawOps {
		if err := parseBulkOp(raw, &br.ops[i]); err != nil {
			return nil, err
		}
	}
	br.nsInfo = make([]bulkNamespace, len(rawNS))
	for i, raw := range rawNS {
		if br.nsInfo[i], err = parseBulkNamespace(raw); err != nil {
			return nil, err
		}
	}

	// bulk_write_common::validateRequest, in mongod's order.
	if err := checkBatchSize(len(br.ops)); err != nil {
		return nil, err
	}
	if ids, ok := req.Arg("stmtIds").ArrayOK(); ok {
		vals, _ := ids.Values()
		if len(vals) != len(br.ops) {
			return nil, mongoerr.Newf(mongoerr.InvalidLength, "Number of statement ids must match the number of batch entries. Got %d statement ids but %d operations.", len(vals), len(br.ops))
		}
	}
	encrypted := false
	for i, ns := range br.nsInfo {
		if err := catalog.ValidateDB(ns.db); err != nil || ns.coll == "" || strings.Contains(ns.coll, "\x00") {
			return nil, mongoerr.Newf(mongoerr.InvalidNamespace, "Invalid namespace specified for bulkWrite: '%s'", ns.db+"."+ns.coll)
		}
		if rawNS[i].Lookup("encryptionInformation").Type != 0 {
			encrypted = true
		}
	}
	for _, op := range br.ops {
		if op.ns >= len(br.nsInfo) {
			return nil, mongoerr.Newf(mongoerr.BadValue, "BulkWrite ops entry %s has an invalid nsInfo index.", bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: op.raw}))
		}
	}
	if encrypted {
		if len(br.nsInfo) > 1 {
			return nil, mongoerr.New(mongoerr.BadValue, "BulkWrite with Queryable Encryption supports only a single namespace.")
		}
		return nil, mongoerr.New(mongoerr.NotImplemented, "Queryable Encryption (nsInfo.encryptionInformation) is not supported by SecantusDB")
	}

	// Each namespace gets a stand-in request for queryOptions: its
	// collection's default collation and the command's let.
	for i := range br.nsInfo {
		b := bsoncore.NewDocumentBuilder().AppendString("bulkWrite", br.nsInfo[i].coll)
		if br.let.Type != 0 {
			b.AppendDocument("let", br.let.Value)
		}
		br.nsInfo[i].req = &Request{DB: br.nsInfo[i].db, Name: "bulkWrite", Body: bson.Raw(b.Build()), Conn: req.Conn, svc: s, now: req.Now()}
		br.nsInfo[i].bypass = bypass
	}
	return br, nil
}

// bulkDocsError rewrites Request.Docs' type errors with bulkWrite's
// field paths.
func bulkDocsError(field string, err error) error {
	e := mongoerr.As(err)
	if e.Code == mongoerr.TypeMismatch && strings.HasPrefix(e.Message, "BSON field '"+field+"'") {
		return mongoerr.New(e.Code, strings.Replace(e.Message, "'"+field+"'", "'bulkWrite."+field+"'", 1))
	}
	return err
}

// strictBool reads an IDL "bool" field: only a boolean will do (unlike
// "safeBool", which also takes numbers).
func strictBool(field string, v bson.RawValue) (bool, error) {
	b, ok := v.BooleanOK()
	if !ok {
		return false, typeMismatch(field, "bool", v)
	}
	return b, nil
}

// bulkCursorBatchSize reads bulkWrite's cursor: {batchSize} option.
func bulkCursorBatchSize(v bson.RawValue) (int64, error) {
	d, ok := v.DocumentOK()
	if !ok {
		return 0, typeMismatch("bulkWrite.cursor", "object", v)
	}
	elems, err := d.Elements()
	if err != nil {
		return 0, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	size := int64(-1)
	for _, e := range elems {
		if e.Key() != "batchSize" {
			return 0, mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'bulkWrite.cursor.%s' is an unknown field.", e.Key())
		}
		n, _, err := intValue("bulkWrite.cursor.batchSize", e.Value())
		if err != nil {
			return 0, err
		}
		if n < 0 {
			return 0, mongoerr.Newf(mongoerr.Location51024, "BSON field 'batchSize' value must be >= 0, actual value '%d'", n)
		}
		size = n
	}
	return size, nil
}

// checkStmtIDs validates stmtId/stmtIds (retryable-write statement
// numbers): their types, and that at most one of them is given.
func checkStmtIDs(req *Request) error {
	id, ids := req.Arg("stmtId"), req.Arg("stmtIds")
	if id.Type != 0 && id.Type != bson.TypeInt32 {
		return typeMismatch("bulkWrite.stmtId", "int", id)
	}
	if ids.Type != 0 {
		arr, ok := ids.ArrayOK()
		if !ok {
			return typeMismatch("bulkWrite.stmtIds", "array", ids)
		}
		vals, _ := arr.Values()
		for _, v := range vals {
			if v.Type != bson.TypeInt32 {
				return typeMismatch("bulkWrite.stmtIds", "int", v)
			}
		}
	}
	if id.Type != 0 && ids.Type != 0 {
		return mongoerr.New(mongoerr.InvalidOptions, "May not specify both stmtId and stmtIds in bulkWrite command.")
	}
	return nil
}

// parseBulkNamespace reads one nsInfo entry.
func parseBulkNamespace(raw bson.Raw) (bulkNamespace, error) {
	var ns bulkNamespace
	elems, err := raw.Elements()
	if err != nil {
		return ns, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	seen := map[string]bool{}
	hasNS := false
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		if seen[k] {
			return ns, mongoerr.Newf(mongoerr.Location40413, "BSON field 'bulkWrite.nsInfo.%s' is a duplicate field", k)
		}
		seen[k] = true
		switch k {
		case "ns":
			s, ok := v.StringValueOK()
			if !ok {
				return ns, typeMismatch("bulkWrite.nsInfo.ns", "string", v)
			}
			ns.db, ns.coll, _ = strings.Cut(s, ".")
			hasNS = true
		case "collectionUUID":
			if st, _, ok := v.BinaryOK(); !ok || st != bson.TypeBinaryUUID {
				return ns, typeMismatch("bulkWrite.nsInfo.collectionUUID", "uuid", v)
			}
		case "encryptionInformation":
			if v.Type != bson.TypeEmbeddedDocument {
				return ns, typeMismatch("bulkWrite.nsInfo.encryptionInformation", "object", v)
			}
		case "isTimeseriesNamespace", "shardVersion", "databaseVersion":
			// Set by mongos for shards; a standalone has no use for them.
			return ns, mongoerr.Newf(mongoerr.NotImplemented, "the 'nsInfo.%s' option of bulkWrite is not supported by SecantusDB", k)
		default:
			return ns, mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'bulkWrite.nsInfo.%s' is an unknown field.", k)
		}
	}
	if !hasNS {
		return ns, mongoerr.New(mongoerr.Location40414, "BSON field 'bulkWrite.nsInfo.ns' is missing but a required field")
	}
	return ns, nil
}

// bulkOpFields are the fields each kind of ops entry may have
// (BulkWriteInsertOp, BulkWriteUpdateOp, BulkWriteDeleteOp); the first
// field names the kind and holds the nsInfo index.
var bulkOpFields = map[string][]string{
	"insert": {"insert", "document"},
	"update": {"update", "filter", "sort", "multi", "updateMods", "upsert", "upsertSupplied",
		"arrayFilters", "hint", "constants", "collation", "sampleId", "$_allowShardKeyUpdatesWithoutFullShardKeyInQuery"},
	"delete": {"delete", "filter", "multi", "hint", "collation", "sampleId"},
}

// parseBulkOp checks one ops entry's structure (field names and types,
// required fields) and turns it into op.
func parseBulkOp(raw bson.Raw, op *bulkOp) error {
	op.raw = raw
	elems, err := raw.Elements()
	if err != nil {
		return mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	if len(elems) == 0 {
		return mongoerr.New(mongoerr.FailedToParse, "BulkWrite ops entry must name its operation: insert, update or delete")
	}
	kindName := elems[0].Key()
	known, ok := bulkOpFields[kindName]
	if !ok {
		return mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'bulkWrite.ops.%s' is an unknown field.", kindName)
	}
	switch kindName {
	case "insert":
		op.kind = bulkInsert
	case "update":
		op.kind = bulkUpdate
	default:
		op.kind = bulkDelete
	}
	field := func(k string) string { return "bulkWrite.ops." + k }
	seen := map[string]bson.RawValue{}
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		if !slices.Contains(known, k) {
			return mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field '%s' is an unknown field.", field(k))
		}
		if _, dup := seen[k]; dup {
			return mongoerr.Newf(mongoerr.Location40413, "BSON field '%s' is a duplicate field", field(k))
		}
		seen[k] = v
		switch k {
		case "insert", "update", "delete":
			n, _, err := intValue(field(k), v)
			if err != nil {
				return err
			}
			if n < 0 {
				return mongoerr.Newf(mongoerr.Location51024, "BSON field '%s' value must be >= 0, actual value '%d'", k, n)
			}
			if n > int64(MaxWriteBatchSize)*2 {
				n = int64(MaxWriteBatchSize) * 2 // out of range either way
			}
			op.ns = int(n)
		case "document", "filter", "sort", "collation", "constants":
			if v.Type != bson.TypeEmbeddedDocument {
				return typeMismatch(field(k), "object", v)
			}
		case "multi", "upsert", "upsertSupplied":
			if _, err := strictBool(field(k), v); err != nil {
				return err
			}
		case "updateMods":
			if v.Type != bson.TypeEmbeddedDocument && v.Type != bson.TypeArray {
				return mongoerr.Newf(mongoerr.FailedToParse, "Update argument must be either an object or an array")
			}
		case "arrayFilters":
			arr, ok := v.ArrayOK()
			if !ok {
				return typeMismatch(field(k), "array", v)
			}
			vals, _ := arr.Values()
			for _, av := range vals {
				if av.Type != bson.TypeEmbeddedDocument {
					return typeMismatch(field(k), "object", av)
				}
			}
		case "hint":
			if v.Type != bson.TypeString && v.Type != bson.TypeEmbeddedDocument {
				return mongoerr.New(mongoerr.FailedToParse, "Hint must be a string or an object")
			}
		case "sampleId":
			if st, _, ok := v.BinaryOK(); !ok || st != bson.TypeBinaryUUID {
				return typeMismatch(field(k), "uuid", v)
			}
		}
	}
	need := map[bulkOpKind][]string{
		bulkInsert: {"document"},
		bulkUpdate: {"filter", "updateMods"},
		bulkDelete: {"filter"},
	}[op.kind]
	for _, k := range need {
		if _, ok := seen[k]; !ok {
			return mongoerr.Newf(mongoerr.Location40414, "BSON field '%s' is missing but a required field", field(k))
		}
	}
	if u, ok := seen["upsertSupplied"]; ok && u.Boolean() {
		return mongoerr.New(mongoerr.NotImplemented, "the 'upsertSupplied' option of bulkWrite is not supported by SecantusDB")
	}

	switch op.kind {
	case bulkInsert:
		op.doc = seen["document"].Document()
	case bulkUpdate:
		// The update command's statement: {q, u, multi, upsert, ...}.
		b := bsoncore.NewDocumentBuilder()
		for _, m := range [][2]string{{"filter", "q"}, {"updateMods", "u"}, {"multi", "multi"}, {"upsert", "upsert"},
			{"arrayFilters", "arrayFilters"}, {"hint", "hint"}, {"collation", "collation"}, {"sort", "sort"}, {"constants", "c"}} {
			if v, ok := seen[m[0]]; ok {
				b.AppendValue(m[1], bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
			}
		}
		op.doc = bson.Raw(b.Build())
	case bulkDelete:
		// The delete command's statement: {q, limit, ...}.
		multi := false
		if v, ok := seen["multi"]; ok {
			multi = v.Boolean()
		}
		limit := int32(1)
		if multi {
			limit = 0
		}
		b := bsoncore.NewDocumentBuilder().
			AppendDocument("q", seen["filter"].Value).
			AppendInt32("limit", limit)
		for _, k := range []string{"hint", "collation"} {
			if v, ok := seen[k]; ok {
				b.AppendValue(k, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
			}
		}
		op.doc = bson.Raw(b.Build())
	}
	return nil
}
