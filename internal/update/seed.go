package update

import (
	"fmt"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// rawToAny decodes a raw value into the Go form bson.D holds.
func rawToAny(v bson.RawValue) any {
	var d bson.D
	doc := bson.D{{Key: "v", Value: v}}
	b, _ := bson.Marshal(doc)
	bson.Unmarshal(b, &d)
	return d[0].Value
}

// getPath returns the value at path in d.
func getPath(d bson.D, path []string) (any, bool) {
	var cur any = d
	for _, p := range path {
		switch c := cur.(type) {
		case *bson.D:
			cur = *c
		case *bson.A:
			cur = *c
		}
		switch c := cur.(type) {
		case bson.D:
			found := false
			for _, e := range c {
				if e.Key == p {
					cur, found = e.Value, true
					break
				}
			}
			if !found {
				return nil, false
			}
		case bson.A:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// setPath sets path in *d to val, creating intermediate documents and
// padding arrays with nulls as mongod does.
func setPath(d *bson.D, path []string, val any, orig bson.Raw) error {
	var container any = d
	for i, p := range path {
		last := i == len(path)-1
		switch c := container.(type) {
		case *bson.D:
			idx := -1
			for j, e := range *c {
				if e.Key == p {
					idx = j
					break
				}
			}
			if last {
				if idx >= 0 {
					(*c)[idx].Value = val
				} else {
					*c = append(*c, bson.E{Key: p, Value: val})
				}
				return nil
			}
			if idx < 0 {
				*c = append(*c, bson.E{Key: p, Value: bson.D{}})
				idx = len(*c) - 1
			}
			next, err := child(&(*c)[idx].Value, path[i+1], strings.Join(path[:i+1], "."))
			if err != nil {
				return err
			}
			container = next
		case *bson.A:
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 {
				return mongoerr.Newf(mongoerr.PathNotViable, "Cannot create field '%s' in element {%s: %s}", p, path[i-1], fmtAny(*c))
			}
			for len(*c) <= n {
				*c = append(*c, nil)
			}
			if last {
				(*c)[n] = val
				return nil
			}
			if (*c)[n] == nil {
				(*c)[n] = bson.D{}
			}
			next, err := child(&(*c)[n], path[i+1], strings.Join(path[:i+1], "."))
			if err != nil {
				return err
			}
			container = next
		}
	}
	return nil
}

// child returns a pointer to the container held in *slot, converting the
// stored value to an addressable form; a scalar cannot be traversed.
func child(slot *any, next, at string) (any, error) {
	switch v := (*slot).(type) {
	case bson.D:
		p := new(bson.D)
		*p = v
		*slot = p
		return p, nil
	case *bson.D:
		return v, nil
	case bson.A:
		p := new(bson.A)
		*p = v
		*slot = p
		return p, nil
	case *bson.A:
		return v, nil
	}
	last := at[strings.LastIndex(at, ".")+1:]
	return nil, mongoerr.Newf(mongoerr.PathNotViable, "Cannot create field '%s' in element {%s: %s}", next, last, fmtAny(*slot))
}

func fmtAny(v any) string {
	t, data, err := bson.MarshalValue(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return bsonx.Format(bson.RawValue{Type: t, Value: data})
}

var emptyDoc = []byte{5, 0, 0, 0, 0}

// UpsertSeed builds the document an upsert inserts before applying its
// update: the equality conditions of the filter ({a: 1}, {"a.b": 1},
// {a: {$eq: 1}}, inside $and), with dotted paths as nested documents.
func UpsertSeed(filter bson.Raw) (bson.Raw, error) {
	d := bson.D{} // a nil bson.D would marshal as null
	if len(filter) <= 5 {
		return bson.Raw(emptyDoc), nil
	}
	if err := seed(&d, filter); err != nil {
		return nil, err
	}
	// mongod stores _id as the first field of an inserted document.
	for i, e := range d {
		if e.Key == "_id" && i > 0 {
			d = append(bson.D{e}, append(d[:i:i], d[i+1:]...)...)
			break
		}
	}
	out, err := bson.Marshal(d)
	return bson.Raw(out), err
}

func seed(d *bson.D, filter bson.Raw) error {
	elems, err := filter.Elements()
	if err != nil {
		return err
	}
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		if k == "$and" {
			arr, _ := v.ArrayOK()
			vals, _ := arr.Values()
			for _, sv := range vals {
				if sd, ok := sv.DocumentOK(); ok {
					if err := seed(d, sd); err != nil {
						return err
					}
				}
			}
			continue
		}
		if strings.HasPrefix(k, "$") {
			continue
		}
		if sub, ok := v.DocumentOK(); ok {
			if first, err := sub.IndexErr(0); err == nil && strings.HasPrefix(first.Key(), "$") {
				eq, err := sub.LookupErr("$eq")
				if err != nil {
					continue
				}
				v = eq
			}
		}
		if v.Type == bson.TypeRegex {
			continue
		}
		path := strings.Split(k, ".")
		if _, exists := getPath(*d, path); exists {
			return mongoerr.Newf(mongoerr.NotSingleValueField, "cannot infer query fields to set, path '%s' is matched twice", k)
		}
		if err := setPath(d, path, rawToAny(v), nil); err != nil {
			return mongoerr.Newf(mongoerr.NotSingleValueField, "cannot infer query fields to set, path '%s' is matched twice", k)
		}
	}
	return nil
}
