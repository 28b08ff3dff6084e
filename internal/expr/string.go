package expr

import (
	"math"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// String operators. They work on the bytes of UTF-8 strings as mongod
// does: case mapping is ASCII only, comparison is binary, collation is
// ignored, and the *CP variants count code points by their leading bytes
// (so malformed UTF-8 gives mongod's errors rather than being repaired).

func init() {
	register(map[string]parseFunc{
		"$concat":       parseConcat,
		"$substr":       parseSubstrBytes, // an alias: mongod parses it as $substrBytes
		"$substrBytes":  parseSubstrBytes,
		"$substrCP":     fixed(3, evalSubstrCP),
		"$strLenBytes":  fixed(1, evalStrLenBytes),
		"$strLenCP":     fixed(1, evalStrLenCP),
		"$toLower":      fixed(1, evalToLower),
		"$toUpper":      fixed(1, evalToUpper),
		"$strcasecmp":   fixed(2, evalStrcasecmp),
		"$split":        fixed(2, evalSplit),
		"$indexOfBytes": parseIndexOfStr,
		"$indexOfCP":    parseIndexOfStr,
		"$trim":         parseTrim,
		"$ltrim":        parseTrim,
		"$rtrim":        parseTrim,
		"$replaceOne":   parseReplace,
		"$replaceAll":   parseReplace,
	})
}

// mongod's assertion codes for the string operators (numbered uasserts,
// so their codeName is Location<N>).
const (
	codeStrCoerce            mongoerr.Code = 16007
	codeStrCoerceLong        mongoerr.Code = 31109
	codeStrDateRange         mongoerr.Code = 18537
	codeConcatNotString      mongoerr.Code = 16702
	codeSubstrStartType      mongoerr.Code = 16034
	codeSubstrLengthType     mongoerr.Code = 16035
	codeSubstrStartNegative  mongoerr.Code = 50752
	codeSubstrStartCont      mongoerr.Code = 28656
	codeSubstrEndCont        mongoerr.Code = 28657
	codeSubstrCPStartType    mongoerr.Code = 34450
	codeSubstrCPStartInt     mongoerr.Code = 34451
	codeSubstrCPLengthType   mongoerr.Code = 34452
	codeSubstrCPLengthInt    mongoerr.Code = 34453
	codeSubstrCPLengthNeg    mongoerr.Code = 34454
	codeSubstrCPStartNeg     mongoerr.Code = 34455
	codeSubstrCPBadStart     mongoerr.Code = 34456
	codeSubstrCPLongStart    mongoerr.Code = 34457
	codeSubstrCPBadEnd       mongoerr.Code = 34458
	codeSubstrCPLongEnd      mongoerr.Code = 34459
	codeStrLenCPNotString    mongoerr.Code = 34471
	codeStrLenBytesNotString mongoerr.Code = 34473
	codeSplitInput           mongoerr.Code = 40085
	codeSplitSeparator       mongoerr.Code = 40086
	codeSplitEmpty           mongoerr.Code = 40087
	codeIndexOfBytesInput    mongoerr.Code = 40091
	codeIndexOfBytesToken    mongoerr.Code = 40092
	codeIndexOfCPInput       mongoerr.Code = 40093
	codeIndexOfCPToken       mongoerr.Code = 40094
	codeIndexOfCPBadUTF8     mongoerr.Code = 40095
	codeStrIndexNotIntegral  mongoerr.Code = 40096
	codeStrIndexNegative     mongoerr.Code = 40097
	codeTrimUnknownArg       mongoerr.Code = 50694
	codeTrimNoInput          mongoerr.Code = 50695
	codeTrimNotObject        mongoerr.Code = 50696
	codeTrimCharsTruncated   mongoerr.Code = 50697
	codeTrimCharsCont        mongoerr.Code = 50698
	codeTrimInputType        mongoerr.Code = 50699
	codeTrimCharsType        mongoerr.Code = 50700
	codeReplaceReplacement   mongoerr.Code = 51744
	codeReplaceFind          mongoerr.Code = 51745
	codeReplaceInput         mongoerr.Code = 51746
	codeReplaceNoReplacement mongoerr.Code = 51747
	codeReplaceNoFind        mongoerr.Code = 51748
	codeReplaceNoInput       mongoerr.Code = 51749
	codeReplaceUnknownArg    mongoerr.Code = 51750
	codeReplaceNotObject     mongoerr.Code = 51751
)

// strCoerce is mongod's Value::coerceToString, which $substrBytes,
// $substrCP, $toLower, $toUpper and $strcasecmp apply to their string
// operand: numbers, dates and timestamps print, null and missing are "",
// other types are an error.
func strCoerce(v bson.RawValue) (string, error) {
	switch v.Type {
	case bson.TypeString:
		s, _ := v.StringValueOK()
		return s, nil
	case bson.TypeSymbol:
		s, _ := v.SymbolOK()
		return s, nil
	case bson.TypeJavaScript:
		s, _ := v.JavaScriptOK()
		return s, nil
	case bson.TypeInt32, bson.TypeInt64:
		return strconv.FormatInt(asInt64(v), 10), nil
	case bson.TypeDouble:
		return strFormatDouble(asFloat(v)), nil
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		return d.String(), nil
	case bson.TypeDateTime:
		ms, _ := v.DateTimeOK()
		t := time.UnixMilli(ms).UTC()
		if t.Year() < 0 || t.Year() > 9999 {
			return "", mongoerr.Newf(codeStrDateRange,
				"failed while coercing date to string :: caused by :: Could not convert date to string: date component was outside the supported range of 0-9999: %d", t.Year())
		}
		return t.Format("2006-01-02T15:04:05.000Z"), nil
	case bson.TypeTimestamp:
		// Timestamp::toStringPretty: ctime's "Mmm dd hh:mm:ss" (the
		// server's time zone, taken to be UTC) and the increment.
		sec, inc, _ := v.TimestampOK()
		return time.Unix(int64(sec), 0).UTC().Format("Jan _2 15:04:05") + ":" + strconv.FormatUint(uint64(inc), 10), nil
	case 0, bson.TypeNull, bson.TypeUndefined:
		return "", nil
	}
	return "", mongoerr.Newf(codeStrCoerce, "can't convert from BSON type %s to String", typeName(v))
}

// strFormatDouble prints a double as mongod's StringBuilder does (C's %g).
func strFormatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// strCoerceLong is mongod's Value::coerceToLong for a numeric value:
// doubles truncate, decimals round half to even, and values outside the
// long range are an error.
func strCoerceLong(v bson.RawValue) (int64, error) {
	switch v.Type {
	case bson.TypeDouble:
		f := asFloat(v)
		if !(f >= -9.223372036854775808e18 && f < 9.223372036854775808e18) {
			return 0, mongoerr.Newf(codeStrCoerceLong, "Can't coerce out of range value %s to long", strFormatDouble(f))
		}
		return int64(f), nil
	case bson.TypeDecimal128:
		i, ok := decFromValue(v).int64()
		if !ok {
			d, _ := v.Decimal128OK()
			return 0, mongoerr.Newf(codeStrCoerceLong, "Can't coerce out of range value %s to long", d.String())
		}
		return i, nil
	}
	return asInt64(v), nil
}

// strIntegral32 is mongod's Value::integral: a number whose value is exactly
// a 32-bit integer.
func strIntegral32(v bson.RawValue) (int32, bool) {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		i := asInt64(v)
		return int32(i), int64(int32(i)) == i
	case bson.TypeDouble:
		f := asFloat(v)
		if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return 0, false
		}
		return int32(f), true
	case bson.TypeDecimal128:
		d := decFromValue(v)
		if d.kind != kFinite {
			return 0, false
		}
		q, ok := d.quantizeUnbounded(0)
		if !ok || !q.IsInt64() || q.Int64() < math.MinInt32 || q.Int64() > math.MaxInt32 {
			return 0, false
		}
		if decCmp(d, decInt(q.Int64())) != 0 {
			return 0, false
		}
		return int32(q.Int64()), true
	}
	return 0, false
}

