package keystring

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

var errCorrupt = errors.New("keystring: corrupt key")

// Decode reads n components from key (descending[i] as they were
// encoded) and returns them with the unread rest of key. Decoded values
// compare equal (bsonx.Compare) to the encoded ones and keep their exact
// bytes, except where the encoding deliberately forgets a type that does
// not affect order: numbers come back as int32 when integral and in its
// range, else int64 when integral and in range, else double when exactly
// representable (also NaN, ±Inf; decimal NaN becomes double NaN), else
// decimal128 (trailing zeros normalised); symbols come back as strings.
// Any of these inside an embedded document or array are treated alike.
func Decode(key []byte, n int, descending []bool) ([]bson.RawValue, []byte, error) {
	out := make([]bson.RawValue, 0, n)
	for i := 0; i < n; i++ {
		src := key
		if i < len(descending) && descending[i] {
			src = make([]byte, len(key))
			for j, c := range key {
				src[j] = ^c
			}
		}
		v, used, err := decodeValue(src)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, v)
		key = key[used:]
	}
	return out, key, nil
}

func decodeValue(b []byte) (bson.RawValue, int, error) {
	if len(b) == 0 {
		return bson.RawValue{}, 0, errCorrupt
	}
	return decodeTyped(b[0], b[1:])
}

// decodeTyped decodes the body rest of a value whose type byte is t; the
// count it returns includes the type byte.
func decodeTyped(t byte, rest []byte) (bson.RawValue, int, error) {
	raw := func(typ bson.Type, data []byte, n int) (bson.RawValue, int, error) {
		return bson.RawValue{Type: typ, Value: data}, 1 + n, nil
	}
	switch t {
	case tMinKey:
		return raw(bson.TypeMinKey, nil, 0)
	case tMaxKey:
		return raw(bson.TypeMaxKey, nil, 0)
	case tUndefined:
		return raw(bson.TypeUndefined, nil, 0)
	case tNull:
		return raw(bson.TypeNull, nil, 0)
	case tNumber:
		v, n, err := decodeNumber(rest)
		return v, 1 + n, err
	case tString, tCode:
		s, n, err := unescape(rest)
		if err != nil {
			return bson.RawValue{}, 0, err
		}
		typ := bson.TypeString
		if t == tCode {
			typ = bson.TypeJavaScript
		}
		return raw(typ, bsoncore.AppendString(nil, string(s)), n)
	case tObject:
		doc, n, err := decodeDoc(rest, true)
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, 1 + n, err
	case tArray:
		doc, n, err := decodeDoc(rest, false)
		return bson.RawValue{Type: bson.TypeArray, Value: doc}, 1 + n, err
	case tBinData:
		if len(rest) < 5 {
			return bson.RawValue{}, 0, errCorrupt
		}
		l := int(binary.BigEndian.Uint32(rest))
		if len(rest) < 5+l {
			return bson.RawValue{}, 0, errCorrupt
		}
		// Rebuilt by hand: bsoncore.AppendBinary would add a second inner
		// length for subtype 2, whose data here already starts with one.
		bin := binary.LittleEndian.AppendUint32(make([]byte, 0, 5+l), uint32(l))
		bin = append(append(bin, rest[4]), rest[5:5+l]...)
		return raw(bson.TypeBinary, bin, 5+l)
	case tObjectID:
		if len(rest) < 12 {
			return bson.RawValue{}, 0, errCorrupt
		}
		return raw(bson.TypeObjectID, append([]byte(nil), rest[:12]...), 12)
	case tBool:
		if len(rest) < 1 {
			return bson.RawValue{}, 0, errCorrupt
		}
		return raw(bson.TypeBoolean, []byte{rest[0]}, 1)
	case tDate:
		if len(rest) < 8 {
			return bson.RawValue{}, 0, errCorrupt
		}
		ms := int64(binary.BigEndian.Uint64(rest) ^ (1 << 63))
		return raw(bson.TypeDateTime, bsoncore.AppendDateTime(nil, ms), 8)
	case tTimestamp:
		if len(rest) < 8 {
			return bson.RawValue{}, 0, errCorrupt
		}
		return raw(bson.TypeTimestamp, bsoncore.AppendTimestamp(nil, binary.BigEndian.Uint32(rest), binary.BigEndian.Uint32(rest[4:])), 8)
	case tRegex:
		p, n1, err := unescape(rest)
		if err != nil {
			return bson.RawValue{}, 0, err
		}
		o, n2, err := unescape(rest[n1:])
		if err != nil {
			return bson.RawValue{}, 0, err
		}
		return raw(bson.TypeRegex, bsoncore.AppendRegex(nil, string(p), string(o)), n1+n2)
	case tDBPointer:
		if len(rest) < 4 {
			return bson.RawValue{}, 0, errCorrupt
		}
		l := int(binary.BigEndian.Uint32(rest))
		if len(rest) < 4+l+12 {
			return bson.RawValue{}, 0, errCorrupt
		}
		var oid bson.ObjectID
		copy(oid[:], rest[4+l:])
		return raw(bson.TypeDBPointer, bsoncore.AppendDBPointer(nil, string(rest[4:4+l]), oid), 4+l+12)
	case tCodeScope:
		code, n1, err := unescape(rest)
		if err != nil {
			return bson.RawValue{}, 0, err
		}
		scope, n2, err := decodeValue(rest[n1:])
		if err != nil || scope.Type != bson.TypeEmbeddedDocument {
			return bson.RawValue{}, 0, errCorrupt
		}
		return raw(bson.TypeCodeWithScope, bsoncore.AppendCodeWithScope(nil, string(code), scope.Value), n1+n2)
	}
	return bson.RawValue{}, 0, errCorrupt
}

