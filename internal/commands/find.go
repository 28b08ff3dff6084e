package commands

import (
	"context"
	"encoding/hex"

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

// maxSortMemory is the blocking-sort memory limit
// (internalQueryMaxBlockingSortMemoryUsageBytes).
const maxSortMemory = 100 * 1024 * 1024

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
	var spec exec.FindSpec
	if spec.RawFilter, spec.Filter, err = filterArg(req, "filter"); err != nil {
		return err
	}
	if sortDoc, ok, err := docArg(req, "sort"); err != nil {
		return err
	} else if ok && len(sortDoc) > 5 {
		if spec.Sort, err = query.ParseSort(sortDoc); err != nil {
			return err
		}
	}
	if proj, ok, err := docArg(req, "projection"); err != nil {
		return err
	} else if ok && len(proj) > 5 {
		if spec.Projection, err = query.ParseProjection(proj); err != nil {
			return err
		}
	}
	if spec.Skip, _, err = intArg(req, "skip"); err != nil {
		return err
	}
	if spec.Skip < 0 {
		return mongoerr.Newf(mongoerr.Code(51024), "BSON field 'skip' value must be >= 0, actual value '%d'", spec.Skip)
	}
	if spec.Limit, _, err = intArg(req, "limit"); err != nil {
		return err
	}
	if spec.Limit < 0 {
		return mongoerr.Newf(mongoerr.Code(51024), "BSON field 'limit' value must be >= 0, actual value '%d'", spec.Limit)
	}
	batchSize, hasBatch, err := intArg(req, "batchSize")
	if err != nil {
		return err
	}
	if batchSize < 0 {
		return mongoerr.Newf(mongoerr.Code(51024), "BSON field 'batchSize' value must be >= 0, actual value '%d'", batchSize)
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
	if spec.AllowDiskUse, err = boolArg(req, "allowDiskUse"); err != nil {
		return err
	}
	for _, f := range []string{"tailable", "awaitData"} {
		if on, err := boolArg(req, f); err != nil {
			return err
		} else if on {
			return mongoerr.New(mongoerr.BadValue, "error processing query: tailable cursor requested on non capped collection")
		}
	}
	for _, f := range []string{"min", "max", "returnKey", "showRecordId", "let"} {
		if v := req.Arg(f); v.Type != 0 {
			if b, ok := v.BooleanOK(); ok && !b {
				continue
			}
			return rejectUnsupported(req, f)
		}
	}
	if err := checkCollation("find.collation", req.Arg("collation")); err != nil {
		return err
	}
	spec.MemLimit = maxSortMemory
	tx, coll := s.readTxn(req.DB, name)
	if err := checkHint(coll, req.Arg("hint")); err != nil {
		tx.Rollback()
		return err
	}
	if h, ok := req.Arg("hint").DocumentOK(); ok {
		if first, err := h.IndexErr(0); err == nil && first.Key() == "$natural" {
			ns, _ := first.Value().AsFloat64OK()
			sd := bsoncore.NewDocumentBuilder().AppendInt32("$natural", int32(sign(ns))).Build()
			if spec.Sort == nil {
				spec.Sort, _ = query.ParseSort(bson.Raw(sd))
			}
		}
	}
	stage := exec.BuildFind(tx, coll, spec)
	c := cursor.New(req.DB+"."+name, stage)
	c.NoTimeout = noTimeout
	c.Comment = req.Arg("comment")
	c.Session = sessionKey(req)
	s.Stats.Query.Add(1)
	return s.firstBatch(ctx, c, int(batchSize), singleBatch, reply)
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
	if batchSize > 0 || singleBatch {
		n := batchSize
		docs, exhausted, err = c.NextBatch(ctx, n)
		if err != nil {
			c.Close()
			return err
		}
	}
	s.Stats.DocsReturned.Add(int64(len(docs)))
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
		return mongoerr.Newf(mongoerr.Code(51024), "BSON field 'batchSize' value must be >= 0, actual value '%d'", batchSize)
	}
	c, err := s.Cursors.Checkout(idVal.Int64(), req.DB+"."+coll, sessionKey(req))
	if err != nil {
		return err
	}
	s.Stats.GetMore.Add(1)
	docs, exhausted, err := c.NextBatch(ctx, int(batchSize))
	if err != nil {
		s.Cursors.Return(c, true)
		return err
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
