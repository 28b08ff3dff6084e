// Package query parses and evaluates MongoDB query filters, projections
// and sort specifications over raw BSON documents, the way mongod's
// matcher does. A parsed filter is a tree of match expressions; each
// operator is an entry in a table, so the language grows by adding
// entries.
package query

import (
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Filter is a parsed query filter.
type Filter struct {
	root expr
}

// expr is one node of a filter tree.
type expr interface {
	matches(doc bson.Raw) bool
}

// ParseFilter parses a filter document; nil or empty matches everything.
func ParseFilter(filter bson.Raw) (*Filter, error) {
	if len(filter) <= 5 {
		return &Filter{root: andExpr{}}, nil
	}
	e, err := parseDoc(filter, true)
	if err != nil {
		return nil, err
	}
	return &Filter{root: e}, nil
}

// Matches reports whether doc satisfies the filter.
func (f *Filter) Matches(doc bson.Raw) bool {
	if f == nil {
		return true
	}
	return f.root.matches(doc)
}

type andExpr []expr

func (a andExpr) matches(d bson.Raw) bool {
	for _, e := range a {
		if !e.matches(d) {
			return false
		}
	}
	return true
}

type orExpr []expr

func (o orExpr) matches(d bson.Raw) bool {
	for _, e := range o {
		if e.matches(d) {
			return true
		}
	}
	return false
}

type notExpr struct{ e expr }

func (n notExpr) matches(d bson.Raw) bool { return !n.e.matches(d) }

type alwaysExpr bool

func (a alwaysExpr) matches(bson.Raw) bool { return bool(a) }

func parseDoc(filter bson.Raw, top bool) (expr, error) {
	elems, err := filter.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	var and andExpr
	for _, e := range elems {
		key, v := e.Key(), e.Value()
		if strings.HasPrefix(key, "$") {
			x, err := parseTopOperator(key, v)
			if err != nil {
				return nil, err
			}
			if x != nil {
				and = append(and, x)
			}
			continue
		}
		x, err := parsePathValue(key, v)
		if err != nil {
			return nil, err
		}
		and = append(and, x)
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

func parseTopOperator(key string, v bson.RawValue) (expr, error) {
	switch key {
	case "$and", "$or", "$nor":
		arr, ok := v.ArrayOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.BadValue, "%s must be an array", key)
		}
		vals, _ := arr.Values()
		if len(vals) == 0 {
			return nil, mongoerr.New(mongoerr.BadValue, "$and/$or/$nor must be a nonempty array")
		}
		var subs []expr
		for _, sv := range vals {
			d, ok := sv.DocumentOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.BadValue, "$or/$and/$nor entries need to be full objects")
			}
			x, err := parseDoc(d, false)
			if err != nil {
				return nil, err
			}
			subs = append(subs, x)
		}
		switch key {
		case "$and":
			return andExpr(subs), nil
		case "$or":
			return orExpr(subs), nil
		}
		return notExpr{orExpr(subs)}, nil
	case "$comment":
		return nil, nil
	case "$alwaysTrue", "$alwaysFalse":
		if n, ok := v.AsInt64OK(); !ok || n != 1 {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s must be an integer value of 1", key)
		}
		return alwaysExpr(key == "$alwaysTrue"), nil
	case "$expr", "$jsonSchema", "$where", "$text", "$sampleRate":
		return nil, notYet(key)
	}
	return nil, mongoerr.Newf(mongoerr.BadValue, "unknown top level operator: %s", key)
}

func notYet(op string) error {
	return mongoerr.Newf(mongoerr.NotImplemented, "the query operator %s is not supported by SecantusDB yet", op)
}

// isOperatorDoc reports whether v is a document whose first field is a
// $-operator ({$gt: 1}), as opposed to a literal document to compare.
func isOperatorDoc(v bson.RawValue) (bson.Raw, bool) {
	d, ok := v.DocumentOK()
	if !ok {
		return nil, false
	}
	first, err := d.IndexErr(0)
	if err != nil {
		return nil, false
	}
	return d, strings.HasPrefix(first.Key(), "$")
}