// stringResult builds a BSON string.
func stringResult(s string) bson.RawValue {
	return bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, s)}
}

// isContinuationByte reports whether b is a UTF-8 continuation byte
// (10xxxxxx).
func isContinuationByte(b byte) bool { return b&0xc0 == 0x80 }

// codePointLength is mongod's str::getCodePointLength for a byte that is
// not a continuation byte: 1 for ASCII, otherwise the number of leading
// one bits (which may exceed 4 for bytes no valid UTF-8 has).
func codePointLength(b byte) int {
	if b&0x80 == 0 {
		return 1
	}
	n := 0
	for b&0x80 != 0 {
		n++
		b <<= 1
	}
	return n
}

// codePointCount is mongod's str::lengthInUTF8CodePoints: the number of
// bytes that are not continuation bytes.
func codePointCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isContinuationByte(s[i]) {
			n++
		}
	}
	return n
}

// strArg reads a string operand.
func strArg(v bson.RawValue) (string, bool) {
	if v.Type != bson.TypeString {
		return "", false
	}
	s, ok := v.StringValueOK()
	return s, ok
}

// concatExpr is $concat: null as soon as an operand is nullish (later
// operands are then not evaluated), an error for any other non-string.
type concatExpr struct{ args []Expr }

func parseConcat(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgs(args, pc)
	if err != nil {
		return nil, err
	}
	return concatExpr{a}, nil
}

