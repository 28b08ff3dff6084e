package expr

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// String parsing for $convert, as mongod's NumberParser does it: C's
// strtod for doubles, its own digit loop for integers and the Intel
// decimal library for decimals. Each parser returns the reason mongod
// appends to "Failed to parse number '…' in $convert with no onError
// value: ", or "" on success.

// cvParseInteger parses a base-10 int (is32) or long. Unlike the double
// parser it has no whitespace rule: a space is just not a digit.
func cvParseInteger(s string, is32 bool) (int64, string) {
	neg := false
	mag := s
	if len(mag) > 0 && (mag[0] == '-' || mag[0] == '+') {
		neg = mag[0] == '-'
		mag = mag[1:]
	}
	if mag == "" {
		return 0, "No digits"
	}
	var n uint64
	consumed := 0
	for ; consumed < len(mag); consumed++ {
		c := mag[consumed]
		if c < '0' || c > '9' {
			break
		}
		if n > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, "Overflow"
		}
		n = n*10 + uint64(c-'0')
	}
	if consumed != len(mag) {
		return 0, "Did not consume whole string."
	}
	limit := uint64(math.MaxInt64)
	if is32 {
		limit = math.MaxInt32
	}
	if neg {
		limit++
	}
	if n > limit {
		return 0, "Overflow"
	}
	if neg {
		// -int64(n) is right for every n up to 2^63 in two's complement.
		return -int64(n), ""
	}
	return int64(n), ""
}

func cvIsSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

// cvParseDouble parses a double as mongod's NumberParser does with
// strtod. The order of the checks is mongod's: "Out of range" (ERANGE,
// which glibc also raises for subnormal results) wins over trailing text.
func cvParseDouble(s string) (float64, string) {
	if s == "" {
		return 0, "Empty string"
	}
	if cvIsSpace(s[0]) {
		return 0, "Leading whitespace"
	}
	n, f, erange := cvStrtod(s)
	switch {
	case n == 0:
		return 0, "Did not consume any digits"
	case erange:
		return 0, "Out of range"
	case n != len(s):
		return 0, "Did not consume whole string."
	}
	return f, ""
}

// cvStrtod scans the longest prefix of s that C's strtod (glibc, C
// locale) reads and returns its length, its value and whether strtod
// would set ERANGE.
func cvStrtod(s string) (int, float64, bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	signed := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	lower := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(lower, "infinity"):
		return i + 8, signed(math.Inf(1)), false
	case strings.HasPrefix(lower, "inf"):
		return i + 3, signed(math.Inf(1)), false
	case strings.HasPrefix(lower, "nan"):
		n := i + 3
		if n < len(s) && s[n] == '(' {
			j := n + 1
			for j < len(s) && (s[j] == '_' || s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			if j < len(s) && s[j] == ')' {
				n = j + 1
			}
		}
		return n, math.NaN(), false
	}
	if strings.HasPrefix(lower, "0x") {
		if n, f, ok := cvStrtodHex(s, i+2); ok {
			return n, signed(f), math.IsInf(f, 0) || cvSubnormal(f)
		}
		// "0x" with no hex digit after it reads as just the "0".
		return i + 1, signed(0), false
	}
	start := i
	digits := 0
	nonzero := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		nonzero = nonzero || s[i] != '0'
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nonzero = nonzero || s[i] != '0'
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	f, err := strconv.ParseFloat(s[start:i], 64)
	erange := err != nil || cvSubnormal(f) || f == 0 && nonzero
	return i, signed(f), erange
}

// cvStrtodHex reads hexadecimal digits, an optional fraction and an
// optional binary exponent starting at s[i].
func cvStrtodHex(s string, i int) (int, float64, bool) {
	j := i
	digits := 0
	for j < len(s) && cvIsHexDigit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && cvIsHexDigit(s[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	mant := s[i:j]
	exp := "p0"
	if j < len(s) && (s[j] == 'p' || s[j] == 'P') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			exp = s[j:k]
			j = k
		}
	}
	f, _ := strconv.ParseFloat("0x"+mant+exp, 64)
	return j, f, true
}

func cvSubnormal(f float64) bool {
	return f != 0 && math.Abs(f) < 0x1p-1022
}

// Decimal128 limits.
const (
	cvDecMinExp = -6176 // smallest exponent of a coefficient
	cvDecMaxExp = 6111  // largest exponent of a coefficient
	cvDecEmin   = -6143 // adjusted exponent of the smallest normal value
)

