package update

import (
	"bytes"
	"math"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/query"
)

// leaf is one modifier on one path.
type leaf struct {
	op   string
	path string // as written, for messages
	arg  bson.RawValue

	// $push, $addToSet ($each values), $pullAll
	each     []bson.RawValue
	position int64
	slice    int64
	sortSpec *pushSort
	// $pull
	pullEq    bool
	pullObj   bool
	pullQuery *query.Filter
	// $pop
	popFront bool
	// $bit
	bits []bitOp
	// $currentDate
	timestamp bool
	// $rename (at the destination): the source path
	from []string

	// coll compares strings for $min/$max, $addToSet, $pull, $pullAll and
	// $push $sort: the command's collation (nil: simple).
	coll bsonx.StringComparer
}

type bitOp struct {
	op  string
	arg bson.RawValue
}

// pushSort is a $push $sort: the whole value (fields nil) or fields of
// embedded documents, each 1 or -1.
type pushSort struct {
	whole  int
	fields [][]string
	orders []int
	coll   bsonx.StringComparer
}

// parseLeaf checks a modifier's argument as mongod's node init does.
// Strings compare under coll.
func parseLeaf(op, path string, v bson.RawValue, coll bsonx.StringComparer) (*leaf, error) {
	l := &leaf{op: op, path: path, arg: v, position: math.MaxInt64, slice: math.MaxInt64, coll: coll}
	elem := path + ": " + bsonx.Format(v)
	switch op {
	case "$inc", "$mul":
		if !bsonx.IsNumber(v.Type) {
			verb := "increment"
			if op == "$mul" {
				verb = "multiply"
			}
			return nil, mongoerr.Newf(mongoerr.TypeMismatch, "Cannot %s with non-numeric argument: {%s}", verb, elem)
		}
	case "$currentDate":
		if err := checkCurrentDate(v); err != nil {
			return nil, err
		}
		if d, ok := v.DocumentOK(); ok {
			l.timestamp = d.Lookup("$type").StringValue() == "timestamp"
		}
	case "$push":
		return l, l.parsePush(v)
	case "$addToSet":
		l.each = []bson.RawValue{v}
		if d, ok := v.DocumentOK(); ok {
			if first, err := d.IndexErr(0); err == nil && first.Key() == "$each" {
				arr, ok := first.Value().ArrayOK()
				if !ok {
					return nil, mongoerr.Newf(mongoerr.TypeMismatch, "The argument to $each in $addToSet must be an array but it was of type %s", bsonx.TypeName(first.Value().Type))
				}
				if n, _ := d.Elements(); len(n) > 1 {
					return nil, mongoerr.Newf(mongoerr.BadValue, "Found unexpected fields after $each in $addToSet: %s", bsonx.Format(v))
				}
				vals, _ := arr.Values()
				l.each = dedupe(vals, coll)
			}
		}
	case "$pop":
		n, err := bsonx.IntegerElement(path, v)
		if err != nil {
			return nil, err
		}
		if n != 1 && n != -1 {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "$pop expects 1 or -1, found: %d", n)
		}
		l.popFront = n == -1
	case "$pull":
		return l, l.parsePull(v)
	case "$pullAll":
		arr, ok := v.ArrayOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.BadValue, "$pullAll requires an array argument but was given a %s", bsonx.TypeName(v.Type))
		}
		l.each, _ = arr.Values()
	case "$bit":
		d, ok := v.DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.BadValue, "The $bit modifier is not compatible with a %s. You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}", bsonx.TypeName(v.Type))
		}
		elems, _ := d.Elements()
		for _, e := range elems {
			k := e.Key()
			if k != "and" && k != "or" && k != "xor" {
				return nil, mongoerr.Newf(mongoerr.BadValue, "The $bit modifier only supports 'and', 'or', and 'xor', not '%s' which is an unknown operator: {%s: %s}", k, k, bsonx.Format(e.Value()))
			}
			if t := e.Value().Type; t != bson.TypeInt32 && t != bson.TypeInt64 {
				return nil, mongoerr.Newf(mongoerr.BadValue, "The $bit modifier field must be an Integer(32/64 bit); a '%s' is not supported here: {%s: %s}", bsonx.TypeName(t), k, bsonx.Format(e.Value()))
			}
			l.bits = append(l.bits, bitOp{op: k, arg: e.Value()})
		}
		if len(l.bits) == 0 {
			return nil, mongoerr.New(mongoerr.BadValue, "You must pass in at least one bitwise operation. The format is: {$bit: {field: {and/or/xor: #}}")
		}
	}
	return l, nil
}