func (c concatExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	var sb strings.Builder
	for _, a := range c.args {
		v, err := a.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullish(v) {
			return nullValue, nil
		}
		s, ok := strArg(v)
		if !ok {
			return bson.RawValue{}, mongoerr.Newf(codeConcatNotString, "$concat only supports strings, not %s", typeName(v))
		}
		sb.WriteString(s)
	}
	return stringResult(sb.String()), nil
}

// parseSubstrBytes parses $substrBytes and its older name $substr; both
// report themselves as $substrBytes, as in mongod.
func parseSubstrBytes(_ string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	return fixed(3, evalSubstrBytes)("$substrBytes", args, pc)
}

// evalSubstrBytes is $substrBytes: a byte range of the operand coerced to
// a string. A negative length means the rest of the string; a range
// that starts or ends inside a multi-byte character is an error.
func evalSubstrBytes(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	s, err := strCoerce(vals[0])
	if err != nil {
		return bson.RawValue{}, err
	}
	lower, length := vals[1], vals[2]
	if !numeric(lower) {
		return bson.RawValue{}, mongoerr.Newf(codeSubstrStartType,
			"$substrBytes:  starting index must be a numeric type (is BSON type %s)", typeName(lower))
	}
	if !numeric(length) {
		return bson.RawValue{}, mongoerr.Newf(codeSubstrLengthType,
			"$substrBytes:  length must be a numeric type (is BSON type %s)", typeName(length))
	}
	lo, err := strCoerceLong(lower)
	if err != nil {
		return bson.RawValue{}, err
	}
	if lo < 0 {
		return bson.RawValue{}, mongoerr.Newf(codeSubstrStartNegative,
			"$substrBytes:  starting index must be non-negative (got: %d)", lo)
	}
	ln, err := strCoerceLong(length)
	if err != nil {
		return bson.RawValue{}, err
	}
	size := uint64(len(s))
	start := uint64(lo)
	n := size
	if ln >= 0 {
		n = uint64(ln)
	}
	if start < size && isContinuationByte(s[start]) {
		return bson.RawValue{}, mongoerr.New(codeSubstrStartCont,
			"$substrBytes:  Invalid range, starting index is a UTF-8 continuation byte.")
	}
	// mongod checks the byte just past the range: a continuation byte
	// there means the range ends inside a character.
	if end := start + n; end < size && isContinuationByte(s[end]) {
		return bson.RawValue{}, mongoerr.New(codeSubstrEndCont,
			"$substrBytes:  Invalid range, ending index is in the middle of a UTF-8 character.")
	}
	if start >= size {
		return stringResult(""), nil
	}
	end := size
	if n < size-start {
		end = start + n
	}
	return stringResult(s[start:end]), nil
}

