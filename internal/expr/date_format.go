package expr

import (
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The format specifiers each direction accepts (mongod's
// kDateToStringFormatMap and kDateFromStringFormatMap); "%%" is a
// literal percent sign in both.
const (
	toStringSpecifiers   = "bBdGHjLmMSwuUVYzZ"
	fromStringSpecifiers = "bBdGHjLmMSuVYzZ"
)

// isoFormatZ and isoFormatNonZ are $dateToString's default formats: with
// the 'Z' suffix in the UTC zone, without it in any other (MongoDB 7.1+).
const (
	isoFormatZ    = "%Y-%m-%dT%H:%M:%S.%LZ"
	isoFormatNonZ = "%Y-%m-%dT%H:%M:%S.%L"
)

var (
	monthNames      = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	monthAbbrevs    = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	errUnmatchedPct = mongoerr.New(codeDateFormatPercent, "Unmatched '%' at end of format string")
)

// validateDateFormat is mongod's checkFormatString: every '%' is
// followed by '%' or one of the allowed specifiers.
func validateDateFormat(format, allowed string) error {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i == len(format) {
			return errUnmatchedPct
		}
		if c := format[i]; c != '%' && strings.IndexByte(allowed, c) < 0 {
			return mongoerr.Newf(codeDateFormatChar, "Invalid format character '%%%c' in format string", c)
		}
	}
	return nil
}

// formatDate is mongod's TimeZone::formatDate over a validated format.
func formatDate(format string, ms int64, tz *timeZone) (string, error) {
	p := tz.local(ms)
	var b strings.Builder
	// pad is insertPadded: numbers outside 0-9999 cannot be formatted.
	pad := func(n int64, width int) error {
		n = int64(int32(n)) // mongod passes the parts as int
		if n < 0 || n > 9999 {
			return mongoerr.Newf(codeDateFormatRange, "Could not convert date to string: date component was outside the supported range of 0-9999: %d", n)
		}
		s := strconv.FormatInt(n, 10)
		for i := len(s); i < width; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
		return nil
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		var err error
		switch format[i] {
		case '%':
			b.WriteByte('%')
		case 'Y':
			err = pad(p.year, 4)
		case 'm':
			err = pad(p.month, 2)
		case 'd':
			err = pad(p.day, 2)
		case 'H':
			err = pad(p.hour, 2)
		case 'M':
			err = pad(p.minute, 2)
		case 'S':
			err = pad(p.second, 2)
		case 'L':
			err = pad(p.millisecond, 3)
		case 'j':
			err = pad(dayOfYear(p.year, p.days), 3)
		case 'w':
			err = pad(weekdaySun0(p.days)+1, 1)
		case 'U':
			err = pad(sundayWeek(p.year, p.days), 2)
		case 'G':
			y, _ := isoWeek(p.year, p.days)
			err = pad(y, 4)
		case 'V':
			_, w := isoWeek(p.year, p.days)
			err = pad(w, 2)
		case 'u':
			err = pad(isoWeekday(p.days), 1)
		case 'b':
			b.WriteString(monthAbbrevs[p.month-1])
		case 'B':
			b.WriteString(monthNames[p.month-1])
		case 'z':
			off := tz.utcOffset(ms)
			if off < 0 {
				b.WriteByte('-')
				off = -off
			} else {
				b.WriteByte('+')
			}
			if err = pad(off/3600, 2); err == nil {
				err = pad(off/60%60, 2)
			}
		case 'Z':
			b.WriteString(strconv.FormatInt(tz.utcOffset(ms)/60, 10))
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
		if err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// dateToStringExpr is $dateToString.
type dateToStringExpr struct{ date, format, tz, onNull Expr }

func parseDateToString(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(codeToStringNotObject, "$dateToString only supports an object as its argument")
	}
	elems, err := objectElems(args)
	if err != nil {
		return nil, err
	}
	var x dateToStringExpr
	if err := namedArgs(elems, pc, map[string]*Expr{"format": &x.format, "date": &x.date, "timezone": &x.tz, "onNull": &x.onNull}, func(key string) error {
		return mongoerr.Newf(codeToStringUnknownArg, "Unrecognized argument to $dateToString: %s", key)
	}); err != nil {
		return nil, err
	}
	if x.date == nil {
		return nil, mongoerr.New(codeToStringMissing, "Missing 'date' parameter to $dateToString")
	}
	return x, nil
}

func (x dateToStringExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	date, err := x.date.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	// The format is checked first, unless it is null: a null date's
	// onNull takes precedence over a null format.
	var format bson.RawValue
	if x.format != nil {
		if format, err = x.format.Eval(ec, doc); err != nil {
			return bson.RawValue{}, err
		}
		if !nullish(format) {
			s, ok := format.StringValueOK()
			if !ok {
				return bson.RawValue{}, mongoerr.Newf(codeToStringFormatType, "$dateToString requires that 'format' be a string, found: %s with value %s", typeName(format), bsonx.Format(format))
			}
			if err := validateDateFormat(s, toStringSpecifiers); err != nil {
				return bson.RawValue{}, err
			}
		}
	}
	tz, err := evalTimeZone(ec, doc, x.tz)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(date) {
		if x.onNull != nil {
			return x.onNull.Eval(ec, doc)
		}
		return nullValue, nil
	}
	if tz == nil {
		return nullValue, nil
	}
	f := isoFormatNonZ
	if tz.isUTC() {
		f = isoFormatZ
	}
	if x.format != nil {
		if nullish(format) {
			return nullValue, nil
		}
		f, _ = format.StringValueOK()
	}
	ms, err := coerceToDate(date)
	if err != nil {
		return bson.RawValue{}, err
	}
	s, err := formatDate(f, ms, tz)
	if err != nil {
		return bson.RawValue{}, err
	}
	return dateText(s), nil
}

// dateText is a string value built by the date operators.
func dateText(s string) bson.RawValue {
	return bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, s)}
}

// dateFromStringExpr is $dateFromString.
type dateFromStringExpr struct{ dateString, tz, format, onNull, onError Expr }

func parseDateFromString(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(codeFromStrNotObject, "$dateFromString only supports an object as an argument, found: %s", typeName(args))
	}
	elems, err := objectElems(args)
	if err != nil {
		return nil, err
	}
	var x dateFromStringExpr
	if err := namedArgs(elems, pc, map[string]*Expr{"format": &x.format, "dateString": &x.dateString, "timezone": &x.tz, "onNull": &x.onNull, "onError": &x.onError}, func(key string) error {
		return mongoerr.Newf(codeFromStrUnknown, "Unrecognized argument to $dateFromString: %s", key)
	}); err != nil {
		return nil, err
	}
	if x.dateString == nil {
		return nil, mongoerr.New(codeFromStrMissing, "Missing 'dateString' parameter to $dateFromString")
	}
	return x, nil
}

