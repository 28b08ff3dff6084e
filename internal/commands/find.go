package commands

import (
	"context"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/cursor"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

func init() {
	register(
		&Command{Name: "find", Handler: findCmd, Help: "query for documents"},
		&Command{Name: "getMore", Handler: getMoreCmd, Help: "get more results from a cursor"},
		&Command{Name: "killCursors", Handler: killCursorsCmd, Help: "kill open cursors"},
	)
}

// defaultFirstBatch is mongod's first-batch size when none is given.
const defaultFirstBatch = 101

func findCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "filter", "sort", "projection", "hint", "skip", "limit", "batchSize",
		"singleBatch", "min", "max", "returnKey", "showRecordId", "tailable", "oplogReplay",
		"noCursorTimeout", "awaitData", "allowPartialResults", "collation", "allowDiskUse", "let",
		"readOnce", "collectionUUID", "term", "isTimeseriesNamespace"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	opts, err := queryOptions(req, "find.collation", req.Arg("collation"))
	if err != nil {
		return err
	}
	var spec exec.FindSpec
	if spec.RawFilter, spec.Filter, err = filterArgWith(req, "filter", opts); err != nil {
		return err
	}
	if sortDoc, ok, err := docArg(req, "sort"); err != nil {
		return err
	} else if ok && len(sortDoc) > 5 {
		if spec.Sort, err = query.ParseSortWith(sortDoc, opts.Collator); err != nil {
			return err
		}
	}
	if proj, ok, err := docArg(req, "projection"); err != nil {
		return err
	} else if ok && len(proj) > 5 {
		if spec.Projection, err = query.ParseFindProjection(proj, spec.Filter, opts); err != nil {
			return err
		}
	}
	if spec.Skip, _, err = intArg(req, "skip"); err != nil {
		return err
	}
	if spec.Skip < 0 {
		return mongoerr.Newf(mongoerr.Location51024, "BSON field 'skip' value must be >= 0, actual value '%d'", spec.Skip)
	}
	if spec.Limit, _, err = intArg(req, "limit"); err != nil {
		return err
	}
	// mongod 8.0 rejects a negative limit: the legacy "negative limit
	// means one batch" is the drivers' business (they send limit and
	// singleBatch: true instead).
	if spec.Limit < 0 {
		return mongoerr.Newf(mongoerr.Location51024, "BSON field 'limit' value must be >= 0, actual value '%d'", spec.Limit)
	}
	batchSize, hasBatch, err := intArg(req, "batchSize")
	if err != nil {
		return err
	}
	if batchSize < 0 {
		return mongoerr.Newf(mongoerr.Location51024, "BSON field 'batchSize' value must be >= 0, actual value '%d'", batchSize)
	}
	if !hasBatch {
		batchSize = defaultFirstBatch
	}
	singleBatch, err := boolArg(req, "singleBatch")
	if err != nil {
		return err
	}
	noTimeout, err := boolArg(req, "noCursorTimeout")
	if err != nil {
		return err
	}
	// Without allowDiskUse, find follows allowDiskUseByDefault (true since
	// 6.0): a big blocking sort spills unless the client said false.
	spec.AllowDiskUse = s.Params.AllowDiskUseByDefault()
	if v := req.Arg("allowDiskUse"); v.Type != 0 && v.Type != bson.TypeNull {
		if spec.AllowDiskUse, err = boolValue("find.allowDiskUse", v); err != nil {
			return err
		}
	}
	if spec.ShowRecordID, err = boolArg(req, "showRecordId"); err != nil {
		return err
	}
	if spec.ReturnKey, err = boolArg(req, "returnKey"); err != nil {
		return err
	}
	maxTime, err := maxTimeArg(req)
	if err != nil {
		return err
	}
	for _, f := range []string{"tailable", "awaitData"} {
		if on, err := boolArg(req, f); err != nil {
			return err
		} else if on {
			return mongoerr.New(mongoerr.BadValue, "error processing query: tailable cursor requested on non capped collection")
		}
	}
	for _, f := range []string{"min", "max"} {
		if v := req.Arg(f); v.Type != 0 {
			if b, ok := v.BooleanOK(); ok && !b {
				continue
			}
			// min and max bound an index scan: without a hint mongod's
			// planner refuses them; with one they need index bounds,
			// which SecantusDB's planner does not build yet.
			if h := req.Arg("hint"); h.Type == 0 || (h.Type == bson.TypeEmbeddedDocument && len(h.Value) <= 5) {
				return mongoerr.New(mongoerr.Location51173, "When using min()/max() a hint of which index to use must be provided")
			}
			return rejectUnsupported(req, f)
		}
	}
	spec.MemLimit = s.Params.SortMemoryLimit()
	spec.TempDir = s.TempDir()
	if h, ok := req.Arg("hint").DocumentOK(); ok {
		if first, err := h.IndexErr(0); err == nil && first.Key() == "$natural" {
			ns, _ := first.Value().AsFloat64OK()
			sd := bsoncore.NewDocumentBuilder().AppendInt32("$natural", int32(sign(ns))).Build()
			if spec.Sort == nil {
				spec.Sort, _ = query.ParseSort(bson.Raw(sd))
			}
		}
	}
	stage, _, err := s.readSource(ctx, req, req.DB, name, spec, opts)
	if err != nil {
		return err
	}
	c := cursor.New(req.DB+"."+name, stage)
	c.NoTimeout = noTimeout
	c.Comment = req.Arg("comment")
	c.Session = sessionKey(req)
	c.Limit = spec.Limit
	c.HasMaxTime = maxTime > 0
	s.Stats.Query.Add(1)
	if err := s.firstBatch(ctx, c, int(batchSize), singleBatch, reply); err != nil {
		return executorError(err, "find command")
	}
	return nil
}

