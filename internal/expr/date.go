package expr

import (
	"encoding/binary"
	"math"
	"math/big"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The date family: the part extractors ($year … $isoDayOfWeek), the
// conversions between dates and parts or strings, date arithmetic, and
// $tsSecond and $tsIncrement ($toDate belongs to $convert, convert.go).
// Dates are milliseconds since the epoch; a timezone argument is an
// Olson name or a UTC offset, and the calendar is mongod's (timelib's):
// proleptic Gregorian, no leap seconds.

func init() {
	register(map[string]parseFunc{
		"$year":         dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(p.year)) }),
		"$month":        dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(p.month)) }),
		"$dayOfMonth":   dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(p.day)) }),
		"$hour":         dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(p.hour)) }),
		"$minute":       dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(p.minute)) }),
		"$second":       dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(p.second)) }),
		"$millisecond":  dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(p.millisecond)) }),
		"$dayOfWeek":    dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(weekdaySun0(p.days) + 1)) }),
		"$dayOfYear":    dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(dayOfYear(p.year, p.days))) }),
		"$week":         dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(sundayWeek(p.year, p.days))) }),
		"$isoDayOfWeek": dateExtractor(func(_ *timeZone, p localParts) bson.RawValue { return int32Value(int32(isoWeekday(p.days))) }),
		"$isoWeek": dateExtractor(func(_ *timeZone, p localParts) bson.RawValue {
			_, w := isoWeek(p.year, p.days)
			return int32Value(int32(w))
		}),
		// mongod's TimeZone::isoYear is a long long, so $isoWeekYear is
		// the one extractor that answers a long.
		"$isoWeekYear": dateExtractor(func(_ *timeZone, p localParts) bson.RawValue {
			y, _ := isoWeek(p.year, p.days)
			return int64Value(y)
		}),

		"$dateToParts":   parseDateToParts,
		"$dateFromParts": parseDateFromParts,
		"$tsSecond":      fixed(1, tsPart("$tsSecond", codeTsSecondType, func(t, _ uint32) uint32 { return t })),
		"$tsIncrement":   fixed(1, tsPart("$tsIncrement", codeTsIncrementType, func(_, i uint32) uint32 { return i })),

		// date_format.go
		"$dateToString":   parseDateToString,
		"$dateFromString": parseDateFromString,

		// date_arith.go
		"$dateAdd":      parseDateArith("$dateAdd", false),
		"$dateSubtract": parseDateArith("$dateSubtract", true),
		"$dateDiff":     parseDateDiff,
		"$dateTrunc":    parseDateTrunc,
	})
}

// coerceToDate is mongod's Value::coerceToDate: a date, a timestamp (its
// seconds) or an ObjectId (its creation second) as milliseconds.
func coerceToDate(v bson.RawValue) (int64, error) {
	if ms, ok := coercibleDate(v); ok {
		return ms, nil
	}
	return 0, mongoerr.Newf(codeDateCoerce, "can't convert from BSON type %s to Date", typeName(v))
}

// coercibleDate is mongod's Value::coercibleToDate with the conversion.
func coercibleDate(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeDateTime:
		ms, ok := v.DateTimeOK()
		return ms, ok
	case bson.TypeTimestamp:
		t, _, ok := v.TimestampOK()
		return int64(t) * 1000, ok
	case bson.TypeObjectID:
		if len(v.Value) < 4 {
			return 0, false
		}
		// OID::getTimestamp reads the first four bytes as a signed int.
		return int64(int32(binary.BigEndian.Uint32(v.Value[:4]))) * 1000, true
	}
	return 0, false
}

// evalTimeZone evaluates a timezone operand as mongod's makeTimeZone
// does: UTC when there is none, (nil, nil) when it is null or missing
// (the operator then answers null), an error when it is not a string or
// not a zone.
func evalTimeZone(ec *EvalContext, doc bson.Raw, e Expr) (*timeZone, error) {
	if e == nil {
		return utcZone, nil
	}
	v, err := e.Eval(ec, doc)
	if err != nil {
		return nil, err
	}
	if nullish(v) {
		return nil, nil
	}
	s, ok := v.StringValueOK()
	if !ok {
		return nil, mongoerr.Newf(codeDateTZNotString, "timezone must evaluate to a string, found %s", typeName(v))
	}
	return lookupTimeZone(s)
}

