package expr

import (
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// timeUnit is the unit of $dateAdd, $dateSubtract, $dateDiff and
// $dateTrunc.
type timeUnit int

const (
	unitMillisecond timeUnit = iota
	unitSecond
	unitMinute
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitQuarter
	unitYear
)

var unitNames = [...]string{"millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"}

var unitByName = func() map[string]timeUnit {
	m := map[string]timeUnit{}
	for i, n := range unitNames {
		m[n] = timeUnit(i)
	}
	return m
}()

// unitMillis is the length of the fixed units in milliseconds.
var unitMillis = [...]int64{1, 1000, 60 * 1000, 3600 * 1000}

// dayOfWeekByName maps startOfWeek names (any case) to mongod's
// DayOfWeek: Monday is 1, Sunday 7.
var dayOfWeekByName = map[string]int64{
	"monday": 1, "mon": 1, "tuesday": 2, "tue": 2, "wednesday": 3, "wed": 3,
	"thursday": 4, "thu": 4, "friday": 5, "fri": 5, "saturday": 6, "sat": 6, "sunday": 7, "sun": 7,
}

const defaultStartOfWeek = 7 // Sunday

func parseTimeUnitValue(v bson.RawValue, op string) (timeUnit, error) {
	s, ok := v.StringValueOK()
	if !ok {
		return 0, mongoerr.Newf(codeUnitNotString, "%s requires 'unit' to be a string, but got %s", op, typeName(v))
	}
	u, ok := unitByName[s]
	if !ok {
		return 0, mongoerr.Newf(mongoerr.FailedToParse, "%s parameter 'unit' value parsing failed :: caused by :: unknown time unit value: %s", op, s)
	}
	return u, nil
}

func parseStartOfWeekValue(v bson.RawValue, op string) (int64, error) {
	s, ok := v.StringValueOK()
	if !ok {
		return 0, mongoerr.Newf(codeStartOfWeekType, "%s requires 'startOfWeek' to be a string, but got %s", op, typeName(v))
	}
	d, ok := dayOfWeekByName[strings.ToLower(s)]
	if !ok {
		return 0, mongoerr.Newf(codeStartOfWeekValue, "%s parameter 'startOfWeek' value cannot be recognized as a day of a week: %s", op, s)
	}
	return d, nil
}

// maxAddAmount is mongod's isDateAddAmountValid bound for unit: amounts
// whose magnitude reaches it cannot give a representable date.
func maxAddAmount(u timeUnit) int64 {
	const maxDays = math.MaxUint64/(24*3600*1000) + 1
	const maxYears = maxDays/365 + 1
	switch u {
	case unitYear:
		return maxYears
	case unitQuarter:
		return maxYears * 4
	case unitMonth:
		return maxYears * 12
	case unitWeek:
		return maxDays / 7
	case unitDay:
		return maxDays
	case unitHour:
		return maxDays * 24
	case unitMinute:
		return maxDays * 24 * 60
	}
	return maxDays * 24 * 60 * 60
}

// addMonths is mongod's helper of the same name: year and month after
// adding amount months.
func addMonths(year, month, amount int64) (int64, int64) {
	m, y := month+amount, year
	if m > 12 {
		y += m / 12
		m -= 12 * (m / 12)
	}
	if m <= 0 {
		between := (-m)/12 + 1
		m += 12 * between
		y -= between
	}
	return y, m
}

// dateAdd is mongod's dateAdd: units of a day or more move the wall
// clock of tz (keeping the time of day across DST changes, and clamping
// to the end of a shorter month); smaller units move the instant.
func dateAdd(ms int64, u timeUnit, amount int64, tz *timeZone) (int64, error) {
	if u == unitMillisecond {
		return ms + amount, nil
	}
	if max := maxAddAmount(u); amount <= -max || amount >= max {
		return 0, mongoerr.Newf(codeAddAmountRange, "invalid dateAdd 'amount' parameter value: %d %s", amount, unitNames[u])
	}
	p := tz.local(ms)
	var ry, rm, rd, rh, ri, rs int64
	switch u {
	case unitYear:
		ry = amount
	case unitQuarter:
		rm = amount * 3
	case unitMonth:
		rm = amount
	case unitWeek:
		rd = amount * 7
	case unitDay:
		rd = amount
	case unitHour:
		rh = amount
	case unitMinute:
		ri = amount
	case unitSecond:
		rs = amount
	}
	if (u == unitYear || u == unitQuarter || u == unitMonth) && !(p.day <= 28 && p.offset == 0) {
		// The day may not exist in the target month: count the days to
		// the same day, or the month's last.
		y, m := addMonths(p.year, p.month, ry*12+rm)
		day := min(p.day, daysInMonth(y, m))
		ry, rm, rd = 0, 0, daysFromCivil(y, m, day)-p.days
	}
	var utc int64
	if tz.loc == nil || ry != 0 || rm != 0 || rd != 0 {
		wall := wallSeconds(p.year+ry, p.month+rm, p.day+rd, p.hour+rh, p.minute+ri, p.second+rs)
		utc = tz.wallToUTC(wall, p.dst)
	} else {
		utc = floorDiv(ms, 1000) + rh*3600 + ri*60 + rs
	}
	res, ok := mulInt64(utc, 1000)
	if !ok {
		return 0, mongoerr.New(codeAddOverflow, "dateAdd overflowed")
	}
	return res + p.millisecond, nil
}

// weekdayFrom is how many days local day days is past the start of its
// week.
func weekdayFrom(days, startOfWeek int64) int64 {
	return (isoWeekday(days) - startOfWeek + 7) % 7
}

// dateDiff is mongod's dateDiff: how many unit boundaries lie between
// start and end on the calendar of tz.
func dateDiff(start, end int64, u timeUnit, tz *timeZone, startOfWeek int64) (int64, error) {
	if u == unitMillisecond {
		d := end - start
		if (end >= 0) != (start >= 0) && (d >= 0) != (end >= 0) {
			return 0, mongoerr.New(codeDiffOverflow, "dateDiff overflowed")
		}
		return d, nil
	}
	s, e := tz.local(start), tz.local(end)
	days := e.days - s.days
	hours := e.hour - s.hour + days*24
	minutes := e.minute - s.minute + hours*60
	switch u {
	case unitYear:
		return e.year - s.year, nil
	case unitQuarter:
		return (e.month-1)/3 - (s.month-1)/3 + (e.year-s.year)*4, nil
	case unitMonth:
		return e.month - s.month + (e.year-s.year)*12, nil
	case unitWeek:
		return (days + weekdayFrom(s.days, startOfWeek) - weekdayFrom(e.days, startOfWeek)) / 7, nil
	case unitDay:
		return days, nil
	case unitHour:
		return hours + (s.offset-e.offset)/3600, nil
	case unitMinute:
		return minutes + (s.offset-e.offset)/60, nil
	}
	return e.second - s.second + minutes*60 + (s.offset - e.offset), nil
}

// truncateDate is mongod's truncateDate: the start of the binSize-unit
// bin date falls in, bins counted from 2000-01-01T00:00 in tz (moved to
// the first startOfWeek day for weeks).
func truncateDate(ms int64, u timeUnit, binSize int64, tz *timeZone, startOfWeek int64) (int64, error) {
	const reference = 946684800000 // 2000-01-01T00:00:00Z
	refMs := reference - tz.utcOffset(reference)*1000
	if u <= unitHour {
		bin, ok := mulInt64(binSize, unitMillis[u])
		if !ok {
			return 0, mongoerr.New(codeTruncOverflowBin, "dateTrunc overflowed")
		}
		shifted := ms - refMs
		if (ms >= 0) != (refMs >= 0) && (shifted >= 0) != (ms >= 0) {
			return 0, mongoerr.New(codeTruncOverflowShift, "dateTrunc overflowed")
		}
		r := shifted % bin
		if r < 0 {
			r += bin
		}
		res := ms - r
		if res > ms {
			return 0, mongoerr.New(codeTruncOverflowSub, "dateTrunc overflowed")
		}
		return res, nil
	}
	if binSize > 100_000_000_000 {
		return 0, mongoerr.New(codeTruncBinSizeLimit, "dateTrunc unsupported binSize value")
	}
	refDay := int64(1)
	if u == unitWeek {
		// 2000-01-01 is a Saturday: move to the first day of a week.
		adjust := (7 - (6-startOfWeek+7)%7) % 7
		refMs += adjust * 86400000
		refDay += adjust
	}
	p := tz.local(ms)
	var dist int64
	switch u {
	case unitDay:
		dist = p.days - daysFromCivil(2000, 1, refDay)
	case unitWeek:
		refDays := daysFromCivil(2000, 1, refDay)
		dist = (p.days - refDays + weekdayFrom(refDays, startOfWeek) - weekdayFrom(p.days, startOfWeek)) / 7
	case unitMonth:
		dist = p.month - 1 + (p.year-2000)*12
	case unitQuarter:
		dist = (p.month-1)/3 + (p.year-2000)*4
	case unitYear:
		dist = p.year - 2000
	}
	r := dist % binSize
	if r < 0 {
		r += binSize
	}
	lower := dist - r
	if lower > dist {
		return 0, mongoerr.New(codeTruncOverflowUnit, "dateTrunc overflowed")
	}
	return dateAdd(refMs, u, lower, tz)
}

// dateArithExpr is $dateAdd or $dateSubtract.
type dateArithExpr struct {
	op                          string
	negate                      bool
	startDate, unit, amount, tz Expr
}

func parseDateArith(op string, negate bool) parseFunc {
	return func(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
		if args.Type != bson.TypeEmbeddedDocument {
			return nil, mongoerr.Newf(codeAddNotObject, "%s expects an object as its argument", op)
		}
		elems, err := objectElems(args)
		if err != nil {
			return nil, err
		}
		x := dateArithExpr{op: op, negate: negate}
		if err := namedArgs(elems, pc, map[string]*Expr{"startDate": &x.startDate, "unit": &x.unit, "amount": &x.amount, "timezone": &x.tz}, func(key string) error {
			return mongoerr.Newf(codeAddUnknown, "Unrecognized argument to %s: %s", op, key)
		}); err != nil {
			return nil, err
		}
		if x.startDate == nil || x.unit == nil || x.amount == nil {
			return nil, mongoerr.Newf(codeAddMissing, "%s requires startDate, unit, and amount to be present", op)
		}
		return x, nil
	}
}

func (x dateArithExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	start, err := x.startDate.Eval(ec, doc)
	if err != nil || nullish(start) {
		return nullValue, err
	}
	unitV, err := x.unit.Eval(ec, doc)
	if err != nil || nullish(unitV) {
		return nullValue, err
	}
	u, err := parseTimeUnitValue(unitV, x.op)
	if err != nil {
		return bson.RawValue{}, err
	}
	amountV, err := x.amount.Eval(ec, doc)
	if err != nil || nullish(amountV) {
		return nullValue, err
	}
	tz, err := evalTimeZone(ec, doc, x.tz)
	if err != nil || tz == nil {
		return nullValue, err
	}
	ms, ok := coercibleDate(start)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeAddNotDate, "%s requires startDate to be convertible to a date", x.op)
	}
	amount, ok := integral64(amountV)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeAddAmount, "%s expects integer amount of time units", x.op)
	}
	if x.negate {
		if amount == math.MinInt64 {
			return bson.RawValue{}, mongoerr.Newf(codeSubtractMinLong, "invalid $dateSubtract 'amount' parameter value: %d", amount)
		}
		amount = -amount
	}
	res, err := dateAdd(ms, u, amount, tz)
	if err != nil {
		return bson.RawValue{}, err
	}
	return dateValue(res), nil
}

