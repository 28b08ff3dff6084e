package expr

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// This file is mongod's TimeZoneDatabase::fromString: the date strings
// $dateFromString and $toDate read. With a format it follows timelib's
// parse_from_format; without one it recognises the formats of timelib's
// strtotime scanner that describe an absolute date: ISO 8601 and its
// variants, American and European numeric dates, textual months, 12-
// and 24-hour times, "@" timestamps, UTC offsets and timezone
// abbreviations. strtotime's relative phrases ("+1 day", "next monday",
// "first day of") are not recognised and fail to parse.

// tlUnset is timelib's TIMELIB_UNSET, the value of a field not parsed.
const tlUnset = -99999

const (
	zoneNone   = 0
	zoneOffset = 1 // a UTC offset in the string: "+02:00", "GMT-0500"
	zoneAbbr   = 2 // an abbreviation: "EST", "Z"
)

// tlTime is the part of timelib_time a parse fills in.
type tlTime struct {
	y, m, d, h, i, s, us         int64
	haveDate, haveTime, haveZone int
	zoneType                     int
	z                            int64 // the UTC offset in seconds, east positive
	abbr                         string
	relD, relS                   int64
	weekday                      int64
	haveWeekday                  bool
}

// tlMsg is one error or warning of a parse, as mongod prints it.
type tlMsg struct {
	pos        int
	char       byte
	msg        string
	tzNotFound bool
}

type tlParser struct {
	str              string
	t                tlTime
	errors, warnings []tlMsg
	tok              int // where the current token starts
}

func newTLParser(s string) *tlParser {
	return &tlParser{str: s, t: tlTime{y: tlUnset, m: tlUnset, d: tlUnset, h: tlUnset, i: tlUnset, s: tlUnset, us: tlUnset}}
}

func (p *tlParser) charAt(i int) byte {
	if i >= 0 && i < len(p.str) {
		return p.str[i]
	}
	return 0
}

func (p *tlParser) addError(pos int, msg string) {
	p.errors = append(p.errors, tlMsg{pos: pos, char: p.charAt(pos), msg: msg})
}

func (p *tlParser) addWarning(pos int, msg string) {
	p.warnings = append(p.warnings, tlMsg{pos: pos, char: p.charAt(pos), msg: msg})
}

func (p *tlParser) tzNotFound(pos int) {
	p.errors = append(p.errors, tlMsg{pos: pos, char: p.charAt(pos), msg: "The timezone could not be found in the database", tzNotFound: true})
}

// dateFromString parses s as a date in tz (UTC when tz is the UTC zone),
// with format when it is not nil.
func dateFromString(s string, tz *timeZone, format *string) (int64, error) {
	var p *tlParser
	if format == nil {
		p = strtotime(s)
	} else {
		p = parseFromFormat(*format, s)
	}
	if len(p.errors)+len(p.warnings) > 0 {
		var b strings.Builder
		b.WriteString("Error parsing date string '" + s + "'")
		for _, e := range p.errors {
			msg := e.msg
			if e.tzNotFound {
				// mongod never looks time zone names up in the string.
				msg = "passing a time zone identifier as part of the string is not allowed"
			}
			b.WriteString("; " + strconv.Itoa(e.pos) + ": " + msg + " '")
			b.WriteByte(e.char)
			b.WriteByte('\'')
		}
		for _, w := range p.warnings {
			b.WriteString("; " + strconv.Itoa(w.pos) + ": " + w.msg + " '")
			b.WriteByte(w.char)
			b.WriteByte('\'')
		}
		return 0, mongoerr.New(mongoerr.ConversionFailure, b.String())
	}
	t := &p.t
	if t.h == tlUnset && t.i == tlUnset && t.s == tlUnset {
		t.h, t.i, t.s, t.us = 0, 0, 0, 0
	}
	if t.y == tlUnset || t.m == tlUnset || t.d == tlUnset || t.h == tlUnset || t.i == tlUnset || t.s == tlUnset {
		return 0, mongoerr.Newf(mongoerr.ConversionFailure, "an incomplete date/time string has been found, with elements missing: \"%s\"", s)
	}
	if !tz.isUTC() {
		switch t.zoneType {
		case zoneOffset:
			return 0, mongoerr.New(mongoerr.ConversionFailure, "you cannot pass in a date/time string with GMT offset together with a timezone argument")
		case zoneAbbr:
			return 0, mongoerr.Newf(mongoerr.ConversionFailure, "you cannot pass in a date/time string with time zone information ('%s') together with a timezone argument", t.abbr)
		}
	}

	// timelib_update_ts: normalise, apply the relative parts, then
	// convert the wall clock to UTC.
	timeSecs := t.h*3600 + t.i*60 + t.s
	frac := int64(-99) // an unset fraction adds its sentinel, truncated to ms
	if t.us != tlUnset {
		timeSecs += floorDiv(t.us, 1000000)
		frac = floorMod(t.us, 1000000) / 1000
	}
	mo := t.m - 1
	days := daysFromCivil(t.y+floorDiv(mo, 12), floorMod(mo, 12)+1, 1) + t.d - 1 + floorDiv(timeSecs, 86400)
	if t.haveWeekday {
		diff := t.weekday - weekdaySun0(days)
		if (t.relD < 0 && diff < 0) || (t.relD >= 0 && diff <= -1) {
			diff += 7
		}
		days += diff
	}
	sse := (days+t.relD)*86400 + floorMod(timeSecs, 86400) + t.relS
	var utc int64
	switch {
	case !tz.isUTC():
		utc = tz.wallToUTC(sse, tz.epochDST())
	case t.zoneType == zoneOffset || t.zoneType == zoneAbbr:
		utc = sse - t.z
	default:
		utc = sse
	}
	return utc*1000 + frac, nil
}