// evalSubstrCP is $substrCP: a range of code points; start and length
// must be non-negative 32-bit integers.
func evalSubstrCP(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	s, err := strCoerce(vals[0])
	if err != nil {
		return bson.RawValue{}, err
	}
	lower, length := vals[1], vals[2]
	if !numeric(lower) {
		return bson.RawValue{}, mongoerr.Newf(codeSubstrCPStartType,
			"$substrCP: starting index must be a numeric type (is BSON type %s)", typeName(lower))
	}
	start, ok := strIntegral32(lower)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeSubstrCPStartInt,
			"$substrCP: starting index cannot be represented as a 32-bit integral value: %s", bsonx.Format(lower))
	}
	if !numeric(length) {
		return bson.RawValue{}, mongoerr.Newf(codeSubstrCPLengthType,
			"$substrCP: length must be a numeric type (is BSON type %s)", typeName(length))
	}
	n, ok := strIntegral32(length)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeSubstrCPLengthInt,
			"$substrCP: length cannot be represented as a 32-bit integral value: %s", bsonx.Format(length))
	}
	if n < 0 {
		return bson.RawValue{}, mongoerr.New(codeSubstrCPLengthNeg, "$substrCP: length must be a nonnegative integer.")
	}
	if start < 0 {
		return bson.RawValue{}, mongoerr.New(codeSubstrCPStartNeg, "$substrCP: the starting index must be nonnegative integer.")
	}
	from := 0
	for i := int32(0); i < start; i++ {
		if from >= len(s) {
			return stringResult(""), nil
		}
		if isContinuationByte(s[from]) {
			return bson.RawValue{}, mongoerr.New(codeSubstrCPBadStart, "$substrCP: invalid UTF-8 string")
		}
		l := codePointLength(s[from])
		if l > 4 {
			return bson.RawValue{}, mongoerr.New(codeSubstrCPLongStart, "$substrCP: invalid UTF-8 string")
		}
		from += l
	}
	to := from
	for i := int32(0); i < n && to < len(s); i++ {
		if isContinuationByte(s[to]) {
			return bson.RawValue{}, mongoerr.New(codeSubstrCPBadEnd, "$substrCP: invalid UTF-8 string")
		}
		l := codePointLength(s[to])
		if l > 4 {
			return bson.RawValue{}, mongoerr.New(codeSubstrCPLongEnd, "$substrCP: invalid UTF-8 string")
		}
		to += l
	}
	if from > len(s) {
		from = len(s)
	}
	if to > len(s) {
		to = len(s)
	}
	return stringResult(s[from:to]), nil
}

// evalStrLenBytes is $strLenBytes: the length in bytes, as an int. Only
// strings are accepted; null is an error, not null.
func evalStrLenBytes(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	s, ok := strArg(vals[0])
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeStrLenBytesNotString,
			"$strLenBytes requires a string argument, found: %s", typeName(vals[0]))
	}
	return int32Value(int32(len(s))), nil
}

// evalStrLenCP is $strLenCP: the number of code points, as an int.
func evalStrLenCP(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	s, ok := strArg(vals[0])
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeStrLenCPNotString,
			"$strLenCP requires a string argument, found: %s", typeName(vals[0]))
	}
	return int32Value(int32(codePointCount(s))), nil
}

// strASCIIMap applies f to every byte: mongod's boost::to_lower/to_upper in
// the C locale change ASCII letters only.
func strASCIIMap(s string, f func(byte) byte) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = f(c)
	}
	return string(b)
}

func strLowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func strUpperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// evalToLower is $toLower: null and missing give "", numbers and dates
// their string form.
func evalToLower(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	s, err := strCoerce(vals[0])
	if err != nil {
		return bson.RawValue{}, err
	}
	return stringResult(strASCIIMap(s, strLowerASCII)), nil
}

