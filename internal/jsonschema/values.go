package jsonschema

import (
	"bytes"
	"cmp"
	"math"
	"math/big"
	"slices"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
)

// isNaN reports whether v is a double or decimal NaN.
func isNaN(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		return math.IsNaN(f)
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		return d.IsNaN()
	}
	return false
}

// decimalRat returns the number v as mongod's numberDecimal() sees it, as
// an exact rational: doubles rounded to 15 significant digits (so that 0.3
// is a multiple of 0.1, as on mongod), integers and decimals exactly. NaN
// and infinities report false.
func decimalRat(v bson.RawValue) (*big.Rat, bool) {
	switch v.Type {
	case bson.TypeInt32:
		n, _ := v.Int32OK()
		return new(big.Rat).SetInt64(int64(n)), true
	case bson.TypeInt64:
		n, _ := v.Int64OK()
		return new(big.Rat).SetInt64(n), true
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'e', 14, 64))
		return r, ok
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		return decimal128Rat(d)
	}
	return nil, false
}

// maxDecimalExponent bounds the exponents decimal128Rat expands, far past
// decimal128's own (±6176), so that a malformed value cannot make it build
// an enormous power of ten.
const maxDecimalExponent = 7000

func decimal128Rat(d bson.Decimal128) (*big.Rat, bool) {
	bi, exp, err := d.BigInt()
	if err != nil || exp > maxDecimalExponent || exp < -maxDecimalExponent {
		return nil, false
	}
	r := new(big.Rat).SetInt(bi)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
	if exp >= 0 {
		return r.Mul(r, new(big.Rat).SetInt(p)), true
	}
	return r.Quo(r, new(big.Rat).SetInt(p)), true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// decimalNegative reports whether mongod's numberDecimal() of the number
// v has its sign bit set (so -0 and -NaN count as negative).
func decimalNegative(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeInt32:
		n, _ := v.Int32OK()
		return n < 0
	case bson.TypeInt64:
		n, _ := v.Int64OK()
		return n < 0
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		return math.Signbit(f)
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		hi, _ := d.GetBytes()
		return hi>>63 == 1
	}
	return false
}

// compareUnordered orders two values as mongod's
// UnorderedFieldsBSONElementComparator does, which enum and uniqueItems
// use: bsonx.Compare, except that the fields of embedded documents, at
// any depth, compare as if sorted by name. Strings compare by their bytes
// (no collation).
func compareUnordered(a, b bson.RawValue) int {
	ca, cb := bsonx.CanonicalType(bsoncore.Type(a.Type)), bsonx.CanonicalType(bsoncore.Type(b.Type))
	if ca != cb {
		return cmp.Compare(ca, cb)
	}
	switch a.Type {
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		if b.Type != a.Type {
			return bsonx.Compare(a, b)
		}
		ea, eb := sortedFields(a), sortedFields(b)
		for i := 0; i < len(ea) && i < len(eb); i++ {
			if r := cmp.Compare(bsonx.CanonicalType(bsoncore.Type(ea[i].v.Type)), bsonx.CanonicalType(bsoncore.Type(eb[i].v.Type))); r != 0 {
				return r
			}
			if r := bytes.Compare([]byte(ea[i].key), []byte(eb[i].key)); r != 0 {
				return r
			}
			if r := compareUnordered(ea[i].v, eb[i].v); r != 0 {
				return r
			}
		}
		return cmp.Compare(len(ea), len(eb))
	}
	return bsonx.Compare(a, b)
}

type field struct {
	key string
	v   bson.RawValue
}

// sortedFields lists a document's fields sorted by name (stably, so
// duplicate names keep their order); an array's elements stay in order.
func sortedFields(v bson.RawValue) []field {
	var fs []field
	forEach(v.Value, func(key string, e bson.RawValue) bool {
		fs = append(fs, field{key, e})
		return true
	})
	if v.Type == bson.TypeEmbeddedDocument {
		slices.SortStableFunc(fs, func(x, y field) int { return cmp.Compare(x.key, y.key) })
	}
	return fs
}
