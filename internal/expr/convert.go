package expr

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Type conversion: $convert and its shorthands. The conversions are
// mongod 8.0's ExpressionConvert table: every pair of input and target
// types either has a conversion or fails with ConversionFailure ("Unsupported
// conversion from X to Y"), which is the one error onError catches. Errors
// in the arguments themselves ('to', 'format', 'subtype') are not
// conversion failures and are never replaced by onError, as in mongod.
//
// 8.0 added binData to and from string (with 'format'), the {type,
// subtype} form of 'to', and $toUUID. The numeric/binData conversions
// with 'byteOrder' (8.1), 'base' and the any-type-to-string and JSON
// conversions (8.3) are not part of 8.0 and are refused as mongod 8.0
// refuses them.

func init() {
	register(map[string]parseFunc{
		"$convert":    parseConvert,
		"$toBool":     cvShorthand(bson.TypeBoolean, cvFormatNone),
		"$toInt":      cvShorthand(bson.TypeInt32, cvFormatNone),
		"$toLong":     cvShorthand(bson.TypeInt64, cvFormatNone),
		"$toDouble":   cvShorthand(bson.TypeDouble, cvFormatNone),
		"$toDecimal":  cvShorthand(bson.TypeDecimal128, cvFormatNone),
		"$toString":   cvShorthand(bson.TypeString, cvFormatAuto),
		"$toObjectId": cvShorthand(bson.TypeObjectID, cvFormatNone),
		"$toDate":     cvShorthand(bson.TypeDateTime, cvFormatNone),
		"$toUUID":     cvShorthand(bson.TypeBinary, cvFormatUUID),
	})
}

// mongod's codes for $convert. ConversionFailure (241) is a named code in
// mongod's error_codes.yml; the others are numbered assertions.
const (
	cvConversionFailure mongoerr.Code = mongoerr.ConversionFailure
	cvShorthandArity    mongoerr.Code = 50723
	cvSubtypeNotInteger mongoerr.Code = 4341106
	cvSubtypeInvalid    mongoerr.Code = 4341107
	cvSubtypeNotNumber  mongoerr.Code = 4341108
	cvFormatNotString   mongoerr.Code = 4341114
	cvFormatRequired    mongoerr.Code = 4341115
	cvFormatInvalid     mongoerr.Code = 4341125
	cvDateOutOfRange    mongoerr.Code = 18537
)

// binData subtypes that matter to conversions.
const (
	cvSubtypeUUID = 4
)

// cvFormat is $convert's 'format': how binData reads and writes strings.
type cvFormat int

const (
	cvFormatNone cvFormat = iota // not given
	cvFormatAuto                 // $toString's: a UUID as a UUID, other binData as base64
	cvFormatBase64
	cvFormatBase64URL
	cvFormatHex
	cvFormatUTF8
	cvFormatUUID
)

var cvFormatNames = map[string]cvFormat{
	"auto":      cvFormatAuto,
	"base64":    cvFormatBase64,
	"base64url": cvFormatBase64URL,
	"hex":       cvFormatHex,
	"utf8":      cvFormatUTF8,
	"uuid":      cvFormatUUID,
}

func (f cvFormat) String() string {
	for name, v := range cvFormatNames {
		if v == f {
			return name
		}
	}
	return ""
}

// convertExpr is {$convert: {input, to, format?, onError?, onNull?}}.
// onError and onNull are evaluated only when needed, as in mongod.
type convertExpr struct {
	input, to               Expr
	format, onError, onNull Expr // nil when not given
}

func parseConvert(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(mongoerr.FailedToParse, "$convert expects an object of named arguments but found: %s", typeName(args))
	}
	elems, err := bson.Raw(args.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	c := &convertExpr{}
	if err := namedArgs(elems, pc, map[string]*Expr{"input": &c.input, "to": &c.to, "format": &c.format, "onError": &c.onError, "onNull": &c.onNull}, func(key string) error {
		return mongoerr.Newf(mongoerr.FailedToParse, "$convert found an unknown argument: %s", key)
	}); err != nil {
		return nil, err
	}
	if c.input == nil {
		return nil, mongoerr.New(mongoerr.FailedToParse, "Missing 'input' parameter to $convert")
	}
	if c.to == nil {
		return nil, mongoerr.New(mongoerr.FailedToParse, "Missing 'to' parameter to $convert")
	}
	return c, nil
}