func checkCurrentDate(v bson.RawValue) error {
	if v.Type == bson.TypeBoolean {
		return nil
	}
	d, ok := v.DocumentOK()
	if !ok {
		return mongoerr.Newf(mongoerr.BadValue, "%s is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).", bsonx.TypeName(v.Type))
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

// dedupe drops values equal to an earlier one, keeping the first.
func dedupe(vals []bson.RawValue, coll bsonx.StringComparer) []bson.RawValue {
	var out []bson.RawValue
outer:
	for _, v := range vals {
		for _, o := range out {
			if bsonx.CompareWith(o, v, coll) == 0 {
				continue outer
			}
		}
		out = append(out, v)
	}
	return out
}

func (l *leaf) parsePush(v bson.RawValue) error {
	d, ok := v.DocumentOK()
	if !ok || d.Lookup("$each").Type == 0 {
		l.each = []bson.RawValue{v}
		return nil
	}
	elems, _ := d.Elements()
	seen := map[string]bool{}
	for _, e := range elems {
		k := e.Key()
		switch k {
		case "$each", "$slice", "$sort", "$position":
		default:
			return mongoerr.Newf(mongoerr.BadValue, "Unrecognized clause in $push: %s", k)
		}
		if seen[k] {
			return mongoerr.Newf(mongoerr.BadValue, "Only one %s is supported.", k)
		}
		seen[k] = true
	}
	each := d.Lookup("$each")
	arr, ok := each.ArrayOK()
	if !ok {
		return mongoerr.Newf(mongoerr.BadValue, "The argument to $each in $push must be an array but it was of type: %s", bsonx.TypeName(each.Type))
	}
	l.each, _ = arr.Values()
	if s := d.Lookup("$slice"); s.Type != 0 {
		n, err := bsonx.IntegerElement("$slice", s)
		if err != nil {
			return mongoerr.Newf(mongoerr.BadValue, "The value for $slice must be an integer value but was given type: %s", bsonx.TypeName(s.Type))
		}
		l.slice = n
	}
	if s := d.Lookup("$sort"); s.Type != 0 {
		ps, err := parsePushSort(s)
		if err != nil {
			return err
		}
		ps.coll = l.coll
		l.sortSpec = ps
	}
	if p := d.Lookup("$position"); p.Type != 0 {
		n, err := bsonx.IntegerElement("$position", p)
		if err != nil {
			return mongoerr.Newf(mongoerr.BadValue, "The value for $position must be an integer value, not of type: %s", bsonx.TypeName(p.Type))
		}
		l.position = n
	}
	return nil
}

func sortOrder(v bson.RawValue) (int, bool) {
	if !bsonx.IsNumber(v.Type) {
		return 0, false
	}
	f, ok := v.AsFloat64OK()
	if !ok {
		if v.Type == bson.TypeDecimal128 {
			d := v.Decimal128().String()
			switch d {
			case "1", "1.0":
				return 1, true
			case "-1", "-1.0":
				return -1, true
			}
		}
		return 0, false
	}
	switch f {
	case 1:
		return 1, true
	case -1:
		return -1, true
	}
	return 0, false
}

func parsePushSort(v bson.RawValue) (*pushSort, error) {
	if d, ok := v.DocumentOK(); ok {
		elems, _ := d.Elements()
		if len(elems) == 0 {
			return nil, mongoerr.New(mongoerr.BadValue, "The $sort pattern is empty when it should be a set of fields.")
		}
		ps := &pushSort{}
		for _, e := range elems {
			o, ok := sortOrder(e.Value())
			if !ok {
				return nil, mongoerr.New(mongoerr.BadValue, "The $sort element value must be either 1 or -1")
			}
			if e.Key() == "" {
				return nil, mongoerr.New(mongoerr.BadValue, "The $sort field cannot be empty")
			}
			parts := strings.Split(e.Key(), ".")
			for _, p := range parts {
				if p == "" {
					return nil, mongoerr.Newf(mongoerr.BadValue, "The $sort field is a dotted field but has an empty part: %s", e.Key())
				}
			}
			ps.fields = append(ps.fields, parts)
			ps.orders = append(ps.orders, o)
		}
		return ps, nil
	}
	if bsonx.IsNumber(v.Type) {
		o, ok := sortOrder(v)
		if !ok {
			return nil, mongoerr.New(mongoerr.BadValue, "The $sort element value must be either 1 or -1")
		}
		return &pushSort{whole: o}, nil
	}
	return nil, mongoerr.New(mongoerr.BadValue, "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields")
}

// parsePull picks mongod's matcher for a $pull condition: a document
// whose first field is not a query operator is a query on embedded
// documents; an operator document or a regex is a condition on the
// element itself; anything else is an equality.
func (l *leaf) parsePull(v bson.RawValue) error {
	if d, ok := v.DocumentOK(); ok {
		first, err := d.IndexErr(0)
		if err != nil || !isQueryOperator(first.Key()) {
			f, err := query.ParseFilterWith(d, l.queryOptions())
			if err != nil {
				return err
			}
			l.pullObj, l.pullQuery = true, f
			return nil
		}
	} else if v.Type != bson.TypeRegex {
		l.pullEq = true
		return nil
	}
	f, err := query.ParseFilterWith(wrapValue(v), l.queryOptions())
	if err != nil {
		return err
	}
	l.pullQuery = f
	return nil
}

// queryOptions are the options $pull's conditions are parsed with.
func (l *leaf) queryOptions() query.Options {
	var o query.Options
	if l.coll != nil {
		o.Collator = l.coll
	}
	return o
}

// isQueryOperator reports whether name is an operator that applies to a
// path ($gt, $in, $elemMatch, …), as opposed to a field name or a
// logical operator.
func isQueryOperator(name string) bool {
	if !strings.HasPrefix(name, "$") {
		return false
	}
	switch name {
	case "$and", "$or", "$nor", "$expr", "$where", "$text", "$comment", "$jsonSchema", "$alwaysTrue", "$alwaysFalse", "$sampleRate":
		return false
	}
	return true
}

// wrapValue builds {"": v}: mongod matches a value against a condition
// by wrapping both in a document under the empty field name.
func wrapValue(v bson.RawValue) bson.Raw {
	return bson.Raw(bsoncore.BuildDocumentFromElements(nil, bsoncore.AppendValueElement(nil, "", bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})))
}

// pullMatches reports whether $pull removes the element v.
func (l *leaf) pullMatches(v *mval) bool {
	rv := v.value()
	switch {
	case l.pullEq:
		return bsonx.CompareWith(rv, l.arg, l.coll) == 0
	case l.pullObj:
		if v.t != bson.TypeEmbeddedDocument {
			return false
		}
		return l.pullQuery.Matches(bson.Raw(rv.Value))
	}
	return l.pullQuery.Matches(wrapValue(rv))
}

// createsPaths reports whether the modifier creates its path when
// missing (mongod's allowCreation).
func (l *leaf) createsPaths() bool {
	switch l.op {
	case "$unset", "$pop", "$pull", "$pullAll", "$rename-src":
		return false
	}
	return true
}

// applyLeaf applies a modifier to parent's child at idx, or to the
// missing path toCreate under parent when idx is -1.
func (a *applier) applyLeaf(l *leaf, parent *mval, idx int, taken, toCreate []string) error {
	before := a.modified
	a.modified = false
	err := a.applyLeafOp(l, parent, idx, taken, toCreate)
	changed := a.modified
	a.modified = before || changed
	if err != nil {
		return err
	}
	// mongod validates the element a modifier changed as it stores it: a
	// top-level field whose name starts with '$' may be removed but not
	// set (see updateh.js), except in an upsert's new document.
	if changed && !a.insert && idx >= 0 && len(taken) == 1 && strings.HasPrefix(taken[0], "$") && l.op != "$unset" && l.op != "$rename-src" {
		return errDollarField(taken[0])
	}
	return nil
}

func (a *applier) applyLeafOp(l *leaf, parent *mval, idx int, taken, toCreate []string) error {
	if l.op == "$setOnInsert" && !a.insert {
		return nil
	}
	if l.op == "$rename" {
		return a.rename(l, parent, idx, taken, toCreate)
	}
	if idx < 0 {
		if !l.createsPaths() {
			if l.op == "$unset" || l.op == "$rename-src" {
				return nil
			}
			return checkViable(parent, taken, toCreate)
		}
		v, err := a.newValue(l)
		if err != nil {
			return err
		}
		return a.createPath(parent, taken, toCreate, v)
	}
	cur := parent.kids[idx].v
	name := fieldName(parent, idx)
	replace := func(v *mval) {
		parent.kids[idx].v = v
		a.modified = true
	}
	switch l.op {
	case "$set", "$setOnInsert":
		if cur.t == l.arg.Type && bytes.Equal(cur.bytes(), l.arg.Value) {
			return nil
		}
		replace(newVal(l.arg))
	case "$unset":
		if parent.t == bson.TypeArray {
			// mongod keeps array positions: an unset element becomes null.
			replace(newVal(nullVal))
			return nil
		}
		parent.kids = append(parent.kids[:idx:idx], parent.kids[idx+1:]...)
		a.modified = true
	case "$inc", "$mul":
		if !bsonx.IsNumber(cur.t) {
			return mongoerr.Newf(mongoerr.TypeMismatch, "Cannot apply %s to a value of non-numeric type. {%s} has the field '%s' of non-numeric type %s", l.op, a.idString(), name, bsonx.TypeName(cur.t))
		}
		old := cur.value()
		res, err := arith(l.op, old, l.arg)
		if err != nil {
			return mongoerr.Newf(mongoerr.BadValue, "Failed to apply %s operations to current value (%s) for document {%s}", l.op, debugNum(old), a.idString())
		}
		if res.Type == old.Type && bytes.Equal(res.Value, old.Value) {
			return nil
		}
		replace(newVal(res))
	case "$min", "$max":
		c := bsonx.CompareWith(cur.value(), l.arg, l.coll)
		if c == 0 || (l.op == "$max" && c > 0) || (l.op == "$min" && c < 0) {
			return nil
		}
		replace(newVal(l.arg))
	case "$currentDate":
		replace(newVal(a.u.now(l)))
	case "$push":
		if cur.t != bson.TypeArray {
			return mongoerr.Newf(mongoerr.BadValue, "The field '%s' must be an array but is of type %s in document {%s}", strings.Join(taken, "."), bsonx.TypeName(cur.t), a.idString())
		}
		if l.push(cur) {
			a.modified = true
		}
	case "$addToSet":
		if cur.t != bson.TypeArray {
			return mongoerr.Newf(mongoerr.BadValue, "Cannot apply $addToSet to non-array field. Field named '%s' has non-array type %s", name, bsonx.TypeName(cur.t))
		}
		cur.expand()
		added := false
		for _, v := range l.each {
			found := false
			for _, k := range cur.kids {
				if bsonx.CompareWith(k.v.value(), v, l.coll) == 0 {
					found = true
					break
				}
			}
			if !found {
				cur.kids = append(cur.kids, mfield{v: newVal(v)})
				added = true
			}
		}
		if added {
			a.modified = true
		}
	case "$pop":
		if cur.t != bson.TypeArray {
			return mongoerr.Newf(mongoerr.TypeMismatch, "Path '%s' contains an element of non-array type '%s'", strings.Join(taken, "."), bsonx.TypeName(cur.t))
		}
		cur.expand()
		if len(cur.kids) == 0 {
			return nil
		}
		if l.popFront {
			cur.kids = cur.kids[1:]
		} else {
			cur.kids = cur.kids[:len(cur.kids)-1]
		}
		a.modified = true
	case "$pull", "$pullAll":
		if cur.t != bson.TypeArray {
			return mongoerr.New(mongoerr.BadValue, "Cannot apply $pull to a non-array value")
		}
		cur.expand()
		kept := cur.kids[:0:0]
		for _, k := range cur.kids {
			if l.removes(k.v) {
				continue
			}
			kept = append(kept, k)
		}
		if len(kept) != len(cur.kids) {
			cur.kids = kept
			a.modified = true
		}
	case "$bit":
		if cur.t != bson.TypeInt32 && cur.t != bson.TypeInt64 {
			return mongoerr.Newf(mongoerr.BadValue, "Cannot apply $bit to a value of non-integral type.%s has the field %s of non-integer type %s", a.idString(), name, bsonx.TypeName(cur.t))
		}
		old := cur.value()
		res := l.applyBits(old)
		if res.Type == old.Type && bytes.Equal(res.Value, old.Value) {
			return nil
		}
		replace(newVal(res))
	}
	return nil
}

func (l *leaf) removes(v *mval) bool {
	if l.op == "$pull" {
		return l.pullMatches(v)
	}
	rv := v.value()
	for _, e := range l.each {
		if bsonx.CompareWith(rv, e, l.coll) == 0 {
			return true
		}
	}
	return false
}

// newValue is the value a modifier gives a path that did not exist.
func (a *applier) newValue(l *leaf) (*mval, error) {
	switch l.op {
	case "$mul":
		// mongod multiplies the argument by int 0, keeping its type (and
		// the sign of a negative double).
		res, err := arith("$mul", l.arg, bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, 0)})
		if err != nil {
			return nil, err
		}
		return newVal(res), nil
	case "$currentDate":
		return newVal(a.u.now(l)), nil
	case "$push":
		arr := newArray()
		l.push(arr)
		return arr, nil
	case "$addToSet":
		arr := newArray()
		for _, v := range l.each {
			arr.kids = append(arr.kids, mfield{v: newVal(v)})
		}
		return arr, nil
	case "$bit":
		return newVal(l.applyBits(bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, 0)})), nil
	}
	return newVal(l.arg), nil
}

