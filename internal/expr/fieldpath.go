package expr

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// fieldPath is "$a.b" (a path from $$CURRENT) or "$$var.a.b".
// In aggregation a path component is always a field name, never an
// array index: "$a.0" looks for a field named "0".
type fieldPath struct {
	v     VarID
	parts []string // components after the variable
}

func parseFieldPath(raw string, pc *ParseContext) (Expr, error) {
	if raw == "$" {
		return nil, mongoerr.New(mongoerr.Location16872, "'$' by itself is not a valid FieldPath")
	}
	path := raw[1:]
	if path[0] != '$' {
		parts, err := splitFieldPath(path)
		if err != nil {
			return nil, err
		}
		id, err := pc.lookup("CURRENT")
		if err != nil {
			return nil, err
		}
		return fieldPath{v: id, parts: parts}, nil
	}
	// "$$name" or "$$name.a.b".
	name, rest, dotted := strings.Cut(path[1:], ".")
	if err := validateVarName(name, false); err != nil {
		return nil, err
	}
	id, err := pc.lookup(name)
	if err != nil {
		return nil, err
	}
	fp := fieldPath{v: id}
	if dotted {
		if fp.parts, err = splitFieldPath(rest); err != nil {
			return nil, err
		}
	} else if id == varRemove {
		return constant{}, nil
	}
	return fp, nil
}

// splitFieldPath checks and splits the dotted part of a field path the
// way mongod's FieldPath does.
func splitFieldPath(path string) ([]string, error) {
	if path == "" {
		return nil, mongoerr.New(mongoerr.Location40352, "FieldPath cannot be constructed with empty string")
	}
	if path[len(path)-1] == '.' {
		return nil, mongoerr.New(mongoerr.Location40353, "FieldPath must not end with a '.'.")
	}
	parts := strings.Split(path, ".")
	for _, p := range parts {
		if err := validateFieldName(p); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// dollarFieldsAllowed are the '$'-prefixed names mongod accepts in a
// field path (DBRef fields and the internal sort key).
var dollarFieldsAllowed = map[string]bool{"$id": true, "$ref": true, "$db": true, "$sortKey": true}

// validateFieldName applies mongod's rules for one field path component
// or object literal field name.
func validateFieldName(name string) error {
	const hint = " Consider using $getField or $setField."
	switch {
	case name == "":
		return mongoerr.New(mongoerr.Location15998, "FieldPath field names may not be empty strings.")
	case name[0] == '$' && !dollarFieldsAllowed[name]:
		return mongoerr.New(mongoerr.Location16410, "FieldPath field names may not start with '$'."+hint)
	case strings.IndexByte(name, 0) >= 0:
		return mongoerr.New(mongoerr.Location16411, "FieldPath field names may not contain '\\0'.")
	case strings.IndexByte(name, '.') >= 0:
		return mongoerr.New(mongoerr.Location16412, "FieldPath field names may not contain '.'."+hint)
	}
	return nil
}

// validateVarName applies mongod's variable name rules. Names being
// defined (write) must start with a lowercase ASCII letter or a non-ASCII
// byte, except CURRENT, which may be rebound; names being read may also
// start with an uppercase letter (ROOT, NOW, …).
func validateVarName(name string, write bool) error {
	if name == "" {
		return mongoerr.New(mongoerr.Location16866, "empty variable names are not allowed")
	}
	if write && name == "CURRENT" {
		return nil
	}
	c := name[0]
	if !(c >= 'a' && c <= 'z' || c >= 0x80 || !write && c >= 'A' && c <= 'Z') {
		return mongoerr.Newf(mongoerr.Location16867, "'%s' starts with an invalid character for a user variable name", name)
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80) {
			return mongoerr.Newf(mongoerr.Location16868, "'%s' contains an invalid character for a variable name: '%c'", name, c)
		}
	}
	return nil
}

func (f fieldPath) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	v, err := ec.getVar(f.v, doc)
	if err != nil || len(f.parts) == 0 {
		return v, err
	}
	return walkPath(v, f.parts), nil
}

// walkPath follows parts from v with aggregation semantics: at a
// document take the field; at an array apply the rest of the path to
// each document element and collect what is found into a new array
// (non-documents and missing results are skipped); anything else is
// missing.
func walkPath(v bson.RawValue, parts []string) bson.RawValue {
	for i, p := range parts {
		switch v.Type {
		case bson.TypeEmbeddedDocument:
			next, err := bson.Raw(v.Value).LookupErr(p)
			if err != nil {
				return bson.RawValue{}
			}
			v = next
		case bson.TypeArray:
			vals, _ := bson.Raw(v.Value).Values()
			out := make([]bson.RawValue, 0, len(vals))
			for _, e := range vals {
				if e.Type != bson.TypeEmbeddedDocument {
					continue
				}
				if r := walkPath(e, parts[i:]); r.Type != 0 {
					out = append(out, r)
				}
			}
			return arrayValue(out)
		default:
			return bson.RawValue{}
		}
	}
	return v
}