// cvShorthand returns the parser of $toBool, $toInt, …: $convert to one
// type with no onError and no onNull. $toString converts binData with the
// "auto" format and $toUUID is {to: {type: "binData", subtype: 4},
// format: "uuid"}, as mongod 8.0 registers them.
func cvShorthand(target bson.Type, format cvFormat) parseFunc {
	to := constant{bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, bsonx.TypeName(target))}}
	if format == cvFormatUUID {
		doc := bsoncore.NewDocumentBuilder().AppendString("type", "binData").AppendInt32("subtype", cvSubtypeUUID).Build()
		to = constant{bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}}
	}
	var formatExpr Expr
	if format != cvFormatNone {
		formatExpr = constant{bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, format.String())}}
	}
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		a, err := parseArgs(args, pc)
		if err != nil {
			return nil, err
		}
		if len(a) != 1 {
			return nil, mongoerr.Newf(cvShorthandArity, "%s requires a single argument, got %d", name, len(a))
		}
		return &convertExpr{input: a[0], to: to, format: formatExpr}, nil
	}
}

func (c *convertExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	// mongod evaluates 'to', 'input' and 'format' first and validates 'to'
	// before looking at the input, so a bad 'to' fails even for null input.
	toV, err := c.to.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	in, err := c.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	var formatV bson.RawValue
	if c.format != nil {
		if formatV, err = c.format.Eval(ec, doc); err != nil {
			return bson.RawValue{}, err
		}
	}
	target, ok, err := cvParseTarget(toV)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(in) {
		if c.onNull != nil {
			return c.onNull.Eval(ec, doc)
		}
		return nullValue, nil
	}
	if !ok {
		return nullValue, nil // 'to' is null or missing
	}
	format, err := cvParseFormat(formatV)
	if err != nil {
		return bson.RawValue{}, err
	}
	out, err := cvConvert(in, target, format)
	if err != nil && c.onError != nil && mongoerr.Is(err, cvConversionFailure) {
		return c.onError.Eval(ec, doc)
	}
	return out, err
}

// cvTarget is a parsed 'to': a BSON type (0 for "missing") and the binData
// subtype a conversion to binData produces (0 unless given).
type cvTarget struct {
	typ     bson.Type
	subtype bson.RawValue
}

// cvParseTarget is mongod's ConvertTargetTypeInfo::parse; ok is false when
// 'to' is nullish.
func cvParseTarget(v bson.RawValue) (cvTarget, bool, error) {
	if nullish(v) {
		return cvTarget{}, false, nil
	}
	typeV, subtype := v, int32Value(0)
	if v.Type == bson.TypeEmbeddedDocument {
		d := bson.Raw(v.Value)
		typeV = d.Lookup("type")
		if st := d.Lookup("subtype"); st.Type != 0 {
			subtype = st
		}
	}
	t, err := cvTargetType(typeV)
	if err != nil {
		return cvTarget{}, false, err
	}
	return cvTarget{typ: t, subtype: subtype}, true, nil
}

// cvTargetType is mongod's computeTargetType: a type name, "missing", or a
// BSON type number.
func cvTargetType(v bson.RawValue) (bson.Type, error) {
	switch {
	case v.Type == bson.TypeString:
		s := v.StringValue()
		if s == "missing" {
			// Not a type name for typeFromName, but a result of $type.
			return 0, nil
		}
		if t, ok := bsonx.TypeByAlias(s); ok {
			return t, nil
		}
		return 0, mongoerr.Newf(mongoerr.BadValue, "Unknown type name: %s", s)
	case numeric(v):
		n, ok := int32Exact(v)
		if !ok {
			return 0, mongoerr.New(mongoerr.FailedToParse, "In $convert, numeric 'to' argument is not an integer")
		}
		switch {
		case n == -1:
			return bson.TypeMinKey, nil
		case n == 127:
			return bson.TypeMaxKey, nil
		case n >= 0 && n <= 19:
			return bson.Type(n), nil
		}
		return 0, mongoerr.Newf(mongoerr.FailedToParse, "In $convert, numeric value for 'to' does not correspond to a BSON type: %d", n)
	}
	return 0, mongoerr.Newf(mongoerr.FailedToParse, "$convert's 'to' argument must be a string or number, but is %s", typeName(v))
}

// cvParseFormat reads 'format'; nullish means not given.
func cvParseFormat(v bson.RawValue) (cvFormat, error) {
	if nullish(v) {
		return cvFormatNone, nil
	}
	if v.Type != bson.TypeString {
		return 0, mongoerr.Newf(cvFormatNotString, "$convert requires that 'format' be a string, found: %s with value %s", typeName(v), bsonx.Format(v))
	}
	f, ok := cvFormatNames[v.StringValue()]
	if !ok {
		return 0, mongoerr.Newf(cvFormatInvalid, "Invalid 'format' argument for $convert: %s", v.StringValue())
	}
	return f, nil
}

