// Package update applies MongoDB update documents — replacements and
// operator updates — to raw BSON documents, producing the document
// mongod would produce: fields keep their place, new fields are appended
// in the order mongod applies paths (lexicographic since 5.0), numeric
// types follow mongod's promotion rules.
package update

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Options are the statement options an update is parsed with.
type Options struct {
	ArrayFilters []bson.Raw
}

// Update is a parsed update document.
type Update struct {
	replacement bson.Raw
	ops         []opPath // sorted by path, as mongod applies them
}

type opPath struct {
	op   string
	path []string
	arg  bson.RawValue
	arg2 string // $rename target
}

// supported lists the operators implemented; the others mongod knows are
// rejected explicitly, never ignored.
var supported = map[string]bool{
	"$set": true, "$unset": true, "$inc": true, "$mul": true, "$min": true, "$max": true,
	"$setOnInsert": true, "$rename": true, "$currentDate": true,
}

var known = map[string]bool{
	"$push": true, "$addToSet": true, "$pop": true, "$pull": true, "$pullAll": true, "$bit": true,
}

// Parse parses an update document.
func Parse(u bson.Raw, opts Options) (*Update, error) {
	elems, err := u.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	if len(opts.ArrayFilters) > 0 {
		return nil, mongoerr.New(mongoerr.NotImplemented, "arrayFilters are not supported by SecantusDB yet")
	}
	if len(elems) == 0 || !strings.HasPrefix(elems[0].Key(), "$") {
		for _, e := range elems {
			if strings.HasPrefix(e.Key(), "$") {
				return nil, mongoerr.Newf(mongoerr.DollarPrefixedFieldName, "The dollar ($) prefixed field '%s' in '%s' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.", e.Key(), e.Key())
			}
		}
		return &Update{replacement: u}, nil
	}
	up := &Update{}
	for _, e := range elems {
		op := e.Key()
		if !strings.HasPrefix(op, "$") {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Unknown modifier: %s. Expected a valid update modifier or pipeline-style update specified as an array", op)
		}
		if !supported[op] {
			if known[op] {
				return nil, mongoerr.Newf(mongoerr.NotImplemented, "the update operator %s is not supported by SecantusDB yet", op)
			}
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Unknown modifier: %s. Expected a valid update modifier or pipeline-style update specified as an array", op)
		}
		d, ok := e.Value().DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Modifiers operate on fields but we found type %s instead. For example: {$mod: {<field>: ...}} not {%s: %s}", typeName(e.Value().Type), op, e.Value())
		}
		fields, _ := d.Elements()
		if len(fields) == 0 {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "'%s' is empty. You must specify a field like so: {%s: {<field_name>: ...}}", op, op)
		}
		for _, f := range fields {
			path := f.Key()
			if err := checkPath(path); err != nil {
				return nil, err
			}
			o := opPath{op: op, path: strings.Split(path, "."), arg: f.Value()}
			switch op {
			case "$inc", "$mul":
				if !isNumber(f.Value()) {
					verb := "increment"
					if op == "$mul" {
						verb = "multiply"
					}
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "Cannot %s with non-numeric argument: {%s: %s}", verb, path, f.Value())
				}
			case "$rename":
				to, ok := f.Value().StringValueOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.BadValue, "The 'to' field for $rename must be a string: %s: %s", path, f.Value())
				}
				if to == path {
					return nil, mongoerr.Newf(mongoerr.BadValue, "The source and target field for $rename must differ: %s: %q", path, to)
				}
				if err := checkPath(to); err != nil {
					return nil, err
				}
				o.arg2 = to
			case "$currentDate":
				if err := checkCurrentDate(path, f.Value()); err != nil {
					return nil, err
				}
			}
			up.ops = append(up.ops, o)
			if op == "$rename" {
				up.ops = append(up.ops, opPath{op: "$rename-to", path: strings.Split(o.arg2, "."), arg2: path})
			}
		}
	}
	sort.SliceStable(up.ops, func(i, j int) bool { return lessPath(up.ops[i].path, up.ops[j].path) })
	for i := 1; i < len(up.ops); i++ {
		a, b := up.ops[i-1].path, up.ops[i].path
		if isPrefix(a, b) {
			return nil, mongoerr.Newf(mongoerr.ConflictingUpdateOperators, "Updating the path '%s' would create a conflict at '%s'", strings.Join(b, "."), strings.Join(a, "."))
		}
	}
	return up, nil
}

func checkCurrentDate(path string, v bson.RawValue) error {
	if v.Type == bson.TypeBoolean {
		return nil
	}
	d, ok := v.DocumentOK()
	if !ok {
		return mongoerr.Newf(mongoerr.BadValue, "%s is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).", typeName(v.Type))
	}
	elems, _ := d.Elements()
	for _, e := range elems {
		if e.Key() != "$type" {
			return mongoerr.Newf(mongoerr.BadValue, "Unrecognized $currentDate option: %s", e.Key())
		}
		s, _ := e.Value().StringValueOK()
		if s != "date" && s != "timestamp" {
			return mongoerr.New(mongoerr.BadValue, "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}")
		}
	}
	return nil
}

