package expr

import (
	"math"
	"strings"
	"sync"
	"time"

	// The date operators resolve Olson names on machines without a
	// zoneinfo directory too.
	_ "time/tzdata"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// timeZone is mongod's TimeZone: UTC, a fixed offset from UTC ("+05:30"),
// or an Olson zone ("Europe/London"). Like mongod, "UTC" and a zero
// offset are the UTC zone, while "GMT" or "Etc/UTC" are Olson zones that
// happen to have no offset (it matters for $dateToString's default
// format).
type timeZone struct {
	loc    *time.Location // the Olson zone; nil for UTC and fixed offsets
	offset int64          // seconds east of UTC, for a fixed offset
}

var utcZone = &timeZone{}

func (tz *timeZone) isUTC() bool { return tz.loc == nil && tz.offset == 0 }

// olsonCache holds the Olson zones loaded so far, by name. Only zones
// that exist are kept, so the cache is bounded by the tz database.
var olsonCache sync.Map

// lookupTimeZone is mongod's TimeZoneDatabase::getTimeZone: an Olson
// identifier from the tz database, or a UTC offset ±HH, ±HHMM or ±HH:MM.
func lookupTimeZone(name string) (*timeZone, error) {
	if name == "UTC" {
		return utcZone, nil
	}
	if c, ok := olsonCache.Load(name); ok {
		return c.(*timeZone), nil
	}
	if tz := parseUTCOffset(name); tz != nil {
		return tz, nil
	}
	if olsonCandidate(name) {
		if loc, err := time.LoadLocation(name); err == nil {
			tz := &timeZone{loc: loc}
			olsonCache.Store(name, tz)
			return tz, nil
		}
	}
	return nil, unknownTimeZone(name)
}

func unknownTimeZone(name string) error {
	return mongoerr.Newf(codeDateUnknownTZ, "unrecognized time zone identifier: \"%s\"", name)
}

// olsonCandidate rules out the names Go's LoadLocation accepts that are
// not zones of the tz database: the empty name and "Local" (Go's UTC and
// machine zone) and the files a zoneinfo directory keeps beside them.
func olsonCandidate(name string) bool {
	switch name {
	case "", "Local", "localtime", "posixrules", "Factory":
		return false
	}
	if strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/") ||
		strings.ContainsAny(name, "\x00\\") || strings.Contains(name, "..") || name[0] == '/' {
		return false
	}
	return true
}

// parseUTCOffset is mongod's parseUtcOffset: ±HH, ±HHMM or ±HH:MM, any
// digits (so "+99" is a 99-hour offset, as in mongod).
func parseUTCOffset(s string) *timeZone {
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return nil
	}
	bias := int64(1)
	if s[0] == '-' {
		bias = -1
	}
	digits := func(t string) (int64, bool) {
		var n int64
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return 0, false
			}
			n = n*10 + int64(t[i]-'0')
		}
		return n, true
	}
	var h, m int64
	var ok bool
	switch len(s) {
	case 3:
		h, ok = digits(s[1:3])
	case 5:
		var hm int64
		hm, ok = digits(s[1:5])
		h, m = hm/100, hm%100
	case 6:
		if s[3] != ':' {
			return nil
		}
		var ok2 bool
		h, ok = digits(s[1:3])
		m, ok2 = digits(s[4:6])
		ok = ok && ok2
	}
	if !ok {
		return nil
	}
	return &timeZone{offset: bias * (h*3600 + m*60)}
}

// zoneInfo is timelib_get_time_zone_offset_info for an Olson zone at
// UTC second ts: the offset east of UTC, when the period with that
// offset began (math.MinInt64 before the first transition) and whether
// it is daylight saving time.
func (tz *timeZone) zoneInfo(ts int64) (offset, start int64, dst bool) {
	if tz.loc == nil {
		return tz.offset, math.MinInt64, false
	}
	t := time.Unix(ts, 0).In(tz.loc)
	_, off := t.Zone()
	s, _ := t.ZoneBounds()
	start = math.MinInt64
	if !s.IsZero() {
		start = s.Unix()
	}
	return int64(off), start, t.IsDST()
}

// utcOffset is mongod's TimeZone::utcOffset: the offset in seconds in
// effect at the instant ms.
func (tz *timeZone) utcOffset(ms int64) int64 {
	if tz.loc == nil {
		return tz.offset
	}
	off, _, _ := tz.zoneInfo(ms / 1000)
	return off
}

// localParts is a date as the wall clock of a zone shows it (mongod's
// timelib_time after timelib_unixtime2local).
type localParts struct {
	year                             int64
	month, day, hour, minute, second int64
	millisecond                      int64
	days                             int64 // local days since 1970-01-01
	offset                           int64 // seconds east of UTC in effect
	dst                              bool
}