func (x dateFromStringExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	ds, err := x.dateString.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	var format bson.RawValue
	if x.format != nil {
		if format, err = x.format.Eval(ec, doc); err != nil {
			return bson.RawValue{}, err
		}
		if !nullish(format) {
			s, ok := format.StringValueOK()
			if !ok {
				return bson.RawValue{}, mongoerr.Newf(codeFromStrFormatType, "$dateFromString requires that 'format' be a string, found: %s with value %s", typeName(format), bsonx.Format(format))
			}
			if err := validateDateFormat(s, fromStringSpecifiers); err != nil {
				return bson.RawValue{}, err
			}
		}
	}
	// The timezone is evaluated before the null check so that a bad one
	// is an error even for a null date string.
	tz, err := evalTimeZone(ec, doc, x.tz)
	if err != nil {
		return bson.RawValue{}, err
	}
	if nullish(ds) {
		if x.onNull != nil {
			return x.onNull.Eval(ec, doc)
		}
		return nullValue, nil
	}
	v, err := x.convert(ds, format, tz)
	if err != nil && x.onError != nil && mongoerr.Is(err, mongoerr.ConversionFailure) {
		return x.onError.Eval(ec, doc)
	}
	return v, err
}

// convert is the part of $dateFromString whose ConversionFailure errors
// onError catches.
func (x dateFromStringExpr) convert(ds, format bson.RawValue, tz *timeZone) (bson.RawValue, error) {
	s, ok := ds.StringValueOK()
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(mongoerr.ConversionFailure, "$dateFromString requires that 'dateString' be a string, found: %s with value %s", typeName(ds), bsonx.Format(ds))
	}
	if tz == nil {
		return nullValue, nil
	}
	var f *string
	if x.format != nil {
		if nullish(format) {
			return nullValue, nil
		}
		fs, _ := format.StringValueOK()
		f = &fs
	}
	ms, err := dateFromString(s, tz, f)
	if err != nil {
		return bson.RawValue{}, err
	}
	return dateValue(ms), nil
}
