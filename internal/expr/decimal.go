package expr

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// dec is a decimal128 value opened up for arithmetic: coef × 10^exp when
// finite. Results are rounded back to 34 digits (IEEE 754-2008
// round-half-even) only when they are stored, so add, subtract and
// multiply are exact up to that final rounding, as in mongod.
type dec struct {
	kind numKind
	coef *big.Int
	exp  int
}

type numKind int

const (
	kFinite numKind = iota
	kNaN
	kPosInf
	kNegInf
)

const (
	decDigits = 34
	decMinExp = -6176
	decMaxExp = 6111
)

var (
	bigTen    = big.NewInt(10)
	decNaN    = dec{kind: kNaN}
	maxCoef34 = new(big.Int).Exp(bigTen, big.NewInt(decDigits), nil)
)

func pow10(n int) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil) }

func decInt(i int64) dec { return dec{coef: big.NewInt(i)} }

func decInf(neg bool) dec {
	if neg {
		return dec{kind: kNegInf}
	}
	return dec{kind: kPosInf}
}

func decFromDecimal(d bson.Decimal128) dec {
	switch {
	case d.IsNaN():
		return decNaN
	case d.IsInf() != 0:
		return decInf(d.IsInf() < 0)
	}
	c, e, err := d.BigInt()
	if err != nil {
		return decNaN
	}
	if c.CmpAbs(maxCoef34) >= 0 {
		// Non-canonical significands read as zero (IEEE 754-2008).
		c.SetInt64(0)
	}
	return dec{coef: c, exp: e}
}

// decFromFloat converts a double keeping digits significant digits:
// mongod converts with 15 (Decimal128's default, which keeps trailing
// zeros: 0.1 becomes 0.100000000000000) or with 34.
func decFromFloat(f float64, digits int) dec {
	switch {
	case math.IsNaN(f):
		return decNaN
	case math.IsInf(f, 0):
		return decInf(f < 0)
	case f == 0:
		return decInt(0)
	}
	s := strconv.FormatFloat(f, 'e', digits-1, 64)
	mant, expS, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(expS)
	mant = strings.Replace(mant, ".", "", 1)
	c, _ := new(big.Int).SetString(mant, 10)
	d := dec{coef: c, exp: e - (digits - 1)}
	if digits == decDigits {
		d = d.trimZeros(0)
	}
	return d
}

// decFromValue converts any numeric value to a decimal (mongod's
// coerceToDecimal: doubles to 15 digits).
func decFromValue(v bson.RawValue) dec {
	switch v.Type {
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		return decFromDecimal(d)
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		return decFromFloat(f, 15)
	}
	return decInt(asInt64(v))
}

// trimZeros drops trailing zeros of the coefficient while the exponent
// stays at most maxExp.
func (d dec) trimZeros(maxExp int) dec {
	if d.kind != kFinite || d.coef.Sign() == 0 {
		return d
	}
	c := new(big.Int).Set(d.coef)
	q, r := new(big.Int), new(big.Int)
	for d.exp < maxExp {
		q.QuoRem(c, bigTen, r)
		if r.Sign() != 0 {
			break
		}
		c.Set(q)
		d.exp++
	}
	d.coef = c
	return d
}

func (d dec) neg() dec {
	switch d.kind {
	case kPosInf:
		return dec{kind: kNegInf}
	case kNegInf:
		return dec{kind: kPosInf}
	case kNaN:
		return d
	}
	return dec{coef: new(big.Int).Neg(d.coef), exp: d.exp}
}

func (d dec) sign() int {
	switch d.kind {
	case kPosInf:
		return 1
	case kNegInf:
		return -1
	case kNaN:
		return 0
	}
	return d.coef.Sign()
}

func (d dec) isZero() bool { return d.kind == kFinite && d.coef.Sign() == 0 }

// align returns both coefficients scaled to the smaller exponent.
func align(a, b dec) (ca, cb *big.Int, exp int) {
	switch {
	case a.exp == b.exp:
		return a.coef, b.coef, a.exp
	case a.exp > b.exp:
		return new(big.Int).Mul(a.coef, pow10(a.exp-b.exp)), b.coef, b.exp
	}
	return a.coef, new(big.Int).Mul(b.coef, pow10(b.exp-a.exp)), a.exp
}

func decAdd(a, b dec) dec {
	if a.kind != kFinite || b.kind != kFinite {
		switch {
		case a.kind == kNaN || b.kind == kNaN:
			return decNaN
		case a.kind != kFinite && b.kind != kFinite && a.kind != b.kind:
			return decNaN
		case a.kind != kFinite:
			return a
		}
		return b
	}
	if a.exp-b.exp > 2*decDigits+10 && b.coef.Sign() != 0 && a.coef.Sign() != 0 {
		// b is far below a's last digit: only its sign matters to the
		// rounding, so a tiny stand-in keeps the scaling bounded.
		b = dec{coef: big.NewInt(int64(b.coef.Sign())), exp: a.exp - 2*decDigits - 10}
	} else if b.exp-a.exp > 2*decDigits+10 && a.coef.Sign() != 0 && b.coef.Sign() != 0 {
		a = dec{coef: big.NewInt(int64(a.coef.Sign())), exp: b.exp - 2*decDigits - 10}
	}
	ca, cb, e := align(a, b)
	return dec{coef: new(big.Int).Add(ca, cb), exp: e}
}

func decMul(a, b dec) dec {
	if a.kind != kFinite || b.kind != kFinite {
		if a.kind == kNaN || b.kind == kNaN || a.isZero() || b.isZero() {
			return decNaN
		}
		return decInf(a.sign()*b.sign() < 0)
	}
	return dec{coef: new(big.Int).Mul(a.coef, b.coef), exp: a.exp + b.exp}
}

