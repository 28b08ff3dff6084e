// Package keystring encodes index keys so that comparing encodings with
// bytes.Compare gives MongoDB's BSON comparison order (bsonx.Compare):
// the analogue of mongod's KeyString.
//
// Every value starts with a byte for its canonical type, so all numbers
// share one bracket and int32 1, int64 1, double 1.0 and decimal 1 encode
// identically (a unique index treats them as duplicates, as mongod does).
// Numbers are encoded exactly as sign, decimal exponent and digits, so
// int64 beyond 2^53, doubles and decimal128 interleave correctly.
// Encodings are self-delimiting, so a descending component is simply the
// bitwise inverse of its ascending encoding.
package keystring

import (
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Type bytes, in MongoDB's canonical type order.
const (
	tMinKey    = 0x0A
	tUndefined = 0x0F
	tNull      = 0x14
	tNumber    = 0x1E
	tString    = 0x28
	tObject    = 0x32
	tArray     = 0x3C
	tBinData   = 0x46
	tObjectID  = 0x50
	tBool      = 0x5A
	tDate      = 0x64
	tTimestamp = 0x6E
	tRegex     = 0x78
	tDBPointer = 0x82
	tCode      = 0x8C
	tCodeScope = 0x96
	tMaxKey    = 0xF0
	tEnd       = 0x00 // ends a document or array
)

// Number sub-brackets.
const (
	nNaN    = 0x01
	nNegInf = 0x02
	nNeg    = 0x03
	nZero   = 0x04
	nPos    = 0x05
	nPosInf = 0x06
)

// Encode encodes a compound key; descending[i] inverts component i.
func Encode(values []bson.RawValue, descending []bool) []byte {
	var out []byte
	for i, v := range values {
		out = AppendValue(out, v, i < len(descending) && descending[i])
	}
	return out
}

// AppendValue appends the encoding of v to dst.
func AppendValue(dst []byte, v bson.RawValue, descending bool) []byte {
	start := len(dst)
	dst = appendValue(dst, v)
	if descending {
		for i := start; i < len(dst); i++ {
			dst[i] = ^dst[i]
		}
	}
	return dst
}

func appendValue(dst []byte, v bson.RawValue) []byte {
	switch v.Type {
	case bson.TypeMinKey:
		return append(dst, tMinKey)
	case bson.TypeMaxKey:
		return append(dst, tMaxKey)
	case bson.TypeUndefined, 0:
		return append(dst, tUndefined)
	case bson.TypeNull:
		return append(dst, tNull)
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return appendNumber(append(dst, tNumber), v)
	case bson.TypeString, bson.TypeSymbol:
		var s []byte
		if len(v.Value) >= 5 {
			s = v.Value[4 : len(v.Value)-1]
		}
		return appendEscaped(append(dst, tString), s)
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		// Iterate exactly as bsonx.Compare does (bsoncore, keeping the
		// elements read before any malformation), so that even a value
		// Validate lets through orders the same both ways.
		named := v.Type == bson.TypeEmbeddedDocument
		if named {
			dst = append(dst, tObject)
		} else {
			dst = append(dst, tArray)
		}
		elems, _ := bsoncore.Document(v.Value).Elements()
		for _, e := range elems {
			ev := e.Value()
			rv := bson.RawValue{Type: bson.Type(ev.Type), Value: ev.Data}
			if !named {
				dst = appendValue(dst, rv)
				continue
			}
			// mongod orders an element by its value's type, then its
			// name, then its value: so the name goes after the type byte.
			mark := len(dst)
			dst = appendValue(dst, rv)
			typ := dst[mark]
			body := len(dst)
			dst = appendEscaped(dst, []byte(e.Key()))
			dst = append(dst, dst[mark+1:body]...)
			n := copy(dst[mark+1:], dst[body:])
			dst = dst[:mark+1+n]
			dst[mark] = typ
		}
		return append(dst, tEnd)
	case bson.TypeBinary:
		// Split by the outer length only: subtype 2's inner length is
		// data, as in bsonx.Compare, so it round-trips byte for byte.
		var sub byte
		var data []byte
		if len(v.Value) >= 5 {
			sub, data = v.Value[4], v.Value[5:]
		}
		dst = append(dst, tBinData)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
		dst = append(dst, sub)
		return append(dst, data...)
	case bson.TypeObjectID:
		oid, _ := v.ObjectIDOK()
		return append(append(dst, tObjectID), oid[:]...)
	case bson.TypeBoolean:
		if b, _ := v.BooleanOK(); b {
			return append(dst, tBool, 1)
		}
		return append(dst, tBool, 0)
	case bson.TypeDateTime:
		ms, _ := v.DateTimeOK()
		return binary.BigEndian.AppendUint64(append(dst, tDate), uint64(ms)^(1<<63))
	case bson.TypeTimestamp:
		t, i, _ := v.TimestampOK()
		dst = binary.BigEndian.AppendUint32(append(dst, tTimestamp), t)
		return binary.BigEndian.AppendUint32(dst, i)
	case bson.TypeRegex:
		p, o, _ := v.RegexOK()
		dst = appendEscaped(append(dst, tRegex), []byte(p))
		return appendEscaped(dst, []byte(o))
	case bson.TypeDBPointer:
		ns, oid, _ := v.DBPointerOK()
		dst = binary.BigEndian.AppendUint32(append(dst, tDBPointer), uint32(len(ns)))
		dst = append(dst, ns...)
		return append(dst, oid[:]...)
	case bson.TypeJavaScript:
		js, _ := v.JavaScriptOK()
		return appendEscaped(append(dst, tCode), []byte(js))
	case bson.TypeCodeWithScope:
		code, scope, _ := v.CodeWithScopeOK()
		dst = appendEscaped(append(dst, tCodeScope), []byte(code))
		return appendValue(dst, bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: scope})
	}
	return append(dst, tNull)
}

