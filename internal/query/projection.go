package query

import (
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Error codes of mongod's projection parser and executor that the shared
// code table does not list yet (src/mongo/db/query/projection_parser.cpp,
// src/mongo/db/exec/projection_executor_utils.cpp, expression.cpp).
const (
	codeUnavailableMetadata   = mongoerr.Code(40218)
	codeSliceOperand          = mongoerr.Code(28667)
	codeSliceFirstArg         = mongoerr.Code(28724)
	codeSliceSecondArg        = mongoerr.Code(28725)
	codeSliceSecondIntegral   = mongoerr.Code(28726)
	codeSliceThirdArg         = mongoerr.Code(28727)
	codeSliceThirdIntegral    = mongoerr.Code(28728)
	codeSliceThirdPositive    = mongoerr.Code(28729)
	codeFindSliceSkipType     = mongoerr.Code(31257)
	codeFindSliceLimitType    = mongoerr.Code(31258)
	codeFindSliceLimit        = mongoerr.Code(31259)
	codeFindSliceArraySize    = mongoerr.Code(31272)
	codeFindSliceType         = mongoerr.Code(31273)
	codeElemMatchArg          = mongoerr.Code(31274)
	codeElemMatchNested       = mongoerr.Code(31275)
	codeElemMatchAfterPos     = mongoerr.Code(31255)
	codePosAfterElemMatch     = mongoerr.Code(31256)
	codeTwoPositionals        = mongoerr.Code(31276)
	codePosWithSubObject      = mongoerr.Code(31271)
	codePosInAggregation      = mongoerr.Code(31324)
	codePosInMiddle           = mongoerr.Code(31394)
	codePosWithExclusion      = mongoerr.Code(31395)
	codeLiteralInExclusion    = mongoerr.Code(31310)
	codeUnknownExpression     = mongoerr.Code(31325)
	codeEmptySubProjection    = mongoerr.Code(51270)
	codePosNeedsMatcher       = mongoerr.Code(51050)
	codePosNoMatchingElem     = mongoerr.Code(51246)
	codePosElemMismatch       = mongoerr.Code(51247)
	codePosDotDollar          = mongoerr.Code(5392900)
	codeMetaNotString         = mongoerr.Code(17307)
	codeMetaUnsupported       = mongoerr.Code(17308)
	codeFieldPathEmptyName    = mongoerr.Location15998
	codeFieldPathDollarPrefix = mongoerr.Location16410
	codeFieldPathNul          = mongoerr.Code(16411)
)

// ProjectionOptions say how a projection is parsed.
type ProjectionOptions struct {
	// Filter is the query's filter, which the positional operator ("a.$")
	// reads; nil means the projection has no matcher, and a positional
	// projection is an error.
	Filter *Filter
	// Query holds the collation and the let scope that computed fields
	// and $elemMatch are evaluated with.
	Query Options
	// Aggregation parses with $project's rules instead of find's: no
	// positional projection or $elemMatch, $slice is the expression, and
	// any $meta makes the projection an inclusion.
	Aggregation bool
}

// ApplyParams carry what a projection may need besides the document.
type ApplyParams struct {
	// Matched says ArrayIndex is known: the position, in the first array
	// the filter went through, of the element that satisfied it (-1 for
	// none), as Filter.MatchArrayIndex reports. When it is not known, a
	// positional projection matches the document against the filter.
	Matched    bool
	ArrayIndex int
	// RecordID is the document's record id, for {$meta: "recordId"}.
	RecordID    int64
	HasRecordID bool
	// IndexKey is the index key the document was found by, for
	// {$meta: "indexKey"}; nil on a collection scan.
	IndexKey bson.Raw
}

// Projection is a parsed find (or $project) projection: a tree of
// inclusions, exclusions, computed fields (aggregation expressions, $meta,
// $elemMatch) and the find-only $slice and positional operators, applied
// the way mongod's classic projection executor applies them.
type Projection struct {
	inclusion  bool
	root       *projNode
	post       []*projNode // $slice and positional nodes, in tree order
	filter     *Filter
	ec         *expr.EvalContext
	positional bool
	recordID   bool
}

type projKind uint8

const (
	projPath       projKind = iota // an inner node: its children project below it
	projInclude                    // path: 1
	projExclude                    // path: 0
	projComputed                   // an expression, $meta or $elemMatch
	projSlice                      // find's {$slice: …}
	projPositional                 // "path.$": 1
)

// projNode is one node of the projection tree (mongod's projection AST).
type projNode struct {
	kind     projKind
	children map[string]*projNode
	order    []string // children in the order the spec added them
	idx      int      // position in the parent's order
	comp     computed
	// computedBelow is set on inner nodes with a computed field below
	// them: such a node builds a document even where the input has none.
	computedBelow bool
	// For $slice and positional nodes: the full dotted path and the
	// slice arguments.
	path    []string
	hasSkip bool
	skip    int
	limit   int
}

func newInner() *projNode { return &projNode{kind: projPath, children: map[string]*projNode{}} }

// computed is a field whose value the projection computes.
type computed interface {
	eval(a *applyState, root bson.Raw) (bson.RawValue, error)
}

// ParseProjection parses a find projection that has no query filter
// (a positional projection is then an error).
func ParseProjection(spec bson.Raw) (*Projection, error) {
	return ParseProjectionWith(spec, ProjectionOptions{})
}

// ParseFindProjection parses the projection of a find (or findAndModify)
// whose filter is filter, with the query's collation and let scope.
func ParseFindProjection(spec bson.Raw, filter *Filter, opts Options) (*Projection, error) {
	return ParseProjectionWith(spec, ProjectionOptions{Filter: filter, Query: opts})
}

// ParseProjectionWith parses a projection document.
func ParseProjectionWith(spec bson.Raw, opts ProjectionOptions) (*Projection, error) {
	elems, err := spec.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	if opts.Aggregation && len(elems) == 0 {
		return nil, mongoerr.New(mongoerr.Location51272, "projection specification must have at least one field")
	}
	scope := opts.Query.Scope
	if scope == nil {
		if scope, err = expr.NewScope(nil, opts.Query.Collator); err != nil {
			return nil, err
		}
		opts.Query.Scope = scope
	}
	p := &projParser{opts: opts, root: newInner(), pc: scope.Parse}
	for _, e := range elems {
		k := e.Key()
		if k == "_id" || strings.HasPrefix(k, "_id.") {
			p.idSpecified = true
		}
		if err := p.parseElement(k, e.Value(), nil, p.root); err != nil {
			return nil, err
		}
	}
	if p.typ == 0 {
		p.typ = p.defaultType()
	}
	if !p.idSpecified && p.typ == typInclusion {
		p.root.add("_id", &projNode{kind: projInclude})
	}
	if p.typ == typExclusion && p.idSpecified && p.idIncluded {
		p.root.remove("_id")
	}
	proj := &Projection{
		inclusion:  p.typ == typInclusion,
		root:       p.root,
		filter:     opts.Filter,
		ec:         scope.Eval,
		positional: p.hasPositional,
		recordID:   p.usesRecordID,
	}
	markComputed(p.root)
	collectPost(p.root, &proj.post)
	return proj, nil
}

// NeedsRecordID reports whether the projection reads the record id
// ({$meta: "recordId"}), which callers then pass in ApplyParams.
func (p *Projection) NeedsRecordID() bool { return p.recordID }

// Positional reports whether the projection has a positional ("a.$")
// operator, which needs the filter's matched array position.
func (p *Projection) Positional() bool { return p.positional }

func markComputed(n *projNode) bool {
	below := false
	for _, c := range n.children {
		switch c.kind {
		case projComputed:
			below = true
		case projPath:
			if markComputed(c) {
				below = true
			}
		}
	}
	n.computedBelow = below
	return below
}

func collectPost(n *projNode, out *[]*projNode) {
	for _, k := range n.order {
		c := n.children[k]
		switch c.kind {
		case projSlice, projPositional:
			*out = append(*out, c)
		case projPath:
			collectPost(c, out)
		}
	}
}

func (n *projNode) add(name string, c *projNode) {
	c.idx = len(n.order)
	n.children[name] = c
	n.order = append(n.order, name)
}

func (n *projNode) remove(name string) {
	if _, ok := n.children[name]; !ok {
		return
	}
	delete(n.children, name)
	order := n.order[:0]
	for _, k := range n.order {
		if k != name {
			n.children[k].idx = len(order)
			order = append(order, k)
		}
	}
	n.order = order
}

const (
	typInclusion = 1
	typExclusion = -1
)

// projParser follows mongod's projection_parser.cpp: the checks run in
// its order, so that a spec with several faults reports the same one.
type projParser struct {
	opts ProjectionOptions
	root *projNode
	pc   *expr.ParseContext
	typ  int // 0 while undetermined

	idSpecified, idIncluded, idExcluded            bool
	hasPositional, hasElemMatch, hasSlice, hasMeta bool
	usesRecordID                                   bool
}

// defaultType decides projections that neither include nor exclude a
// field other than _id, as mongod's computeProjectionType does.
func (p *projParser) defaultType() int {
	switch {
	case p.hasSlice:
		if p.idIncluded {
			return typInclusion
		}
		return typExclusion
	case p.hasElemMatch:
		return typInclusion
	case p.hasMeta:
		if p.opts.Aggregation {
			return typInclusion
		}
		if p.idExcluded {
			return typExclusion
		}
		if p.idIncluded {
			return typInclusion
		}
		return typExclusion
	case p.idIncluded:
		return typInclusion
	}
	return typExclusion
}

func (p *projParser) parseElement(name string, v bson.RawValue, parentPath []string, parent *projNode) error {
	positional := strings.HasSuffix(name, ".$")
	if positional && p.opts.Aggregation {
		return mongoerr.New(codePosInAggregation, "Cannot use positional projection in aggregation projection")
	}
	if strings.Contains(name, ".$.") {
		return mongoerr.New(codePosInMiddle, "As of 4.4, it's illegal to specify positional operator in the middle of a path."+
			"Positional projection may only be used at the end, for example: a.b.$. If the query previously used a form "+
			"like a.b.$.d, remove the parts following the '$' and the results will be equivalent.")
	}
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		if positional {
			return mongoerr.New(codePosWithSubObject, "positional projection cannot be used with an expression or sub object")
		}
		return p.parseSubObject(name, bson.Raw(v.Value), parentPath, parent)
	case bson.TypeBoolean, bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		if expr.Truthy(v) {
			return p.parseInclusion(name, positional, parentPath, parent)
		}
		if positional {
			return mongoerr.New(codePosWithExclusion, "positional projection cannot be used with exclusion")
		}
		return p.parseExclusion(name, parent)
	}
	if positional {
		return mongoerr.New(mongoerr.Location31308, "positional projection cannot be used with a literal")
	}
	return p.parseLiteral(name, v, parent)
}