// push runs $push's $each, $position, $sort and $slice on an array,
// reporting whether it changed it as mongod counts changes.
func (l *leaf) push(arr *mval) bool {
	arr.expand()
	changed := false
	if len(l.each) > 0 {
		n := int64(len(arr.kids))
		var at int64
		switch p := l.position; {
		case p >= n:
			at = n
		case p >= 0:
			at = p
		case -p < n:
			at = n + p
		}
		ins := make([]mfield, len(l.each))
		for i, v := range l.each {
			ins[i] = mfield{v: newVal(v)}
		}
		kids := make([]mfield, 0, len(arr.kids)+len(ins))
		kids = append(kids, arr.kids[:at]...)
		kids = append(kids, ins...)
		arr.kids = append(kids, arr.kids[at:]...)
		changed = true
	}
	if l.sortSpec != nil {
		ps := l.sortSpec
		sort.SliceStable(arr.kids, func(i, j int) bool { return ps.less(arr.kids[i].v, arr.kids[j].v) })
		changed = true
	}
	limit := l.slice
	if limit < 0 {
		if limit == math.MinInt64 {
			limit++
		}
		limit = -limit
	}
	if int64(len(arr.kids)) > limit {
		if l.slice >= 0 {
			arr.kids = arr.kids[:limit]
		} else {
			arr.kids = arr.kids[int64(len(arr.kids))-limit:]
		}
		changed = true
	}
	return changed
}

