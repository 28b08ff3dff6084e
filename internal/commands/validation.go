package commands

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/collation"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// Document validation: a collection's validator (a query filter, often a
// $jsonSchema) is checked against every document an insert, update,
// upsert or findAndModify writes, as mongod does. validationLevel says
// which writes are checked (strict: all; moderate: inserts and updates of
// documents that were valid before; off: none); validationAction says
// what a failure does (error: the write fails with
// DocumentValidationFailure; warn: it is logged and the write goes on).
// bypassDocumentValidation skips the check for one command.

// Validation levels and actions as stored in the collection options.
const (
	levelStrict   = "strict"
	levelModerate = "moderate"
	levelOff      = "off"
	actionError   = "error"
	actionWarn    = "warn"
)

// validation is a collection's parsed validator and its settings.
type validation struct {
	filter *query.Filter
	level  string
	action string
}

// validationOf returns the collection's validation, parsed once per
// options version, or nil when it has no validator. A validator that no
// longer parses (it cannot, since create and collMod check it) fails
// every write instead of being ignored.
func validationOf(coll *catalog.Collection) (*validation, error) {
	type parsed struct {
		v   *validation
		err error
	}
	p := coll.Memo("validation", func(opts bson.Raw) any {
		v, err := parseValidation(opts)
		return parsed{v, err}
	}).(parsed)
	return p.v, p.err
}

func parseValidation(opts bson.Raw) (*validation, error) {
	spec, ok := opts.Lookup("validator").DocumentOK()
	if !ok || len(spec) <= 5 {
		return nil, nil
	}
	v := &validation{level: levelStrict, action: actionError}
	if s, ok := opts.Lookup("validationLevel").StringValueOK(); ok {
		v.level = s
	}
	if s, ok := opts.Lookup("validationAction").StringValueOK(); ok {
		v.action = s
	}
	c, err := optionsCollation(opts)
	if err != nil {
		return nil, err
	}
	if v.filter, err = parseValidator(spec, c); err != nil {
		return nil, err
	}
	return v, nil
}

// optionsCollation is the default collation stored in collection options.
func optionsCollation(opts bson.Raw) (*collation.Collation, error) {
	spec, ok := opts.Lookup("collation").DocumentOK()
	if !ok {
		return nil, nil
	}
	return collation.Parse(spec)
}

// parseValidator parses a validator filter with the collection's default
// collation, refusing what mongod refuses in validators.
func parseValidator(spec bson.Raw, c *collation.Collation) (*query.Filter, error) {
	if err := checkValidatorFeatures(spec); err != nil {
		return nil, err
	}
	var opts query.Options
	if c != nil {
		opts.Collator = c
	}
	return query.ParseFilterWith(spec, opts)
}