func (p *projParser) parseInclusion(name string, positional bool, parentPath []string, parent *projNode) error {
	topID := name == "_id" && parent == p.root
	if !positional {
		parts, err := fieldPathParts(name)
		if err != nil {
			return err
		}
		if err := addAt(parent, parts, &projNode{kind: projInclude}); err != nil {
			return err
		}
		if topID {
			p.idIncluded = true
		}
	} else {
		switch {
		case p.hasPositional:
			return mongoerr.New(codeTwoPositionals, "Cannot specify more than one positional projection per query.")
		case p.hasElemMatch:
			return mongoerr.New(codePosAfterElemMatch, "Cannot specify positional operator and $elemMatch.")
		case p.opts.Filter == nil:
			return mongoerr.New(codePosNeedsMatcher, "Projections with a positional operator require a matcher")
		case name == ".$":
			return mongoerr.Newf(codePosDotDollar, "Projection on field %s is invalid", name)
		}
		parts, err := fieldPathParts(name[:len(name)-2])
		if err != nil {
			return err
		}
		// mongod re-parses the filter banning $expr and $jsonSchema
		// (kBanAllSpecialFeatures) before it uses it for the projection.
		if feature := p.opts.Filter.specialFeature(); feature != "" {
			return mongoerr.Newf(mongoerr.QueryFeatureNotAllowed, "%s is not allowed in this context", feature)
		}
		n := &projNode{kind: projPositional, path: concatPath(parentPath, parts)}
		if err := addAt(parent, parts, n); err != nil {
			return err
		}
		p.hasPositional = true
	}
	if !topID {
		if p.typ == typExclusion {
			return mongoerr.Newf(mongoerr.Location31253, "Cannot do inclusion on field %s in exclusion projection", name)
		}
		p.typ = typInclusion
	}
	return nil
}