// decimalCoefficientLimit is 10^34, one above decimal128's largest
// canonical significand.
var decimalCoefficientLimit = new(big.Int).Exp(big.NewInt(10), big.NewInt(34), nil)

// appendEscaped writes s with 0x00 escaped as 0x00 0xFF, then 0x00 0x00:
// order-preserving and self-delimiting.
func appendEscaped(dst, s []byte) []byte {
	for _, c := range s {
		if c == 0 {
			dst = append(dst, 0, 0xFF)
		} else {
			dst = append(dst, c)
		}
	}
	return append(dst, 0, 0)
}

// appendNumber encodes a number exactly: sub-bracket, then for finite
// non-zero values the decimal exponent and digits of the magnitude
// (inverted for negatives).
func appendNumber(dst []byte, v bson.RawValue) []byte {
	neg, digits, exp, kind := decimalForm(v)
	switch kind {
	case nNaN, nNegInf, nPosInf, nZero:
		return append(dst, kind)
	}
	// value = 0.d1d2... × 10^e with d1 != 0
	e := int32(len(digits)) + exp
	start := len(dst) + 1
	if neg {
		dst = append(dst, nNeg)
	} else {
		dst = append(dst, nPos)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(e)^(1<<31))
	for i := 0; i < len(digits); i++ {
		dst = append(dst, digits[i]-'0'+1)
	}
	dst = append(dst, 0)
	if neg {
		for i := start; i < len(dst); i++ {
			dst[i] = ^dst[i]
		}
	}
	return dst
}

// decimalForm returns a number as sign, significant digits (no leading or
// trailing zeros) and exponent: value = digits × 10^exp.
func decimalForm(v bson.RawValue) (neg bool, digits string, exp int32, kind byte) {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		i := v.AsInt64()
		if i == 0 {
			return false, "", 0, nZero
		}
		s := strconv.FormatInt(i, 10)
		if s[0] == '-' {
			neg, s = true, s[1:]
		}
		return trimWith(neg, s, 0)
	case bson.TypeDouble:
		f := v.Double()
		switch {
		case math.IsNaN(f):
			return false, "", 0, nNaN
		case math.IsInf(f, 1):
			return false, "", 0, nPosInf
		case math.IsInf(f, -1):
			return true, "", 0, nNegInf
		case f == 0:
			return false, "", 0, nZero
		}
		neg = f < 0
		f = math.Abs(f)
		if f == math.Trunc(f) && f < 1e18 {
			return trimWith(neg, strconv.FormatUint(uint64(f), 10), 0)
		}
		// Exact decimal expansion: f = mant × 2^e2 = mant × 5^-e2 / 10^-e2.
		mant, e2 := math.Frexp(f)
		m := uint64(mant * (1 << 53))
		e2 -= 53
		bi := new(big.Int).SetUint64(m)
		if e2 >= 0 {
			bi.Lsh(bi, uint(e2))
			return trimWith(neg, bi.String(), 0)
		}
		bi.Mul(bi, new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(-e2)), nil))
		return trimWith(neg, bi.String(), int32(e2))
	case bson.TypeDecimal128:
		d := v.Decimal128()
		switch {
		case d.IsNaN():
			return false, "", 0, nNaN
		case d.IsInf() > 0:
			return false, "", 0, nPosInf
		case d.IsInf() < 0:
			return true, "", 0, nNegInf
		}
		bi, e, err := d.BigInt()
		// A non-canonical significand (≥ 10^34) means zero (IEEE 754-2008).
		if err != nil || bi.Sign() == 0 || bi.CmpAbs(decimalCoefficientLimit) >= 0 {
			return false, "", 0, nZero
		}
		neg = bi.Sign() < 0
		return trimWith(neg, new(big.Int).Abs(bi).String(), int32(e))
	}
	return false, "", 0, nZero
}

func trimWith(neg bool, s string, exp int32) (bool, string, int32, byte) {
	_, d, e, k := trimDigits(s, exp)
	return neg, d, e, k
}

func trimDigits(s string, exp int32) (bool, string, int32, byte) {
	s = strings.TrimLeft(s, "0")
	t := strings.TrimRight(s, "0")
	exp += int32(len(s) - len(t))
	if t == "" {
		return false, "", 0, nZero
	}
	return false, t, exp, nPos
}

// AppendRecordID appends a record id (non-unique index entries end with
// one, so equal keys stay distinct and ordered by record id).
func AppendRecordID(dst []byte, id int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(id)^(1<<63))
}

// DecodeRecordID reads a record id written by AppendRecordID from the
// last 8 bytes of b.
func DecodeRecordID(b []byte) (int64, error) {
	if len(b) < 8 {
		return 0, errors.New("keystring: short record id")
	}
	return int64(binary.BigEndian.Uint64(b[len(b)-8:]) ^ (1 << 63)), nil
}
