// Package update applies MongoDB update documents — replacements and
// operator updates — to raw BSON documents, producing the document
// mongod 8.0 would produce: fields keep their place, new fields are
// appended in the order mongod applies paths (sibling fields in
// lexicographic order, array indexes numerically), numeric types follow
// mongod's promotion rules, and every error carries mongod's code and
// wording.
//
// An operator update is parsed into a tree that mirrors its paths
// (tree.go), with array filters for $[<identifier>] (arrayfilter.go) and
// one leaf per modifier (ops.go); applying walks the tree over a lazily
// expanded copy of the document (value.go).
package update

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/expr"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/pipeline"
)

// Options are the statement options an update is parsed with.
type Options struct {
	// ArrayFilters are the statement's arrayFilters documents.
	ArrayFilters []bson.Raw
	// Now, when set, is the clock $currentDate reads (tests pin it).
	Now func() time.Time
	// Scope holds the command's let variables for pipeline-style updates.
	Scope *expr.Scope
	// Collator compares strings in $min/$max, $addToSet, $pull, $pullAll,
	// $push $sort and arrayFilters: the command's collation (nil: simple).
	Collator bsonx.StringComparer
}

// NoMatch is the ApplyOptions.MatchedIndex of a document whose query
// match went through no array.
const NoMatch = -1

// ApplyOptions are the per-document inputs of an update.
type ApplyOptions struct {
	// IsInsert is set when the document is an upsert's seed:
	// $setOnInsert applies only then.
	IsInsert bool
	// MatchedIndex is the position, in the first array the query's match
	// went through, of the element that matched (what the positional $
	// operator stands for, from query.Filter.MatchArrayIndex), or NoMatch.
	MatchedIndex int
}

// Update is a parsed update document.
type Update struct {
	pipeline    *pipeline.Pipeline // a pipeline-style update
	replacement bson.Raw
	root        *objNode
	filters     map[string]*arrayFilter
	positional  bool
	clock       func() time.Time
}

// parser collects what parsing the paths finds out.
type parser struct {
	coll       bsonx.StringComparer
	filters    map[string]*arrayFilter
	used       map[string]bool
	positional bool
}

// modifiers lists the update operators mongod knows.
var modifiers = map[string]bool{
	"$set": true, "$unset": true, "$inc": true, "$mul": true, "$min": true, "$max": true,
	"$setOnInsert": true, "$rename": true, "$currentDate": true,
	"$push": true, "$addToSet": true, "$pop": true, "$pull": true, "$pullAll": true, "$bit": true,
}

// Parse parses an update document.
func Parse(u bson.Raw, opts Options) (*Update, error) {
	elems, err := u.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	clock := opts.Now
	if clock == nil {
		clock = time.Now
	}
	if len(elems) == 0 || !strings.HasPrefix(elems[0].Key(), "$") {
		for _, e := range elems {
			if strings.HasPrefix(e.Key(), "$") {
				return nil, mongoerr.Newf(mongoerr.DollarPrefixedFieldName, "The dollar ($) prefixed field '%s' in '%s' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.", e.Key(), e.Key())
			}
		}
		return &Update{replacement: u, clock: clock}, nil
	}
	// mongod parses the array filters before the modifiers.
	filters, err := parseArrayFilters(opts.ArrayFilters, opts.Collator)
	if err != nil {
		return nil, err
	}
	p := &parser{filters: filters, used: map[string]bool{}, coll: opts.Collator}
	up := &Update{root: newObjNode(), filters: filters, clock: clock}
	for _, e := range elems {
		op := e.Key()
		if !modifiers[op] {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Unknown modifier: %s. Expected a valid update modifier or pipeline-style update specified as an array", op)
		}
		d, ok := e.Value().DocumentOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "Modifiers operate on fields but we found type %s instead. For example: {$mod: {<field>: ...}} not {%s: %s}", bsonx.TypeName(e.Value().Type), op, bsonx.Format(e.Value()))
		}
		fields, err := d.Elements()
		if err != nil {
			return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
		}
		// Since MongoDB 5.0 a modifier with no fields ({$set: {}}) is
		// accepted and does nothing (see the update operators' manual
		// pages).
		for _, f := range fields {
			if err := p.add(up.root, op, f.Key(), f.Value()); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range opts.ArrayFilters {
		id, _ := topLevelName(r)
		if !p.used[id] {
			return nil, mongoerr.Newf(mongoerr.FailedToParse, "The array filter for identifier '%s' was not used in the update %s", id, bsonx.Format(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: u}))
		}
	}
	up.positional = p.positional
	return up, nil
}