func (p *projParser) parseExclusion(name string, parent *projNode) error {
	parts, err := fieldPathParts(name)
	if err != nil {
		return err
	}
	if err := addAt(parent, parts, &projNode{kind: projExclude}); err != nil {
		return err
	}
	if name == "_id" && parent == p.root {
		p.idExcluded = true
		return nil
	}
	if p.typ == typInclusion {
		return mongoerr.Newf(mongoerr.Location31254, "Cannot do exclusion on field %s in inclusion projection", name)
	}
	p.typ = typExclusion
	return nil
}

// parseLiteral parses a value that is neither a number, a boolean nor a
// document: since 4.4 it is an aggregation expression ("$b" is a field
// path, [1, "$b"] an array expression), not a literal to copy.
func (p *projParser) parseLiteral(name string, v bson.RawValue, parent *projNode) error {
	e, err := expr.Parse(v, p.pc)
	if err != nil {
		return err
	}
	parts, err := fieldPathParts(name)
	if err != nil {
		return err
	}
	if err := addAt(parent, parts, &projNode{kind: projComputed, comp: exprField{e}}); err != nil {
		return err
	}
	if p.typ == typExclusion {
		return mongoerr.Newf(codeLiteralInExclusion, "Cannot use an expression %s: %s in an exclusion projection", name, bsonx.Format(v))
	}
	p.typ = typInclusion
	return nil
}

func (p *projParser) parseSubObject(name string, obj bson.Raw, parentPath []string, parent *projNode) error {
	elems, err := obj.Elements()
	if err != nil {
		return mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	if len(elems) == 0 {
		return mongoerr.Newf(codeEmptySubProjection, "Invalid empty sub-projection: %s", name)
	}
	parts, err := fieldPathParts(name)
	if err != nil {
		return err
	}
	if first := elems[0].Key(); len(elems) == 1 && strings.HasPrefix(first, "$") {
		isExpr, err := p.parseSubObjectAsExpression(concatPath(parentPath, parts), parts, obj, first, elems[0].Value(), parent)
		if err != nil || isExpr {
			return err
		}
		// Not an expression: mongod then takes it for a sub-projection only
		// if its field is a valid path, else it was a misspelt operator.
		if _, err := fieldPathParts(strings.TrimSuffix(first, ".$")); err != nil {
			return mongoerr.Newf(codeUnknownExpression, "Unknown expression %s", first)
		}
	}
	inner := lastInnerNode(parent, parts)
	if inner == nil {
		inner = newInner()
		if err := addAt(parent, parts, inner); err != nil {
			return err
		}
	}
	full := concatPath(parentPath, parts)
	for _, e := range elems {
		if err := p.parseElement(e.Key(), e.Value(), full, inner); err != nil {
			return err
		}
	}
	return nil
}

// parseSubObjectAsExpression parses {field: {$op: …}}: find's $slice and
// $elemMatch, or an aggregation expression. It reports false when $op is
// no operator at all.
func (p *projParser) parseSubObjectAsExpression(full, parts []string, obj bson.Raw, op string, arg bson.RawValue, parent *projNode) (bool, error) {
	if !p.opts.Aggregation {
		switch op {
		case "$slice":
			findErr := p.parseFindSlice(full, parts, arg, parent)
			if findErr == nil {
				return true, nil
			}
			// A $slice that is not find's form may be the expression
			// ({$slice: ["$arr", 1, 2]}); mongod reports both failures.
			if _, err := p.parseGenericExpression(parts, obj, op, parent); err != nil {
				me := mongoerr.As(err)
				fe := mongoerr.As(findErr)
				if me == nil || fe == nil {
					return true, err
				}
				return true, mongoerr.Newf(me.Code, "Invalid $slice syntax. The given syntax %s did not match the find() syntax because :: %s: %s :: The given syntax did not match the expression $slice syntax. :: caused by :: %s",
					bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: obj}), fe.Code.Name(), fe.Message, me.Message)
			}
			return true, nil
		case "$elemMatch":
			return true, p.parseElemMatch(parts, arg, parent)
		}
	} else if op == "$elemMatch" {
		return true, mongoerr.New(mongoerr.InvalidPipelineOperator, "Cannot use $elemMatch in this context")
	}
	return p.parseGenericExpression(parts, obj, op, parent)
}

