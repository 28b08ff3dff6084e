package query

import (
	"math"
	"math/big"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
)

func bsoncoreType(t bson.Type) bsoncore.Type { return bsoncore.Type(t) }

// compareValues orders two values in MongoDB's order, comparing strings
// with the collator when there is one.
func compareValues(a, b bson.RawValue, c Collator) int {
	if c == nil {
		return bsonx.Compare(a, b)
	}
	return bsonx.CompareWith(a, b, c)
}

func isNaN(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeDouble:
		return math.IsNaN(v.Double())
	case bson.TypeDecimal128:
		return v.Decimal128().IsNaN()
	}
	return false
}

// numberFloat converts any numeric value to the nearest double.
func numberFloat(v bson.RawValue) float64 {
	if v.Type == bson.TypeDecimal128 {
		return decimalFloat(v)
	}
	return v.AsFloat64()
}

// decimalFloat converts a decimal128 to the nearest double.
func decimalFloat(v bson.RawValue) float64 {
	d := v.Decimal128()
	switch {
	case d.IsNaN():
		return math.NaN()
	case d.IsInf() > 0:
		return math.Inf(1)
	case d.IsInf() < 0:
		return math.Inf(-1)
	}
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// decimalInt64 converts an integral decimal128 exactly.
func decimalInt64(v bson.RawValue) (int64, bool) {
	d := v.Decimal128()
	if d.IsNaN() || d.IsInf() != 0 {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(d.String())
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}