func parsePathValue(path string, v bson.RawValue) (expr, error) {
	if v.Type == bson.TypeRegex {
		p, o := v.Regex()
		return newRegexExpr(path, p, o)
	}
	ops, isOps := isOperatorDoc(v)
	if !isOps {
		return &cmpExpr{path: path, op: opEq, val: v}, nil
	}
	elems, _ := ops.Elements()
	var and andExpr
	var regexOpts *string
	for _, e := range elems {
		if e.Key() == "$options" {
			s, ok := e.Value().StringValueOK()
			if !ok {
				return nil, mongoerr.New(mongoerr.BadValue, "$options has to be a string")
			}
			regexOpts = &s
		}
	}
	for _, e := range elems {
		op, arg := e.Key(), e.Value()
		if !strings.HasPrefix(op, "$") {
			return nil, mongoerr.Newf(mongoerr.BadValue, "unknown operator: %s", op)
		}
		x, err := parseOperator(path, op, arg, regexOpts)
		if err != nil {
			return nil, err
		}
		if x != nil {
			and = append(and, x)
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

func parseOperator(path, op string, arg bson.RawValue, regexOpts *string) (expr, error) {
	switch op {
	case "$eq":
		return &cmpExpr{path: path, op: opEq, val: arg}, nil
	case "$ne":
		return notExpr{&cmpExpr{path: path, op: opEq, val: arg}}, nil
	case "$gt":
		return &cmpExpr{path: path, op: opGt, val: arg}, nil
	case "$gte":
		return &cmpExpr{path: path, op: opGte, val: arg}, nil
	case "$lt":
		return &cmpExpr{path: path, op: opLt, val: arg}, nil
	case "$lte":
		return &cmpExpr{path: path, op: opLte, val: arg}, nil
	case "$in", "$nin":
		arr, ok := arg.ArrayOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.BadValue, "%s needs an array", op)
		}
		vals, _ := arr.Values()
		in := &inExpr{path: path}
		for _, v := range vals {
			if _, isOp := isOperatorDoc(v); isOp {
				return nil, mongoerr.New(mongoerr.BadValue, "cannot nest $ under $in")
			}
			if v.Type == bson.TypeRegex {
				p, o := v.Regex()
				re, err := compileRegex(p, o)
				if err != nil {
					return nil, err
				}
				in.regexes = append(in.regexes, re)
				continue
			}
			in.vals = append(in.vals, v)
		}
		if op == "$nin" {
			return notExpr{in}, nil
		}
		return in, nil
	case "$exists":
		want := truthy(arg)
		return &existsExpr{path: path, want: want}, nil
	case "$not":
		if arg.Type == bson.TypeRegex {
			p, o := arg.Regex()
			re, err := newRegexExpr(path, p, o)
			if err != nil {
				return nil, err
			}
			return notExpr{re}, nil
		}
		d, ok := arg.DocumentOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.BadValue, "$not needs a regex or a document")
		}
		if len(d) <= 5 {
			return nil, mongoerr.New(mongoerr.BadValue, "$not cannot be empty")
		}
		if _, isOp := isOperatorDoc(arg); !isOp {
			return nil, mongoerr.New(mongoerr.BadValue, "unknown operator: "+firstKey(d))
		}
		x, err := parsePathValue(path, arg)
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case "$regex":
		opts := ""
		if regexOpts != nil {
			opts = *regexOpts
		}
		switch arg.Type {
		case bson.TypeString:
			return newRegexExpr(path, arg.StringValue(), opts)
		case bson.TypeRegex:
			p, o := arg.Regex()
			if regexOpts != nil && o != "" {
				return nil, mongoerr.New(mongoerr.BadValue, "options set in both $regex and $options")
			}
			if regexOpts == nil {
				opts = o
			}
			return newRegexExpr(path, p, opts)
		}
		return nil, mongoerr.New(mongoerr.BadValue, "$regex has to be a string")
	case "$options":
		if regexOpts != nil {
			return nil, nil // consumed with $regex
		}
		return nil, mongoerr.New(mongoerr.BadValue, "$options needs a $regex")
	case "$size":
		n, ok := arg.AsInt64OK()
		if !ok {
			if f, isF := arg.DoubleOK(); isF && f == float64(int64(f)) {
				n, ok = int64(f), true
			}
		}
		if !ok {
			return nil, mongoerr.New(mongoerr.BadValue, "$size needs a number")
		}
		if n < 0 {
			return nil, mongoerr.New(mongoerr.BadValue, "$size may not be negative")
		}
		return &sizeExpr{path: path, n: int(n)}, nil
	case "$comment":
		return nil, nil
	case "$all", "$elemMatch", "$type", "$mod", "$bitsAllSet", "$bitsAllClear", "$bitsAnySet", "$bitsAnyClear",
		"$geoWithin", "$geoIntersects", "$near", "$nearSphere", "$within", "$expr", "$jsonSchema", "$where", "$text":
		return nil, notYet(op)
	}
	return nil, mongoerr.Newf(mongoerr.BadValue, "unknown operator: %s", op)
}