// cvParseDecimal parses a decimal as mongod does: the Intel library reads
// the longest valid prefix rounding half to even, overflow and underflow
// are errors, and trailing text is "Did not consume whole string.".
func cvParseDecimal(s string) (bson.Decimal128, string) {
	if s == "" {
		return bson.Decimal128{}, "Empty string"
	}
	lower := strings.ToLower(s)
	start := 0
	neg := false
	if lower[0] == '+' || lower[0] == '-' {
		neg = lower[0] == '-'
		start = 1
	}
	switch lower[start:] {
	case "nan":
		if neg {
			return bson.NewDecimal128(0xFC00000000000000, 0), ""
		}
		return bson.NewDecimal128(0x7C00000000000000, 0), ""
	case "inf", "infinity":
		if neg {
			return bson.NewDecimal128(0xF800000000000000, 0), ""
		}
		return bson.NewDecimal128(0x7800000000000000, 0), ""
	}
	const invalid = "Failed to parse string to decimal"
	i := start
	var mant strings.Builder
	fracDigits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		mant.WriteByte(s[i])
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			mant.WriteByte(s[i])
			fracDigits++
			i++
		}
	}
	if mant.Len() == 0 {
		return bson.Decimal128{}, invalid
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k == j {
			return bson.Decimal128{}, invalid
		}
		e, err := strconv.Atoi(s[i+1 : k])
		if err != nil || e > 1e6 || e < -1e6 {
			// Far outside the range: the value overflows or underflows.
			if strings.Contains(s[i+1:k], "-") {
				e = -1000000
			} else {
				e = 1000000
			}
		}
		exp = e
		i = k
	}
	coef, _ := new(big.Int).SetString(mant.String(), 10)
	d, overflow, underflow := cvRoundDecimal(neg, coef, exp-fracDigits)
	switch {
	case overflow:
		return bson.Decimal128{}, "Conversion from string to decimal would overflow"
	case underflow:
		return bson.Decimal128{}, "Conversion from string to decimal would underflow"
	case i != len(s):
		return bson.Decimal128{}, "Did not consume whole string."
	}
	return d, ""
}

// cvRoundDecimal rounds (-1)^neg × coef × 10^exp to a decimal128 half to
// even, reporting IEEE overflow and underflow (tiny and inexact).
func cvRoundDecimal(neg bool, coef *big.Int, exp int) (bson.Decimal128, bool, bool) {
	if coef.Sign() == 0 {
		exp = max(cvDecMinExp, min(exp, cvDecMaxExp))
		return cvDecimal(neg, coef, exp), false, false
	}
	inexact := false
	drop := func(n int) {
		p := pow10(n)
		q, r := new(big.Int).QuoRem(coef, p, new(big.Int))
		if r.Sign() != 0 {
			inexact = true
			r2 := new(big.Int).Lsh(r, 1)
			if c := r2.Cmp(p); c > 0 || c == 0 && q.Bit(0) == 1 {
				q.Add(q, big.NewInt(1))
			}
		}
		coef = q
		exp += n
	}
	if n := len(coef.Text(10)); n > decDigits {
		drop(n - decDigits)
		if coef.Cmp(maxCoef34) >= 0 {
			drop(1)
		}
	}
	if exp < cvDecMinExp {
		if cvDecMinExp-exp > decDigits+2 {
			// Everything is below the last representable digit.
			coef = big.NewInt(0)
			exp = cvDecMinExp
			inexact = true
		} else {
			drop(cvDecMinExp - exp)
		}
	}
	tiny := coef.Sign() == 0 || exp+len(coef.Text(10))-1 < cvDecEmin
	if tiny && inexact {
		return bson.Decimal128{}, false, true
	}
	for exp > cvDecMaxExp && coef.Sign() != 0 && len(coef.Text(10)) < decDigits {
		coef = new(big.Int).Mul(coef, bigTen)
		exp--
	}
	if exp > cvDecMaxExp {
		return bson.Decimal128{}, true, false
	}
	return cvDecimal(neg, coef, exp), false, false
}

