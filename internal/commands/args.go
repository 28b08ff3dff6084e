package commands

import (
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/collation"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// checkFields rejects fields of the command document that are neither
// the command's own (known) nor generic protocol fields, as mongod's IDL
// parser does: an option we would ignore is an error, never a no-op.
func checkFields(req *Request, known ...string) error {
	elems, err := req.Body.Elements()
	if err != nil {
		return mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for i, e := range elems {
		if i == 0 || genericArgs[e.Key()] {
			continue
		}
		ok := false
		for _, k := range known {
			if k == e.Key() {
				ok = true
				break
			}
		}
		if !ok {
			return mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field '%s.%s' is an unknown field.", req.Name, e.Key())
		}
	}
	return nil
}

// collectionArg returns the collection a command names in its first
// field, validated.
func collectionArg(req *Request) (string, error) {
	v := req.Command()
	name, ok := v.StringValueOK()
	if !ok {
		return "", mongoerr.Newf(mongoerr.InvalidNamespace, "collection name has invalid type %s", typeName(v.Type))
	}
	if err := catalog.ValidateCollection(req.DB, name); err != nil {
		return "", err
	}
	return name, nil
}

// intArg reads an optional integral numeric field.
func intArg(req *Request, field string) (int64, bool, error) {
	v, err := req.Body.LookupErr(field)
	if err != nil {
		return 0, false, nil
	}
	return intValue(req.Name+"."+field, v)
}

func intValue(field string, v bson.RawValue) (int64, bool, error) {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		n, ok := asInt64(v)
		if !ok {
			return 0, true, mongoerr.Newf(mongoerr.BadValue, "Expected field %s to be of integral type, got %s", field, v)
		}
		if v.Type == bson.TypeDouble && float64(n) != v.Double() {
			return 0, true, mongoerr.Newf(mongoerr.BadValue, "Expected field %s to have an integral value, got %s", field, v)
		}
		return n, true, nil
	}
	return 0, true, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '%s' is the wrong type '%s', expected types '[long, int, decimal, double]'", field, typeName(v.Type))
}

// boolArg reads an optional boolean field; numbers are accepted as
// mongod's IDL "safeBool" does.
func boolArg(req *Request, field string) (bool, error) {
	v, err := req.Body.LookupErr(field)
	if err != nil {
		return false, nil
	}
	return boolValue(req.Name+"."+field, v)
}

func boolValue(field string, v bson.RawValue) (bool, error) {
	switch v.Type {
	case bson.TypeBoolean:
		return v.Boolean(), nil
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		n, _ := v.AsFloat64OK()
		return n != 0, nil
	case bson.TypeNull, bson.TypeUndefined:
		return false, nil
	}
	return false, mongoerr.Newf(mongoerr.TypeMismatch, "BSON field '%s' is the wrong type '%s', expected types '[bool, long, int, decimal, double]'", field, typeName(v.Type))
}

// docArg reads an optional document field.
func docArg(req *Request, field string) (bson.Raw, bool, error) {
	v, err := req.Body.LookupErr(field)
	if err != nil || v.Type == bson.TypeNull {
		return nil, false, nil
	}
	d, ok := v.DocumentOK()
	if !ok {
		return nil, true, typeMismatch(req.Name+"."+field, "object", v)
	}
	return d, true, nil
}

// rejectUnsupported returns the error for an option SecantusDB knows but
// does not implement yet: never silently ignored.
func rejectUnsupported(req *Request, field string) error {
	return mongoerr.Newf(mongoerr.NotImplemented, "the '%s' option of %s is not supported by SecantusDB yet", field, req.Name)
}

// checkHint accepts a hint naming an existing index (by name or key
// pattern) of coll; with only the _id index and no planner yet a valid
// hint cannot change the results. A missing index is mongod's BadValue.
func checkHint(coll *catalog.Collection, v bson.RawValue) error {
	if v.Type == 0 {
		return nil
	}
	if name, ok := v.StringValueOK(); ok {
		if coll == nil {
			return nil
		}
		for _, ix := range coll.Indexes() {
			if ix.Name == name {
				return nil
			}
		}
		return mongoerr.New(mongoerr.BadValue, "hint provided does not correspond to an existing index")
	}
	d, ok := v.DocumentOK()
	if !ok {
		return mongoerr.Newf(mongoerr.FailedToParse, "hint must be a string or an object, got %s", typeName(v.Type))
	}
	if len(d) <= 5 {
		return nil // {} means no hint
	}
	if first, err := d.IndexErr(0); err == nil && first.Key() == "$natural" {
		return nil
	}
	if coll == nil {
		return nil
	}
	for _, ix := range coll.Indexes() {
		if string(ix.Key) == string(d) {
			return nil
		}
	}
	return mongoerr.New(mongoerr.BadValue, "hint provided does not correspond to an existing index")
}

func parseDecimalFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

// filterArg reads and parses an optional filter document field.
func filterArg(req *Request, field string) (bson.Raw, *query.Filter, error) {
	return filterArgWith(req, field, query.Options{})
}

// filterArgWith reads and parses an optional filter document field with
// the query's collation and let variables.
func filterArgWith(req *Request, field string, opts query.Options) (bson.Raw, *query.Filter, error) {
	raw, _, err := docArg(req, field)
	if err != nil {
		return nil, nil, err
	}
	f, err := query.ParseFilterWith(raw, opts)
	return raw, f, err
}

// queryOptions resolves what a query runs with: its collation (the
// collation argument, named field in errors, or else the collection's
// default) and the expression scope of the command's let variables.
func queryOptions(req *Request, field string, collationArg bson.RawValue) (query.Options, error) {
	var opts query.Options
	c, err := req.collation(field, collationArg)
	if err != nil {
		return opts, err
	}
	if c != nil {
		opts.Collator = c
	}
	var let bson.Raw
	if v := req.Arg("let"); v.Type != 0 {
		d, ok := v.DocumentOK()
		if !ok {
			return opts, typeMismatch(req.Name+".let", "object", v)
		}
		let = d
	}
	// The scope carries the command's $$NOW even without let variables.
	sc, err := expr.NewScopeAt(let, opts.Collator, req.Now())
	if err != nil {
		return opts, err
	}
	opts.Scope = sc
	return opts, nil
}

// collation parses a command's collation argument; without one, the
// collection's default collation applies. nil is the simple collation.
func (req *Request) collation(field string, v bson.RawValue) (*collation.Collation, error) {
	if v.Type == 0 {
		return req.defaultCollation()
	}
	d, ok := v.DocumentOK()
	if !ok {
		return nil, typeMismatch(field, "object", v)
	}
	c, err := collation.Parse(d)
	if err != nil {
		return nil, collation.WithQueryContext(err)
	}
	return c, nil
}

// defaultCollation is the collation the command's collection was
// created with, if any.
func (req *Request) defaultCollation() (*collation.Collation, error) {
	if !req.defaultCollDone {
		req.defaultColl, req.defaultCollErr = req.lookupDefaultCollation()
		req.defaultCollDone = true
	}
	return req.defaultColl, req.defaultCollErr
}

func (req *Request) lookupDefaultCollation() (*collation.Collation, error) {
	name, ok := req.Command().StringValueOK()
	if !ok || req.svc == nil {
		return nil, nil
	}
	cat := req.svc.Catalog
	cat.RLock()
	coll := cat.Lookup(req.DB, name)
	cat.RUnlock()
	if coll == nil {
		return nil, nil
	}
	spec, ok := coll.Options().Lookup("collation").DocumentOK()
	if !ok {
		return nil, nil
	}
	return collation.Parse(spec)
}