func decodeDoc(b []byte, named bool) ([]byte, int, error) {
	idx, doc := bsoncore.AppendDocumentStart(nil)
	pos, i := 0, 0
	for {
		if pos >= len(b) {
			return nil, 0, errCorrupt
		}
		if b[pos] == tEnd {
			pos++
			break
		}
		key := strconv.Itoa(i)
		typeByte := b[pos]
		if named {
			k, n, err := unescape(b[pos+1:])
			if err != nil {
				return nil, 0, err
			}
			key = string(k)
			// The name sits between the element's type byte and its body.
			v, used, err := decodeTyped(typeByte, b[pos+1+n:])
			if err != nil {
				return nil, 0, err
			}
			doc = bsoncore.AppendValueElement(doc, key, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
			pos += 1 + n + used - 1
		} else {
			v, used, err := decodeValue(b[pos:])
			if err != nil {
				return nil, 0, err
			}
			doc = bsoncore.AppendValueElement(doc, key, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
			pos += used
		}
		i++
	}
	doc, _ = bsoncore.AppendDocumentEnd(doc, idx)
	return doc, pos, nil
}

// unescape reads an escaped string written by appendEscaped.
func unescape(b []byte) ([]byte, int, error) {
	var out []byte
	for i := 0; i+1 < len(b); i++ {
		if b[i] != 0 {
			out = append(out, b[i])
			continue
		}
		switch b[i+1] {
		case 0:
			return out, i + 2, nil
		case 0xFF:
			out = append(out, 0)
			i++
		default:
			return nil, 0, errCorrupt
		}
	}
	return nil, 0, errCorrupt
}

func decodeNumber(b []byte) (bson.RawValue, int, error) {
	if len(b) == 0 {
		return bson.RawValue{}, 0, errCorrupt
	}
	switch b[0] {
	case nNaN:
		return bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, math.NaN())}, 1, nil
	case nNegInf:
		return bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, math.Inf(-1))}, 1, nil
	case nPosInf:
		return bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, math.Inf(1))}, 1, nil
	case nZero:
		return bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, 0)}, 1, nil
	case nPos, nNeg:
	default:
		return bson.RawValue{}, 0, errCorrupt
	}
	neg := b[0] == nNeg
	mag := b[1:]
	if neg {
		inv := make([]byte, len(mag))
		for i, c := range mag {
			inv[i] = ^c
		}
		mag = inv
	}
	if len(mag) < 5 {
		return bson.RawValue{}, 0, errCorrupt
	}
	e := int32(binary.BigEndian.Uint32(mag) ^ (1 << 31))
	var digits []byte
	i := 4
	for ; i < len(mag) && mag[i] != 0; i++ {
		if mag[i] < 1 || mag[i] > 10 {
			return bson.RawValue{}, 0, errCorrupt
		}
		digits = append(digits, '0'+mag[i]-1)
	}
	if i >= len(mag) || len(digits) == 0 {
		return bson.RawValue{}, 0, errCorrupt
	}
	used := 1 + i + 1
	exp := e - int32(len(digits))
	sign := ""
	if neg {
		sign = "-"
	}
	// Integral and in int64 range: int32 or int64.
	if exp >= 0 && int(exp)+len(digits) <= 19 {
		s := sign + string(digits) + string(make0(int(exp)))
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n >= math.MinInt32 && n <= math.MaxInt32 {
				return bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, int32(n))}, used, nil
			}
			return bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, n)}, used, nil
		}
	}
	lit := sign + string(digits) + "e" + strconv.Itoa(int(exp))
	if f, err := strconv.ParseFloat(lit, 64); err == nil && !math.IsInf(f, 0) {
		fv := bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, f)}
		_, d2, e2, _ := decimalForm(fv)
		if d2 == string(digits) && e2 == exp {
			return fv, used, nil
		}
	}
	d, err := bson.ParseDecimal128(sign + string(digits) + "E" + strconv.Itoa(int(exp)))
	if err != nil {
		return bson.RawValue{}, 0, errCorrupt
	}
	h, l := d.GetBytes()
	return bson.RawValue{Type: bson.TypeDecimal128, Value: bsoncore.AppendDecimal128(nil, h, l)}, used, nil
}

func make0(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = '0'
	}
	return out
}