func (ps *pushSort) less(x, y *mval) bool {
	if ps.fields == nil {
		c := bsonx.CompareWith(x.value(), y.value(), ps.coll)
		if ps.whole < 0 {
			return c > 0
		}
		return c < 0
	}
	for i, f := range ps.fields {
		c := bsonx.CompareWith(sortKey(x, f), sortKey(y, f), ps.coll)
		if c != 0 {
			return (c < 0) == (ps.orders[i] > 0)
		}
	}
	return false
}

// sortKey extracts a $sort field from an element: a non-document element
// and a missing field both sort as null, as in mongod.
func sortKey(v *mval, path []string) bson.RawValue {
	if v.t != bson.TypeEmbeddedDocument {
		return nullVal
	}
	if f := v.lookup(path); f != nil {
		return f.value()
	}
	return nullVal
}

// applyBits applies the $bit operations in order.
func (l *leaf) applyBits(v bson.RawValue) bson.RawValue {
	for _, b := range l.bits {
		if v.Type == bson.TypeInt32 && b.arg.Type == bson.TypeInt32 {
			x, y := v.Int32(), b.arg.Int32()
			v = bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, bitOf(b.op, int64(x), int64(y), true))}
			continue
		}
		x, y := intOf(v), intOf(b.arg)
		v = bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, int64(bitOf64(b.op, x, y)))}
	}
	return v
}