func (p *projParser) parseGenericExpression(parts []string, obj bson.Raw, op string, parent *projNode) (bool, error) {
	if !expressionNames[op] {
		return false, nil
	}
	isMeta := op == "$meta"
	if !isMeta && p.typ == typExclusion {
		return true, mongoerr.New(mongoerr.Location31252, "Cannot use expression other than $meta in exclusion projection")
	}
	if !isMeta && p.typ == 0 {
		p.typ = typInclusion
	}
	var c computed
	var err error
	switch op {
	case "$meta":
		c, err = p.parseMeta(obj.Lookup("$meta"))
	case "$slice":
		c, err = p.parseSliceExpression(obj)
	default:
		var e expr.Expr
		e, err = expr.Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: obj}, p.pc)
		c = exprField{e}
	}
	if err != nil {
		return true, err
	}
	if err := addAt(parent, parts, &projNode{kind: projComputed, comp: c}); err != nil {
		return true, err
	}
	p.hasMeta = p.hasMeta || isMeta
	return true, nil
}

func (p *projParser) parseFindSlice(full, parts []string, arg bson.RawValue, parent *projNode) error {
	n := &projNode{kind: projSlice}
	switch {
	case bsonx.IsNumber(arg.Type):
		n.limit = safeInt32(arg)
	case arg.Type == bson.TypeArray:
		vals, _ := bson.Raw(arg.Value).Values()
		if len(vals) != 2 {
			return mongoerr.New(codeFindSliceArraySize, "$slice array argument should be of form [skip, limit]")
		}
		if !bsonx.IsNumber(vals[0].Type) {
			return mongoerr.Newf(codeFindSliceSkipType, "$slice expects the skip argument to be a number, got %s", bsonx.TypeName(vals[0].Type))
		}
		if !bsonx.IsNumber(vals[1].Type) {
			return mongoerr.Newf(codeFindSliceLimitType, "$slice expects the limit argument to be a number, got %s", bsonx.TypeName(vals[1].Type))
		}
		n.limit = safeInt32(vals[1])
		if n.limit <= 0 {
			return mongoerr.Newf(codeFindSliceLimit, "$slice limit must be positive, got %d", n.limit)
		}
		n.hasSkip, n.skip = true, safeInt32(vals[0])
	default:
		return mongoerr.New(codeFindSliceType, "$slice only supports numbers and [skip, limit] arrays")
	}
	if err := addAt(parent, parts, n); err != nil {
		return err
	}
	n.path = full
	p.hasSlice = true
	return nil
}

func (p *projParser) parseElemMatch(parts []string, arg bson.RawValue, parent *projNode) error {
	if arg.Type != bson.TypeEmbeddedDocument {
		return mongoerr.Newf(codeElemMatchArg, "elemMatch: Invalid argument, object required, but got %s", bsonx.TypeName(arg.Type))
	}
	if p.hasPositional {
		return mongoerr.New(codeElemMatchAfterPos, "Cannot specify positional operator and $elemMatch.")
	}
	if len(parts) != 1 || parent != p.root {
		return mongoerr.New(codeElemMatchNested, "Cannot use $elemMatch projection on a nested field.")
	}
	spec := bsoncore.NewDocumentBuilder().
		AppendDocument(parts[0], bsoncore.NewDocumentBuilder().AppendDocument("$elemMatch", arg.Value).Build()).
		Build()
	f, err := ParseFilterWith(bson.Raw(spec), p.opts.Query)
	if err != nil {
		return err
	}
	if err := addAt(parent, parts, &projNode{kind: projComputed, comp: elemMatchField{f, parts[0]}}); err != nil {
		return err
	}
	p.hasElemMatch = true
	return nil
}