// cvFail is a ConversionFailure: the error onError replaces.
func cvFail(format string, args ...any) error {
	return mongoerr.Newf(cvConversionFailure, format, args...)
}

func cvUnsupported(in bson.Type, target bson.Type) error {
	return cvFail("Unsupported conversion from %s to %s in $convert with no onError value", bsonx.TypeName(in), bsonx.TypeName(target))
}

// cvConvert converts a non-nullish value.
func cvConvert(in bson.RawValue, target cvTarget, format cvFormat) (bson.RawValue, error) {
	t := target.typ
	if in.Type == bson.TypeMinKey || in.Type == bson.TypeMaxKey || t == bson.TypeMinKey || t == bson.TypeMaxKey {
		// MinKey and MaxKey convert to bool only (to true).
		if t == bson.TypeBoolean {
			return trueValue, nil
		}
		return bson.RawValue{}, cvUnsupported(in.Type, t)
	}
	if in.Type == t && t != bson.TypeBinary {
		switch t {
		case bson.TypeDouble, bson.TypeString, bson.TypeObjectID, bson.TypeBoolean,
			bson.TypeDateTime, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128:
			return in, nil
		}
	}
	switch t {
	case bson.TypeBoolean:
		return cvToBool(in)
	case bson.TypeDouble:
		return cvToDouble(in)
	case bson.TypeInt32, bson.TypeInt64:
		return cvToInteger(in, t)
	case bson.TypeDecimal128:
		return cvToDecimal(in)
	case bson.TypeString:
		return cvToString(in, format)
	case bson.TypeObjectID:
		if in.Type == bson.TypeString {
			return cvParseObjectID(in.StringValue())
		}
	case bson.TypeDateTime:
		return cvToDate(in)
	case bson.TypeBinary:
		return cvToBinData(in, target, format)
	}
	return bson.RawValue{}, cvUnsupported(in.Type, t)
}

func cvToBool(in bson.RawValue) (bson.RawValue, error) {
	switch in.Type {
	case bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128, bson.TypeBoolean:
		// mongod's coerceToBool: numbers are true unless zero (NaN is true).
		return boolValue(Truthy(in)), nil
	case bson.TypeString, bson.TypeObjectID, bson.TypeDateTime, bson.TypeTimestamp,
		bson.TypeEmbeddedDocument, bson.TypeArray, bson.TypeBinary, bson.TypeRegex,
		bson.TypeDBPointer, bson.TypeJavaScript, bson.TypeSymbol, bson.TypeCodeWithScope:
		// Every other value is true, the empty string included.
		return trueValue, nil
	}
	return bson.RawValue{}, cvUnsupported(in.Type, bson.TypeBoolean)
}

func cvToDouble(in bson.RawValue) (bson.RawValue, error) {
	switch in.Type {
	case bson.TypeInt32, bson.TypeInt64:
		return doubleValue(float64(asInt64(in))), nil
	case bson.TypeBoolean:
		if Truthy(in) {
			return doubleValue(1), nil
		}
		return doubleValue(0), nil
	case bson.TypeDateTime:
		ms, _ := in.DateTimeOK()
		return doubleValue(float64(ms)), nil
	case bson.TypeDecimal128:
		d, _ := in.Decimal128OK()
		f, ok := cvDecimalToDouble(d)
		if !ok {
			return bson.RawValue{}, cvFail("Conversion would overflow target type in $convert with no onError value: %s", d.String())
		}
		return doubleValue(f), nil
	case bson.TypeString:
		s := in.StringValue()
		if err := cvCheckHex(s); err != nil {
			return bson.RawValue{}, err
		}
		f, reason := cvParseDouble(s)
		if reason != "" {
			return bson.RawValue{}, cvParseFailure(s, reason)
		}
		return doubleValue(f), nil
	}
	return bson.RawValue{}, cvUnsupported(in.Type, bson.TypeDouble)
}