func checkPath(path string) error {
	if path == "" {
		return mongoerr.New(mongoerr.EmptyFieldName, "An empty update path is not valid.")
	}
	for _, p := range strings.Split(path, ".") {
		if p == "" {
			return mongoerr.Newf(mongoerr.EmptyFieldName, "The update path '%s' contains an empty field name, which is not allowed.", path)
		}
		if strings.HasPrefix(p, "$") {
			return mongoerr.Newf(mongoerr.NotImplemented, "positional update path '%s' is not supported by SecantusDB yet", path)
		}
	}
	return nil
}

func lessPath(a, b []string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		ai, aerr := strconv.Atoi(a[i])
		bi, berr := strconv.Atoi(b[i])
		if aerr == nil && berr == nil {
			return ai < bi
		}
		return a[i] < b[i]
	}
	return len(a) < len(b)
}

func isPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// IsReplacement reports whether the update is a replacement document.
func (u *Update) IsReplacement() bool { return u.replacement != nil }

// Apply applies the update to doc. isInsert is set when doc is an
// upsert's seed ($setOnInsert applies only then). changed is false when
// the result equals doc byte for byte.
func (u *Update) Apply(doc bson.Raw, isInsert bool) (bson.Raw, bool, error) {
	oldID, hasID := doc.Lookup("_id"), len(doc) > 5 && doc.Lookup("_id").Type != 0
	if u.replacement != nil {
		out, err := u.replace(doc, oldID, hasID)
		if err != nil {
			return nil, false, err
		}
		return out, !bytes.Equal(out, doc), nil
	}
	var d bson.D
	if err := bson.Unmarshal(doc, &d); err != nil {
		return nil, false, err
	}
	now := time.Now()
	for _, o := range u.ops {
		var err error
		switch o.op {
		case "$setOnInsert":
			if isInsert {
				err = setPath(&d, o.path, rawToAny(o.arg), doc)
			}
		case "$set":
			err = setPath(&d, o.path, rawToAny(o.arg), doc)
		case "$unset":
			unsetPath(&d, o.path)
		case "$inc", "$mul", "$min", "$max":
			err = arith(&d, o, doc)
		case "$currentDate":
			var val any = bson.DateTime(now.UnixMilli())
			if dd, ok := o.arg.DocumentOK(); ok && dd.Lookup("$type").StringValue() == "timestamp" {
				val = bson.Timestamp{T: uint32(now.Unix()), I: 1}
			}
			err = setPath(&d, o.path, val, doc)
		case "$rename":
			// handled at the target ("$rename-to"); the source is removed there.
		case "$rename-to":
			src := strings.Split(o.arg2, ".")
			if v, ok := getPath(d, src); ok {
				unsetPath(&d, src)
				err = setPath(&d, o.path, v, doc)
			}
		}
		if err != nil {
			return nil, false, err
		}
	}
	out, err := bson.Marshal(d)
	if err != nil {
		return nil, false, mongoerr.New(mongoerr.BadValue, err.Error())
	}
	if hasID {
		newID := bson.Raw(out).Lookup("_id")
		if newID.Type == 0 || bsonx.Compare(oldID, newID) != 0 || newID.Type != oldID.Type {
			return nil, false, mongoerr.New(mongoerr.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'")
		}
	}
	if len(out) > 16*1024*1024 {
		return nil, false, mongoerr.Newf(mongoerr.BSONObjectTooLarge, "Resulting document after update is larger than %d", 16*1024*1024)
	}
	return bson.Raw(out), !bytes.Equal(out, doc), nil
}

func (u *Update) replace(doc bson.Raw, oldID bson.RawValue, hasID bool) (bson.Raw, error) {
	newID, err := u.replacement.LookupErr("_id")
	if err == nil {
		if hasID && (bsonx.Compare(oldID, newID) != 0 || oldID.Type != newID.Type) {
			return nil, mongoerr.Newf(mongoerr.ImmutableField, "After applying the update, the (immutable) field '_id' was found to have been altered to _id: %s", bsonx.Format(newID))
		}
		return u.replacement, nil
	}
	if !hasID {
		return u.replacement, nil
	}
	// Keep the original _id, first.
	var d bson.D
	if err := bson.Unmarshal(u.replacement, &d); err != nil {
		return nil, err
	}
	d = append(bson.D{{Key: "_id", Value: rawToAny(oldID)}}, d...)
	out, err := bson.Marshal(d)
	return bson.Raw(out), err
}

// rawToAny decodes a raw value into the Go form bson.D holds.
func rawToAny(v bson.RawValue) any {
	var d bson.D
	doc := bson.D{{Key: "v", Value: v}}
	b, _ := bson.Marshal(doc)
	bson.Unmarshal(b, &d)
	return d[0].Value
}

func typeName(t bson.Type) string {
	switch t {
	case bson.TypeString:
		return "string"
	case bson.TypeArray:
		return "array"
	case bson.TypeEmbeddedDocument:
		return "object"
	case bson.TypeBoolean:
		return "bool"
	case bson.TypeNull:
		return "null"
	case bson.TypeInt32:
		return "int"
	case bson.TypeInt64:
		return "long"
	case bson.TypeDouble:
		return "double"
	}
	return t.String()
}

func isNumber(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return true
	}
	return false
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

func unsetPath(d *bson.D, path []string) {
	var cur any = d
	for i, p := range path {
		last := i == len(path)-1
		var slot *any
		switch c := cur.(type) {
		case *bson.D:
			j := -1
			for k, e := range *c {
				if e.Key == p {
					j = k
					break
				}
			}
			if j < 0 {
				return
			}
			if last {
				*c = append((*c)[:j], (*c)[j+1:]...)
				return
			}
			slot = &(*c)[j].Value
		case *bson.A:
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n >= len(*c) {
				return
			}
			if last {
				(*c)[n] = nil // mongod sets unset array elements to null
				return
			}
			slot = &(*c)[n]
		default:
			return
		}
		next, err := child(slot, "", "")
		if err != nil {
			return
		}
		cur = next
	}
}

// arith applies $inc, $mul, $min or $max at o.path.
func arith(d *bson.D, o opPath, orig bson.Raw) error {
	cur, exists := getPath(*d, o.path)
	arg := rawToAny(o.arg)
	field := strings.Join(o.path, ".")
	switch o.op {
	case "$min", "$max":
		if !exists {
			return setPath(d, o.path, arg, orig)
		}
		c := bsonx.Compare(toRaw(cur), o.arg)
		if (o.op == "$min" && c > 0) || (o.op == "$max" && c < 0) {
			return setPath(d, o.path, arg, orig)
		}
		return nil
	}
	if !exists {
		if o.op == "$mul" {
			return setPath(d, o.path, zeroLike(arg), orig)
		}
		return setPath(d, o.path, arg, orig)
	}
	if !isNumber(toRaw(cur)) {
		verb := "$inc"
		if o.op == "$mul" {
			verb = "$mul"
		}
		id := orig.Lookup("_id")
		return mongoerr.Newf(mongoerr.TypeMismatch, "Cannot apply %s to a value of non-numeric type. {_id: %s} has the field '%s' of non-numeric type %s", verb, bsonx.Format(id), o.path[len(o.path)-1], typeName(toRaw(cur).Type))
	}
	res, err := numOp(cur, arg, o.op == "$mul", field)
	if err != nil {
		return err
	}
	return setPath(d, o.path, res, orig)
}

func toRaw(v any) bson.RawValue {
	t, data, err := bson.MarshalValue(v)
	if err != nil {
		return bson.RawValue{Type: bson.TypeNull}
	}
	return bson.RawValue{Type: t, Value: data}
}

func zeroLike(v any) any {
	switch v.(type) {
	case int32:
		return int32(0)
	case int64:
		return int64(0)
	case float64:
		return float64(0)
	}
	d, _ := bson.ParseDecimal128("0")
	return d
}

// numOp adds or multiplies two numbers with mongod's type rules: the
// wider type wins; int32 results that overflow become int64; int64
// overflow is an error.
func numOp(a, b any, mul bool, field string) (any, error) {
	_, aDec := a.(bson.Decimal128)
	_, bDec := b.(bson.Decimal128)
	if aDec || bDec {
		return nil, mongoerr.New(mongoerr.NotImplemented, "decimal arithmetic in updates is not supported by SecantusDB yet")
	}
	_, aF := a.(float64)
	_, bF := b.(float64)
	if aF || bF {
		x, y := toF(a), toF(b)
		if mul {
			return x * y, nil
		}
		return x + y, nil
	}
	x, y := toI(a), toI(b)
	var r int64
	var overflow bool
	if mul {
		r = x * y
		overflow = x != 0 && (r/x != y || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64))
	} else {
		r = x + y
		overflow = (x > 0 && y > 0 && r < 0) || (x < 0 && y < 0 && r >= 0)
	}
	if overflow {
		op := "$inc"
		if mul {
			op = "$mul"
		}
		return nil, mongoerr.Newf(mongoerr.BadValue, "Failed to apply %s operations to current value (%v) for field '%s': integer overflow", op, a, field)
	}
	_, a32 := a.(int32)
	_, b32 := b.(int32)
	if a32 && b32 && r >= math.MinInt32 && r <= math.MaxInt32 {
		return int32(r), nil
	}
	return r, nil
}

func toF(v any) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func toI(v any) int64 {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case int64:
		return x
	}
	return 0
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

// ParseValue parses the "u" field of an update statement, which is either
// an update document or an aggregation pipeline (an array). Pipeline-style
// updates are rejected until they are implemented.
func ParseValue(v bson.RawValue, opts Options) (*Update, error) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		return Parse(v.Document(), opts)
	case bson.TypeArray:
		return nil, mongoerr.New(mongoerr.NotImplemented, "pipeline-style updates are not supported yet")
	}
	return nil, mongoerr.Newf(mongoerr.FailedToParse, "Update argument must be either an object or an array")
}