// metaNames are the $meta keywords of mongod 8.0 with, for find, the
// name mongod gives metadata a find can never have (no $text, $near or
// $search stage feeds it here).
var metaNames = map[string]string{
	"textScore":           "text score",
	"geoNearDistance":     "geoNearDistance",
	"geoNearPoint":        "geoNearPoint",
	"searchScore":         "searchScore",
	"searchHighlights":    "searchHighlights",
	"searchScoreDetails":  "searchScoreDetails",
	"searchSequenceToken": "searchSequenceToken",
	"vectorSearchScore":   "vectorSearchScore",
	"randVal":             "",
	"recordId":            "",
	"indexKey":            "",
	"sortKey":             "",
}

func (p *projParser) parseMeta(arg bson.RawValue) (computed, error) {
	name, ok := arg.StringValueOK()
	if !ok {
		return nil, mongoerr.New(codeMetaNotString, "$meta only supports string arguments")
	}
	unavailable, known := metaNames[name]
	if !known {
		return nil, mongoerr.Newf(codeMetaUnsupported, "Unsupported argument to $meta: %s", name)
	}
	if unavailable != "" {
		return nil, mongoerr.Newf(codeUnavailableMetadata, "query requires %s metadata, but it is not available", unavailable)
	}
	if name == "recordId" {
		p.usesRecordID = true
	}
	return metaField(name), nil
}

// parseSliceExpression parses the aggregation $slice, with SecantusDB's
// own evaluator while the expression package has none.
func (p *projParser) parseSliceExpression(obj bson.Raw) (computed, error) {
	e, err := expr.Parse(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: obj}, p.pc)
	if err == nil {
		return exprField{e}, nil
	}
	if me := mongoerr.As(err); me == nil || me.Code != mongoerr.InvalidPipelineOperator {
		return nil, err
	}
	arg := obj.Lookup("$slice")
	var vals []bson.RawValue
	if arg.Type == bson.TypeArray {
		vals, _ = bson.Raw(arg.Value).Values()
	} else {
		vals = []bson.RawValue{arg}
	}
	if len(vals) < 2 || len(vals) > 3 {
		return nil, mongoerr.Newf(codeSliceOperand, "Expression $slice takes at least 2 arguments, and at most 3, but %d were passed in.", len(vals))
	}
	s := sliceExpr{}
	for _, v := range vals {
		e, err := expr.Parse(v, p.pc)
		if err != nil {
			return nil, err
		}
		s.args = append(s.args, e)
	}
	return exprField{s}, nil
}

// addAt adds n at the relative path parts below parent, with mongod's
// path collision rules: a path may not end where another is already
// projected (31250) nor pass through one (31249).
func addAt(parent *projNode, parts []string, n *projNode) error {
	cur := parent
	for i, part := range parts {
		child := cur.children[part]
		if i == len(parts)-1 {
			if child != nil {
				return mongoerr.Newf(mongoerr.Location31250, "Path collision at %s", strings.Join(parts, "."))
			}
			cur.add(part, n)
			return nil
		}
		if child == nil {
			child = newInner()
			cur.add(part, child)
		} else if child.kind != projPath {
			return mongoerr.Newf(mongoerr.Location31249, "Path collision at %s remaining portion %s",
				strings.Join(parts, "."), strings.Join(parts[1:], "."))
		}
		cur = child
	}
	return nil
}

// lastInnerNode returns the inner node at parts, or nil when there is
// none (or something else is projected there).
func lastInnerNode(parent *projNode, parts []string) *projNode {
	cur := parent
	for _, part := range parts {
		c := cur.children[part]
		if c == nil || c.kind != projPath {
			return nil
		}
		cur = c
	}
	return cur
}

