// Package bsonx holds the BSON helpers every layer shares: MongoDB's
// comparison order across types and dotted-path traversal.
package bsonx

import (
	"bytes"
	"cmp"
	"math"
	"math/big"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// CanonicalType returns the rank of t in MongoDB's cross-type order
// (mongod's canonicalizeBSONType): values of different ranks compare by
// rank; all numeric types share one rank, as do string and symbol.
// Undefined (deprecated) ranks 0, just below null's 5, exactly as in
// mongod; the matcher, not the order, is what makes {$eq: null} match it.
func CanonicalType(t bsoncore.Type) int {
	switch bson.Type(t) {
	case bson.TypeMinKey:
		return -1
	case bson.TypeUndefined:
		return 0
	case bson.TypeNull:
		return 5
	case bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128:
		return 10
	case bson.TypeString, bson.TypeSymbol:
		return 15
	case bson.TypeEmbeddedDocument:
		return 20
	case bson.TypeArray:
		return 25
	case bson.TypeBinary:
		return 30
	case bson.TypeObjectID:
		return 35
	case bson.TypeBoolean:
		return 40
	case bson.TypeDateTime:
		return 45
	case bson.TypeTimestamp:
		return 47
	case bson.TypeRegex:
		return 50
	case bson.TypeDBPointer:
		return 55
	case bson.TypeJavaScript:
		return 60
	case bson.TypeCodeWithScope:
		return 65
	case bson.TypeMaxKey:
		return 127
	}
	return 0
}

// Equal reports whether a and b are equal in MongoDB's comparison order.
func Equal(a, b bson.RawValue) bool { return Compare(a, b) == 0 }

// Compare orders two BSON values as mongod does: by canonical type, then
// by value within the type (numbers by numeric value across int32, int64,
// double and decimal128; NaN below every other number). Strings compare
// by their bytes: this is the simple collation.
func Compare(a, b bson.RawValue) int { return compare(a, b, nil) }

// StringComparer orders strings under a collation (a *collation.Collation
// is one). Its CompareStrings returns a negative, zero or positive result.
type StringComparer interface {
	CompareStrings(a, b string) int
}

// CompareWith orders two BSON values as Compare does, except that strings
// and symbols — at any depth, inside documents and arrays too — compare
// with c, as mongod applies a collation. Field names are never collated.
// A nil c is the simple collation: CompareWith(a, b, nil) == Compare(a, b).
func CompareWith(a, b bson.RawValue, c StringComparer) int { return compare(a, b, c) }

// EqualWith reports whether a and b are equal under the collation c.
func EqualWith(a, b bson.RawValue, c StringComparer) bool { return compare(a, b, c) == 0 }

func compare(a, b bson.RawValue, c StringComparer) int {
	ca, cb := CanonicalType(bsoncore.Type(a.Type)), CanonicalType(bsoncore.Type(b.Type))
	if ca != cb {
		return cmp.Compare(ca, cb)
	}
	// The ...OK accessors keep a malformed value (which Validate does not
	// always catch) from panicking: its parts read as zero values.
	switch a.Type {
	case bson.TypeMinKey, bson.TypeMaxKey, bson.TypeNull, bson.TypeUndefined:
		return 0
	case bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128:
		return CompareNumbers(a, b)
	case bson.TypeString, bson.TypeSymbol:
		if c != nil {
			return c.CompareStrings(string(stringBytes(a)), string(stringBytes(b)))
		}
		return bytes.Compare(stringBytes(a), stringBytes(b))
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		return compareDocs(a.Value, b.Value, a.Type == bson.TypeEmbeddedDocument, c)
	case bson.TypeBinary:
		sa, da := binaryParts(a.Value)
		sb, db := binaryParts(b.Value)
		if len(da) != len(db) {
			return cmp.Compare(len(da), len(db))
		}
		if sa != sb {
			return cmp.Compare(int(sa), int(sb))
		}
		return bytes.Compare(da, db)
	case bson.TypeObjectID:
		oa, _ := a.ObjectIDOK()
		ob, _ := b.ObjectIDOK()
		return bytes.Compare(oa[:], ob[:])
	case bson.TypeBoolean:
		ba, _ := a.BooleanOK()
		bb, _ := b.BooleanOK()
		return cmpBool(ba, bb)
	case bson.TypeDateTime:
		da, _ := a.DateTimeOK()
		db, _ := b.DateTimeOK()
		return cmp.Compare(da, db)
	case bson.TypeTimestamp:
		ta, ia, _ := a.TimestampOK()
		tb, ib, _ := b.TimestampOK()
		if ta != tb {
			return cmp.Compare(uint64(ta), uint64(tb))
		}
		return cmp.Compare(uint64(ia), uint64(ib))
	case bson.TypeRegex:
		pa, oa, _ := a.RegexOK()
		pb, ob, _ := b.RegexOK()
		if c := bytes.Compare([]byte(pa), []byte(pb)); c != 0 {
			return c
		}
		return bytes.Compare([]byte(oa), []byte(ob))
	case bson.TypeDBPointer:
		na, oa, _ := a.DBPointerOK()
		nb, ob, _ := b.DBPointerOK()
		if len(na) != len(nb) {
			return cmp.Compare(len(na), len(nb))
		}
		if c := bytes.Compare([]byte(na), []byte(nb)); c != 0 {
			return c
		}
		return bytes.Compare(oa[:], ob[:])
	case bson.TypeJavaScript:
		ja, _ := a.JavaScriptOK()
		jb, _ := b.JavaScriptOK()
		return bytes.Compare([]byte(ja), []byte(jb))
	case bson.TypeCodeWithScope:
		ca, sa, _ := a.CodeWithScopeOK()
		cb, sb, _ := b.CodeWithScopeOK()
		if c := bytes.Compare([]byte(ca), []byte(cb)); c != 0 {
			return c
		}
		// The scope is JavaScript's environment, not data: mongod
		// compares it without the collation.
		return compareDocs(sa, sb, true, nil)
	}
	return bytes.Compare(a.Value, b.Value)
}

// CompareDocs compares two documents as mongod's woCompare with field
// names considered: element by element, first by canonical type, then by
// field name, then by value; a prefix sorts first.
func CompareDocs(a, b bson.Raw) int { return compareDocs(a, b, true, nil) }

// CompareDocsWith compares two documents as CompareDocs does, with string
// and symbol values (not field names) compared under the collation c.
func CompareDocsWith(a, b bson.Raw, c StringComparer) int { return compareDocs(a, b, true, c) }

func compareDocs(a, b []byte, names bool, c StringComparer) int {
	ia, _ := bsoncore.Document(a).Elements()
	ib, _ := bsoncore.Document(b).Elements()
	for i := 0; i < len(ia) && i < len(ib); i++ {
		va, vb := ia[i].Value(), ib[i].Value()
		if r := cmp.Compare(CanonicalType(va.Type), CanonicalType(vb.Type)); r != 0 {
			return r
		}
		if names {
			if r := bytes.Compare([]byte(ia[i].Key()), []byte(ib[i].Key())); r != 0 {
				return r
			}
		}
		if r := compare(bson.RawValue{Type: bson.Type(va.Type), Value: va.Data}, bson.RawValue{Type: bson.Type(vb.Type), Value: vb.Data}, c); r != 0 {
			return r
		}
	}
	return cmp.Compare(len(ia), len(ib))
}

// binaryParts splits a BinData value by its outer length. Like mongod it
// treats the old binary subtype 2's inner length as part of the data,
// which also keeps a malformed inner length from mattering.
func binaryParts(v []byte) (subtype byte, data []byte) {
	if len(v) < 5 {
		return 0, nil
	}
	return v[4], v[5:]
}

func stringBytes(v bson.RawValue) []byte {
	// String and symbol share a layout: int32 length, bytes, NUL.
	if len(v.Value) < 5 {
		return nil
	}
	return v.Value[4 : len(v.Value)-1]
}

// CompareNumbers compares two numeric values of any BSON numeric type
// exactly (no rounding through float64 when both are integers or when a
// decimal is involved).
func CompareNumbers(a, b bson.RawValue) int {
	if a.Type == bson.TypeDecimal128 || b.Type == bson.TypeDecimal128 {
		return compareRat(a, b)
	}
	if a.Type != bson.TypeDouble && b.Type != bson.TypeDouble {
		return cmp.Compare(a.AsInt64(), b.AsInt64())
	}
	if a.Type == bson.TypeDouble && b.Type == bson.TypeDouble {
		return cmpFloat(a.Double(), b.Double())
	}
	if a.Type == bson.TypeDouble {
		return cmpFloatInt(a.Double(), b.AsInt64())
	}
	return -cmpFloatInt(b.Double(), a.AsInt64())
}

// cmpFloat orders doubles with NaN below everything and equal to NaN.
func cmpFloat(x, y float64) int {
	switch {
	case math.IsNaN(x) && math.IsNaN(y):
		return 0
	case math.IsNaN(x):
		return -1
	case math.IsNaN(y):
		return 1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// cmpFloatInt compares a double with an int64 exactly.
func cmpFloatInt(f float64, i int64) int {
	if math.IsNaN(f) {
		return -1
	}
	if f < -9.223372036854775808e18 {
		return -1
	}
	if f >= 9.223372036854775808e18 {
		return 1
	}
	t := math.Trunc(f)
	ti := int64(t)
	if ti != i {
		return cmp.Compare(ti, i)
	}
	return cmpFloat(f, t)
}

// numKind classifies a number for exact comparison.
type numKind int

const (
	kNaN numKind = iota
	kNegInf
	kFinite
	kPosInf
)

func toRat(v bson.RawValue) (numKind, *big.Rat) {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		return kFinite, new(big.Rat).SetInt64(v.AsInt64())
	case bson.TypeDouble:
		f := v.Double()
		switch {
		case math.IsNaN(f):
			return kNaN, nil
		case math.IsInf(f, 1):
			return kPosInf, nil
		case math.IsInf(f, -1):
			return kNegInf, nil
		}
		r, _ := new(big.Rat).SetString("0")
		r.SetFloat64(f)
		return kFinite, r
	case bson.TypeDecimal128:
		d := v.Decimal128()
		switch {
		case d.IsNaN():
			return kNaN, nil
		case d.IsInf() > 0:
			return kPosInf, nil
		case d.IsInf() < 0:
			return kNegInf, nil
		}
		bi, exp, err := d.BigInt()
		if err != nil {
			return kNaN, nil
		}
		if bi.CmpAbs(decimalCoefficientLimit) >= 0 {
			// A non-canonical significand (≥ 10^34) means zero (IEEE 754-2008).
			bi.SetInt64(0)
		}
		r := new(big.Rat).SetInt(bi)
		if exp > 0 {
			r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)))
		} else if exp < 0 {
			r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-exp)), nil)))
		}
		return kFinite, r
	}
	return kNaN, nil
}

// decimalCoefficientLimit is 10^34: decimal128 significands at or above it
// are non-canonical and read as zero.
var decimalCoefficientLimit = new(big.Int).Exp(big.NewInt(10), big.NewInt(34), nil)

func compareRat(a, b bson.RawValue) int {
	ka, ra := toRat(a)
	kb, rb := toRat(b)
	if ka != kb || ka != kFinite {
		return cmp.Compare(int(ka), int(kb))
	}
	return ra.Cmp(rb)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