// TempDir is where queries spill to disk: <dbpath>/_tmp as on mongod,
// or the system's temporary directory for an in-memory server.
func (s *Service) TempDir() string {
	if s.Persistent && s.DBPath != "" {
		return filepath.Join(s.DBPath, "_tmp")
	}
	return os.TempDir()
}

// maxTimeArg validates a command's maxTimeMS as mongod's parser does and
// returns it (0: no limit). The deadline itself is set by the dispatcher.
func maxTimeArg(req *Request) (time.Duration, error) {
	v := req.Arg("maxTimeMS")
	if v.Type == 0 {
		return 0, nil
	}
	var n int64
	switch v.Type {
	case bson.TypeInt32:
		n = int64(v.Int32())
	case bson.TypeInt64:
		n = v.Int64()
	case bson.TypeDouble:
		f := v.Double()
		switch {
		case f != f:
			n = 0
		case f >= math.MaxInt64:
			n = math.MaxInt64
		case f <= math.MinInt64:
			n = math.MinInt64
		default:
			n = int64(f)
		}
	case bson.TypeDecimal128:
		f, _ := parseDecimalFloat(v.Decimal128().String())
		n = int64(max(min(f, math.MaxInt64), math.MinInt64))
	default:
		return 0, mongoerr.New(mongoerr.BadValue, "maxTimeMS must be a number")
	}
	if n < 0 || n > math.MaxInt32 {
		return 0, mongoerr.Newf(mongoerr.BadValue, "%d value for maxTimeMS is out of range [0, %d]", n, math.MaxInt32)
	}
	if v.Type == bson.TypeDouble && math.Floor(v.Double()) != v.Double() {
		return 0, mongoerr.New(mongoerr.BadValue, "maxTimeMS has non-integral value")
	}
	return time.Duration(n) * time.Millisecond, nil
}