// withContext prefixes a mongod error's message as mongod's
// addContextToAssertionException does, keeping its code.
func withContext(err error, context string) error {
	if err == nil {
		return nil
	}
	me := mongoerr.As(err)
	return &mongoerr.Error{Code: me.Code, Message: context + " :: caused by :: " + me.Message, Labels: me.Labels}
}

// objectElems returns an operator's document argument's fields.
func objectElems(v bson.RawValue) ([]bson.RawElement, error) {
	elems, err := bson.Raw(v.Value).Elements()
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	return elems, nil
}

// dateExtractExpr is one of the part extractors: the date in a zone,
// then one number of its calendar.
type dateExtractExpr struct {
	date, tz Expr
	part     func(tz *timeZone, p localParts) bson.RawValue
}

// dateExtractor parses mongod's DateExpressionAcceptingTimeZone forms:
// <date>, [<date>] and {date: <date>, timezone: <tz>}; a document whose
// first field starts with '$' is an expression for the date.
func dateExtractor(part func(tz *timeZone, p localParts) bson.RawValue) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		x := dateExtractExpr{part: part}
		var err error
		switch args.Type {
		case bson.TypeEmbeddedDocument:
			elems, err := objectElems(args)
			if err != nil {
				return nil, err
			}
			if len(elems) > 0 && len(elems[0].Key()) > 0 && elems[0].Key()[0] == '$' {
				x.date, err = Parse(args, pc)
				if err != nil {
					return nil, err
				}
				return x, nil
			}
			for _, el := range elems {
				switch el.Key() {
				case "date":
					x.date, err = Parse(el.Value(), pc)
				case "timezone":
					x.tz, err = Parse(el.Value(), pc)
				default:
					return nil, mongoerr.Newf(codeDateOptionUnknown, "unrecognized option to %s: \"%s\"", name, el.Key())
				}
				if err != nil {
					return nil, err
				}
			}
			if x.date == nil {
				return nil, mongoerr.Newf(codeDateMissingDate, "missing 'date' argument to %s, provided: %s: %s", name, name, bsonx.Format(args))
			}
			return x, nil
		case bson.TypeArray:
			vals, err := bson.Raw(args.Value).Values()
			if err != nil {
				return nil, mongoerr.Newf(mongoerr.InvalidBSON, "invalid BSON in expression: %v", err)
			}
			if len(vals) != 1 {
				return nil, mongoerr.Newf(codeDateArrayArity, "%s accepts exactly one argument if given an array, but was given %d", name, len(vals))
			}
			args = vals[0]
		}
		if x.date, err = Parse(args, pc); err != nil {
			return nil, err
		}
		return x, nil
	}
}

func (x dateExtractExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	v, err := x.date.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(v) {
		return nullValue, nil
	}
	ms, err := coerceToDate(v)
	if err != nil {
		return bson.RawValue{}, err
	}
	tz, err := evalTimeZone(ec, doc, x.tz)
	if err != nil || tz == nil {
		return nullValue, err
	}
	return x.part(tz, tz.local(ms)), nil
}

// dateToPartsExpr is $dateToParts.
type dateToPartsExpr struct{ date, tz, iso Expr }

func parseDateToParts(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(codeToPartsNotObject, "$dateToParts only supports an object as its argument")
	}
	elems, err := objectElems(args)
	if err != nil {
		return nil, err
	}
	var x dateToPartsExpr
	if err := namedArgs(elems, pc, map[string]*Expr{"date": &x.date, "timezone": &x.tz, "iso8601": &x.iso}, func(key string) error {
		return mongoerr.Newf(codeToPartsUnknown, "Unrecognized argument to $dateToParts: %s", key)
	}); err != nil {
		return nil, err
	}
	if x.date == nil {
		return nil, mongoerr.New(codeToPartsMissing, "Missing 'date' parameter to $dateToParts")
	}
	return x, nil
}