// cvDecimal encodes a decimal128 from a sign, a coefficient below 10^34
// (nil is zero) and an exponent in range; the sign is kept for zero.
func cvDecimal(neg bool, coef *big.Int, exp int) bson.Decimal128 {
	var hi, lo uint64
	if coef != nil {
		c := new(big.Int).Abs(coef)
		lo = new(big.Int).And(c, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
		hi = new(big.Int).Rsh(c, 64).Uint64()
	}
	hi |= uint64(exp-cvDecMinExp) << 49
	if neg {
		hi |= 1 << 63
	}
	return bson.NewDecimal128(hi, lo)
}

// cvDecimalToDouble rounds a decimal to the nearest double; ok is false
// when the result overflows or underflows (tiny and inexact), which
// mongod's $convert refuses.
func cvDecimalToDouble(d bson.Decimal128) (float64, bool) {
	switch {
	case d.IsNaN():
		return math.NaN(), true
	case d.IsInf() > 0:
		return math.Inf(1), true
	case d.IsInf() < 0:
		return math.Inf(-1), true
	}
	hi, _ := d.GetBytes()
	neg := hi>>63 == 1
	x := decFromDecimal(d)
	if x.coef.Sign() == 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	r := new(big.Rat).SetInt(x.coef)
	if x.exp > 0 {
		r.Mul(r, new(big.Rat).SetInt(pow10(x.exp)))
	} else if x.exp < 0 {
		r.Quo(r, new(big.Rat).SetInt(pow10(-x.exp)))
	}
	f, exact := r.Float64()
	if math.IsInf(f, 0) {
		return 0, false
	}
	if (f == 0 || cvSubnormal(f)) && !exact {
		return 0, false
	}
	return f, true
}

// cvParseDate reads a date string for $toDate. mongod hands the string
// to timelib, which also understands forms such as "July 4th, 2017";
// this reads the ISO-8601 forms only (the date engineer owns the full
// parser behind $dateFromString): YYYY-MM[-DD], then optionally 'T' or a
// space and hh:mm[:ss[.fff…]], then optionally (after spaces) Z or
// ±hh[[:]mm]. Missing
// parts are zero and the time zone is UTC; fractions finer than a
// millisecond are truncated.
func cvParseDate(s string) (int64, error) {
	fail := cvFail("Error parsing date string '%s'", s)
	p := strings.TrimFunc(s, func(r rune) bool { return r < 0x80 && cvIsSpace(byte(r)) })
	num := func(width int) (int, bool) {
		if len(p) < width {
			return 0, false
		}
		n := 0
		for i := 0; i < width; i++ {
			if p[i] < '0' || p[i] > '9' {
				return 0, false
			}
			n = n*10 + int(p[i]-'0')
		}
		p = p[width:]
		return n, true
	}
	expect := func(c byte) bool {
		if len(p) > 0 && p[0] == c {
			p = p[1:]
			return true
		}
		return false
	}
	year, ok := num(4)
	if !ok || !expect('-') {
		return 0, fail
	}
	month, ok := num(2)
	if !ok || month < 1 || month > 12 {
		return 0, fail
	}
	day := 1
	if expect('-') {
		if day, ok = num(2); !ok {
			return 0, fail
		}
	}
	if day < 1 || day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, fail
	}
	var hour, minute, sec, nanos int
	if len(p) > 0 && (p[0] == 'T' || p[0] == 't' || p[0] == ' ') {
		p = p[1:]
		if hour, ok = num(2); !ok || !expect(':') || hour > 23 {
			return 0, fail
		}
		if minute, ok = num(2); !ok || minute > 59 {
			return 0, fail
		}
		if expect(':') {
			if sec, ok = num(2); !ok || sec > 59 {
				return 0, fail
			}
			if expect('.') {
				scale := 100000000
				digits := 0
				for len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
					nanos += int(p[0]-'0') * scale
					scale /= 10
					p = p[1:]
					digits++
				}
				if digits == 0 {
					return 0, fail
				}
			}
		}
	}
	offset := 0 // seconds east of UTC
	p = strings.TrimLeft(p, " ")
	switch {
	case p == "":
	case p == "Z" || p == "z":
		p = ""
	case p[0] == '+' || p[0] == '-':
		sign := 1
		if p[0] == '-' {
			sign = -1
		}
		p = p[1:]
		oh, ok := num(2)
		if !ok || oh > 23 {
			return 0, fail
		}
		om := 0
		if p != "" {
			expect(':')
			if om, ok = num(2); !ok || om > 59 {
				return 0, fail
			}
		}
		offset = sign * (oh*3600 + om*60)
	}
	if p != "" {
		return 0, fail
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	return t.Unix()*1000 - int64(offset)*1000 + int64(t.Nanosecond()/1e6), nil
}