// add parses one modifier on one path into the tree.
func (p *parser) add(root *objNode, op, path string, v bson.RawValue) error {
	if op != "$rename" {
		l, err := parseLeaf(op, path, v, p.coll)
		if err != nil {
			return err
		}
		return p.insert(root, path, l)
	}
	// $rename occupies two places in the tree: its source, where nothing
	// else may apply, and its destination, where it does its work.
	if err := p.insert(root, path, &leaf{op: "$rename-src", path: path}); err != nil {
		return err
	}
	to, ok := v.StringValueOK()
	if !ok {
		return mongoerr.Newf(mongoerr.BadValue, "The 'to' field for $rename must be a string: %s: %s", path, bsonx.Format(v))
	}
	if err := checkUpdatable(to); err != nil {
		return err
	}
	from := strings.Split(path, ".")
	dest := strings.Split(to, ".")
	if dynamic(from) {
		return mongoerr.Newf(mongoerr.BadValue, "The source field for $rename may not be dynamic: %s", path)
	}
	if dynamic(dest) {
		return mongoerr.Newf(mongoerr.BadValue, "The destination field for $rename may not be dynamic: %s", to)
	}
	if to == path {
		return mongoerr.Newf(mongoerr.BadValue, "The source and target field for $rename must differ: %s: %s", path, bsonx.Format(v))
	}
	if isPrefix(from, dest) || isPrefix(dest, from) {
		return mongoerr.Newf(mongoerr.BadValue, "The source and target field for $rename must not be on the same path: %s: %s", path, bsonx.Format(v))
	}
	return p.insert(root, to, &leaf{op: "$rename", path: to, arg: v, from: from})
}