// checkValidatorFeatures refuses $where, $text and $near/$nearSphere in a
// validator, with mongod's QueryFeatureNotAllowed errors; it looks where
// those operators can appear: at the top level, under $and/$or/$nor, and
// as a field's operator.
func checkValidatorFeatures(filter bson.Raw) error {
	elems, _ := filter.Elements()
	for _, e := range elems {
		k := e.Key()
		switch k {
		case "$where":
			return mongoerr.New(mongoerr.QueryFeatureNotAllowed, "$where is not allowed in this context")
		case "$text":
			return mongoerr.New(mongoerr.QueryFeatureNotAllowed, "$text is not allowed in this context")
		case "$and", "$or", "$nor":
			arr, _ := e.Value().ArrayOK()
			vals, _ := arr.Values()
			for _, v := range vals {
				if d, ok := v.DocumentOK(); ok {
					if err := checkValidatorFeatures(d); err != nil {
						return err
					}
				}
			}
		default:
			if strings.HasPrefix(k, "$") {
				continue
			}
			d, ok := e.Value().DocumentOK()
			if !ok {
				continue
			}
			ops, _ := d.Elements()
			for _, op := range ops {
				switch op.Key() {
				case "$near", "$nearSphere", "$geoNear":
					return mongoerr.New(mongoerr.QueryFeatureNotAllowed, "$geoNear, $near, and $nearSphere are not allowed in this context")
				case "$not", "$elemMatch":
					if sub, ok := op.Value().DocumentOK(); ok {
						if err := checkValidatorFeatures(sub); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// checkValidationOptions checks the validator, validationLevel and
// validationAction a create or collMod command gives for db.name, whose
// default collation is c.
func checkValidationOptions(cmd, db, name string, body bson.Raw, c *collation.Collation) error {
	elems, _ := body.Elements()
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "validator":
			spec, ok := v.DocumentOK()
			if !ok {
				return typeMismatch(cmd+".validator", "object", v)
			}
			if len(spec) > 5 {
				if err := checkValidatorNamespace(db, name); err != nil {
					return err
				}
				if _, err := parseValidator(spec, c); err != nil {
					if me := mongoerr.As(err); me != nil && cmd == "collMod" {
						// collMod reports where the error came from; create does not.
						return mongoerr.Newf(me.Code, "Parsing of collection validator failed :: caused by :: %s", me.Message)
					}
					return err
				}
			}
		case "validationLevel":
			if err := checkEnum(cmd+".validationLevel", v, levelOff, levelStrict, levelModerate); err != nil {
				return err
			}
		case "validationAction":
			if s, ok := v.StringValueOK(); ok && s == "errorAndLog" {
				return mongoerr.New(mongoerr.InvalidOptions, "Validation action 'errorAndLog' is not supported with current FCV")
			}
			if err := checkEnum(cmd+".validationAction", v, actionWarn, actionError); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkValidatorNamespace refuses validators where mongod does.
func checkValidatorNamespace(db, name string) error {
	if strings.HasPrefix(name, "system.") {
		return mongoerr.Newf(mongoerr.InvalidOptions, "Document validators not allowed on system collection %s.%s", db, name)
	}
	switch db {
	case "admin", "local", "config":
		return mongoerr.Newf(mongoerr.InvalidOptions, "Document validators are not allowed on collection %s.%s in the %s internal database", db, name, db)
	}
	return nil
}

// checkEnum checks a string option against its allowed values, with the
// errors of mongod's command parser.
func checkEnum(field string, v bson.RawValue, allowed ...string) error {
	s, ok := v.StringValueOK()
	if !ok {
		return typeMismatch(field, "string", v)
	}
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return mongoerr.Newf(mongoerr.BadValue, "Enumeration value '%s' for field '%s' is not a valid value.", s, field)
}

// validateWrite checks doc, about to be written to coll, against the
// collection's validator. old is the document an update replaces (nil
// for an insert or upsert); bypass is the command's
// bypassDocumentValidation.
func (s *Service) validateWrite(coll *catalog.Collection, old, doc bson.Raw, bypass bool) error {
	if bypass {
		return nil
	}
	v, err := validationOf(coll)
	if err != nil {
		return err
	}
	if v == nil || v.level == levelOff {
		return nil
	}
	if old != nil && v.level == levelModerate && !v.filter.Matches(old) {
		// Moderate: documents that were already invalid may be updated.
		return nil
	}
	if ok, err := v.filter.MatchesErr(doc); err == nil && ok {
		return nil
	}
	info := bsoncore.NewDocumentBuilder()
	if id := doc.Lookup("_id"); id.Type != 0 {
		info.AppendValue("failingDocumentId", bsoncore.Value{Type: bsoncore.Type(id.Type), Data: id.Value})
	}
	info.AppendDocument("details", v.filter.ValidationDetails(doc))
	errInfo := bson.Raw(info.Build())
	if v.action == actionWarn {
		s.Logger.Warn("Document would fail validation", "namespace", coll.FullName(),
			"document", doc.String(), "errInfo", errInfo.String())
		return nil
	}
	return &mongoerr.Error{Code: mongoerr.DocumentValidationFailure, Message: "Document failed validation",
		Extra: []mongoerr.Field{{Key: "errInfo", Value: errInfo}}}
}