// tlCursor reads inside one token as timelib's helpers do.
type tlCursor struct {
	s string
	i int
}

func (c *tlCursor) peek() byte {
	if c.i < len(c.s) {
		return c.s[c.i]
	}
	return 0
}

// nr is timelib_get_nr_ex: skip to the next digit, read at most max
// digits.
func (c *tlCursor) nr(max int) (n int64, length int) {
	for c.i < len(c.s) && (c.s[c.i] < '0' || c.s[c.i] > '9') {
		c.i++
	}
	if c.i == len(c.s) {
		return tlUnset, 0
	}
	begin := c.i
	for c.i < len(c.s) && c.s[c.i] >= '0' && c.s[c.i] <= '9' && c.i-begin < max {
		n = n*10 + int64(c.s[c.i]-'0')
		c.i++
	}
	return n, c.i - begin
}

func (c *tlCursor) num(max int) int64 {
	n, _ := c.nr(max)
	return n
}

// signedNr is timelib_get_signed_nr: an optional sign, then digits.
func (c *tlCursor) signedNr(max int) int64 {
	neg := false
	for c.i < len(c.s) && (c.s[c.i] < '0' || c.s[c.i] > '9') {
		if c.s[c.i] == '-' {
			neg = !neg
		}
		c.i++
	}
	n := c.num(max)
	if neg && n != tlUnset {
		return -n
	}
	return n
}

// frac is timelib_get_frac_nr over ".digits": microseconds.
func (c *tlCursor) frac() int64 {
	for c.i < len(c.s) && c.s[c.i] != '.' && c.s[c.i] != ':' && (c.s[c.i] < '0' || c.s[c.i] > '9') {
		c.i++
	}
	begin := c.i
	for c.i < len(c.s) && (c.s[c.i] == '.' || c.s[c.i] == ':' || (c.s[c.i] >= '0' && c.s[c.i] <= '9')) {
		c.i++
	}
	if c.i == begin {
		return tlUnset
	}
	digits := c.s[begin+1 : c.i]
	j := 0
	for j < len(digits) && digits[j] >= '0' && digits[j] <= '9' {
		j++
	}
	f, _ := strconv.ParseFloat("0"+digits[:j], 64)
	return int64(f * math.Pow(10, float64(7-(c.i-begin))))
}

// month is timelib_get_month: skip separators, then a month name.
func (c *tlCursor) month() int64 {
	for c.i < len(c.s) && strings.IndexByte(" \t-./", c.s[c.i]) >= 0 {
		c.i++
	}
	return c.lookupMonth()
}

// lookupMonth is timelib_lookup_month: a whole word of letters that
// names a month (in English, abbreviated, or as a Roman numeral).
func (c *tlCursor) lookupMonth() int64 {
	begin := c.i
	for c.i < len(c.s) && isASCIILetter(c.s[c.i]) {
		c.i++
	}
	return monthByName[strings.ToLower(c.s[begin:c.i])]
}

func (c *tlCursor) skipDaySuffix() {
	if c.i+2 <= len(c.s) {
		switch strings.ToLower(c.s[c.i : c.i+2]) {
		case "st", "nd", "rd", "th":
			c.i += 2
		}
	}
}