// evalToUpper is $toUpper.
func evalToUpper(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	s, err := strCoerce(vals[0])
	if err != nil {
		return bson.RawValue{}, err
	}
	return stringResult(strASCIIMap(s, strUpperASCII)), nil
}

// evalStrcasecmp is $strcasecmp: both operands upper-cased (ASCII) and
// compared byte by byte; -1, 0 or 1 as an int.
func evalStrcasecmp(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	a, err := strCoerce(vals[0])
	if err != nil {
		return bson.RawValue{}, err
	}
	b, err := strCoerce(vals[1])
	if err != nil {
		return bson.RawValue{}, err
	}
	return int32Value(int32(strings.Compare(strASCIIMap(a, strUpperASCII), strASCIIMap(b, strUpperASCII)))), nil
}

// evalSplit is $split: null if either operand is nullish (checked before
// the types), else the pieces between non-overlapping occurrences of a
// non-empty separator.
func evalSplit(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
	in, sep := vals[0], vals[1]
	if nullish(in) || nullish(sep) {
		return nullValue, nil
	}
	s, ok := strArg(in)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeSplitInput,
			"$split requires an expression that evaluates to a string as a first argument, found: %s", typeName(in))
	}
	d, ok := strArg(sep)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeSplitSeparator,
			"$split requires an expression that evaluates to a string as a second argument, found: %s", typeName(sep))
	}
	if d == "" {
		return bson.RawValue{}, mongoerr.New(codeSplitEmpty, "$split requires a non-empty separator")
	}
	parts := strings.Split(s, d)
	out := make([]bson.RawValue, len(parts))
	for i, p := range parts {
		out[i] = stringResult(p)
	}
	return arrayValue(out), nil
}

// indexOfStrExpr is $indexOfBytes or $indexOfCP. Operands are evaluated
// one at a time as mongod does: a nullish string makes the result null
// before the others are looked at.
type indexOfStrExpr struct {
	name string
	args []Expr
	cp   bool
}

func parseIndexOfStr(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	a, err := parseArgsRange(name, args, pc, 2, 4)
	if err != nil {
		return nil, err
	}
	return indexOfStrExpr{name: name, args: a, cp: name == "$indexOfCP"}, nil
}

// indexArg checks a start or end index: a non-negative 32-bit integer.
func (x indexOfStrExpr) indexArg(ec *EvalContext, doc bson.Raw, i int, what string) (int, error) {
	v, err := x.args[i].Eval(ec, doc)
	if err != nil {
		return 0, err
	}
	n, ok := strIntegral32(v)
	if !ok {
		return 0, mongoerr.Newf(codeStrIndexNotIntegral, "%srequires an integral %s, found a value of type: %s, with value: %s",
			x.name, what, typeName(v), bsonx.Format(v))
	}
	if n < 0 {
		return 0, mongoerr.Newf(codeStrIndexNegative, "%s requires a nonnegative %s, found: %s", x.name, what, bsonx.Format(v))
	}
	return int(n), nil
}

func (x indexOfStrExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	in, err := x.args[0].Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(in) {
		return nullValue, nil
	}
	inputCode, tokenCode := codeIndexOfBytesInput, codeIndexOfBytesToken
	if x.cp {
		inputCode, tokenCode = codeIndexOfCPInput, codeIndexOfCPToken
	}
	s, ok := strArg(in)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(inputCode, "%s requires a string as the first argument, found: %s", x.name, typeName(in))
	}
	tv, err := x.args[1].Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	tok, ok := strArg(tv)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(tokenCode, "%s requires a string as the second argument, found: %s", x.name, typeName(tv))
	}
	start := 0
	if len(x.args) > 2 {
		if start, err = x.indexArg(ec, doc, 2, "starting index"); err != nil {
			return bson.RawValue{}, err
		}
	}
	if x.cp {
		return x.evalCP(ec, doc, s, tok, start)
	}
	end := len(s)
	if len(x.args) > 3 {
		e, err := x.indexArg(ec, doc, 3, "ending index")
		if err != nil {
			return bson.RawValue{}, err
		}
		end = min(end, e)
	}
	if start > len(s) || end < start {
		return int32Value(-1), nil
	}
	i := strings.Index(s[start:end], tok)
	if i < 0 {
		return int32Value(-1), nil
	}
	return int32Value(int32(start + i)), nil
}

