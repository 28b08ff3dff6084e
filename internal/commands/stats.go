package commands

import (
	"context"
	"syscall"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(
		&Command{Name: "dbStats", Aliases: []string{"dbstats"}, Handler: dbStatsCmd, Help: "database statistics"},
		&Command{Name: "collStats", Aliases: []string{"collstats"}, Handler: collStatsCmd, Help: "collection statistics"},
		&Command{Name: "validate", Handler: validateCmd, Help: "check a collection's documents and indexes"},
	)
}

func scaleArg(req *Request) (int64, error) {
	scale, ok, err := intArg(req, "scale")
	if err != nil {
		return 0, err
	}
	if !ok {
		return 1, nil
	}
	if scale < 1 {
		return 0, mongoerr.New(mongoerr.BadValue, "scale has to be >= 1")
	}
	return scale, nil
}

func dbStatsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "scale", "freeStorage"); err != nil {
		return err
	}
	if err := catalog.ValidateDB(req.DB); err != nil {
		return err
	}
	scale, err := scaleArg(req)
	if err != nil {
		return err
	}
	s.Catalog.RLock()
	d := sizeOf(s.Catalog.Collections(req.DB))
	s.Catalog.RUnlock()
	avg := 0.0
	if d.objects > 0 {
		avg = float64(d.dataSize) / float64(d.objects)
	}
	reply.AppendString("db", req.DB).
		AppendInt64("collections", d.collections).
		AppendInt64("views", 0).
		AppendInt64("objects", d.objects).
		AppendDouble("avgObjSize", avg).
		AppendDouble("dataSize", float64(d.dataSize/scale)).
		AppendDouble("storageSize", float64(d.dataSize/scale)).
		AppendInt64("indexes", d.indexes).
		AppendDouble("indexSize", float64(d.indexSize/scale)).
		AppendDouble("totalSize", float64((d.dataSize+d.indexSize)/scale)).
		AppendInt64("scaleFactor", scale)
	if s.Persistent {
		var st syscall.Statfs_t
		if syscall.Statfs(s.DBPath, &st) == nil {
			total := int64(st.Blocks) * st.Bsize
			free := int64(st.Bavail) * st.Bsize
			reply.AppendDouble("fsUsedSize", float64((total-free)/scale)).
				AppendDouble("fsTotalSize", float64(total/scale))
		}
	}
	return nil
}

func collStatsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "scale", "verbose"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	scale, err := scaleArg(req)
	if err != nil {
		return err
	}
	s.Catalog.RLock()
	coll := s.Catalog.Lookup(req.DB, name)
	s.Catalog.RUnlock()
	if coll == nil {
		return mongoerr.Newf(mongoerr.NamespaceNotFound, "Collection [%s.%s] not found.", req.DB, name)
	}
	count, size := coll.Count(), coll.DataSize()
	ixSize := indexSizeEstimate(coll)
	sizes := bsoncore.NewDocumentBuilder()
	perIndex := ixSize / int64(len(coll.Indexes()))
	for _, ix := range coll.Indexes() {
		sizes.AppendInt64(ix.Name, perIndex/scale)
	}
	reply.AppendString("ns", coll.FullName()).
		AppendInt64("size", size/scale).
		AppendInt64("count", count)
	if count > 0 {
		reply.AppendInt64("avgObjSize", size/count)
	}
	reply.AppendInt64("storageSize", size/scale).
		AppendInt64("freeStorageSize", 0).
		AppendBoolean("capped", false).
		AppendInt32("nindexes", int32(len(coll.Indexes()))).
		AppendDocument("indexDetails", bsoncore.NewDocumentBuilder().Build()).
		AppendInt64("totalIndexSize", ixSize/scale).
		AppendInt64("totalSize", (size+ixSize)/scale).
		AppendDocument("indexSizes", sizes.Build()).
		AppendInt64("scaleFactor", scale)
	return nil
}

// validateCmd walks every record and every index entry of a collection
// and checks that they agree: each document is valid BSON, each index has
// exactly one entry per document.
func validateCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "full", "repair", "metadata", "checkBSONConformance", "background", "scandata", "fixMultikey", "enforceFastCount", "collHash", "hashPrefixes"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	for _, f := range []string{"repair", "metadata", "background", "fixMultikey", "collHash", "hashPrefixes"} {
		if on, err := boolArg(req, f); err != nil {
			return err
		} else if on {
			return rejectUnsupported(req, f)
		}
	}
	tx, coll := s.readTxn(req.DB, name)
	defer tx.Rollback()
	if coll == nil {
		return mongoerr.Newf(mongoerr.NamespaceNotFound, "Collection '%s.%s' does not exist to validate.", req.DB, name)
	}
	res, err := coll.Validate(ctx, tx)
	if err != nil {
		return err
	}
	keys := bsoncore.NewDocumentBuilder()
	details := bsoncore.NewDocumentBuilder()
	for _, ix := range res.Indexes {
		keys.AppendInt64(ix.Name, ix.Keys)
		details.AppendDocument(ix.Name, bsoncore.NewDocumentBuilder().AppendBoolean("valid", ix.Valid).Build())
	}
	errs := bsoncore.NewArrayBuilder()
	for _, e := range res.Errors {
		errs.AppendString(e)
	}
	uuid := coll.UUID()
	reply.AppendString("ns", coll.FullName()).
		AppendBinary("uuid", uuid.Subtype, uuid.Data).
		AppendInt64("nInvalidDocuments", res.InvalidDocuments).
		AppendInt64("nNonCompliantDocuments", 0).
		AppendInt64("nrecords", res.Records).
		AppendInt32("nIndexes", int32(len(res.Indexes))).
		AppendDocument("keysPerIndex", keys.Build()).
		AppendDocument("indexDetails", details.Build()).
		AppendBoolean("valid", len(res.Errors) == 0).
		AppendBoolean("repaired", false).
		AppendArray("warnings", bsoncore.NewArrayBuilder().Build()).
		AppendArray("errors", errs.Build()).
		AppendArray("extraIndexEntries", bsoncore.NewArrayBuilder().Build()).
		AppendArray("missingIndexEntries", bsoncore.NewArrayBuilder().Build()).
		AppendArray("corruptRecords", bsoncore.NewArrayBuilder().Build())
	return nil
}

var _ = bson.Raw{}