// meridian is timelib_meridian: the hour correction for am/pm.
func (c *tlCursor) meridian(h int64) int64 {
	for c.i < len(c.s) && strings.IndexByte("AaPp", c.s[c.i]) < 0 {
		c.i++
	}
	if c.i < len(c.s) && (c.s[c.i] == 'a' || c.s[c.i] == 'A') {
		if h == 12 {
			return -12
		}
		return 0
	}
	if h != 12 {
		return 12
	}
	return 0
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

var monthByName = func() map[string]int64 {
	m := map[string]int64{"sept": 9}
	roman := []string{"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"}
	for i := range monthNames {
		m[strings.ToLower(monthNames[i])] = int64(i + 1)
		m[strings.ToLower(monthAbbrevs[i])] = int64(i + 1)
		m[roman[i]] = int64(i + 1)
	}
	return m
}()

var weekdayByName = map[string]int64{
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
}

// processYear is TIMELIB_PROCESS_YEAR: two-digit years are 1970-2069.
func processYear(y int64, length int) int64 {
	if y == tlUnset || length >= 4 || y >= 100 {
		return y
	}
	if y < 70 {
		return y + 2000
	}
	return y + 1900
}

func (p *tlParser) haveDate() bool {
	if p.t.haveDate > 0 {
		p.addError(p.tok, "Double date specification")
		return false
	}
	p.t.haveDate = 1
	return true
}

func (p *tlParser) haveTime() bool {
	if p.t.haveTime > 0 {
		p.addError(p.tok, "Double time specification")
		return false
	}
	p.t.haveTime = 1
	p.t.h, p.t.i, p.t.s, p.t.us = 0, 0, 0, 0
	return true
}

func (p *tlParser) unhaveTime() {
	p.t.haveTime = 0
	p.t.h, p.t.i, p.t.s, p.t.us = 0, 0, 0, 0
}

// haveZone is TIMELIB_HAVE_TZ: a second zone is a warning, a third an
// error.
func (p *tlParser) haveZone() bool {
	if p.t.haveZone > 0 {
		if p.t.haveZone > 1 {
			p.addError(p.tok, "Double timezone specification")
		} else {
			p.addWarning(p.tok, "Double timezone specification")
		}
		p.t.haveZone++
		return false
	}
	p.t.haveZone++
	return true
}

// parseZone is timelib_parse_zone at c: a UTC offset (optionally after
// "GMT") or an abbreviation. notFound reports an unknown name.
func (p *tlParser) parseZone(c *tlCursor) (notFound bool) {
	for c.i < len(c.s) && (c.s[c.i] == ' ' || c.s[c.i] == '\t' || c.s[c.i] == '(') {
		c.i++
	}
	if strings.HasPrefix(c.s[c.i:], "GMT") && c.i+3 < len(c.s) && (c.s[c.i+3] == '+' || c.s[c.i+3] == '-') {
		c.i += 3
	}
	switch c.peek() {
	case '+', '-':
		sign := int64(1)
		if c.peek() == '-' {
			sign = -1
		}
		c.i++
		p.t.zoneType = zoneOffset
		off, ok := parseTZCorrection(c)
		p.t.z = sign * off
		notFound = !ok
	default:
		begin := c.i
		for c.i < len(c.s) && (isASCIILetter(c.s[c.i]) || (c.s[c.i] >= '0' && c.s[c.i] <= '9') || strings.IndexByte("/_-+", c.s[c.i]) >= 0) {
			c.i++
		}
		word := c.s[begin:c.i]
		if off, ok := lookupZoneAbbr(word); ok && len(word) < 6 {
			p.t.zoneType = zoneAbbr
			p.t.z = off
			p.t.abbr = strings.ToUpper(word)
		} else {
			notFound = true
		}
	}
	for c.i < len(c.s) && c.s[c.i] == ')' {
		c.i++
	}
	return notFound
}

// parseTZCorrection is timelib_parse_tz_cor: H, HH, H:MM, HH:MM, HHMM,
// HHMMSS or HH:MM:SS after the sign, as seconds.
func parseTZCorrection(c *tlCursor) (int64, bool) {
	begin := c.i
	for c.i < len(c.s) && ((c.s[c.i] >= '0' && c.s[c.i] <= '9') || c.s[c.i] == ':') {
		c.i++
	}
	t := c.s[begin:c.i]
	atoi := func(s string) int64 {
		var n int64
		for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n = n*10 + int64(s[i]-'0')
		}
		return n
	}
	switch len(t) {
	case 1, 2:
		return atoi(t) * 3600, true
	case 3, 4:
		switch {
		case t[1] == ':':
			return atoi(t)*3600 + atoi(t[2:])*60, true
		case t[2] == ':':
			return atoi(t)*3600 + atoi(t[3:])*60, true
		}
		n := atoi(t)
		return n/100*3600 + n%100*60, true
	case 5:
		if t[2] != ':' {
			return 0, false
		}
		return atoi(t)*3600 + atoi(t[3:])*60, true
	case 6:
		n := atoi(t)
		return n/10000*3600 + n/100%100*60 + n%100, true
	case 8:
		if t[2] == ':' && t[5] == ':' {
			return atoi(t)*3600 + atoi(t[3:])*60 + atoi(t[6:]), true
		}
	}
	return 0, false
}

// lookupZoneAbbr finds a timezone abbreviation (case-insensitively) and
// returns its UTC offset in seconds: UTC and GMT, the military letters
// and the common abbreviations of timelib's table.
func lookupZoneAbbr(word string) (int64, bool) {
	off, ok := zoneAbbrs[strings.ToLower(word)]
	return off, ok
}

var zoneAbbrs = func() map[string]int64 {
	m := map[string]int64{
		"utc": 0, "gmt": 0,
		"est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
		"mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
		"akst": -9 * 3600, "akdt": -8 * 3600, "hst": -10 * 3600,
		"wet": 0, "west": 3600, "bst": 3600, "cet": 3600, "cest": 2 * 3600,
		"eet": 2 * 3600, "eest": 3 * 3600, "msk": 3 * 3600,
		"sast": 2 * 3600, "wat": 3600, "cat": 2 * 3600, "eat": 3 * 3600,
		"pkt": 5 * 3600, "hkt": 8 * 3600, "awst": 8 * 3600, "jst": 9 * 3600, "kst": 9 * 3600,
		"acst": 9*3600 + 1800, "acdt": 10*3600 + 1800, "aest": 10 * 3600, "aedt": 11 * 3600,
		"nzst": 12 * 3600, "nzdt": 13 * 3600,
	}
	// The military zones: A-I and K-M are +1 to +12 hours, N-Y -1 to
	// -12, Z is UTC.
	for i, c := range "abcdefghiklm" {
		m[string(c)] = int64(i+1) * 3600
	}
	for i, c := range "nopqrstuvwxy" {
		m[string(c)] = -int64(i+1) * 3600
	}
	m["z"] = 0
	return m
}()