// evalCP finishes $indexOfCP: the whole input is checked for stray
// continuation bytes first, then the token is looked for at each code
// point from start to end.
func (x indexOfStrExpr) evalCP(ec *EvalContext, doc bson.Raw, s, tok string, start int) (bson.RawValue, error) {
	length, startByte := 0, 0
	for b := 0; b < len(s); length++ {
		if length == start {
			startByte = b
		}
		if isContinuationByte(s[b]) {
			return bson.RawValue{}, mongoerr.New(codeIndexOfCPBadUTF8, "$indexOfCP found bad UTF-8 in the input")
		}
		b += codePointLength(s[b])
	}
	end := length
	if len(x.args) > 3 {
		e, err := x.indexArg(ec, doc, 3, "ending index")
		if err != nil {
			return bson.RawValue{}, err
		}
		end = min(end, e)
	}
	if end < start {
		return int32Value(-1), nil
	}
	if startByte == 0 && s == "" && tok == "" {
		return int32Value(0), nil
	}
	b := startByte
	for cp := start; cp < end && b < len(s); cp++ {
		if strings.HasPrefix(s[b:], tok) {
			return int32Value(int32(cp)), nil
		}
		b += codePointLength(s[b])
	}
	return int32Value(-1), nil
}

// trimExpr is $trim, $ltrim or $rtrim.
type trimExpr struct {
	name        string
	left, right bool
	input       Expr
	chars       Expr // nil: mongod's whitespace list
}

func parseTrim(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(codeTrimNotObject, "%s only supports an object as an argument, found %s", name, typeName(args))
	}
	t := &trimExpr{name: name, left: name != "$rtrim", right: name != "$ltrim"}
	if err := parseNamedArgs(name, args, pc, codeTrimUnknownArg, map[string]*Expr{"input": &t.input, "chars": &t.chars}); err != nil {
		return nil, err
	}
	if t.input == nil {
		return nil, mongoerr.Newf(codeTrimNoInput, "%s requires an 'input' field", name)
	}
	return t, nil
}

// trimWhitespace is what $trim removes without chars: NUL, the ASCII
// spaces, NBSP, the Ogham space mark and U+2000–U+200A (mongod's list;
// not U+2028/U+2029, U+202F, U+205F or U+3000).
var trimWhitespace = []string{
	"\x00", " ", "\t", "\n", "\v", "\f", "\r", "\u00a0", "\u1680",
	"\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005",
	"\u2006", "\u2007", "\u2008", "\u2009", "\u200a",
}

func (t *trimExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	in, err := t.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(in) {
		return nullValue, nil
	}
	s, ok := strArg(in)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeTrimInputType, "%s requires its input to be a string, got %s (of type %s) instead.",
			t.name, bsonx.Format(in), typeName(in))
	}
	cps := trimWhitespace
	if t.chars != nil {
		cv, err := t.chars.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullish(cv) {
			return nullValue, nil
		}
		chars, ok := strArg(cv)
		if !ok {
			return bson.RawValue{}, mongoerr.Newf(codeTrimCharsType, "%s requires 'chars' to be a string, got %s (of type %s) instead.",
				t.name, bsonx.Format(cv), typeName(cv))
		}
		if cps, err = trimCodePoints(chars, t.name); err != nil {
			return bson.RawValue{}, err
		}
	}
	if t.left {
		s = trimLeft(s, cps)
	}
	if t.right {
		s = trimRight(s, cps)
	}
	return stringResult(s), nil
}