// decDiv divides to 34 significant digits; an exact quotient keeps the
// exponent closest to the ideal one (a.exp - b.exp), as IEEE requires.
// The caller rules out a zero divisor.
func decDiv(a, b dec) dec {
	if a.kind != kFinite || b.kind != kFinite {
		switch {
		case a.kind == kNaN || b.kind == kNaN || a.kind != kFinite && b.kind != kFinite:
			return decNaN
		case a.kind != kFinite:
			return decInf(a.sign()*b.sign() < 0)
		}
		return dec{coef: new(big.Int), exp: 0}
	}
	ideal := a.exp - b.exp
	if a.coef.Sign() == 0 {
		return dec{coef: new(big.Int), exp: ideal}
	}
	// Scale the dividend so that the quotient has at least 35 digits.
	shift := decDigits + 1 + len(b.coef.Text(10)) - len(a.coef.Text(10))
	if shift < 0 {
		shift = 0
	}
	num := new(big.Int).Mul(a.coef, pow10(shift))
	q, r := new(big.Int).QuoRem(num, b.coef, new(big.Int))
	if r.Sign() != 0 {
		// Inexact: a sticky digit makes the final rounding see it.
		q.Mul(q, bigTen)
		if q.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
		return dec{coef: q, exp: ideal - shift - 1}
	}
	return dec{coef: q, exp: ideal - shift}.trimZeros(ideal)
}

// decMod is the remainder of truncated division (fmod), exact.
func decMod(a, b dec) dec {
	if a.kind != kFinite || b.kind != kFinite {
		if a.kind == kFinite && b.kind != kNaN {
			return a
		}
		return decNaN
	}
	ca, cb, e := align(a, b)
	return dec{coef: new(big.Int).Rem(ca, cb), exp: e}
}

// rounding modes for quantizing.
type roundMode int

const (
	roundHalfEven roundMode = iota
	roundDown               // toward zero
	roundFloor
	roundCeil
)

// divPow10 divides c by 10^n rounding as mode says.
func divPow10(c *big.Int, n int, mode roundMode) *big.Int {
	if n <= 0 {
		return new(big.Int).Mul(c, pow10(-n))
	}
	p := pow10(n)
	q, r := new(big.Int).QuoRem(c, p, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	up := false
	switch mode {
	case roundHalfEven:
		r2 := new(big.Int).Abs(r)
		r2.Lsh(r2, 1)
		cmp := r2.Cmp(p)
		up = cmp > 0 || cmp == 0 && q.Bit(0) == 1
	case roundFloor:
		up = c.Sign() < 0
	case roundCeil:
		up = c.Sign() > 0
	}
	if up {
		if c.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// quantize rounds d to exponent exp; ok is false when the result would
// need more than 34 digits (mongod then answers NaN).
func (d dec) quantize(exp int, mode roundMode) (dec, bool) {
	if d.kind != kFinite {
		return d, true
	}
	c := divPow10(d.coef, exp-d.exp, mode)
	if new(big.Int).Abs(c).Cmp(maxCoef34) >= 0 {
		return decNaN, false
	}
	return dec{coef: c, exp: exp}, true
}

// decimal rounds d to a decimal128: 34 digits, exponent in range,
// overflow to infinity, underflow toward zero.
func (d dec) decimal() bson.Decimal128 {
	switch d.kind {
	case kNaN:
		return bson.NewDecimal128(0x7C00000000000000, 0)
	case kPosInf:
		return bson.NewDecimal128(0x7800000000000000, 0)
	case kNegInf:
		return bson.NewDecimal128(0xF800000000000000, 0)
	}
	c, e := d.coef, d.exp
	if n := len(new(big.Int).Abs(c).Text(10)); n > decDigits {
		c = divPow10(c, n-decDigits, roundHalfEven)
		e += n - decDigits
		if new(big.Int).Abs(c).Cmp(maxCoef34) >= 0 {
			c = divPow10(c, 1, roundHalfEven)
			e++
		}
	}
	if e < decMinExp {
		c = divPow10(c, decMinExp-e, roundHalfEven)
		e = decMinExp
	}
	if c.Sign() == 0 && e > decMaxExp {
		e = decMaxExp
	}
	for e > decMaxExp {
		c = new(big.Int).Mul(c, bigTen)
		e--
		if new(big.Int).Abs(c).Cmp(maxCoef34) >= 0 {
			return decInf(c.Sign() < 0).decimal()
		}
	}
	out, ok := bson.ParseDecimal128FromBigInt(c, e)
	if !ok {
		return dec{kind: kNaN}.decimal()
	}
	return out
}

func (d dec) value() bson.RawValue { return decimalValue(d.decimal()) }

// float converts d to the nearest double.
func (d dec) float() float64 {
	switch d.kind {
	case kNaN:
		return math.NaN()
	case kPosInf:
		return math.Inf(1)
	case kNegInf:
		return math.Inf(-1)
	}
	f, _ := strconv.ParseFloat(d.coef.Text(10)+"e"+strconv.Itoa(d.exp), 64)
	return f
}

// int64 rounds d half-to-even to an int64; ok is false when it does not fit.
func (d dec) int64() (int64, bool) {
	if d.kind != kFinite {
		return 0, false
	}
	q, ok := d.quantizeUnbounded(0)
	if !ok || !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

func (d dec) quantizeUnbounded(exp int) (*big.Int, bool) {
	if d.exp-exp > 400 {
		return nil, false
	}
	return divPow10(d.coef, exp-d.exp, roundHalfEven), true
}
