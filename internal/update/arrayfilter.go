package update

import (
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// arrayFilter is one parsed entry of an update's arrayFilters: a query
// whose top-level field names all start with the identifier that
// $[<identifier>] refers to.
type arrayFilter struct {
	filter *query.Filter
}

// identifierPattern is mongod's rule for an array filter identifier.
var identifierPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// parseArrayFilters parses the statement's arrayFilters, keyed by
// identifier, with mongod's errors and their "Error parsing array
// filter" context.
func parseArrayFilters(raw []bson.Raw, coll bsonx.StringComparer) (map[string]*arrayFilter, error) {
	out := map[string]*arrayFilter{}
	for _, r := range raw {
		f, err := query.ParseFilterWith(r, query.Options{Collator: coll})
		if err != nil {
			return nil, withContext(err, "Error parsing array filter")
		}
		id, err := topLevelName(r)
		if err != nil {
			return nil, withContext(err, "Error parsing array filter")
		}
		if id == "" {
			return nil, mongoerr.New(mongoerr.FailedToParse, "Cannot use an expression without a top-level field name in arrayFilters")
		}
		if !identifierPattern.MatchString(id) {
			return nil, withContext(mongoerr.Newf(mongoerr.BadValue, "The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '%s'", id), "Error parsing array filter")
		}
		if out[id] != nil {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Found multiple array filters with the same top-level field name %s", id)
		}
		out[id] = &arrayFilter{filter: f}
	}
	return out, nil
}

func withContext(err error, ctx string) error {
	if me := mongoerr.As(err); me != nil {
		return mongoerr.New(me.Code, ctx+" :: caused by :: "+me.Message)
	}
	return err
}

// topLevelName returns the identifier the filter's paths start with,
// looking through $and, $or and $nor; "" when no path names one.
func topLevelName(doc bson.Raw) (string, error) {
	elems, err := doc.Elements()
	if err != nil {
		return "", mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	id := ""
	for _, e := range elems {
		k := e.Key()
		var names []string
		switch k {
		case "$and", "$or", "$nor":
			vals, _ := e.Value().Array().Values()
			for _, v := range vals {
				if d, ok := v.DocumentOK(); ok {
					n, err := topLevelName(d)
					if err != nil {
						return "", err
					}
					if n != "" {
						names = append(names, n)
					}
				}
			}
		default:
			if strings.HasPrefix(k, "$") {
				continue
			}
			n, _, _ := strings.Cut(k, ".")
			names = append(names, n)
		}
		for _, n := range names {
			if id == "" {
				id = n
			} else if n != id {
				return "", mongoerr.Newf(mongoerr.FailedToParse, "Expected a single top-level field name, found '%s' and '%s'", id, n)
			}
		}
	}
	return id, nil
}

// matches evaluates the filter on an array element the way mongod does:
// the element is wrapped in a document under the identifier's name.
func (f *arrayFilter) matches(id string, v *mval) bool {
	b := bsoncore.BuildDocumentFromElements(nil, bsoncore.AppendValueElement(nil, id, bsoncore.Value{Type: bsoncore.Type(v.t), Data: v.bytes()}))
	return f.filter.Matches(bson.Raw(b))
}