func firstKey(d bson.Raw) string {
	e, err := d.IndexErr(0)
	if err != nil {
		return ""
	}
	return e.Key()
}

func truthy(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeBoolean:
		return v.Boolean()
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		f, _ := v.AsFloat64OK()
		if v.Type == bson.TypeDecimal128 {
			return v.Decimal128().String() != "0"
		}
		return f != 0
	case bson.TypeNull, bson.TypeUndefined:
		return false
	}
	return true
}

type cmpOp int

const (
	opEq cmpOp = iota
	opGt
	opGte
	opLt
	opLte
)

// cmpExpr compares the values at a path with a constant. Arrays at the
// path match when any element does, or (for equality and ordering) when
// the whole array does.
type cmpExpr struct {
	path string
	op   cmpOp
	val  bson.RawValue
}

func (c *cmpExpr) matches(doc bson.Raw) bool {
	vals, missing := bsonx.Lookup(doc, c.path)
	return c.matchFound(vals, missing)
}

func (c *cmpExpr) matchValue(v bson.RawValue) bool {
	if c.op == opEq {
		if c.val.Type == bson.TypeNull {
			return v.Type == bson.TypeNull || v.Type == bson.TypeUndefined
		}
		return bsonx.Compare(v, c.val) == 0
	}
	// Ordering operators only match within the same type bracket, except
	// MinKey/MaxKey bounds which compare with everything.
	if c.val.Type != bson.TypeMinKey && c.val.Type != bson.TypeMaxKey &&
		bsonx.CanonicalType(bsonTypeOf(v)) != bsonx.CanonicalType(bsonTypeOf(c.val)) {
		return false
	}
	// NaN is ordered below all numbers for sorting, but a range query
	// only matches NaN against NaN with an inclusive bound.
	if vn, cn := isNaN(v), isNaN(c.val); vn || cn {
		return vn && cn && (c.op == opGte || c.op == opLte)
	}
	r := bsonx.Compare(v, c.val)
	switch c.op {
	case opGt:
		return r > 0
	case opGte:
		return r >= 0
	case opLt:
		return r < 0
	case opLte:
		return r <= 0
	}
	return false
}

type inExpr struct {
	path    string
	vals    []bson.RawValue
	regexes []*regexp.Regexp
}

func (in *inExpr) matches(doc bson.Raw) bool {
	vals, missing := bsonx.Lookup(doc, in.path)
	for _, want := range in.vals {
		if (&cmpExpr{path: in.path, op: opEq, val: want}).matchFound(vals, missing) {
			return true
		}
	}
	for _, re := range in.regexes {
		if regexMatchAny(re, vals) {
			return true
		}
	}
	return false
}

// matchFound matches the values a path reached: any value or array
// element satisfying the comparison; null (with $eq, $gte, $lte) also
// matches a missing field.
func (c *cmpExpr) matchFound(vals []bson.RawValue, missing bool) bool {
	if c.val.Type == bson.TypeNull && (c.op == opEq || c.op == opGte || c.op == opLte) && (missing || len(vals) == 0) {
		return true
	}
	for _, v := range vals {
		if c.matchValue(v) {
			return true
		}
		if v.Type == bson.TypeArray {
			elems, _ := bson.Raw(v.Value).Values()
			for _, e := range elems {
				if c.matchValue(e) {
					return true
				}
			}
		}
	}
	return false
}

