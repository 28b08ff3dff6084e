package commands

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/collation"
	"github.com/secantusdb/secantus/internal/cursor"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(
		&Command{Name: "create", Handler: createCmd, Help: "create a collection"},
		&Command{Name: "drop", Handler: dropCmd, Help: "drop a collection"},
		&Command{Name: "dropDatabase", Handler: dropDatabaseCmd, Help: "drop a database"},
		&Command{Name: "listDatabases", Handler: listDatabasesCmd, AdminOnly: true, Help: "list databases"},
		&Command{Name: "listCollections", Handler: listCollectionsCmd, Help: "list collections"},
		&Command{Name: "listIndexes", Handler: listIndexesCmd, Help: "list a collection's indexes"},
		&Command{Name: "renameCollection", Handler: renameCollectionCmd, AdminOnly: true, Help: "rename a collection"},
	)
}

// createOptionsSupported are the create options SecantusDB implements.
// Other options mongod knows are rejected until they are implemented.
var createOptionsSupported = map[string]bool{"clusteredIndex": true, "changeStreamPreAndPostImages": true,
	"validator": true, "validationLevel": true, "validationAction": true}

var createOptionsKnown = []string{"capped", "size", "max", "autoIndexId", "validator", "validationLevel",
	"validationAction", "indexOptionDefaults", "viewOn", "pipeline", "collation", "storageEngine",
	"changeStreamPreAndPostImages", "timeseries", "expireAfterSeconds", "clusteredIndex",
	"encryptedFields", "idIndex", "flags", "recordPreImages"}

func createCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, createOptionsKnown...); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	if req.Arg("viewOn").Type != 0 || req.Arg("pipeline").Type != 0 {
		return s.createView(req, name)
	}
	opts := bsoncore.NewDocumentBuilder()
	var defaultCollation *collation.Collation
	elems, _ := req.Body.Elements()
	for i, e := range elems {
		k := e.Key()
		if i == 0 || genericArgs[k] {
			continue
		}
		switch k {
		case "validator":
			if d, ok := e.Value().DocumentOK(); ok && len(d) <= 5 {
				continue // an empty validator is no validator
			}
		case "capped", "autoIndexId":
			// capped: false and autoIndexId: true are the defaults.
			if b, _ := boolValue("create."+k, e.Value()); b == (k == "autoIndexId") {
				continue
			}
		case "collation":
			d, ok := e.Value().DocumentOK()
			if !ok {
				return typeMismatch("create.collation", "object", e.Value())
			}
			c, err := collation.Parse(d)
			if err != nil {
				return err
			}
			if c != nil {
				// Stored resolved, as listCollections reports it.
				opts.AppendDocument(k, c.Spec())
			}
			defaultCollation = c
			continue
		case "clusteredIndex":
			ci, err := clusteredIndexOption(e.Value())
			if err != nil {
				return err
			}
			opts.AppendDocument(k, ci)
			continue
		case "changeStreamPreAndPostImages":
			if err := checkPreAndPostImages("create", e.Value()); err != nil {
				return err
			}
		}
		if !createOptionsSupported[k] {
			return rejectUnsupported(req, k)
		}
		opts.AppendValue(k, bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
	}
	if err := checkValidationOptions(req.Name, req.DB, name, req.Body, defaultCollation); err != nil {
		return err
	}
	raw := bson.Raw(opts.Build())
	s.Catalog.RLock()
	existing := s.Catalog.Lookup(req.DB, name)
	s.Catalog.RUnlock()
	if existing != nil {
		// mongod 7+ treats re-creating an identical collection as success.
		if string(existing.Options()) == string(raw) || (len(existing.Options()) == 0 && len(raw) <= 5) {
			return nil
		}
		return mongoerr.Newf(mongoerr.NamespaceExists, "Collection %s.%s already exists.", req.DB, name)
	}
	if len(raw) <= 5 {
		raw = nil
	}
	_, err = s.Catalog.Create(req.DB, name, catalog.CreateOptions{Raw: raw}, false)
	return err
}

func dropCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "collectionUUID"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	s.Catalog.RLock()
	coll := s.Catalog.Lookup(req.DB, name)
	nIndexes := 0
	if coll != nil {
		nIndexes = len(coll.Indexes())
	}
	s.Catalog.RUnlock()
	if _, err := s.Catalog.Drop(req.DB, name); err != nil {
		return err
	}
	s.Cursors.KillNamespace(req.DB + "." + name)
	// mongod 7+ answers ok for a collection that does not exist.
	if coll != nil {
		reply.AppendInt32("nIndexesWas", int32(nIndexes))
		reply.AppendString("ns", req.DB+"."+name)
	}
	return nil
}

func dropDatabaseCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req); err != nil {
		return err
	}
	if err := catalog.ValidateDB(req.DB); err != nil {
		return err
	}
	dropped, err := s.Catalog.DropDatabase(req.DB)
	for _, c := range dropped {
		s.Cursors.KillNamespace(req.DB + "." + c)
	}
	if err != nil {
		return err
	}
	if len(dropped) > 0 {
		reply.AppendString("dropped", req.DB)
	}
	return nil
}

// dbSize sums a database's data and index estimates.
type dbSize struct {
	collections, objects, dataSize, indexes, indexSize int64
}

func sizeOf(colls []*catalog.Collection) dbSize {
	var d dbSize
	for _, c := range colls {
		d.collections++
		d.objects += c.Count()
		d.dataSize += c.DataSize()
		d.indexes += int64(len(c.Indexes()))
		d.indexSize += indexSizeEstimate(c)
	}
	return d
}

// indexSizeEstimate approximates an index's size from its entry count:
// the engine does not account index bytes per collection.
func indexSizeEstimate(c *catalog.Collection) int64 {
	return c.Count() * 32 * int64(len(c.Indexes()))
}

func listDatabasesCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "filter", "nameOnly", "authorizedDatabases"); err != nil {
		return err
	}
	nameOnly, err := boolArg(req, "nameOnly")
	if err != nil {
		return err
	}
	if _, err := boolArg(req, "authorizedDatabases"); err != nil {
		return err
	}
	_, filter, err := filterArg(req, "filter")
	if err != nil {
		return err
	}
	s.Catalog.RLock()
	dbs := s.Catalog.Databases()
	sizes := make([]dbSize, len(dbs))
	for i, db := range dbs {
		sizes[i] = sizeOf(s.Catalog.Collections(db))
	}
	s.Catalog.RUnlock()
	arr := bsoncore.NewArrayBuilder()
	var total int64
	for i, db := range dbs {
		size := sizes[i].dataSize + sizes[i].indexSize
		if size == 0 {
			size = 4096 // an existing database takes some space, as on mongod
		}
		entry := bsoncore.NewDocumentBuilder().AppendString("name", db)
		if !nameOnly {
			entry.AppendInt64("sizeOnDisk", size).AppendBoolean("empty", false)
		}
		doc := bson.Raw(entry.Build())
		if ok, err := filter.MatchesErr(doc); err != nil {
			return err
		} else if !ok {
			continue
		}
		total += size
		arr.AppendDocument(doc)
	}
	reply.AppendArray("databases", arr.Build())
	if !nameOnly {
		reply.AppendInt64("totalSize", total)
		reply.AppendInt64("totalSizeMb", total/(1024*1024))
	}
	return nil
}

func listCollectionsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "filter", "nameOnly", "authorizedCollections", "cursor", "includePendingDrops"); err != nil {
		return err
	}
	if err := catalog.ValidateDB(req.DB); err != nil {
		return err
	}
	nameOnly, err := boolArg(req, "nameOnly")
	if err != nil {
		return err
	}
	if _, err := boolArg(req, "authorizedCollections"); err != nil {
		return err
	}
	_, filter, err := filterArg(req, "filter")
	if err != nil {
		return err
	}
	batchSize, err := cursorBatchSize(req)
	if err != nil {
		return err
	}
	s.Catalog.RLock()
	colls := s.Catalog.Collections(req.DB)
	s.Catalog.RUnlock()
	var docs []bson.Raw
	for _, c := range colls {
		b := bsoncore.NewDocumentBuilder().AppendString("name", c.Name())
		if _, _, view := viewOf(c); view {
			b.AppendString("type", "view")
			if !nameOnly {
				b.AppendDocument("options", c.Options()).
					AppendDocument("info", bsoncore.NewDocumentBuilder().AppendBoolean("readOnly", true).Build())
			}
		} else if b.AppendString("type", "collection"); !nameOnly {
			opts := c.Options()
			if opts == nil {
				opts = bson.Raw(bsoncore.NewDocumentBuilder().Build())
			}
			uuid := c.UUID()
			b.AppendDocument("options", opts).
				AppendDocument("info", bsoncore.NewDocumentBuilder().
					AppendBoolean("readOnly", false).
					AppendBinary("uuid", uuid.Subtype, uuid.Data).Build())
			if !c.Clustered() {
				b.AppendDocument("idIndex", c.Indexes()[0].Spec)
			}
		}
		doc := bson.Raw(b.Build())
		if ok, err := filter.MatchesErr(doc); err != nil {
			return err
		} else if ok {
			docs = append(docs, doc)
		}
	}
	return s.listCursor(ctx, req, req.DB+".$cmd.listCollections", docs, batchSize, reply)
}

func listIndexesCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "cursor", "includeBuildUUIDs", "includeIndexBuildInfo", "collectionUUID"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	batchSize, err := cursorBatchSize(req)
	if err != nil {
		return err
	}
	s.Catalog.RLock()
	coll := s.Catalog.Lookup(req.DB, name)
	var docs []bson.Raw
	if coll != nil {
		for _, ix := range coll.Indexes() {
			docs = append(docs, ix.Spec)
		}
	}
	s.Catalog.RUnlock()
	if coll == nil {
		return mongoerr.Newf(mongoerr.NamespaceNotFound, "ns does not exist: %s.%s", req.DB, name)
	}
	if _, _, view := viewOf(coll); view {
		return viewNotCollection(req.DB, name)
	}
	return s.listCursor(ctx, req, req.DB+".$cmd.listIndexes."+name, docs, batchSize, reply)
}

// cursorBatchSize reads the cursor: {batchSize} option of list commands.
func cursorBatchSize(req *Request) (int, error) {
	c, ok, err := docArg(req, "cursor")
	if err != nil || !ok {
		return defaultFirstBatch, err
	}
	elems, _ := c.Elements()
	n := int64(defaultFirstBatch)
	for _, e := range elems {
		if e.Key() != "batchSize" {
			return 0, mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field '%s.cursor.%s' is an unknown field.", req.Name, e.Key())
		}
		v, _, err := intValue(req.Name+".cursor.batchSize", e.Value())
		if err != nil {
			return 0, err
		}
		if v < 0 {
			return 0, mongoerr.Newf(mongoerr.Code(51024), "BSON field 'batchSize' value must be >= 0, actual value '%d'", v)
		}
		n = v
	}
	return int(n), nil
}

// sliceSource serves precomputed documents through a cursor.
type sliceSource struct{ docs []bson.Raw }

func (s *sliceSource) Next(context.Context) (bson.Raw, bool, error) {
	if len(s.docs) == 0 {
		return nil, false, nil
	}
	d := s.docs[0]
	s.docs = s.docs[1:]
	return d, true, nil
}

func (s *sliceSource) Close() {}

func (s *Service) listCursor(ctx context.Context, req *Request, ns string, docs []bson.Raw, batchSize int, reply *bsoncore.DocumentBuilder) error {
	c := cursor.New(ns, &sliceSource{docs: docs})
	c.Session = sessionKey(req)
	return s.firstBatch(ctx, c, batchSize, false, reply)
}

func renameCollectionCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "to", "dropTarget", "stayTemp", "collectionUUID", "newTargetCollectionUuid"); err != nil {
		return err
	}
	from, ok := req.Command().StringValueOK()
	if !ok {
		return typeMismatch("renameCollection.renameCollection", "string", req.Command())
	}
	toVal := req.Arg("to")
	to, ok := toVal.StringValueOK()
	if !ok {
		if toVal.Type == 0 {
			return mongoerr.New(mongoerr.Location40414, "BSON field 'renameCollection.to' is missing but a required field")
		}
		return typeMismatch("renameCollection.to", "string", toVal)
	}
	dropTarget, err := boolArg(req, "dropTarget")
	if err != nil {
		return err
	}
	fromDB, fromColl, ok1 := strings.Cut(from, ".")
	toDB, toColl, ok2 := strings.Cut(to, ".")
	if !ok1 || catalog.ValidateCollection(fromDB, fromColl) != nil {
		return mongoerr.Newf(mongoerr.InvalidNamespace, "Invalid source namespace: %s", from)
	}
	if !ok2 || catalog.ValidateCollection(toDB, toColl) != nil {
		return mongoerr.Newf(mongoerr.InvalidNamespace, "Invalid target namespace: %s", to)
	}
	if err := s.Catalog.Rename(fromDB, fromColl, toDB, toColl, dropTarget); err != nil {
		return err
	}
	s.Cursors.KillNamespace(from)
	return nil
}