// The building blocks of timelib's scanner (parse_date.re).
const (
	reHour24    = `(?:[01]?[0-9]|2[0-4])`
	reHour24lz  = `(?:[01][0-9]|2[0-4])`
	reHour12    = `(?:0?[1-9]|1[0-2])`
	reMinute    = `(?:[0-5]?[0-9])`
	reMinutelz  = `(?:[0-5][0-9])`
	reSecond    = `(?:[0-5]?[0-9]|60)`
	reSecondlz  = `(?:[0-5][0-9]|60)`
	reMeridian  = `(?:[AaPp]\.?[Mm]\.?(?:[\t ]|$))`
	reSpace     = `[ \t]+`
	reFrac      = `(?:\.[0-9]+)`
	reTz        = `(?:\(?[A-Za-z]{1,6}\)?|[A-Z][a-z]+(?:[_/-][A-Za-z]+)+)`
	reTzCorr    = `(?:(?:GMT)?[+-](?:` + reHour24 + `(?::?` + reMinute + `)?|` + reHour24lz + reMinutelz + reSecondlz + `|` + reHour24lz + `:` + reMinutelz + `:` + reSecondlz + `))`
	reMonth     = `(?:0?[0-9]|1[0-2])`
	reDay       = `(?:(?:[0-2]?[0-9]|3[01])(?:st|nd|rd|th)?)`
	reYear      = `[0-9]{1,4}`
	reYear2     = `[0-9]{2}`
	reYear4     = `[0-9]{4}`
	reYear4S    = `[+-]?[0-9]{4}`
	reDayOfYear = `(?:00[1-9]|0[1-9][0-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-6])`
	reWeekOfYr  = `(?:0[1-9]|[1-4][0-9]|5[0-3])`
	reMonthlz   = `(?:0[0-9]|1[0-2])`
	reDaylz     = `(?:0[0-9]|[12][0-9]|3[01])`
	reDayText   = `(?i:sunday|monday|tuesday|wednesday|thursday|friday|saturday|sun|mon|tue|wed|thu|fri|sat)`
	reMonthFull = `(?i:january|february|march|april|may|june|july|august|september|october|november|december)`
	reMonthAbbr = `(?i:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)`
	reMonthText = `(?:` + reMonthFull + `|` + reMonthAbbr + `|I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)`
	reT         = `[Tt]`

	reTimeShort12  = reHour12 + `[:.]` + reMinute + `(?:` + reSpace + `)?` + reMeridian
	reTimeLong12   = reHour12 + `[:.]` + reMinute + `[:.]` + reSecond + `(?:` + reSpace + `)?` + reMeridian
	reTimeShort24  = reT + `?` + reHour24 + `[:.]` + reMinute
	reTimeLong24   = reT + `?` + reHour24 + `[:.]` + reMinute + `[:.]` + reSecond
	reISO8601NormZ = reT + `?` + reHour24 + `[:.]` + reMinute + `[:.]` + reSecondlz + `(?:` + reSpace + `)?(?:` + reTzCorr + `|` + reTz + `)`
	reDateNoYear   = reMonthText + `[ .\t-]*` + reDay + `[,.stndrh\t ]*`
)

// tlRule is one rule of the scanner: a token pattern, the bytes a token
// can start with (so that a position is tried only against the rules
// that can match there) and its action.
type tlRule struct {
	re    *regexp.Regexp
	first [256]bool
	act   func(p *tlParser, c *tlCursor)
}

// rule compiles a scanner rule. first lists the bytes its tokens start
// with: 'd' stands for the digits, 'l' for the ASCII letters, anything
// else for itself.
func rule(first, pattern string, act func(p *tlParser, c *tlCursor)) tlRule {
	re := regexp.MustCompile(`^(?:` + pattern + `)`)
	re.Longest()
	r := tlRule{re: re, act: act}
	for i := 0; i < len(first); i++ {
		switch c := first[i]; c {
		case 'd':
			for b := '0'; b <= '9'; b++ {
				r.first[b] = true
			}
		case 'l':
			for b := 'a'; b <= 'z'; b++ {
				r.first[b], r.first[b-'a'+'A'] = true, true
			}
		default:
			r.first[c] = true
		}
	}
	return r
}

// maxParseErrors bounds the errors a parse records: past it the string
// is rejected without reading further (mongod would list them all, in a
// message too large to send).
const maxParseErrors = 1000

// tlRules are the scanner's rules in timelib's order: the longest match
// wins, and the earlier rule among equally long ones.
var tlRules []tlRule