// executorError is err as mongod reports a failure while a query plan
// runs: the time limit as MaxTimeMSExpired, and the message prefixed with
// the context mongod adds ("Executor error during find command :: caused
// by :: ...").
func executorError(err error, during string) error {
	if errors.Is(err, context.DeadlineExceeded) {
		err = mongoerr.New(mongoerr.MaxTimeMSExpired, "operation exceeded time limit")
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	e := mongoerr.As(err)
	return &mongoerr.Error{Code: e.Code, Message: "Executor error during " + during + " :: caused by :: " + e.Message,
		Labels: e.Labels, Extra: e.Extra}
}

func sign(f float64) int {
	if f < 0 {
		return -1
	}
	return 1
}

// firstBatch fills a command's first batch from c and registers c for
// getMore unless it is exhausted (or singleBatch asked for one batch).
func (s *Service) firstBatch(ctx context.Context, c *cursor.Cursor, batchSize int, singleBatch bool, reply *bsoncore.DocumentBuilder) error {
	var docs []bson.Raw
	exhausted := false
	var err error
	// batchSize 0 asks for an empty first batch (just the cursor), even
	// with singleBatch: mongod's first batch is full as soon as it holds
	// batchSize documents.
	if batchSize > 0 {
		docs, exhausted, err = c.NextBatch(ctx, batchSize)
		if err != nil {
			c.Close()
			return err
		}
	}
	s.Stats.DocsReturned.Add(int64(len(docs)))
	if c.HasMaxTime {
		// What remains of the time limit carries over to getMore.
		if dl, ok := ctx.Deadline(); ok {
			c.MaxTimeLeft = max(time.Until(dl), 0)
		} else {
			c.HasMaxTime = false
		}
	}
	var id int64
	if exhausted || singleBatch {
		c.Close()
	} else {
		id = s.Cursors.Register(c)
	}
	appendCursor(reply, id, c.NS, "firstBatch", docs)
	return nil
}

func appendCursor(reply *bsoncore.DocumentBuilder, id int64, ns, field string, docs []bson.Raw) {
	arr := bsoncore.NewArrayBuilder()
	for _, d := range docs {
		arr.AppendDocument(d)
	}
	reply.AppendDocument("cursor", bsoncore.NewDocumentBuilder().
		AppendArray(field, arr.Build()).
		AppendInt64("id", id).
		AppendString("ns", ns).Build())
}

// sessionKey identifies the logical session of a request ("" if none).
func sessionKey(req *Request) string {
	lsid, ok := req.Arg("lsid").DocumentOK()
	if !ok {
		return ""
	}
	if _, data, ok := lsid.Lookup("id").BinaryOK(); ok {
		return hex.EncodeToString(data)
	}
	return ""
}

func getMoreCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "collection", "batchSize", "maxTimeMS", "term", "lastKnownCommittedOpTime", "includeQueryStatsMetrics"); err != nil {
		return err
	}
	idVal := req.Command()
	if idVal.Type != bson.TypeInt64 {
		return typeMismatch("getMore.getMore", "long", idVal)
	}
	collVal := req.Arg("collection")
	coll, ok := collVal.StringValueOK()
	if !ok {
		if collVal.Type == 0 {
			return mongoerr.New(mongoerr.Location40414, "BSON field 'getMore.collection' is missing but a required field")
		}
		return typeMismatch("getMore.collection", "string", collVal)
	}
	batchSize, _, err := intArg(req, "batchSize")
	if err != nil {
		return err
	}
	if batchSize < 0 {
		return mongoerr.Newf(mongoerr.Location51024, "BSON field 'batchSize' value must be >= 0, actual value '%d'", batchSize)
	}
	if _, err := maxTimeArg(req); err != nil {
		return err
	}
	c, err := s.Cursors.Checkout(idVal.Int64(), req.DB+"."+coll, sessionKey(req))
	if err != nil {
		return err
	}
	if strictGetMoreMaxTime && req.Arg("maxTimeMS").Type != 0 && !c.AwaitData {
		// On any other cursor the time limit is the one of the command
		// that opened it, shared by all its getMores.
		s.Cursors.Return(c, false)
		return mongoerr.New(mongoerr.BadValue, "cannot set maxTimeMS on getMore command for a non-awaitData cursor")
	}
	s.Stats.GetMore.Add(1)
	bctx, done := c.WithMaxTime(ctx)
	docs, exhausted, err := c.NextBatch(bctx, int(batchSize))
	done()
	if err != nil {
		s.Cursors.Return(c, true)
		return executorError(err, "getMore")
	}
	s.Stats.DocsReturned.Add(int64(len(docs)))
	id := c.ID
	s.Cursors.Return(c, exhausted)
	if exhausted {
		id = 0
	}
	appendCursor(reply, id, c.NS, "nextBatch", docs)
	return nil
}

// strictGetMoreMaxTime makes getMore refuse maxTimeMS on cursors that
// are not awaitData, as mongod does (getmore_cmd.cpp). It is off for now:
// drivers with a client-side timeout (CSOT) add maxTimeMS to every
// command sent through RunCommand, getMore included, and SecantusDB's own
// integration helpers do so; until they stop, such a maxTimeMS only
// bounds that one getMore (the dispatcher's deadline), on top of what is
// left of the find's time limit.
const strictGetMoreMaxTime = false

func killCursorsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "cursors"); err != nil {
		return err
	}
	collVal := req.Command()
	coll, ok := collVal.StringValueOK()
	if !ok {
		return typeMismatch("killCursors.killCursors", "string", collVal)
	}
	v, err := req.Body.LookupErr("cursors")
	if err != nil {
		return mongoerr.New(mongoerr.Location40414, "BSON field 'killCursors.cursors' is missing but a required field")
	}
	arr, ok := v.ArrayOK()
	if !ok {
		return typeMismatch("killCursors.cursors", "array", v)
	}
	vals, _ := arr.Values()
	killed, notFound := bsoncore.NewArrayBuilder(), bsoncore.NewArrayBuilder()
	for _, e := range vals {
		if e.Type != bson.TypeInt64 {
			return typeMismatch("killCursors.cursors", "long", e)
		}
		if s.Cursors.Kill(e.Int64(), req.DB+"."+coll) {
			killed.AppendInt64(e.Int64())
		} else {
			notFound.AppendInt64(e.Int64())
		}
	}
	reply.AppendArray("cursorsKilled", killed.Build())
	reply.AppendArray("cursorsNotFound", notFound.Build())
	reply.AppendArray("cursorsAlive", bsoncore.NewArrayBuilder().Build())
	reply.AppendArray("cursorsUnknown", bsoncore.NewArrayBuilder().Build())
	return nil
}