func bitOf(op string, x, y int64, _ bool) int32 { return int32(bitOf64(op, x, y)) }

func bitOf64(op string, x, y int64) int64 {
	switch op {
	case "and":
		return x & y
	case "or":
		return x | y
	}
	return x ^ y
}

func intOf(v bson.RawValue) int64 {
	if v.Type == bson.TypeInt32 {
		return int64(v.Int32())
	}
	return v.Int64()
}

// arith adds or multiplies two numbers with mongod's SafeNum rules: the
// wider type wins, an int32 result that overflows becomes int64, an
// int64 overflow is an error, decimal arithmetic is exact.
func arith(op string, a, b bson.RawValue) (bson.RawValue, error) {
	mul := op == "$mul"
	if a.Type == bson.TypeDecimal128 || b.Type == bson.TypeDecimal128 {
		name := "$add"
		if mul {
			name = "$multiply"
		}
		return evalDecimal(name, a, b)
	}
	if a.Type == bson.TypeDouble || b.Type == bson.TypeDouble {
		x, y := a.AsFloat64(), b.AsFloat64()
		r := x + y
		if mul {
			r = x * y
		}
		return bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, r)}, nil
	}
	x, y := intOf(a), intOf(b)
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
		return bson.RawValue{}, errOverflow
	}
	if a.Type == bson.TypeInt32 && b.Type == bson.TypeInt32 && r >= math.MinInt32 && r <= math.MaxInt32 {
		return bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, int32(r))}, nil
	}
	return bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, r)}, nil
}