func init() {
	// timeAct reads h[:i[:s[.frac]]] for the 24-hour time rules.
	timeAct := func(p *tlParser, c *tlCursor) {
		if !p.haveTime() {
			return
		}
		p.t.h = c.num(2)
		if b := c.peek(); b == ':' || b == '.' {
			p.t.i = c.num(2)
			if b := c.peek(); b == ':' || b == '.' {
				p.t.s = c.num(2)
				if c.peek() == '.' {
					p.t.us = c.frac()
				}
			}
		}
		if c.i < len(c.s) && p.parseZone(c) {
			p.tzNotFound(p.tok)
		}
	}
	time12Act := func(p *tlParser, c *tlCursor) {
		if !p.haveTime() {
			return
		}
		p.t.h = c.num(2)
		if b := c.peek(); b == ':' || b == '.' {
			p.t.i = c.num(2)
			if b := c.peek(); b == ':' || b == '.' {
				p.t.s = c.num(2)
			}
		}
		p.t.h += c.meridian(p.t.h)
	}
	textualAct := func(p *tlParser, c *tlCursor) { // month day [year]
		if !p.haveDate() {
			return
		}
		p.t.m = c.month()
		p.t.d = c.num(2)
		y, n := c.nr(4)
		p.t.y = processYear(y, n)
	}
	fullAct := func(p *tlParser, c *tlCursor) { // date and time in one token
		if !p.haveTime() || !p.haveDate() {
			return
		}
		p.t.y = c.num(4)
		p.t.m = c.num(2)
		p.t.d = c.num(2)
		p.t.h = c.num(2)
		p.t.i = c.num(2)
		p.t.s = c.num(2)
		if c.peek() == '.' {
			p.t.us = c.frac()
			if c.i < len(c.s) && p.parseZone(c) {
				p.tzNotFound(p.tok)
			}
		}
	}
	shortWithTimeAct := func(p *tlParser, c *tlCursor) {
		if !p.haveDate() {
			return
		}
		p.t.m = c.month()
		p.t.d = c.num(2)
		if !p.haveTime() {
			return
		}
		p.t.h = c.num(2)
		p.t.i = c.num(2)
		if c.peek() == ':' || c.peek() == '.' {
			p.t.s = c.num(2)
			if c.peek() == '.' {
				p.t.us = c.frac()
			}
		}
		if c.i < len(c.s) && p.parseZone(c) {
			p.tzNotFound(p.tok)
		}
	}
	isoWeekAct := func(withDay bool) func(p *tlParser, c *tlCursor) {
		return func(p *tlParser, c *tlCursor) {
			if !p.haveDate() {
				return
			}
			p.t.y = c.num(4)
			w := c.num(2)
			d := int64(1)
			if withDay {
				d = c.num(1)
			}
			p.t.m, p.t.d = 1, 1
			p.t.relD += isoDateToDays(p.t.y, w, d) - daysFromCivil(p.t.y, 1, 1)
		}
	}
	timestampAct := func(p *tlParser, c *tlCursor) {
		p.t.haveDate = 0
		p.unhaveTime()
		if !p.haveZone() {
			return
		}
		p.t.y, p.t.m, p.t.d = 1970, 1, 1
		p.t.relS += c.signedNr(24)
		if c.peek() == '.' {
			c.i++
			begin := c.i
			n, l := c.nr(6)
			if l > 0 && c.i-begin == l {
				for ; l < 6; l++ {
					n *= 10
				}
				if strings.HasPrefix(c.s, "@-") {
					n = -n
				}
				p.t.us = n
			}
		}
		p.t.zoneType = zoneOffset
		p.t.z = 0
	}

	tlRules = []tlRule{
		rule("l", `(?i:yesterday)`, func(p *tlParser, c *tlCursor) { p.unhaveTime(); p.t.relD-- }),
		rule("l", `(?i:now)`, func(p *tlParser, c *tlCursor) {}),
		rule("l", `(?i:noon)`, func(p *tlParser, c *tlCursor) {
			p.unhaveTime()
			if p.haveTime() {
				p.t.h = 12
			}
		}),
		rule("l", `(?i:midnight|today)`, func(p *tlParser, c *tlCursor) { p.unhaveTime() }),
		rule("l", `(?i:tomorrow)`, func(p *tlParser, c *tlCursor) { p.unhaveTime(); p.t.relD++ }),
		rule("@", `@-?[0-9]+(?:\.[0-9]{0,6})?`, timestampAct),
		rule("d", reHour12+`(?:`+reSpace+`)?`+reMeridian+`|`+reTimeShort12+`|`+reTimeLong12, time12Act),
		rule("d", reHour12+`:`+reMinutelz+`:`+reSecondlz+`[:.][0-9]+`+reMeridian, func(p *tlParser, c *tlCursor) {
			if !p.haveTime() {
				return
			}
			p.t.h = c.num(2)
			p.t.i = c.num(2)
			p.t.s = c.num(2)
			if b := c.peek(); b == ':' || b == '.' {
				p.t.us = c.frac()
			}
			p.t.h += c.meridian(p.t.h)
		}),
		rule("tTd", reT+reHour24+`|`+reTimeShort24+`|`+reTimeLong24+`|`+reTimeLong24+reFrac, timeAct),
		rule("tTd", reT+`?`+reHour24lz+reMinutelz, func(p *tlParser, c *tlCursor) { // gnunocolon
			switch p.t.haveTime {
			case 0:
				p.t.h = c.num(2)
				p.t.i = c.num(2)
				p.t.s = 0
			case 1:
				p.t.y = c.num(4)
			default:
				p.addError(p.tok, "Double time specification")
				return
			}
			p.t.haveTime++
		}),
		rule("tTd", reT+`?`+reHour24lz+reMinutelz+reSecondlz, func(p *tlParser, c *tlCursor) { // iso8601nocolon
			if !p.haveTime() {
				return
			}
			p.t.h = c.num(2)
			p.t.i = c.num(2)
			p.t.s = c.num(2)
		}),
		rule("d", reMonth+`/`+reDay+`(?:/`+reYear+`)?`, func(p *tlParser, c *tlCursor) { // american(short)
			if !p.haveDate() {
				return
			}
			p.t.m = c.num(2)
			p.t.d = c.num(2)
			if c.peek() == '/' {
				y, n := c.nr(4)
				p.t.y = processYear(y, n)
			}
		}),
		rule("d+-", reYear4S+`-`+reMonthlz+`-`+reDaylz+`|`+reYear4+`/`+reMonthlz+`/`+reDaylz+`/?|`+reYear4+`/`+reMonth+`/`+reDay, func(p *tlParser, c *tlCursor) {
			if !p.haveDate() {
				return
			}
			p.t.y = c.signedNr(4)
			p.t.m = c.num(2)
			p.t.d = c.num(2)
		}),
		rule("d", reYear2+`-`+reMonthlz+`-`+reDaylz, func(p *tlParser, c *tlCursor) { // iso8601date2
			if !p.haveDate() {
				return
			}
			y, n := c.nr(4)
			p.t.m = c.num(2)
			p.t.d = c.num(2)
			p.t.y = processYear(y, n)
		}),
		rule("d", reYear4+`-`+reMonth, func(p *tlParser, c *tlCursor) { // gnudateshorter
			if !p.haveDate() {
				return
			}
			y, n := c.nr(4)
			p.t.m = c.num(2)
			p.t.d = 1
			p.t.y = processYear(y, n)
		}),
		rule("d", reYear+`-`+reMonth+`-`+reDay, func(p *tlParser, c *tlCursor) { // gnudateshort
			if !p.haveDate() {
				return
			}
			y, n := c.nr(4)
			p.t.m = c.num(2)
			p.t.d = c.num(2)
			p.t.y = processYear(y, n)
		}),
		rule("d", reDay+`[ \t.-]*`+reMonthText+`[ \t.-]*`+reYear, func(p *tlParser, c *tlCursor) { // datefull
			if !p.haveDate() {
				return
			}
			p.t.d = c.num(2)
			c.skipDaySuffix()
			p.t.m = c.month()
			y, n := c.nr(4)
			p.t.y = processYear(y, n)
		}),
		rule("d", reDay+`[.\t-]`+reMonth+`[.-]`+reYear4, func(p *tlParser, c *tlCursor) { // pointeddate4
			if !p.haveDate() {
				return
			}
			p.t.d = c.num(2)
			p.t.m = c.num(2)
			p.t.y = c.num(4)
		}),
		rule("d", reDay+`[.\t]`+reMonth+`\.`+reYear2, func(p *tlParser, c *tlCursor) { // pointeddate2
			if !p.haveDate() {
				return
			}
			p.t.d = c.num(2)
			p.t.m = c.num(2)
			y, n := c.nr(2)
			p.t.y = processYear(y, n)
		}),
		rule("l", reMonthText+`[ .\t-]*`+reYear4, func(p *tlParser, c *tlCursor) { // datenoday
			if !p.haveDate() {
				return
			}
			p.t.m = c.month()
			y, n := c.nr(4)
			p.t.d = 1
			p.t.y = processYear(y, n)
		}),
		rule("d", reYear4+`[ .\t-]*`+reMonthText, func(p *tlParser, c *tlCursor) { // datenodayrev
			if !p.haveDate() {
				return
			}
			y, n := c.nr(4)
			p.t.m = c.month()
			p.t.d = 1
			p.t.y = processYear(y, n)
		}),
		rule("l", reMonthText+`[ .\t-]*`+reDay+`[,.stndrh\t ]*`+reYear+`|`+reDateNoYear, textualAct),
		rule("d", reDay+`[ .\t-]*`+reMonthText, func(p *tlParser, c *tlCursor) { // datenoyearrev
			if !p.haveDate() {
				return
			}
			p.t.d = c.num(2)
			c.skipDaySuffix()
			p.t.m = c.month()
		}),
		rule("d", reYear4+reMonthlz+reDaylz, func(p *tlParser, c *tlCursor) { // datenocolon
			if !p.haveDate() {
				return
			}
			p.t.y = c.num(4)
			p.t.m = c.num(2)
			p.t.d = c.num(2)
		}),
		rule("d", reYear4+reMonthlz+reDaylz+`T`+reHour24+reMinutelz+reSecondlz+`|`+
			reYear4+reMonthlz+reDaylz+reT+reHour24+reMinutelz+reSecondlz+`|`+
			reYear4+`-`+reMonthlz+`-`+reDaylz+`T`+reHour24lz+`:`+reMinutelz+`:`+reSecondlz+reFrac+reTzCorr+`?|`+
			reYear4+`-`+reMonth+`-`+reDay+`T`+reHour24+`:`+reMinute+`:`+reSecond+`|`+
			reYear4+`:`+reMonthlz+`:`+reDaylz+` `+reHour24lz+`:`+reMinutelz+`:`+reSecondlz, fullAct),
		rule("d", reYear4+`\.?`+reDayOfYear, func(p *tlParser, c *tlCursor) { // pgydotd
			if !p.haveDate() {
				return
			}
			p.t.y = c.num(4)
			p.t.d = c.num(3)
			p.t.m = 1
		}),
		rule("d", reYear4+`-?W`+reWeekOfYr+`-?[0-7]`, isoWeekAct(true)),
		rule("d", reYear4+`-?W`+reWeekOfYr, isoWeekAct(false)),
		rule("l", reMonthAbbr+`-`+reDaylz+`-`+reYear, textualAct), // pgtextshort
		rule("d", reYear+`-`+reMonthAbbr+`-`+reDaylz, func(p *tlParser, c *tlCursor) { // pgtextreverse
			if !p.haveDate() {
				return
			}
			y, n := c.nr(4)
			p.t.m = c.month()
			p.t.d = c.num(2)
			p.t.y = processYear(y, n)
		}),
		rule("d", reDay+`/`+reMonthAbbr+`/`+reYear4+`:`+reHour24lz+`:`+reMinutelz+`:`+reSecondlz+reSpace+reTzCorr, func(p *tlParser, c *tlCursor) { // clf
			if !p.haveTime() || !p.haveDate() {
				return
			}
			p.t.d = c.num(2)
			p.t.m = c.month()
			p.t.y = c.num(4)
			p.t.h = c.num(2)
			p.t.i = c.num(2)
			p.t.s = c.num(2)
			if p.parseZone(c) {
				p.tzNotFound(p.tok)
			}
		}),
		rule("d", reYear4, func(p *tlParser, c *tlCursor) { p.t.y = c.num(4) }),
		rule("l", reDayText, func(p *tlParser, c *tlCursor) { // a weekday: the next such day
			p.unhaveTime()
			p.t.haveWeekday = true
			p.t.weekday = weekdayByName[strings.ToLower(c.s)]
		}),
		rule("l", reMonthFull+`|`+reMonthAbbr, func(p *tlParser, c *tlCursor) {
			if p.haveDate() {
				p.t.m = c.lookupMonth()
			}
		}),
		rule("l(+-", reTzCorr+`|`+reTz, func(p *tlParser, c *tlCursor) {
			if p.haveZone() && p.parseZone(c) {
				p.tzNotFound(p.tok)
			}
		}),
		rule("l", reDateNoYear+reTimeShort12+`|`+reDateNoYear+reTimeLong12, func(p *tlParser, c *tlCursor) {
			if !p.haveDate() {
				return
			}
			p.t.m = c.month()
			p.t.d = c.num(2)
			time12Act(p, c)
		}),
		rule("l", reDateNoYear+reTimeShort24+`|`+reDateNoYear+reTimeLong24+`|`+reDateNoYear+reISO8601NormZ, shortWithTimeAct),
	}
}

