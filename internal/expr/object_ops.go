package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// codeMergeObjectsNotObject is mongod's assertion code for a
// $mergeObjects operand that is not a document.
const codeMergeObjectsNotObject mongoerr.Code = 40400

func init() {
	register(map[string]parseFunc{
		"$mergeObjects": lazyVariadic(evalMergeObjects),
	})
}

// evalMergeObjects is the expression form of $mergeObjects: documents
// merged left to right, a later field replacing an earlier one in place;
// null and missing operands are skipped. A single operand that is an
// array has its elements merged instead, as mongod's
// ExpressionFromAccumulator does.
func evalMergeObjects(c *opCall) (bson.RawValue, error) {
	var b docBuilder
	merge := func(v bson.RawValue) error {
		if nullish(v) {
			return nil
		}
		if v.Type != bson.TypeEmbeddedDocument {
			return mongoerr.Newf(codeMergeObjectsNotObject, "$mergeObjects requires object inputs, but input %s is of type %s", valueString(v), typeName(v))
		}
		elems, _ := bson.Raw(v.Value).Elements()
		for _, e := range elems {
			b.set(e.Key(), e.Value())
		}
		return nil
	}
	if len(c.args) == 1 {
		v, err := c.arg(0)
		if err != nil {
			return bson.RawValue{}, err
		}
		if v.Type != bson.TypeArray {
			if err := merge(v); err != nil {
				return bson.RawValue{}, err
			}
			return b.value(), nil
		}
		for _, e := range arrayValues(v) {
			if err := merge(e); err != nil {
				return bson.RawValue{}, err
			}
		}
		return b.value(), nil
	}
	for i := range c.args {
		v, err := c.arg(i)
		if err != nil {
			return bson.RawValue{}, err
		}
		if err := merge(v); err != nil {
			return bson.RawValue{}, err
		}
	}
	return b.value(), nil
}