// trimCodePoints splits chars into its code points, rejecting malformed
// UTF-8 as mongod does.
func trimCodePoints(chars, name string) ([]string, error) {
	var out []string
	i := 0
	for i < len(chars) {
		if isContinuationByte(chars[i]) {
			return nil, mongoerr.Newf(codeTrimCharsCont,
				"Failed to parse \"chars\" argument to %s: Detected invalid UTF-8. Got continuation byte when expecting the start of a new code point.", name)
		}
		n := trimCodePointLength(chars[i])
		out = append(out, chars[i:min(i+n, len(chars))])
		i += n
	}
	if i > len(chars) {
		return nil, mongoerr.Newf(codeTrimCharsTruncated,
			"Failed to parse \"chars\" argument to %s: Detected invalid UTF-8. Missing expected continuation byte at end of string.", name)
	}
	return out, nil
}

// trimCodePointLength is $trim's own reading of a leading byte: 2, 3 or
// 4 for the UTF-8 lead patterns, 1 for anything else.
func trimCodePointLength(b byte) int {
	switch {
	case b&0xf8 == 0xf0:
		return 4
	case b&0xf0 == 0xe0:
		return 3
	case b&0xe0 == 0xc0:
		return 2
	}
	return 1
}

func trimLeft(s string, cps []string) string {
	for len(s) > 0 {
		n := 0
		for _, cp := range cps {
			if strings.HasPrefix(s, cp) {
				n = len(cp)
				break
			}
		}
		if n == 0 {
			break
		}
		s = s[n:]
	}
	return s
}

func trimRight(s string, cps []string) string {
	for len(s) > 0 {
		n := 0
		for _, cp := range cps {
			if strings.HasSuffix(s, cp) {
				n = len(cp)
				break
			}
		}
		if n == 0 {
			break
		}
		s = s[:len(s)-n]
	}
	return s
}

// replaceExpr is $replaceOne or $replaceAll: plain substring replacement
// (no regex in MongoDB 8.0), byte-wise and collation-blind.
type replaceExpr struct {
	name                     string
	all                      bool
	input, find, replacement Expr
}

func parseReplace(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(codeReplaceNotObject, "%s requires an object as an argument, found: %s", name, typeName(args))
	}
	r := &replaceExpr{name: name, all: name == "$replaceAll"}
	if err := parseNamedArgs(name, args, pc, codeReplaceUnknownArg,
		map[string]*Expr{"input": &r.input, "find": &r.find, "replacement": &r.replacement}); err != nil {
		return nil, err
	}
	switch {
	case r.input == nil:
		return nil, mongoerr.Newf(codeReplaceNoInput, "%s requires 'input' to be specified", name)
	case r.find == nil:
		return nil, mongoerr.Newf(codeReplaceNoFind, "%s requires 'find' to be specified", name)
	case r.replacement == nil:
		return nil, mongoerr.Newf(codeReplaceNoReplacement, "%s requires 'replacement' to be specified", name)
	}
	return r, nil
}

func (r *replaceExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	var vals [3]bson.RawValue
	for i, e := range []Expr{r.input, r.find, r.replacement} {
		v, err := e.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		vals[i] = v
	}
	// Types are checked for all three before any null is honoured.
	codes := [3]mongoerr.Code{codeReplaceInput, codeReplaceFind, codeReplaceReplacement}
	fields := [3]string{"input", "find", "replacement"}
	for i, v := range vals {
		if v.Type != bson.TypeString && !nullish(v) {
			return bson.RawValue{}, mongoerr.Newf(codes[i], "%s requires that '%s' be a string, found: %s", r.name, fields[i], bsonx.Format(v))
		}
	}
	for _, v := range vals {
		if nullish(v) {
			return nullValue, nil
		}
	}
	in, _ := strArg(vals[0])
	find, _ := strArg(vals[1])
	repl, _ := strArg(vals[2])
	if !r.all {
		return stringResult(strings.Replace(in, find, repl, 1)), nil
	}
	if find == "" {
		// mongod inserts the replacement around every byte (not every
		// character) when find is empty.
		var sb strings.Builder
		for i := 0; i < len(in); i++ {
			sb.WriteString(repl)
			sb.WriteByte(in[i])
		}
		sb.WriteString(repl)
		return stringResult(sb.String()), nil
	}
	return stringResult(strings.ReplaceAll(in, find, repl)), nil
}