func dynamic(parts []string) bool {
	for _, s := range parts {
		if s == "$" || isIdentifier(s) {
			return true
		}
	}
	return false
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

// UsesPositional reports whether a path of the update holds the
// positional $ operator, which needs the query's matched array index.
func (u *Update) UsesPositional() bool { return u.positional }

// Apply applies the update to doc with no positional match. isInsert is
// set when doc is an upsert's seed. changed is false when the update was
// a no-op, as mongod counts nModified.
func (u *Update) Apply(doc bson.Raw, isInsert bool) (bson.Raw, bool, error) {
	return u.ApplyWith(doc, ApplyOptions{IsInsert: isInsert, MatchedIndex: NoMatch})
}

// maxDocSize is the largest document mongod stores.
const maxDocSize = 16 * 1024 * 1024

// ApplyWith applies the update to doc.
func (u *Update) ApplyWith(doc bson.Raw, opts ApplyOptions) (out bson.Raw, changed bool, err error) {
	// Values are decoded lazily; bytes that only look valid at the top
	// level must fail this update, not the server.
	defer func() {
		if r := recover(); r != nil {
			out, changed, err = nil, false, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in document: %v", r)
		}
	}()
	return u.apply(doc, opts)
}

func (u *Update) apply(doc bson.Raw, opts ApplyOptions) (bson.Raw, bool, error) {
	if u.pipeline != nil {
		return u.applyPipeline(doc)
	}
	oldID, idErr := doc.LookupErr("_id")
	hasID := idErr == nil
	if u.replacement != nil {
		out, err := u.replace(doc, oldID, hasID)
		if err != nil {
			return nil, false, err
		}
		if bytes.Equal(out, doc) {
			return doc, false, nil
		}
		return finish(out)
	}
	a := &applier{u: u, root: newVal(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}), insert: opts.IsInsert}
	if opts.MatchedIndex >= 0 {
		a.matched = strconv.Itoa(opts.MatchedIndex)
	}
	if err := a.applyObj(u.root, a.root, nil, nil); err != nil {
		return nil, false, err
	}
	if !a.modified {
		return doc, false, nil
	}
	out := bson.Raw(a.root.bytes())
	// _id is immutable, for an upsert's seed too: an _id the filter fixed
	// may not be changed by the update (mongod's immutable paths).
	if hasID {
		newID, err := out.LookupErr("_id")
		if err != nil {
			return nil, false, mongoerr.New(mongoerr.ImmutableField, "After applying the update, the (immutable) field '_id' was found to have been removed.")
		}
		if newID.Type != oldID.Type || !bytes.Equal(newID.Value, oldID.Value) {
			return nil, false, mongoerr.New(mongoerr.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'")
		}
	}
	return finish(out)
}

// finish puts _id first, as mongod's update and upsert stages do with
// every document they write, and checks the size limit.
func finish(out bson.Raw) (bson.Raw, bool, error) {
	out = moveIDFirst(out)
	if len(out) > maxDocSize {
		return nil, false, mongoerr.Newf(mongoerr.BSONObjectTooLarge, "Resulting document after update is larger than %d", maxDocSize)
	}
	return out, true, nil
}

// replace applies a replacement document as mongod's
// ObjectReplaceExecutor: every field but _id is dropped and the
// replacement's fields appended; the replacement may restate _id with a
// value that compares equal (1 and 1.0 are equal), never change it.
func (u *Update) replace(doc bson.Raw, oldID bson.RawValue, hasID bool) (bson.Raw, error) {
	newID, err := u.replacement.LookupErr("_id")
	if err == nil {
		if hasID && bsonx.Compare(oldID, newID) != 0 {
			return nil, mongoerr.Newf(mongoerr.ImmutableField, "After applying the update, the (immutable) field '_id' was found to have been altered to _id: %s", bsonx.Format(newID))
		}
		return u.replacement, nil
	}
	if !hasID {
		return u.replacement, nil
	}
	return prependID(oldID, u.replacement), nil
}

// moveIDFirst returns doc with its _id field first, as mongod stores
// every document it writes.
func moveIDFirst(doc bson.Raw) bson.Raw {
	elems, err := doc.Elements()
	if err != nil {
		return doc
	}
	pos := -1
	for i, e := range elems {
		if e.Key() == "_id" {
			pos = i
			break
		}
	}
	if pos <= 0 {
		return doc
	}
	idx, out := bsoncore.ReserveLength(make([]byte, 0, len(doc)))
	out = append(out, elems[pos]...)
	for i, e := range elems {
		if i != pos {
			out = append(out, e...)
		}
	}
	out = append(out, 0)
	return bson.Raw(bsoncore.UpdateLength(out, idx, int32(len(out))))
}

// prependID returns doc (which has no _id) with the field _id: id first.
func prependID(id bson.RawValue, doc bson.Raw) bson.Raw {
	idx, out := bsoncore.ReserveLength(make([]byte, 0, len(doc)+len(id.Value)+8))
	out = bsoncore.AppendValueElement(out, "_id", bsoncore.Value{Type: bsoncore.Type(id.Type), Data: id.Value})
	out = append(out, doc[4:]...)
	return bson.Raw(bsoncore.UpdateLength(out, idx, int32(len(out))))
}

// ParseValue parses the "u" field of an update statement, which is either
// an update document or an aggregation pipeline (an array) of the stages
// mongod allows in updates ($set, $addFields, $unset, $project,
// $replaceRoot, $replaceWith).
func ParseValue(v bson.RawValue, opts Options) (*Update, error) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		return Parse(v.Document(), opts)
	case bson.TypeArray:
		return parsePipeline(bson.Raw(v.Value), opts)
	}
	return nil, mongoerr.Newf(mongoerr.FailedToParse, "Update argument must be either an object or an array")
}