// strtotime is timelib_strtotime over the formats above.
func strtotime(str string) *tlParser {
	s := strings.TrimFunc(str, func(r rune) bool { return r == ' ' || (r >= '\t' && r <= '\r') })
	p := newTLParser(s)
	if s == "" {
		p.addError(0, "Empty string")
		return p
	}
	for pos := 0; pos < len(s); {
		switch s[pos] {
		case ' ', '.', ',', '\t', '\n', 0:
			pos++
			continue
		}
		if len(p.errors) >= maxParseErrors {
			break
		}
		best, bestLen := -1, 0
		for i := range tlRules {
			r := &tlRules[i]
			if !r.first[s[pos]] {
				continue
			}
			if loc := r.re.FindStringIndex(s[pos:]); loc != nil && loc[1] > bestLen {
				best, bestLen = i, loc[1]
			}
		}
		p.tok = pos
		if best < 0 {
			p.addError(pos, "Unexpected character")
			pos++
			continue
		}
		tlRules[best].act(p, &tlCursor{s: s[pos : pos+bestLen]})
		pos += bestLen
	}
	p.tok = len(s)
	t := &p.t
	if t.haveTime > 0 && !validTime(t.h, t.i, t.s) {
		p.addWarning(len(s), "The parsed time was invalid")
	}
	if t.haveDate > 0 && !validDate(t.y, t.m, t.d) {
		p.addWarning(len(s), "The parsed date was invalid")
	}
	return p
}

