package query

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// MaxSortKeys is the most fields a sort pattern may have.
const MaxSortKeys = 32

// Sort is a parsed sort specification.
type Sort struct {
	fields  []string
	paths   []fieldPath
	dirs    []int
	natural int
	coll    Collator
}

// SortKey is a document's precomputed sort key.
type SortKey []bson.RawValue

// ParseSort parses a sort document with the simple collation.
func ParseSort(spec bson.Raw) (*Sort, error) { return ParseSortWith(spec, nil) }

// ParseSortWith parses a sort document ordering strings by a collator.
func ParseSortWith(spec bson.Raw, coll Collator) (*Sort, error) {
	s := &Sort{coll: coll}
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	if len(elems) > MaxSortKeys {
		return nil, mongoerr.Newf(mongoerr.BadValue, "cannot have more than %d fields in a sort pattern", MaxSortKeys)
	}
	for _, e := range elems {
		v := e.Value()
		if v.Type == bson.TypeEmbeddedDocument {
			meta, isMeta := v.Document().Lookup("$meta").StringValueOK()
			switch {
			case !isMeta:
				return nil, mongoerr.New(mongoerr.Location15974, "Illegal key in $sort specification: "+e.Key()+": "+bsonx.Format(v))
			case meta == "textScore":
				// Text search does not exist yet, so no query has a score.
				return nil, mongoerr.New(mongoerr.Code(40218), "query requires text score metadata, but it is not available")
			}
			return nil, mongoerr.Newf(mongoerr.NotImplemented, "$meta sort by %q is not supported by SecantusDB yet", meta)
		}
		if !bsonx.IsNumber(v.Type) {
			return nil, mongoerr.New(mongoerr.Location15974, "Illegal key in $sort specification: "+e.Key()+": "+bsonx.Format(v))
		}
		f := numberFloat(v)
		if f != 1 && f != -1 {
			return nil, mongoerr.New(mongoerr.Location15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
		}
		if e.Key() == "$natural" {
			if len(elems) > 1 {
				return nil, mongoerr.New(mongoerr.BadValue, "$natural sort cannot be combined with other sort fields")
			}
			s.natural = int(f)
			continue
		}
		if e.Key() == "" {
			return nil, mongoerr.New(mongoerr.BadValue, "FieldPath cannot be constructed with empty string")
		}
		s.fields = append(s.fields, e.Key())
		s.paths = append(s.paths, newFieldPath(e.Key()))
		s.dirs = append(s.dirs, int(f))
	}
	return s, nil
}

// Natural reports a {$natural: ±1} sort and its direction.
func (s *Sort) Natural() (int, bool) { return s.natural, s.natural != 0 }

// IsEmpty reports whether the sort orders nothing.
func (s *Sort) IsEmpty() bool { return len(s.fields) == 0 }

// Key extracts doc's sort key: per field, the smallest value the path
// reaches (ascending) or the largest (descending), with arrays
// contributing their elements (an empty array sorts below null) and a
// missing field sorting as null.
func (s *Sort) Key(doc bson.Raw) SortKey {
	key := make(SortKey, len(s.fields))
	for i := range s.fields {
		var best bson.RawValue
		found := false
		consider := func(v bson.RawValue) {
			if !found {
				best, found = v, true
				return
			}
			c := compareValues(v, best, s.coll)
			if (s.dirs[i] > 0 && c < 0) || (s.dirs[i] < 0 && c > 0) {
				best = v
			}
		}
		s.paths[i].walk(doc, false, func(v bson.RawValue, _ int) bool {
			switch v.Type {
			case 0:
				consider(bson.RawValue{Type: bson.TypeNull})
			case bson.TypeArray:
				if len(v.Value) <= 5 {
					consider(bson.RawValue{Type: bson.TypeUndefined})
					break
				}
				forEach(v.Value, func(_ int, _ []byte, e bson.RawValue) bool {
					consider(e)
					return false
				})
			default:
				consider(v)
			}
			return false
		})
		if !found {
			best = bson.RawValue{Type: bson.TypeNull}
		}
		key[i] = best
	}
	return key
}

// CompareKeys orders two sort keys.
func (s *Sort) CompareKeys(a, b SortKey) int {
	for i := range s.fields {
		if c := compareValues(a[i], b[i], s.coll); c != 0 {
			return c * s.dirs[i]
		}
	}
	return 0
}

// Compare orders two documents by the sort.
func (s *Sort) Compare(a, b bson.Raw) int { return s.CompareKeys(s.Key(a), s.Key(b)) }