func concatPath(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// fieldPathParts validates and splits a projected path the way mongod's
// FieldPath does.
func fieldPathParts(path string) ([]string, error) {
	if path == "" {
		return nil, mongoerr.New(mongoerr.Location40352, "FieldPath cannot be constructed with empty string")
	}
	if path[len(path)-1] == '.' {
		return nil, mongoerr.New(mongoerr.Location40353, "FieldPath must not end with a '.'.")
	}
	parts := strings.Split(path, ".")
	for _, part := range parts {
		switch {
		case part == "":
			return nil, mongoerr.New(codeFieldPathEmptyName, "FieldPath field names may not be empty strings.")
		case part[0] == '$' && !dollarNamesAllowed[part]:
			return nil, mongoerr.New(codeFieldPathDollarPrefix, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		case strings.IndexByte(part, 0) >= 0:
			return nil, mongoerr.New(codeFieldPathNul, "FieldPath field names may not contain '\\0'.")
		}
	}
	return parts, nil
}

// dollarNamesAllowed are the '$'-prefixed names a FieldPath accepts.
var dollarNamesAllowed = map[string]bool{"$id": true, "$ref": true, "$db": true, "$sortKey": true}

// safeInt32 reads a number as mongod's safeNumberInt does: truncated
// toward zero, NaN as 0, clamped to the 32-bit range.
func safeInt32(v bson.RawValue) int {
	var f float64
	switch v.Type {
	case bson.TypeInt32:
		return int(v.Int32())
	case bson.TypeInt64:
		i := v.Int64()
		return int(max(min(i, math.MaxInt32), math.MinInt32))
	case bson.TypeDouble:
		f = v.Double()
	case bson.TypeDecimal128:
		f, _ = strconv.ParseFloat(v.Decimal128().String(), 64)
	}
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int(f)
}

// applyState is what one application of a projection carries.
type applyState struct {
	p      *Projection
	params ApplyParams
}

// Apply returns doc projected. A positional projection matches doc
// against the filter to find the array position it projects.
func (p *Projection) Apply(doc bson.Raw) (bson.Raw, error) {
	return p.ApplyWith(doc, ApplyParams{ArrayIndex: -1})
}

// ApplyMatched returns doc projected, with the array position the filter
// matched (from Filter.MatchArrayIndex; -1 for none) for a positional
// projection.
func (p *Projection) ApplyMatched(doc bson.Raw, arrayIndex int) (bson.Raw, error) {
	return p.ApplyWith(doc, ApplyParams{Matched: true, ArrayIndex: arrayIndex})
}

// ApplyWith returns doc projected with the given parameters.
func (p *Projection) ApplyWith(doc bson.Raw, params ApplyParams) (bson.Raw, error) {
	if p.positional && !params.Matched {
		params.ArrayIndex = -1
		if p.filter != nil {
			ok, idx, err := p.filter.MatchArrayIndex(doc)
			if err != nil {
				return nil, err
			}
			if ok {
				params.ArrayIndex = idx
			}
		}
	}
	a := &applyState{p: p, params: params}
	out, err := a.projectDoc(doc, doc, p.root)
	if err != nil {
		return nil, err
	}
	// $slice and the positional operator act on the projected document
	// afterwards, as mongod's root-replacement expressions do.
	for _, n := range p.post {
		if n.kind == projSlice {
			out = sliceDoc(out, n.path, n)
			continue
		}
		if out, err = a.positional(out, n.path); err != nil {
			return nil, err
		}
	}
	return bson.Raw(out), nil
}

func rawValue(v bson.RawValue) bsoncore.Value {
	return bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value}
}

var emptyDoc = []byte{5, 0, 0, 0, 0}

// projectDoc projects one (sub)document with node n: included or kept
// fields in the document's order, then computed fields that were not in
// it, in the order of the spec (mongod's applyProjections followed by
// applyExpressions, whose setField replaces a field in place).
func (a *applyState) projectDoc(root bson.Raw, doc []byte, n *projNode) ([]byte, error) {
	b := bsoncore.NewDocumentBuilder()
	var seen []bool
	if n.computedBelow {
		seen = make([]bool, len(n.order))
	}
	var err error
	forEach(doc, func(_ int, key []byte, v bson.RawValue) bool {
		c := n.children[string(key)]
		if c == nil {
			if !a.p.inclusion {
				b.AppendValue(string(key), rawValue(v))
			}
			return false
		}
		// An inclusion starts from an empty document, so its computed
		// fields come after the included ones; an exclusion starts from
		// the whole document, where they replace the field in place.
		if c.kind == projComputed && a.p.inclusion {
			return false
		}
		if seen != nil {
			seen[c.idx] = true
		}
		switch c.kind {
		case projExclude:
		case projPath:
			var out bsoncore.Value
			var ok bool
			if out, ok, err = a.projectValue(root, v, c); err != nil {
				return true
			} else if ok {
				b.AppendValue(string(key), out)
			}
		case projComputed:
			var out bson.RawValue
			if out, err = c.comp.eval(a, root); err != nil {
				return true
			} else if out.Type != 0 {
				b.AppendValue(string(key), rawValue(out))
			}
		default:
			b.AppendValue(string(key), rawValue(v))
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	for i, k := range n.order {
		if seen == nil || seen[i] {
			continue
		}
		c := n.children[k]
		switch {
		case c.kind == projComputed:
			out, err := c.comp.eval(a, root)
			if err != nil {
				return nil, err
			}
			if out.Type != 0 {
				b.AppendValue(k, rawValue(out))
			}
		case c.kind == projPath && c.computedBelow:
			sub, err := a.projectDoc(root, emptyDoc, c)
			if err != nil {
				return nil, err
			}
			b.AppendDocument(k, sub)
		}
	}
	return b.Build(), nil
}

// projectValue projects the value of a field that has projections below
// it: a document is projected, an array element by element (arrays in
// arrays too), and anything else is dropped by an inclusion, kept by an
// exclusion, or replaced by the computed fields below when there are.
func (a *applyState) projectValue(root bson.Raw, v bson.RawValue, n *projNode) (bsoncore.Value, bool, error) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		d, err := a.projectDoc(root, v.Value, n)
		return bsoncore.Value{Type: bsoncore.TypeEmbeddedDocument, Data: d}, true, err
	case bson.TypeArray:
		arr := bsoncore.NewArrayBuilder()
		var err error
		forEach(v.Value, func(_ int, _ []byte, e bson.RawValue) bool {
			var out bsoncore.Value
			var ok bool
			if out, ok, err = a.projectValue(root, e, n); err != nil {
				return true
			} else if ok {
				arr.AppendValue(out)
			}
			return false
		})
		return bsoncore.Value{Type: bsoncore.TypeArray, Data: arr.Build()}, err == nil, err
	}
	if n.computedBelow {
		d, err := a.projectDoc(root, emptyDoc, n)
		return bsoncore.Value{Type: bsoncore.TypeEmbeddedDocument, Data: d}, true, err
	}
	if a.p.inclusion {
		return bsoncore.Value{}, false, nil
	}
	return rawValue(v), true, nil
}

// sliceDoc applies find's $slice at path to a projected document: the
// array at the end of the path is cut; arrays on the way are entered
// element by element (documents only); anything else stays as it is.
func sliceDoc(doc []byte, path []string, s *projNode) []byte {
	b := bsoncore.NewDocumentBuilder()
	done := false
	forEach(doc, func(_ int, key []byte, v bson.RawValue) bool {
		if done || string(key) != path[0] {
			b.AppendValue(string(key), rawValue(v))
			return false
		}
		done = true
		b.AppendValue(string(key), sliceValue(v, path[1:], s))
		return false
	})
	return b.Build()
}

func sliceValue(v bson.RawValue, rest []string, s *projNode) bsoncore.Value {
	switch v.Type {
	case bson.TypeArray:
		vals, _ := bson.Raw(v.Value).Values()
		arr := bsoncore.NewArrayBuilder()
		if len(rest) == 0 {
			start, end := sliceBounds(len(vals), s)
			for _, e := range vals[start:end] {
				arr.AppendValue(rawValue(e))
			}
		} else {
			for _, e := range vals {
				if e.Type == bson.TypeEmbeddedDocument {
					arr.AppendDocument(sliceDoc(e.Value, rest, s))
				} else {
					arr.AppendValue(rawValue(e))
				}
			}
		}
		return bsoncore.Value{Type: bsoncore.TypeArray, Data: arr.Build()}
	case bson.TypeEmbeddedDocument:
		if len(rest) > 0 {
			return bsoncore.Value{Type: bsoncore.TypeEmbeddedDocument, Data: sliceDoc(v.Value, rest, s)}
		}
	}
	return rawValue(v)
}

// sliceBounds is mongod's sliceArray: a lone limit takes the first n
// (or the last -n) elements; [skip, limit] skips from the front (or
// starts -skip from the back) and takes up to limit.
func sliceBounds(n int, s *projNode) (int, int) {
	if !s.hasSkip {
		if s.limit < 0 {
			return max(0, n+s.limit), n
		}
		return 0, min(n, s.limit)
	}
	start := min(n, s.skip)
	if s.skip < 0 {
		start = max(0, n+s.skip)
	}
	return start, start + min(n-start, s.limit)
}

// positional applies "path.$" to the projected document: the first
// array met along path is replaced by the one element the filter matched
// there. A path that meets no array is left as it is.
func (a *applyState) positional(doc []byte, path []string) ([]byte, error) {
	sub := doc
	for i, part := range path {
		v, ok := lookupField(sub, part)
		if !ok {
			// mongod looks the next component up in the same document.
			continue
		}
		switch v.Type {
		case bson.TypeArray:
			if a.params.ArrayIndex < 0 {
				return nil, mongoerr.New(codePosNoMatchingElem, "positional operator '.$' couldn't find a matching element in the array")
			}
			elem, err := bson.Raw(v.Value).IndexErr(uint(a.params.ArrayIndex))
			if err != nil {
				return nil, mongoerr.New(codePosElemMismatch, "positional operator '.$' element mismatch")
			}
			one := bsoncore.NewArrayBuilder().AppendValue(rawValue(elem.Value())).Build()
			return bsonx.SetPath(doc, path[:i+1], bson.RawValue{Type: bson.TypeArray, Value: one}), nil
		case bson.TypeEmbeddedDocument:
			sub = v.Value
		}
	}
	return doc, nil
}

// exprField is a computed field given by an aggregation expression.
type exprField struct{ e expr.Expr }

func (f exprField) eval(a *applyState, root bson.Raw) (bson.RawValue, error) {
	return f.e.Eval(a.p.ec, root)
}

// metaField is {$meta: name}: metadata a find does not have yields no
// field ({$meta: "indexKey"} on a collection scan).
type metaField string

func (f metaField) eval(a *applyState, _ bson.Raw) (bson.RawValue, error) {
	switch f {
	case "recordId":
		if a.params.HasRecordID {
			return bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, a.params.RecordID)}, nil
		}
	case "indexKey":
		if a.params.IndexKey != nil {
			return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: a.params.IndexKey}, nil
		}
	}
	return bson.RawValue{}, nil
}

