package expr

import (
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Values built by operators are fresh byte slices, never aliases of the
// input document.

var (
	nullValue  = bson.RawValue{Type: bson.TypeNull}
	trueValue  = bson.RawValue{Type: bson.TypeBoolean, Value: []byte{1}}
	falseValue = bson.RawValue{Type: bson.TypeBoolean, Value: []byte{0}}
)

func boolValue(b bool) bson.RawValue {
	if b {
		return trueValue
	}
	return falseValue
}

func int32Value(i int32) bson.RawValue {
	return bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, i)}
}

func int64Value(i int64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, i)}
}

// intOrLong is mongod's Value::createIntOrLong: an int32 when i fits.
func intOrLong(i int64) bson.RawValue {
	if int64(int32(i)) == i {
		return int32Value(int32(i))
	}
	return int64Value(i)
}

func doubleValue(f float64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, f)}
}

func dateValue(ms int64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeDateTime, Value: bsoncore.AppendDateTime(nil, ms)}
}

func decimalValue(d bson.Decimal128) bson.RawValue {
	h, l := d.GetBytes()
	return bson.RawValue{Type: bson.TypeDecimal128, Value: bsoncore.AppendDecimal128(nil, h, l)}
}

func toCore(v bson.RawValue) bsoncore.Value {
	return bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value}
}

// arrayValue builds a BSON array of vals; missing elements must already
// have been dropped or replaced by the caller.
func arrayValue(vals []bson.RawValue) bson.RawValue {
	idx, dst := bsoncore.AppendArrayStart(nil)
	for i, v := range vals {
		dst = bsoncore.AppendValueElement(dst, strconv.Itoa(i), toCore(v))
	}
	dst, _ = bsoncore.AppendArrayEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeArray, Value: dst}
}

// numeric reports whether v is one of the four numeric types.
func numeric(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return true
	}
	return false
}

// asInt64 reads an int32 or int64 (malformed values read as zero).
func asInt64(v bson.RawValue) int64 {
	switch v.Type {
	case bson.TypeInt32:
		i, _ := v.Int32OK()
		return int64(i)
	case bson.TypeInt64:
		i, _ := v.Int64OK()
		return i
	}
	return 0
}

// asFloat converts any numeric value to a double (mongod's coerceToDouble).
func asFloat(v bson.RawValue) float64 {
	switch v.Type {
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		return f
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		return decFromDecimal(d).float()
	}
	return float64(asInt64(v))
}

// formatDouble prints a double as mongod's messages do (C's %g).
func formatDouble(f float64) string {
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// formatNumber prints a numeric value in a message: decimals in full,
// everything else through %g as mongod does after coercing to double.
func formatNumber(v bson.RawValue) string {
	if v.Type == bson.TypeDecimal128 {
		d, _ := v.Decimal128OK()
		return d.String()
	}
	return formatDouble(asFloat(v))
}