// cvToInteger converts to int (32-bit) or long.
func cvToInteger(in bson.RawValue, t bson.Type) (bson.RawValue, error) {
	is32 := t == bson.TypeInt32
	fits := func(i int64) bool { return !is32 || i >= math.MinInt32 && i <= math.MaxInt32 }
	result := func(i int64) bson.RawValue {
		if is32 {
			return int32Value(int32(i))
		}
		return int64Value(i)
	}
	switch in.Type {
	case bson.TypeInt32, bson.TypeInt64:
		i := asInt64(in)
		if !fits(i) {
			// mongod names no value here, unlike the other overflows.
			return bson.RawValue{}, cvFail("Conversion would overflow target type in $convert with no onError value: ")
		}
		return result(i), nil
	case bson.TypeBoolean:
		if Truthy(in) {
			return result(1), nil
		}
		return result(0), nil
	case bson.TypeDateTime:
		if is32 {
			break
		}
		ms, _ := in.DateTimeOK()
		return int64Value(ms), nil
	case bson.TypeDouble:
		f, _ := in.DoubleOK()
		i, err := cvDoubleToInteger(f, is32)
		if err != nil {
			return bson.RawValue{}, err
		}
		return result(i), nil
	case bson.TypeDecimal128:
		d, _ := in.Decimal128OK()
		i, err := cvDecimalToInteger(d, is32)
		if err != nil {
			return bson.RawValue{}, err
		}
		return result(i), nil
	case bson.TypeString:
		s := in.StringValue()
		if err := cvCheckHex(s); err != nil {
			return bson.RawValue{}, err
		}
		i, reason := cvParseInteger(s, is32)
		if reason != "" {
			return bson.RawValue{}, cvParseFailure(s, reason)
		}
		return result(i), nil
	}
	return bson.RawValue{}, cvUnsupported(in.Type, t)
}

func cvNonFinite(isNaN bool) error {
	if isNaN {
		return cvFail("Attempt to convert NaN value to integer type in $convert with no onError value")
	}
	return cvFail("Attempt to convert infinity value to integer type in $convert with no onError value")
}

// cvDoubleToInteger truncates a double. mongod checks the range on the
// double before truncating (so 2147483647.5 overflows an int) and prints
// the double with %g in its message.
func cvDoubleToInteger(f float64, is32 bool) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, cvNonFinite(math.IsNaN(f))
	}
	ok := f >= math.MinInt32 && f <= math.MaxInt32
	if !is32 {
		ok = f >= -9.223372036854775808e18 && f < 9.223372036854775808e18
	}
	if !ok {
		return 0, cvFail("Conversion would overflow target type in $convert with no onError value: %s", formatDouble(f))
	}
	return int64(f), nil
}

// cvDecimalToInteger truncates a decimal toward zero; the range is checked
// on the truncated value (Decimal128::toInt/toLong with kRoundTowardZero).
func cvDecimalToInteger(d bson.Decimal128, is32 bool) (int64, error) {
	if d.IsNaN() || d.IsInf() != 0 {
		return 0, cvNonFinite(d.IsNaN())
	}
	x := decFromDecimal(d)
	overflow := cvFail("Conversion would overflow target type in $convert with no onError value: %s", d.String())
	if x.exp > 40 && x.coef.Sign() != 0 {
		return 0, overflow
	}
	q := divPow10(x.coef, -x.exp, roundDown)
	if !q.IsInt64() {
		return 0, overflow
	}
	i := q.Int64()
	if is32 && (i < math.MinInt32 || i > math.MaxInt32) {
		return 0, overflow
	}
	return i, nil
}

func cvToDecimal(in bson.RawValue) (bson.RawValue, error) {
	switch in.Type {
	case bson.TypeInt32, bson.TypeInt64:
		return decInt(asInt64(in)).value(), nil
	case bson.TypeDouble:
		f, _ := in.DoubleOK()
		if f == 0 && math.Signbit(f) {
			return decimalValue(cvDecimal(true, nil, 0)), nil
		}
		// mongod's coerceToDecimal keeps 15 significant digits, trailing
		// zeros included: 2.5 becomes 2.50000000000000.
		return decFromFloat(f, 15).value(), nil
	case bson.TypeBoolean:
		if Truthy(in) {
			return decInt(1).value(), nil
		}
		return decInt(0).value(), nil
	case bson.TypeDateTime:
		ms, _ := in.DateTimeOK()
		return decInt(ms).value(), nil
	case bson.TypeString:
		s := in.StringValue()
		if err := cvCheckHex(s); err != nil {
			return bson.RawValue{}, err
		}
		d, reason := cvParseDecimal(s)
		if reason != "" {
			return bson.RawValue{}, cvParseFailure(s, reason)
		}
		return decimalValue(d), nil
	}
	return bson.RawValue{}, cvUnsupported(in.Type, bson.TypeDecimal128)
}