// dateDiffExpr is $dateDiff.
type dateDiffExpr struct{ startDate, endDate, unit, tz, startOfWeek Expr }

func parseDateDiff(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(codeDiffNotObject, "$dateDiff only supports an object as its argument")
	}
	elems, err := objectElems(args)
	if err != nil {
		return nil, err
	}
	var x dateDiffExpr
	if err := namedArgs(elems, pc, map[string]*Expr{"startDate": &x.startDate, "endDate": &x.endDate, "unit": &x.unit, "timezone": &x.tz, "startOfWeek": &x.startOfWeek}, func(key string) error {
		return mongoerr.Newf(codeDiffUnknown, "Unrecognized argument to $dateDiff: %s", key)
	}); err != nil {
		return nil, err
	}
	switch {
	case x.startDate == nil:
		return nil, mongoerr.New(codeDiffMissingStart, "Missing 'startDate' parameter to $dateDiff")
	case x.endDate == nil:
		return nil, mongoerr.New(codeDiffMissingEnd, "Missing 'endDate' parameter to $dateDiff")
	case x.unit == nil:
		return nil, mongoerr.New(codeDiffMissingUnit, "Missing 'unit' parameter to $dateDiff")
	}
	return x, nil
}

// evalUnitAndWeek evaluates the unit and, for weeks, the startOfWeek of
// $dateDiff and $dateTrunc; ok is false when either is null or missing.
func evalUnitAndWeek(ec *EvalContext, doc bson.Raw, unitE, weekE Expr, op string) (u timeUnit, sow int64, ok bool, err error) {
	unitV, err := unitE.Eval(ec, doc)
	if err != nil || nullish(unitV) {
		return 0, 0, false, err
	}
	if u, err = parseTimeUnitValue(unitV, op); err != nil {
		return 0, 0, false, err
	}
	sow = defaultStartOfWeek
	if u == unitWeek && weekE != nil {
		v, err := weekE.Eval(ec, doc)
		if err != nil || nullish(v) {
			return 0, 0, false, err
		}
		if sow, err = parseStartOfWeekValue(v, op); err != nil {
			return 0, 0, false, err
		}
	}
	return u, sow, true, nil
}