type existsExpr struct {
	path string
	want bool
}

func (e *existsExpr) matches(doc bson.Raw) bool {
	vals, _ := bsonx.Lookup(doc, e.path)
	return (len(vals) > 0) == e.want
}

type sizeExpr struct {
	path string
	n    int
}

func (s *sizeExpr) matches(doc bson.Raw) bool {
	vals, _ := bsonx.Lookup(doc, s.path)
	for _, v := range vals {
		if v.Type == bson.TypeArray {
			elems, _ := bson.Raw(v.Value).Values()
			if len(elems) == s.n {
				return true
			}
		}
	}
	return false
}

type regexExpr struct {
	path string
	re   *regexp.Regexp
}

func newRegexExpr(path, pattern, opts string) (expr, error) {
	re, err := compileRegex(pattern, opts)
	if err != nil {
		return nil, err
	}
	return &regexExpr{path: path, re: re}, nil
}

// compileRegex translates a PCRE pattern with MongoDB's options (i, m,
// s, x, u) into Go's RE2; patterns RE2 cannot express are an error.
func compileRegex(pattern, opts string) (*regexp.Regexp, error) {
	flags := ""
	for _, o := range opts {
		switch o {
		case 'i', 'm', 's':
			flags += string(o)
		case 'x':
			pattern = stripExtended(pattern)
		case 'u':
		default:
			return nil, mongoerr.Newf(mongoerr.BadValue, "invalid flag in regex options: %c", o)
		}
	}
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.BadValue, "Regular expression is invalid: %v", err)
	}
	return re, nil
}

// stripExtended removes whitespace and #-comments (the x option).
func stripExtended(p string) string {
	var b strings.Builder
	inClass, escaped := false, false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case !inClass && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		case !inClass && c == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (r *regexExpr) matches(doc bson.Raw) bool {
	vals, _ := bsonx.Lookup(doc, r.path)
	return regexMatchAny(r.re, vals)
}

func regexMatchAny(re *regexp.Regexp, vals []bson.RawValue) bool {
	for _, v := range vals {
		if regexMatchValue(re, v) {
			return true
		}
		if v.Type == bson.TypeArray {
			elems, _ := bson.Raw(v.Value).Values()
			for _, e := range elems {
				if regexMatchValue(re, e) {
					return true
				}
			}
		}
	}
	return false
}

func regexMatchValue(re *regexp.Regexp, v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeString:
		return re.MatchString(v.StringValue())
	case bson.TypeSymbol:
		return re.MatchString(v.Symbol())
	case bson.TypeRegex:
		p, o := v.Regex()
		return re.String() == p || (strings.HasSuffix(re.String(), ")"+p) && o != "")
	}
	return false
}

// IDEquality recognises a filter that pins _id to one value ({_id: v} or
// {_id: {$eq: v}} with v not an array, regex or operator document), so
// the server can look the document up through the _id index.
func IDEquality(filter bson.Raw) (bson.RawValue, bool) {
	if len(filter) <= 5 {
		return bson.RawValue{}, false
	}
	elems, err := filter.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
		return bson.RawValue{}, false
	}
	v := elems[0].Value()
	if d, isOp := isOperatorDoc(v); isOp {
		inner, _ := d.Elements()
		if len(inner) != 1 || inner[0].Key() != "$eq" {
			return bson.RawValue{}, false
		}
		v = inner[0].Value()
	}
	switch v.Type {
	case bson.TypeArray, bson.TypeRegex, bson.TypeNull, bson.TypeUndefined, bson.TypeMinKey, bson.TypeMaxKey:
		return bson.RawValue{}, false
	}
	if _, isOp := isOperatorDoc(v); isOp {
		return bson.RawValue{}, false
	}
	return v, true
}

func isNaN(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeDouble:
		f := v.Double()
		return f != f
	case bson.TypeDecimal128:
		s := v.Decimal128().String()
		return s == "NaN" || s == "-NaN"
	}
	return false
}
