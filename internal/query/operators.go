package query

import (
	"math/rand/v2"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/jsonschema"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The operator tables are filled in init: the parsers recurse into the
// tables, which a package-level initializer cannot.
func init() {
	topOperators = map[string]topParser{
		"$and":         parseTree,
		"$or":          parseTree,
		"$nor":         parseTree,
		"$comment":     func(*parser, string, bson.RawValue, level) (node, error) { return nil, nil },
		"$alwaysTrue":  parseAlways,
		"$alwaysFalse": parseAlways,
		"$expr":        parseExpr,
		"$jsonSchema":  parseJSONSchema,
		"$where":       parseWhere,
		"$text":        parseText,
		"$sampleRate":  parseSampleRate,
	}
	pathOperators = map[string]predParser{
		"$eq":            parseCmp,
		"$ne":            parseCmp,
		"$gt":            parseCmp,
		"$gte":           parseCmp,
		"$lt":            parseCmp,
		"$lte":           parseCmp,
		"$in":            parseIn,
		"$nin":           parseIn,
		"$exists":        parseExists,
		"$not":           parseNot,
		"$regex":         parseRegex,
		"$options":       parseOptions,
		"$size":          parseSize,
		"$type":          parseType,
		"$mod":           parseMod,
		"$all":           parseAll,
		"$elemMatch":     parseElemMatch,
		"$bitsAllSet":    parseBits,
		"$bitsAllClear":  parseBits,
		"$bitsAnySet":    parseBits,
		"$bitsAnyClear":  parseBits,
		"$near":          parseGeoNear,
		"$nearSphere":    parseGeoNear,
		"$geoNear":       parseGeoNear,
		"$geoWithin":     parseGeo,
		"$within":        parseGeo,
		"$geoIntersects": parseGeo,
	}
}

func parseTree(p *parser, name string, arg bson.RawValue, lvl level) (node, error) {
	arr, ok := arg.ArrayOK()
	if !ok {
		return nil, mongoerr.Newf(mongoerr.BadValue, "%s must be an array", name)
	}
	vals, _ := arr.Values()
	if len(vals) == 0 {
		return nil, mongoerr.New(mongoerr.BadValue, "$and/$or/$nor must be a nonempty array")
	}
	subs := make([]node, 0, len(vals))
	for _, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.BadValue, "$or/$and/$nor entries need to be full objects")
		}
		n, err := p.parseDoc(d, lvl)
		if err != nil {
			return nil, err
		}
		subs = append(subs, n)
	}
	switch name {
	case "$and":
		return andNode(subs), nil
	case "$or":
		return orNode(subs), nil
	}
	return norNode(subs), nil
}

func parseAlways(p *parser, name string, arg bson.RawValue, _ level) (node, error) {
	n, err := bsonx.IntegerElement(name, arg)
	if err != nil {
		return nil, err
	}
	if n != 1 {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "%s must be an integer value of 1", name)
	}
	return alwaysNode(name == "$alwaysTrue"), nil
}

func parseWhere(p *parser, name string, arg bson.RawValue, lvl level) (node, error) {
	if lvl == levelSub {
		return nil, mongoerr.New(mongoerr.BadValue, "$elemMatch cannot contain $where expression")
	}
	// Without a JavaScript engine mongod (--noscripting) refuses $where so.
	return nil, mongoerr.New(mongoerr.Code(6108304), "no globalScriptEngine in $where parsing")
}

func parseText(p *parser, name string, arg bson.RawValue, lvl level) (node, error) {
	if lvl == levelSub {
		return nil, mongoerr.New(mongoerr.BadValue, "$text can only be applied to the top-level document")
	}
	// There are no text indexes yet, and $text needs one.
	return nil, mongoerr.New(mongoerr.IndexNotFound, "text index required for $text query")
}

func parseSampleRate(p *parser, name string, arg bson.RawValue, lvl level) (node, error) {
	if !bsonx.IsNumber(arg.Type) {
		return nil, mongoerr.New(mongoerr.BadValue, "argument to $sampleRate must be a numeric type")
	}
	rate := numberFloat(arg)
	if !(rate >= 0 && rate <= 1) {
		return nil, mongoerr.New(mongoerr.BadValue, "numeric argument to $sampleRate must be in [0, 1]")
	}
	return sampleNode(rate), nil
}

// sampleNode keeps each document with the given probability.
type sampleNode float64

func (s sampleNode) match(bson.Raw, *details) bool { return rand.Float64() < float64(s) }

func parseGeoNear(p *parser, name string, arg bson.RawValue, ops bson.Raw) (pred, error) {
	return nil, mongoerr.New(mongoerr.Code(291), "error processing query: planner returned error :: caused by :: unable to find index for $geoNear query")
}

func parseGeo(p *parser, name string, arg bson.RawValue, ops bson.Raw) (pred, error) {
	return nil, notSupported(name)
}

func parseExpr(p *parser, name string, arg bson.RawValue, lvl level) (node, error) {
	if lvl == levelSub {
		return nil, mongoerr.New(mongoerr.BadValue, "$expr can only be applied to the top-level document")
	}
	sc, err := p.scope()
	if err != nil {
		return nil, err
	}
	e, err := expr.Parse(arg, sc.Parse)
	if err != nil {
		return nil, err
	}
	p.exprs = true
	return &exprNode{e: e, ec: sc.Eval}, nil
}

func parseJSONSchema(p *parser, name string, arg bson.RawValue, lvl level) (node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(mongoerr.TypeMismatch, "$jsonSchema must be an object")
	}
	s, err := jsonschema.Parse(arg.Document())
	if err != nil {
		return nil, err
	}
	return schemaNode{s}, nil
}

// schemaNode is $jsonSchema in a filter: the document must satisfy it.
type schemaNode struct{ s *jsonschema.Schema }

func (n schemaNode) match(doc bson.Raw, _ *details) bool { return n.s.Matches(doc) }