func (x dateDiffExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	start, err := x.startDate.Eval(ec, doc)
	if err != nil || nullish(start) {
		return nullValue, err
	}
	end, err := x.endDate.Eval(ec, doc)
	if err != nil || nullish(end) {
		return nullValue, err
	}
	u, sow, ok, err := evalUnitAndWeek(ec, doc, x.unit, x.startOfWeek, "$dateDiff")
	if err != nil || !ok {
		return nullValue, err
	}
	tz, err := evalTimeZone(ec, doc, x.tz)
	if err != nil {
		return bson.RawValue{}, withContext(err, "$dateDiff parameter 'timezone' value parsing failed")
	}
	if tz == nil {
		return nullValue, nil
	}
	startMs, ok := coercibleDate(start)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeDiffNotDate, "$dateDiff requires 'startDate' to be a date, but got %s", typeName(start))
	}
	endMs, ok := coercibleDate(end)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeDiffNotDate, "$dateDiff requires 'endDate' to be a date, but got %s", typeName(end))
	}
	n, err := dateDiff(startMs, endMs, u, tz, sow)
	if err != nil {
		return bson.RawValue{}, err
	}
	return int64Value(n), nil
}

// dateTruncExpr is $dateTrunc.
type dateTruncExpr struct{ date, unit, binSize, tz, startOfWeek Expr }