// local splits the instant ms into the wall-clock parts of tz. Like
// mongod it takes whole seconds rounded toward -∞, so 1969-12-31
// 23:59:59.500 has 59 seconds and 500 milliseconds.
func (tz *timeZone) local(ms int64) localParts {
	secs := floorDiv(ms, 1000)
	p := localParts{millisecond: floorMod(ms, 1000)}
	if tz.loc == nil {
		p.offset = tz.offset
	} else {
		p.offset, _, p.dst = tz.zoneInfo(secs)
	}
	wall := secs + p.offset
	p.days = floorDiv(wall, 86400)
	sod := floorMod(wall, 86400)
	p.hour, p.minute, p.second = sod/3600, sod/60%60, sod%60
	p.year, p.month, p.day = civilFromDays(p.days)
	return p
}

// wallToUTC turns a wall-clock second count of tz (seconds since
// 1970-01-01 of the local calendar) into UTC seconds: timelib's
// do_adjust_timezone, including its choices in DST gaps and overlaps.
// refDST is whether the time the wall clock came from was in DST
// (timelib_time's dst flag); it decides which side of an overlap wins.
func (tz *timeZone) wallToUTC(sse int64, refDST bool) int64 {
	if tz.loc == nil {
		return sse - tz.offset
	}
	curOff, _, curDST := tz.zoneInfo(sse)
	afterOff, afterStart, _ := tz.zoneInfo(sse - curOff)
	actualOff, actualStart := afterOff, afterStart
	if curOff == afterOff {
		if curOff >= 0 && refDST && !curDST {
			// East of UTC, the local time read as UTC leaves DST before the
			// actual local time does: look a little behind.
			eOff, eStart, _ := tz.zoneInfo(sse - curOff - 7200)
			if eOff != afterOff && sse-eOff < afterStart {
				actualOff, actualStart = eOff, eStart
			}
		} else if curOff <= 0 && curDST && !refDST {
			// West of UTC it leaves DST after: look a little ahead.
			lOff, lStart, _ := tz.zoneInfo(sse - curOff + 7200)
			if lOff != afterOff && sse-lOff >= lStart {
				actualOff, actualStart = lOff, lStart
			}
		}
	}
	inTransition := actualStart != math.MinInt64 &&
		sse-actualOff >= actualStart+(curOff-actualOff) &&
		sse-actualOff < actualStart
	if curOff != actualOff && !inTransition {
		return sse - actualOff
	}
	return sse - curOff
}

// epochDST is the DST flag timelib_set_timezone gives a fresh time
// (whose instant is the epoch): the reference for wall-clock dates built
// from parts or parsed from strings.
func (tz *timeZone) epochDST() bool {
	if tz.loc == nil {
		return false
	}
	_, _, dst := tz.zoneInfo(0)
	return dst
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// daysFromCivil counts days from 1970-01-01 to y-m-d of the proleptic
// Gregorian calendar (month 1-12, any day: it carries linearly).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// weekdaySun0 is timelib_day_of_week: 0 for Sunday through 6.
func weekdaySun0(days int64) int64 { return floorMod(days+4, 7) }

// isoWeekday is timelib_iso_day_of_week: 1 for Monday through 7.
func isoWeekday(days int64) int64 {
	if w := weekdaySun0(days); w != 0 {
		return w
	}
	return 7
}

// dayOfYear is the 1-based day of the year of local day days in year y.
func dayOfYear(y, days int64) int64 { return days - daysFromCivil(y, 1, 1) + 1 }

// isoWeeksInYear is 53 when y starts on a Thursday, or is a leap year
// starting on a Wednesday.
func isoWeeksInYear(y int64) int64 {
	jan1 := isoWeekday(daysFromCivil(y, 1, 1))
	if jan1 == 4 || (jan1 == 3 && isLeap(y)) {
		return 53
	}
	return 52
}

// isoWeek is timelib_isoweek_from_date: the ISO 8601 week-numbering
// year and week of local day days, which falls in year y.
func isoWeek(y, days int64) (year, week int64) {
	week = (dayOfYear(y, days) - isoWeekday(days) + 10) / 7
	switch {
	case week < 1:
		return y - 1, isoWeeksInYear(y - 1)
	case week > isoWeeksInYear(y):
		return y + 1, 1
	}
	return y, week
}

// sundayWeek is mongod's TimeZone::week (%U): weeks start on Sunday, and
// days before the first Sunday of the year are in week 0.
func sundayWeek(y, days int64) int64 {
	prevSunday := dayOfYear(y, days) - (weekdaySun0(days) + 1)
	return (prevSunday + 7) / 7
}

// isoDateToDays is timelib_date_from_isodate: the day of ISO year iy,
// week iw, weekday id (all carrying linearly).
func isoDateToDays(iy, iw, id int64) int64 {
	jan1 := daysFromCivil(iy, 1, 1)
	dow := weekdaySun0(jan1)
	first := -dow
	if dow > 4 {
		first = 7 - dow
	}
	return jan1 + first + (iw-1)*7 + id
}

// wallSeconds is the wall-clock second count of y-m-d h:mi:s, month
// carrying into the year and the rest carrying linearly, as timelib's
// normalisation does.
func wallSeconds(y, m, d, h, mi, s int64) int64 {
	m--
	y += floorDiv(m, 12)
	m = floorMod(m, 12) + 1
	return (daysFromCivil(y, m, 1)+d-1)*86400 + h*3600 + mi*60 + s
}