var errOverflow = mongoerr.New(mongoerr.BadValue, "integer overflow")

// evalDecimal runs the aggregation $add or $multiply on two literals:
// with a decimal operand both follow Decimal128 arithmetic, doubles
// converted to 15 digits as mongod's SafeNum does.
func evalDecimal(op string, a, b bson.RawValue) (bson.RawValue, error) {
	lit := func(v bson.RawValue) []byte {
		return bsoncore.BuildDocumentFromElements(nil, bsoncore.AppendValueElement(nil, "$literal", bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value}))
	}
	args := bsoncore.BuildArray(nil,
		bsoncore.Value{Type: bsoncore.TypeEmbeddedDocument, Data: lit(a)},
		bsoncore.Value{Type: bsoncore.TypeEmbeddedDocument, Data: lit(b)})
	doc := bsoncore.BuildDocumentFromElements(nil, bsoncore.AppendArrayElement(nil, op, args))
	e, err := expr.Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, expr.NewParseContext())
	if err != nil {
		return bson.RawValue{}, err
	}
	return e.Eval(expr.NewEvalContext(), nil)
}

// debugNum renders a number as mongod's SafeNum debugString does.
func debugNum(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeInt32:
		return "(NumberInt)" + bsonx.Format(v)
	case bson.TypeInt64:
		return "(NumberLong)" + bsonx.Format(v)
	case bson.TypeDouble:
		return "(NumberDouble)" + bsonx.Format(v)
	}
	return "(NumberDecimal)" + bsonx.Format(v)
}