func parseDateTrunc(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.New(codeTruncNotObject, "$dateTrunc only supports an object as its argument")
	}
	elems, err := objectElems(args)
	if err != nil {
		return nil, err
	}
	var x dateTruncExpr
	if err := namedArgs(elems, pc, map[string]*Expr{"date": &x.date, "unit": &x.unit, "binSize": &x.binSize, "timezone": &x.tz, "startOfWeek": &x.startOfWeek}, func(key string) error {
		return mongoerr.Newf(codeTruncUnknown, "Unrecognized argument to $dateTrunc: %s", key)
	}); err != nil {
		return nil, err
	}
	switch {
	case x.date == nil:
		return nil, mongoerr.New(codeTruncMissingDate, "Missing 'date' parameter to $dateTrunc")
	case x.unit == nil:
		return nil, mongoerr.New(codeTruncMissingUnit, "Missing 'unit' parameter to $dateTrunc")
	}
	return x, nil
}

func (x dateTruncExpr) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	date, err := x.date.Eval(ec, doc)
	if err != nil || nullish(date) {
		return nullValue, err
	}
	binSize := int64(1)
	if x.binSize != nil {
		v, err := x.binSize.Eval(ec, doc)
		if err != nil || nullish(v) {
			return nullValue, err
		}
		n, ok := integral64(v)
		if !ok {
			return bson.RawValue{}, mongoerr.Newf(codeTruncBinSizeType, "$dateTrunc requires 'binSize' to be a 64-bit integer, but got value '%s' of type %s", formatForMessage(v), typeName(v))
		}
		if n <= 0 {
			return bson.RawValue{}, mongoerr.Newf(codeTruncBinSizeValue, "$dateTrunc requires 'binSize' to be greater than 0, but got value %d", n)
		}
		binSize = n
	}
	u, sow, ok, err := evalUnitAndWeek(ec, doc, x.unit, x.startOfWeek, "$dateTrunc")
	if err != nil || !ok {
		return nullValue, err
	}
	tz, err := evalTimeZone(ec, doc, x.tz)
	if err != nil {
		return bson.RawValue{}, withContext(err, "$dateTrunc parameter 'timezone' value parsing failed")
	}
	if tz == nil {
		return nullValue, nil
	}
	ms, ok := coercibleDate(date)
	if !ok {
		return bson.RawValue{}, mongoerr.Newf(codeTruncNotDate, "$dateTrunc requires 'date' to be a date, but got %s", typeName(date))
	}
	res, err := truncateDate(ms, u, binSize, tz, sow)
	if err != nil {
		return bson.RawValue{}, err
	}
	return dateValue(res), nil
}

// formatForMessage prints a value as mongod's Value::toString does in
// messages: strings without quotes, numbers plainly.
func formatForMessage(v bson.RawValue) string {
	if s, ok := v.StringValueOK(); ok {
		return s
	}
	if numeric(v) {
		return formatNumber(v)
	}
	return v.String()
}