func cvToString(in bson.RawValue, format cvFormat) (bson.RawValue, error) {
	str := func(s string) (bson.RawValue, error) {
		return bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, s)}, nil
	}
	switch in.Type {
	case bson.TypeDouble:
		f, _ := in.DoubleOK()
		return str(cvFormatDouble(f))
	case bson.TypeInt32, bson.TypeInt64:
		return str(strconv.FormatInt(asInt64(in), 10))
	case bson.TypeDecimal128:
		d, _ := in.Decimal128OK()
		return str(d.String())
	case bson.TypeBoolean:
		return str(strconv.FormatBool(Truthy(in)))
	case bson.TypeObjectID:
		oid, _ := in.ObjectIDOK()
		return str(oid.Hex())
	case bson.TypeDateTime:
		ms, _ := in.DateTimeOK()
		t := time.UnixMilli(ms).UTC()
		if t.Year() < 0 || t.Year() > 9999 {
			// Not a conversion failure: onError does not catch it.
			return bson.RawValue{}, mongoerr.Newf(cvDateOutOfRange,
				"Could not convert date to string: date component was outside the supported range of 0-9999: %d", t.Year())
		}
		return str(t.Format("2006-01-02T15:04:05.000Z"))
	case bson.TypeBinary:
		if format == cvFormatNone {
			return bson.RawValue{}, cvFormatMissing(in.Type, bson.TypeString)
		}
		s, err := cvBinDataToString(in, format)
		if err != nil {
			return bson.RawValue{}, err
		}
		return str(s)
	}
	return bson.RawValue{}, cvUnsupported(in.Type, bson.TypeString)
}

// cvFormatDouble prints a double as mongod 8's $toString does: the
// shortest decimal that reads back as the same double (fmt's "{}"), in
// scientific notation below 1e-4 and from 1e16, with no trailing ".0".
func cvFormatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func cvToDate(in bson.RawValue) (bson.RawValue, error) {
	switch in.Type {
	case bson.TypeInt64:
		return dateValue(asInt64(in)), nil
	case bson.TypeDouble:
		f, _ := in.DoubleOK()
		ms, err := cvDoubleToInteger(f, false)
		if err != nil {
			return bson.RawValue{}, err
		}
		return dateValue(ms), nil
	case bson.TypeDecimal128:
		d, _ := in.Decimal128OK()
		ms, err := cvDecimalToInteger(d, false)
		if err != nil {
			return bson.RawValue{}, err
		}
		return dateValue(ms), nil
	case bson.TypeObjectID:
		oid, _ := in.ObjectIDOK()
		return dateValue(oid.Timestamp().Unix() * 1000), nil
	case bson.TypeTimestamp:
		secs, _, _ := in.TimestampOK()
		return dateValue(int64(secs) * 1000), nil
	case bson.TypeString:
		ms, err := cvParseDate(in.StringValue())
		if err != nil {
			return bson.RawValue{}, err
		}
		return dateValue(ms), nil
	}
	// An int is refused: mongod wants a long for milliseconds.
	return bson.RawValue{}, cvUnsupported(in.Type, bson.TypeDateTime)
}

// cvParseObjectID is mongod's OID::createFromString under $convert.
func cvParseObjectID(s string) (bson.RawValue, error) {
	fail := func(reason string) (bson.RawValue, error) {
		return bson.RawValue{}, cvFail("Failed to parse objectId '%s' in $convert with no onError value: %s", s, reason)
	}
	if len(s) != 24 {
		return fail("Invalid string length for parsing to OID, expected 24 but found " + strconv.Itoa(len(s)))
	}
	for i := 0; i < len(s); i++ {
		if !cvIsHexDigit(s[i]) {
			return fail("Invalid character found in hex string: " + string(s[i]))
		}
	}
	b, _ := hex.DecodeString(s)
	var oid bson.ObjectID
	copy(oid[:], b)
	return bson.RawValue{Type: bson.TypeObjectID, Value: oid[:]}, nil
}

func cvIsHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// cvCheckHex is the gate mongod puts in front of its number parser: a
// string starting with a lowercase "0x" is refused outright.
func cvCheckHex(s string) error {
	if strings.HasPrefix(s, "0x") {
		return cvFail("Illegal hexadecimal input in $convert with no onError value: %s", s)
	}
	return nil
}

func cvParseFailure(s, reason string) error {
	return cvFail("Failed to parse number '%s' in $convert with no onError value: %s", s, reason)
}

func cvFormatMissing(in, target bson.Type) error {
	return mongoerr.Newf(cvFormatRequired, "Format must be speficied when converting from '%s' to '%s'", bsonx.TypeName(in), bsonx.TypeName(target))
}