func (x dateToPartsExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	date, err := x.date.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	tz, err := evalTimeZone(ec, doc, x.tz)
	if err != nil || tz == nil {
		return nullValue, err
	}
	iso := false
	if x.iso != nil {
		v, err := x.iso.Eval(ec, doc)
		if err != nil {
			return bson.RawValue{}, err
		}
		if nullish(v) {
			return nullValue, nil
		}
		b, ok := v.BooleanOK()
		if !ok {
			return bson.RawValue{}, mongoerr.Newf(codeToPartsISOFlag, "iso8601 must evaluate to a bool, found %s", typeName(v))
		}
		iso = b
	}
	if nullish(date) {
		return nullValue, nil
	}
	ms, err := coerceToDate(date)
	if err != nil {
		return bson.RawValue{}, err
	}
	p := tz.local(ms)
	idx, out := bsoncore.AppendDocumentStart(nil)
	if iso {
		y, w := isoWeek(p.year, p.days)
		out = bsoncore.AppendInt32Element(out, "isoWeekYear", int32(y))
		out = bsoncore.AppendInt32Element(out, "isoWeek", int32(w))
		out = bsoncore.AppendInt32Element(out, "isoDayOfWeek", int32(isoWeekday(p.days)))
	} else {
		out = bsoncore.AppendInt32Element(out, "year", int32(p.year))
		out = bsoncore.AppendInt32Element(out, "month", int32(p.month))
		out = bsoncore.AppendInt32Element(out, "day", int32(p.day))
	}
	out = bsoncore.AppendInt32Element(out, "hour", int32(p.hour))
	out = bsoncore.AppendInt32Element(out, "minute", int32(p.minute))
	out = bsoncore.AppendInt32Element(out, "second", int32(p.second))
	out = bsoncore.AppendInt32Element(out, "millisecond", int32(p.millisecond))
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: out}, nil
}

// dateFromPartsExpr is $dateFromParts; nil operands take their defaults.
type dateFromPartsExpr struct {
	year, month, day, hour, minute, second, millisecond Expr
	isoWeekYear, isoWeek, isoDayOfWeek, tz              Expr
}

func parseDateFromParts(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(codeFromPartsNotObject, "$dateFromParts only supports an object as its argument")
	}
	elems, err := objectElems(args)
	if err != nil {
		return nil, err
	}
	var x dateFromPartsExpr
	if err := namedArgs(elems, pc, map[string]*Expr{"year": &x.year, "month": &x.month, "day": &x.day, "hour": &x.hour, "minute": &x.minute, "second": &x.second, "millisecond": &x.millisecond, "isoWeekYear": &x.isoWeekYear, "isoWeek": &x.isoWeek, "isoDayOfWeek": &x.isoDayOfWeek, "timezone": &x.tz}, func(key string) error {
		return mongoerr.Newf(codeFromPartsUnknown, "Unrecognized argument to $dateFromParts: %s", key)
	}); err != nil {
		return nil, err
	}
	switch {
	case x.year == nil && x.isoWeekYear == nil:
		return nil, mongoerr.New(codeFromPartsNeedYear, "$dateFromParts requires either 'year' or 'isoWeekYear' to be present")
	case x.year != nil && (x.isoWeekYear != nil || x.isoWeek != nil || x.isoDayOfWeek != nil):
		return nil, mongoerr.New(codeFromPartsMixNat, "$dateFromParts does not allow mixing natural dates with ISO dates")
	case x.isoWeekYear != nil && (x.year != nil || x.month != nil || x.day != nil):
		return nil, mongoerr.New(codeFromPartsMixISO, "$dateFromParts does not allow mixing ISO dates with natural dates")
	}
	return x, nil
}

// datePart evaluates one part of $dateFromParts: def when the part is
// absent, ok false when it is null or missing. bounded parts must fit
// in 16 bits, as mongod requires so that normalising stays cheap.
func datePart(ec *EvalContext, doc bson.Raw, e Expr, field string, def int64, bounded bool) (n int64, ok bool, err error) {
	if e == nil {
		return def, true, nil
	}
	v, err := e.Eval(ec, doc)
	if err != nil {
		return 0, false, err
	}
	if nullish(v) {
		return 0, false, nil
	}
	n, integral := integral64(v)
	if !integral {
		return 0, false, mongoerr.Newf(codeFromPartsInteger, "'%s' must evaluate to an integer, found %s with value %s", field, typeName(v), bsonx.Format(v))
	}
	if bounded && (n < math.MinInt16 || n > math.MaxInt16) {
		return 0, false, mongoerr.Newf(codeFromPartsRange, "'%s' must evaluate to a value in the range [-32768, 32767]; value %d is not in range", field, n)
	}
	return n, true, nil
}