// elemMatchField is find's {field: {$elemMatch: …}}: the first element
// of the array that satisfies the condition, in a one-element array, or
// no field when none does.
type elemMatchField struct {
	f     *Filter
	field string
}

func (f elemMatchField) eval(_ *applyState, root bson.Raw) (bson.RawValue, error) {
	ok, idx, err := f.f.MatchArrayIndex(root)
	if err != nil || !ok || idx < 0 {
		return bson.RawValue{}, err
	}
	arr, found := lookupField(root, f.field)
	if !found || arr.Type != bson.TypeArray {
		return bson.RawValue{}, nil
	}
	elem, err := bson.Raw(arr.Value).IndexErr(uint(idx))
	if err != nil {
		return bson.RawValue{}, nil
	}
	one := bsoncore.NewArrayBuilder().AppendValue(rawValue(elem.Value())).Build()
	return bson.RawValue{Type: bson.TypeArray, Value: one}, nil
}

// sliceExpr is the aggregation {$slice: [array, n]} or
// {$slice: [array, position, n]}.
type sliceExpr struct{ args []expr.Expr }

func (s sliceExpr) Eval(ec *expr.EvalContext, doc bson.Raw) (bson.RawValue, error) {
	null := bson.RawValue{Type: bson.TypeNull}
	arr, err := s.args[0].Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	pos, err := s.args[1].Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullishValue(arr) || nullishValue(pos) {
		return null, nil
	}
	if arr.Type != bson.TypeArray {
		return bson.RawValue{}, mongoerr.Newf(codeSliceFirstArg, "First argument to $slice must be an array, but is of type: %s", bsonx.TypeName(arr.Type))
	}
	if !bsonx.IsNumber(pos.Type) {
		return bson.RawValue{}, mongoerr.Newf(codeSliceSecondArg, "Second argument to $slice must be a numeric value, but is of type: %s", bsonx.TypeName(pos.Type))
	}
	p, ok := int32Value(pos)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeSliceSecondIntegral, "Second argument to $slice can't be represented as a 32-bit integer: %s", formatDouble(pos))
	}
	vals, _ := bson.Raw(arr.Value).Values()
	n := len(vals)
	var start, end int
	if len(s.args) == 2 {
		if p >= 0 {
			start, end = 0, min(n, p)
		} else {
			start, end = max(0, n+p), n
		}
	} else {
		cnt, err := s.args[2].Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullishValue(cnt) {
			return null, nil
		}
		if !bsonx.IsNumber(cnt.Type) {
			return bson.RawValue{}, mongoerr.Newf(codeSliceThirdArg, "Third argument to $slice must be numeric, but is of type: %s", bsonx.TypeName(cnt.Type))
		}
		c, ok := int32Value(cnt)
		if !ok {
			return bson.RawValue{}, mongoerr.Newf(codeSliceThirdIntegral, "Third argument to $slice can't be represented as a 32-bit integer: %s", formatDouble(cnt))
		}
		if c <= 0 {
			return bson.RawValue{}, mongoerr.Newf(codeSliceThirdPositive, "Third argument to $slice must be positive: %d", c)
		}
		if p >= 0 {
			start = min(n, p)
		} else {
			start = max(0, n+p)
		}
		end = start + min(n-start, c)
	}
	out := bsoncore.NewArrayBuilder()
	for _, e := range vals[start:end] {
		out.AppendValue(rawValue(e))
	}
	return bson.RawValue{Type: bson.TypeArray, Value: out.Build()}, nil
}