// now is $currentDate's value: a date, or a timestamp.
func (u *Update) now(l *leaf) bson.RawValue {
	t := u.clock()
	if l.timestamp {
		return bson.RawValue{Type: bson.TypeTimestamp, Value: bsoncore.AppendTimestamp(nil, uint32(t.Unix()), 1)}
	}
	return bson.RawValue{Type: bson.TypeDateTime, Value: bsoncore.AppendDateTime(nil, t.UnixMilli())}
}

// rename moves the value at l.from to the destination path, as mongod's
// RenameNode: a missing source is a no-op, neither path may pass
// through an array.
func (a *applier) rename(l *leaf, parent *mval, idx int, taken, toCreate []string) error {
	// Find the source, noting arrays on the way.
	cur := a.root
	var throughArray string
	for i, p := range l.from {
		if !cur.container() {
			return mongoerr.Newf(mongoerr.PathNotViable, "cannot use the part (%s of %s) to traverse the element ({%s})", l.from[i-1], strings.Join(l.from, "."), formatElem(l.from[i-1], cur))
		}
		if cur.t == bson.TypeArray && i > 0 && throughArray == "" {
			throughArray = l.from[i-1]
		}
		j := cur.childIndex(p)
		if j < 0 {
			if cur.t == bson.TypeArray {
				if _, ok := arrayIndex(p); !ok {
					return mongoerr.Newf(mongoerr.PathNotViable, "cannot use the part (%s of %s) to traverse the element ({%s})", l.from[i-1], strings.Join(l.from, "."), formatElem(l.from[i-1], cur))
				}
			}
			return nil
		}
		cur = cur.kids[j].v
	}
	if throughArray != "" {
		return mongoerr.Newf(mongoerr.BadValue, "The source field cannot be an array element, '%s' in doc with %s has an array field called '%s'", strings.Join(l.from, "."), a.idString(), throughArray)
	}
	// The destination may be an array itself, but not inside one.
	d := a.root
	dest := strings.Split(l.path, ".")
	for i, p := range dest[:len(dest)-1] {
		j := d.childIndex(p)
		if j < 0 {
			break
		}
		d = d.kids[j].v
		if d.t == bson.TypeArray {
			return mongoerr.Newf(mongoerr.BadValue, "The destination field cannot be an array element, '%s' in doc with %s has an array field called '%s'", l.path, a.idString(), dest[i])
		}
	}
	val := cur
	if idx >= 0 {
		if !(parent.kids[idx].v.t == val.t && bytes.Equal(parent.kids[idx].v.bytes(), val.bytes())) {
			parent.kids[idx].v = val
			a.modified = true
		}
	} else if err := a.createPath(parent, taken, toCreate, val); err != nil {
		return err
	}
	// Unset the source.
	sp := a.root.lookup(l.from[:len(l.from)-1])
	if sp != nil {
		if j := sp.childIndex(l.from[len(l.from)-1]); j >= 0 && sp.kids[j].v == val {
			sp.kids = append(sp.kids[:j:j], sp.kids[j+1:]...)
			a.modified = true
		}
	}
	return nil
}