func (x dateFromPartsExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	var hms [4]int64
	for i, f := range []struct {
		e       Expr
		name    string
		bounded bool
	}{{x.hour, "hour", true}, {x.minute, "minute", true}, {x.second, "second", false}, {x.millisecond, "millisecond", false}} {
		n, ok, err := datePart(ec, doc, f.e, f.name, 0, f.bounded)
		if err != nil || !ok {
			return nullValue, err
		}
		hms[i] = n
	}
	tz, err := evalTimeZone(ec, doc, x.tz)
	if err != nil || tz == nil {
		return nullValue, err
	}
	var ymd [3]int64
	parts := []struct {
		e       Expr
		name    string
		def     int64
		bounded bool
	}{{x.year, "year", 1970, false}, {x.month, "month", 1, true}, {x.day, "day", 1, true}}
	if x.year == nil {
		parts = []struct {
			e       Expr
			name    string
			def     int64
			bounded bool
		}{{x.isoWeekYear, "isoWeekYear", 1970, false}, {x.isoWeek, "isoWeek", 1, true}, {x.isoDayOfWeek, "isoDayOfWeek", 1, true}}
	}
	for i, f := range parts {
		n, ok, err := datePart(ec, doc, f.e, f.name, f.def, f.bounded)
		if err != nil || !ok {
			return nullValue, err
		}
		ymd[i] = n
	}
	if ymd[0] < 1 || ymd[0] > 9999 {
		if x.year != nil {
			return bson.RawValue{}, mongoerr.Newf(codeFromPartsYear, "'year' must evaluate to an integer in the range 1 to 9999, found %d", ymd[0])
		}
		return bson.RawValue{}, mongoerr.Newf(codeFromPartsISOYear, "'isoWeekYear' must evaluate to an integer in the range 1 to 9999, found %d", ymd[0])
	}
	var days int64
	if x.year != nil {
		ym := ymd[1] - 1
		y := ymd[0] + floorDiv(ym, 12)
		days = daysFromCivil(y, floorMod(ym, 12)+1, 1) + ymd[2] - 1
	} else {
		days = isoDateToDays(ymd[0], ymd[1], ymd[2])
	}
	return dateValue(tz.fromWall(days, hms[0], hms[1], hms[2], hms[3])), nil
}

// fromWall is mongod's createFromDateParts once the date is a day count:
// the wall-clock time in tz as milliseconds since the epoch, every part
// carrying into the next as timelib normalises.
func (tz *timeZone) fromWall(days, h, mi, s, ms int64) int64 {
	us := ms * 1000
	s += floorDiv(us, 1000000)
	us = floorMod(us, 1000000)
	sse := days*86400 + h*3600 + mi*60 + s
	return tz.wallToUTC(sse, tz.epochDST())*1000 + us/1000
}

// integral64 is mongod's Value::integral64Bit with coerceToLong: a number
// that is a whole value fitting in a long.
func integral64(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		return asInt64(v), true
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		if f != math.Trunc(f) || math.IsInf(f, 0) || f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
			return 0, false
		}
		return int64(f), true
	case bson.TypeDecimal128:
		d := decFromValue(v)
		if d.kind != kFinite {
			return 0, false
		}
		c := new(big.Int).Set(d.coef)
		if d.exp >= 0 {
			if d.exp > 40 && c.Sign() != 0 {
				return 0, false
			}
			c.Mul(c, pow10(d.exp))
		} else {
			q, r := new(big.Int).QuoRem(c, pow10(-d.exp), new(big.Int))
			if r.Sign() != 0 {
				return 0, false
			}
			c = q
		}
		if !c.IsInt64() {
			return 0, false
		}
		return c.Int64(), true
	}
	return 0, false
}

// tsPart returns $tsSecond or $tsIncrement: a part of a timestamp, as a
// long.
func tsPart(name string, code mongoerr.Code, part func(t, i uint32) uint32) func(*EvalContext, []bson.RawValue) (bson.RawValue, error) {
	return func(_ *EvalContext, vals []bson.RawValue) (bson.RawValue, error) {
		v := vals[0]
		if nullish(v) {
			return nullValue, nil
		}
		t, i, ok := v.TimestampOK()
		if !ok {
			return bson.RawValue{}, mongoerr.Newf(code, " Argument to %s must be a timestamp, but is %s", name, typeName(v))
		}
		return int64Value(int64(part(t, i))), nil
	}
}