func nullishValue(v bson.RawValue) bool {
	return v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined
}

// int32Value reads a number that must be a whole 32-bit integer.
func int32Value(v bson.RawValue) (int, bool) {
	var f float64
	switch v.Type {
	case bson.TypeInt32:
		return int(v.Int32()), true
	case bson.TypeInt64:
		i := v.Int64()
		return int(i), i >= math.MinInt32 && i <= math.MaxInt32
	case bson.TypeDouble:
		f = v.Double()
	case bson.TypeDecimal128:
		f, _ = strconv.ParseFloat(v.Decimal128().String(), 64)
	}
	if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

func formatDouble(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeInt64:
		return strconv.FormatInt(v.Int64(), 10)
	case bson.TypeDouble:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	}
	return bsonx.Format(v)
}

// expressionNames are mongod 8.0's aggregation expression operators: a
// one-field document {$name: …} in a projection is an expression when
// $name is one of them (expr may not implement all of them yet, and then
// says so), and an unknown expression otherwise.
var expressionNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`abs acos acosh add allElementsTrue and anyElementTrue arrayElemAt
		arrayToObject asin asinh atan atan2 atanh avg binarySize bitAnd bitNot bitOr bitXor bsonSize ceil cmp
		concat concatArrays cond convert cos cosh covariancePop covarianceSamp dateAdd dateDiff dateFromParts
		dateFromString dateSubtract dateToParts dateToString dateTrunc dayOfMonth dayOfWeek dayOfYear
		degreesToRadians divide eq exp filter first firstN floor function getField gt gte hour ifNull in
		indexOfArray indexOfBytes indexOfCP isArray isNumber isoDayOfWeek isoWeek isoWeekYear last lastN let
		literal ln log log10 lt lte ltrim map max maxN median meta mergeObjects millisecond min minN minute mod
		month multiply ne not objectToArray or percentile pow radiansToDegrees rand range reduce regexFind
		regexFindAll regexMatch replaceAll replaceOne reverseArray round rtrim second setDifference
		setEquals setField setIntersection setIsSubset setUnion sin sinh size slice sortArray split sqrt
		stdDevPop stdDevSamp strLenBytes strLenCP strcasecmp substr substrBytes substrCP subtract sum switch
		tan tanh toBool toDate toDecimal toDouble toHashedIndexKey toInt toLong toLower toObjectId toString
		toUpper toUUID trim trunc tsIncrement tsSecond type unsetField week year zip`) {
		m["$"+n] = true
	}
	return m
}()
