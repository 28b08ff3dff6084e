package pipeline

import (
	"context"
	"math/rand/v2"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(map[string]stageDef{"$unwind": {parse: parseUnwind}})
}

// $unwind outputs one document per element of the array at a path
// (through embedded documents, not arrays), with the element in place of
// the array.
type unwindStage struct {
	path      []string
	indexPath []string // includeArrayIndex, nil when not asked
	preserve  bool     // preserveNullAndEmptyArrays
}

func parseUnwind(_ string, v bson.RawValue, _ *parser) (stage, error) {
	u := &unwindStage{}
	var path string
	switch v.Type {
	case bson.TypeString:
		path = v.StringValue()
	case bson.TypeEmbeddedDocument:
		elems, _ := v.Document().Elements()
		hasPath := false
		for _, e := range elems {
			ev := e.Value()
			switch e.Key() {
			case "path":
				s, ok := ev.StringValueOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.Location28808, "expected a string as the path for $unwind stage, got %s", typeName(ev))
				}
				path, hasPath = s, true
			case "includeArrayIndex":
				s, ok := ev.StringValueOK()
				if !ok || s == "" {
					return nil, mongoerr.Newf(mongoerr.Location28810, "expected a non-empty string for the includeArrayIndex  option to $unwind stage, got %s", typeName(ev))
				}
				if strings.HasPrefix(s, "$") {
					return nil, mongoerr.Newf(mongoerr.Location28822, "includeArrayIndex option to $unwind stage should not be prefixed with a '$': %s", s)
				}
				if err := checkFieldPath(s); err != nil {
					return nil, err
				}
				u.indexPath = strings.Split(s, ".")
			case "preserveNullAndEmptyArrays":
				b, ok := ev.BooleanOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.Location28809, "expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage, got %s", typeName(ev))
				}
				u.preserve = b
			default:
				return nil, mongoerr.Newf(mongoerr.Location28811, "unrecognized option to $unwind stage: %s", e.Key())
			}
		}
		if !hasPath {
			return nil, mongoerr.New(mongoerr.Location28812, "no path specified to $unwind stage")
		}
	default:
		return nil, mongoerr.Newf(mongoerr.Location15981, "expected either a string or an object as specification for $unwind stage, got %s", typeName(v))
	}
	if !strings.HasPrefix(path, "$") || len(path) < 2 {
		return nil, mongoerr.Newf(mongoerr.Location28818, "path option to $unwind stage should be prefixed with a '$': %s", path)
	}
	if err := checkFieldPath(path[1:]); err != nil {
		return nil, err
	}
	u.path = strings.Split(path[1:], ".")
	return u, nil
}

// checkFieldPath applies mongod's FieldPath rules to a dotted path.
func checkFieldPath(path string) error {
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			return mongoerr.New(mongoerr.Location15998, "FieldPath field names may not be empty strings.")
		}
		if part[0] == '$' {
			return mongoerr.Newf(mongoerr.Location16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
		if strings.ContainsRune(part, 0) {
			return mongoerr.New(mongoerr.Location16411, "FieldPath field names may not contain '\\0'.")
		}
	}
	return nil
}

func (u *unwindStage) build(in exec.Stage, _ *Env) (exec.Stage, error) {
	return &unwindIter{in: in, spec: u}, nil
}

type unwindIter struct {
	in   exec.Stage
	spec *unwindStage
	doc  bson.Raw        // the document being unwound
	vals []bson.RawValue // its array's elements
	pos  int
}

var nullValue = bson.RawValue{Type: bson.TypeNull}

func (u *unwindIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	for u.pos >= len(u.vals) {
		doc, ok, err := u.in.Next(ctx)
		if !ok || err != nil {
			return nil, ok, err
		}
		u.vals, u.pos = nil, 0
		v, _ := doc.LookupErr(u.spec.path...)
		switch {
		case v.Type == bson.TypeArray:
			vals, _ := bson.Raw(v.Value).Values()
			if len(vals) > 0 {
				u.doc, u.vals = doc, vals
				continue
			}
			if u.spec.preserve {
				return u.withIndex(bsonx.SetPath(doc, u.spec.path, bson.RawValue{}), nullValue), true, nil
			}
		case v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined:
			if u.spec.preserve {
				return u.withIndex(doc, nullValue), true, nil
			}
		default:
			// A non-array value is treated as an array of that one value.
			return u.withIndex(doc, nullValue), true, nil
		}
	}
	i := u.pos
	u.pos++
	out := bsonx.SetPath(u.doc, u.spec.path, u.vals[i])
	return u.withIndex(out, bson.RawValue{Type: bson.TypeInt64, Value: bsoncoreInt64(int64(i))}), true, nil
}

func (u *unwindIter) withIndex(doc bson.Raw, idx bson.RawValue) bson.Raw {
	if u.spec.indexPath == nil {
		return doc
	}
	return bsonx.SetPath(doc, u.spec.indexPath, idx)
}

func (u *unwindIter) Close() { u.in.Close() }

// $sample {size: n} returns n documents chosen at random (all of them,
// in random order, when there are fewer).

type sampleStage struct{ size int64 }

func parseSample(_ string, arg bson.RawValue, _ *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.Location28745, "the $sample stage specification must be an object")
	}
	elems, _ := d.Elements()
	s := &sampleStage{size: -1}
	for _, e := range elems {
		if e.Key() != "size" {
			return nil, mongoerr.Newf(mongoerr.Location28748, "unrecognized option to $sample: %s", e.Key())
		}
		v := e.Value()
		if !bsonx.IsNumber(v.Type) {
			return nil, mongoerr.Newf(mongoerr.Location28746, "size argument to $sample must be a number")
		}
		n, ok := v.AsInt64OK()
		if !ok {
			f, _ := numberAsFloat(v)
			n = int64(f)
		}
		if n < 0 {
			return nil, mongoerr.New(mongoerr.Location28747, "size argument to $sample must not be negative")
		}
		s.size = n
	}
	if s.size < 0 {
		return nil, mongoerr.New(mongoerr.Location28749, "$sample stage must specify a size")
	}
	return s, nil
}

func (s *sampleStage) build(in exec.Stage, _ *Env) (exec.Stage, error) {
	return &sampleIter{in: in, size: s.size}, nil
}

type sampleIter struct {
	in     exec.Stage
	size   int64
	picked []bson.Raw
	loaded bool
}

func (s *sampleIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	if !s.loaded {
		s.loaded = true
		// Reservoir sampling keeps memory at size documents.
		var seen int64
		for {
			d, ok, err := s.in.Next(ctx)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				break
			}
			seen++
			if int64(len(s.picked)) < s.size {
				s.picked = append(s.picked, d)
			} else if j := rand.Int64N(seen); j < s.size {
				s.picked[j] = d
			}
		}
		rand.Shuffle(len(s.picked), func(i, j int) { s.picked[i], s.picked[j] = s.picked[j], s.picked[i] })
	}
	if len(s.picked) == 0 {
		return nil, false, nil
	}
	d := s.picked[0]
	s.picked = s.picked[1:]
	return d, true, nil
}

func (s *sampleIter) Close() { s.in.Close() }

func bsoncoreInt64(n int64) []byte { return bsoncore.AppendInt64(nil, n) }
