package bsonx

import (
	"math"
	"math/big"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// IntegerElement reads a number that must hold an integer, with the
// FailedToParse messages of mongod's parseIntegerElementToLong, which
// name the element ("Expected an integer: limit: 1.5"; field may be "").
func IntegerElement(field string, v bson.RawValue) (int64, error) {
	elem := Format(v)
	if d, ok := v.Decimal128OK(); ok {
		elem = d.String()
	}
	if field != "" {
		elem = field + ": " + elem
	}
	switch v.Type {
	case bson.TypeInt32:
		return int64(v.Int32()), nil
	case bson.TypeInt64:
		return v.Int64(), nil
	case bson.TypeDouble:
		f := v.Double()
		if math.IsNaN(f) {
			return 0, mongoerr.Newf(mongoerr.FailedToParse, "Expected an integer, but found NaN in: %s", elem)
		}
		if f >= 0x1p63 || f < -0x1p63 {
			return 0, mongoerr.Newf(mongoerr.FailedToParse, "Cannot represent as a 64-bit integer: %s", elem)
		}
		if f != math.Trunc(f) {
			return 0, mongoerr.Newf(mongoerr.FailedToParse, "Expected an integer: %s", elem)
		}
		return int64(f), nil
	case bson.TypeDecimal128:
		d := v.Decimal128()
		if !d.IsNaN() && d.IsInf() == 0 {
			if r, ok := new(big.Rat).SetString(d.String()); ok && r.IsInt() && r.Num().IsInt64() {
				return r.Num().Int64(), nil
			}
		}
		return 0, mongoerr.Newf(mongoerr.FailedToParse, "Cannot represent as a 64-bit integer: %s", elem)
	}
	return 0, mongoerr.Newf(mongoerr.FailedToParse, "Expected a number in: %s", elem)
}