func validTime(h, i, s int64) bool {
	return h >= 0 && h <= 23 && i >= 0 && i <= 59 && s >= 0 && s <= 59
}

func validDate(y, m, d int64) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)
}

// parseFromFormat is timelib_parse_from_format_with_map with mongod's
// specifier map and '%' as the required prefix.
func parseFromFormat(format, str string) *tlParser {
	// Both strings are C strings to timelib: they end at a NUL.
	if i := strings.IndexByte(format, 0); i >= 0 {
		format = format[:i]
	}
	if i := strings.IndexByte(str, 0); i >= 0 {
		str = str[:i]
	}
	p := newTLParser(str)
	t := &p.t
	isoYear, isoWeekNr, isoDay := int64(tlUnset), int64(tlUnset), int64(tlUnset)
	c := &tlCursor{s: str}
	fp := 0
	prefix := false
	for fp < len(format) && c.i < len(str) {
		begin := c.i
		fc := format[fp]
		if (!prefix && fc != '%') || (prefix && fc == '%') {
			if fc != str[c.i] {
				p.addError(begin, "Format literal not found")
			}
			c.i++
			fp++
			prefix = false
			continue
		}
		if fc == '%' {
			fp++
			prefix = true
			continue
		}
		prefix = false
		checkNumber := func() {
			if b := c.peek(); b < '0' || b > '9' {
				p.addError(begin, "Unexpected data found.")
			}
		}
		switch fc {
		case 'd':
			checkNumber()
			if t.d = c.num(2); t.d == tlUnset {
				p.addError(begin, "A two digit day could not be found")
			}
		case 'j':
			checkNumber()
			if t.y == tlUnset {
				p.addError(begin, "A 'day of year' can only come after a year has been found")
			}
			if n := c.num(3); n == tlUnset {
				p.addError(begin, "A three digit day-of-year could not be found")
			} else if t.y != tlUnset {
				// timelib's day of year here counts from 0, like PHP's "z".
				t.y, t.m, t.d = civilFromDays(daysFromCivil(t.y, 1, 1) + n)
			}
		case 'm':
			checkNumber()
			if t.m = c.num(2); t.m == tlUnset {
				p.addError(begin, "A two digit month could not be found")
			}
		case 'b', 'B':
			if m := c.lookupMonth(); m == 0 {
				p.addError(begin, "A textual month could not be found")
			} else {
				t.m = m
			}
		case 'Y':
			checkNumber()
			if t.y = c.num(4); t.y == tlUnset {
				p.addError(begin, "A four digit year could not be found")
			}
		case 'H':
			checkNumber()
			if t.h = c.num(2); t.h == tlUnset {
				p.addError(begin, "A two digit hour could not be found")
			}
		case 'M':
			checkNumber()
			if n, l := c.nr(2); n == tlUnset || l != 2 {
				p.addError(begin, "A two digit minute could not be found")
			} else {
				t.i = n
			}
		case 'S':
			checkNumber()
			if n, l := c.nr(2); n == tlUnset || l != 2 {
				p.addError(begin, "A two digit second could not be found")
			} else {
				t.s = n
			}
		case 'L':
			checkNumber()
			tptr := c.i
			if n, _ := c.nr(3); n == tlUnset || c.i-tptr < 1 {
				p.addError(begin, "A three digit millisecond could not be found")
			} else {
				t.us = int64(float64(n) * math.Pow(10, float64(3-(c.i-tptr))) * 1000)
			}
		case 'G':
			if isoYear = c.num(4); isoYear == tlUnset {
				p.addError(begin, "A four digit ISO year could not be found")
			}
		case 'V':
			if isoWeekNr = c.num(2); isoWeekNr == tlUnset {
				p.addError(begin, "A two digit ISO week could not be found")
			} else if isoWeekNr < 1 || isoWeekNr > 53 {
				p.addError(begin, "ISO Week must be between 1 and 53")
			}
		case 'u':
			if isoDay = c.num(1); isoDay == tlUnset {
				p.addError(begin, "A single digit day of week could not be found")
			} else if isoDay < 1 || isoDay > 7 {
				p.addError(begin, "Day of week must be between 1 and 7")
			}
		case 'z':
			if p.parseZone(c) {
				p.tzNotFound(begin)
			} else {
				t.haveZone = 1
			}
		case 'Z':
			if c.peek() != '+' && c.peek() != '-' {
				p.addError(begin, "Invalid timezone offset in minutes")
				break
			}
			sign := int64(1)
			if c.peek() == '-' {
				sign = -1
			}
			c.i++
			var n int64
			for c.i < len(str) && str[c.i] >= '0' && str[c.i] <= '9' {
				n = n*10 + int64(str[c.i]-'0')
				c.i++
			}
			t.zoneType = zoneOffset
			t.z = sign * n * 60
			t.haveZone = 1
		default:
			if fc != str[c.i] {
				p.addError(begin, "The format separator does not match")
			}
			c.i++
		}
		fp++
	}
	if c.i < len(str) {
		p.addError(c.i, "Trailing data")
	}
	if fp < len(format) {
		p.addError(c.i, "Not enough data available to satisfy format")
	}
	if t.h != tlUnset || t.i != tlUnset || t.s != tlUnset || t.us != tlUnset {
		if t.h == tlUnset {
			t.h = 0
		}
		if t.i == tlUnset {
			t.i = 0
		}
		if t.s == tlUnset {
			t.s = 0
		}
		if t.us == tlUnset {
			t.us = 0
		}
	}
	if t.y != tlUnset && (isoWeekNr != tlUnset || isoYear != tlUnset || isoDay != tlUnset) {
		p.addError(c.i, "Mixing of ISO dates with natural dates is not allowed")
	}
	if isoYear != tlUnset && (t.y != tlUnset || t.m != tlUnset || t.d != tlUnset) {
		p.addError(c.i, "Mixing of ISO dates with natural dates is not allowed")
	}
	if isoYear != tlUnset {
		if isoWeekNr == tlUnset {
			isoWeekNr = 1
		}
		if isoDay == tlUnset {
			isoDay = 1
		}
		t.y, t.m, t.d = civilFromDays(isoDateToDays(isoYear, isoWeekNr, isoDay))
	} else if isoWeekNr != tlUnset || isoDay != tlUnset {
		p.addWarning(c.i, "The parsed date was invalid")
	}
	if t.h != tlUnset && t.i != tlUnset && t.s != tlUnset && !validTime(t.h, t.i, t.s) {
		p.addWarning(c.i, "The parsed time was invalid")
	}
	if t.y != tlUnset && t.m != tlUnset && t.d != tlUnset && !validDate(t.y, t.m, t.d) {
		p.addWarning(c.i, "The parsed date was invalid")
	}
	return p
}