// clusteredIndexOption validates create's clusteredIndex and returns it
// as listCollections reports it (with v).
func clusteredIndexOption(v bson.RawValue) (bson.Raw, error) {
	d, ok := v.DocumentOK()
	if !ok {
		return nil, typeMismatch("create.clusteredIndex", "object", v)
	}
	b := bsoncore.NewDocumentBuilder()
	var key bson.Raw
	unique := false
	elems, _ := d.Elements()
	for _, e := range elems {
		switch e.Key() {
		case "key":
			key, _ = e.Value().DocumentOK()
			b.AppendDocument("key", key)
		case "unique":
			unique, _ = e.Value().BooleanOK()
			b.AppendBoolean("unique", unique)
		case "name":
			name, ok := e.Value().StringValueOK()
			if !ok {
				return nil, typeMismatch("create.clusteredIndex.name", "string", e.Value())
			}
			b.AppendString("name", name)
		case "v":
			n, ok := asInt64(e.Value())
			if !ok || n != 2 {
				return nil, mongoerr.New(mongoerr.InvalidIndexSpecificationOption, "clusteredIndex v must be 2")
			}
		default:
			return nil, mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'create.clusteredIndex.%s' is an unknown field.", e.Key())
		}
	}
	if key == nil || !unique {
		return nil, mongoerr.New(mongoerr.InvalidIndexSpecificationOption, "The clusteredIndex option requires a key and unique: true")
	}
	if ke, _ := key.Elements(); len(ke) != 1 || ke[0].Key() != "_id" || ke[0].Value().AsInt64() != 1 {
		return nil, mongoerr.New(mongoerr.InvalidIndexSpecificationOption, "The clusteredIndex option is only supported for key: {_id: 1}")
	}
	b.AppendInt32("v", 2)
	return bson.Raw(b.Build()), nil
}

// checkPreAndPostImages validates {changeStreamPreAndPostImages: {enabled}}.
// The setting is stored with the collection; change streams will read it.
func checkPreAndPostImages(cmd string, v bson.RawValue) error {
	d, ok := v.DocumentOK()
	if !ok {
		return typeMismatch(cmd+".changeStreamPreAndPostImages", "object", v)
	}
	elems, _ := d.Elements()
	seen := false
	for _, e := range elems {
		if e.Key() != "enabled" {
			return mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field '%s.changeStreamPreAndPostImages.%s' is an unknown field.", cmd, e.Key())
		}
		if _, ok := e.Value().BooleanOK(); !ok {
			return typeMismatch(cmd+".changeStreamPreAndPostImages.enabled", "bool", e.Value())
		}
		seen = true
	}
	if !seen {
		return mongoerr.Newf(mongoerr.Location40414, "BSON field '%s.changeStreamPreAndPostImages.enabled' is missing but a required field", cmd)
	}
	return nil
}

func init() {
	register(&Command{Name: "collMod", Handler: collModCmd, Help: "change a collection's options"})
}

// collModCmd changes collection options. Only the options SecantusDB
// implements are accepted; the others collMod knows are refused.
func collModCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if err := checkFields(req, "changeStreamPreAndPostImages", "validator", "validationLevel", "validationAction",
		"index", "viewOn", "pipeline", "expireAfterSeconds", "timeseries", "dryRun", "cappedSize", "cappedMax",
		"recordPreImages", "collectionUUID", "timeseriesBucketsMayHaveMixedSchemaData"); err != nil {
		return err
	}
	name, err := collectionArg(req)
	if err != nil {
		return err
	}
	s.Catalog.RLock()
	coll := s.Catalog.Lookup(req.DB, name)
	var old bson.Raw
	if coll != nil {
		old = coll.Options()
	}
	s.Catalog.RUnlock()
	if coll == nil {
		return mongoerr.Newf(mongoerr.NamespaceNotFound, "ns does not exist: %s.%s", req.DB, name)
	}
	updates := map[string]bson.RawValue{}
	elems, _ := req.Body.Elements()
	for i, e := range elems {
		if i == 0 || genericArgs[e.Key()] {
			continue
		}
		switch e.Key() {
		case "changeStreamPreAndPostImages":
			if err := checkPreAndPostImages("collMod", e.Value()); err != nil {
				return err
			}
		case "validator", "validationLevel", "validationAction":
		default:
			return rejectUnsupported(req, e.Key())
		}
		updates[e.Key()] = e.Value()
	}
	c, err := optionsCollation(old)
	if err != nil {
		return err
	}
	if err := checkValidationOptions(req.Name, req.DB, name, req.Body, c); err != nil {
		return err
	}
	b := bsoncore.NewDocumentBuilder()
	oldElems, _ := old.Elements()
	// An empty validator removes the validator.
	keep := func(k string, v bson.RawValue) bool {
		d, ok := v.DocumentOK()
		return k != "validator" || !ok || len(d) > 5
	}
	for _, e := range oldElems {
		if v, ok := updates[e.Key()]; ok {
			if keep(e.Key(), v) {
				b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
			}
			delete(updates, e.Key())
			continue
		}
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
	}
	// New options follow in the order the command gave them.
	for i, e := range elems {
		v, ok := updates[e.Key()]
		if i == 0 || !ok || !keep(e.Key(), v) {
			continue
		}
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
	}
	return s.Catalog.SetOptions(req.DB, name, bson.Raw(b.Build()))
}
