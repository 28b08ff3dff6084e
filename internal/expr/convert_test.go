package expr

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// $toString of a double must read back as the same double: mongod 8 prints
// the shortest round-trip form.
func TestConvertDoubleStringRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := cvFormatDouble(f)
		back, reason := cvParseDouble(s)
		if reason != "" && !cvSubnormal(f) {
			t.Fatalf("%v printed as %q does not parse: %s", f, s, reason)
		}
		if reason == "" && back != f {
			t.Fatalf("%v printed as %q reads back as %v", f, s, back)
		}
	}
}

// Exact decimal strings parse to the same decimal128 as the driver's parser.
func TestConvertDecimalParseMatchesDriver(t *testing.T) {
	for _, s := range []string{"0", "-0", "1.9", "-5.5", "2.02E200", "1E+3", "0.000", "1E-6176",
		"9.999999999999999999999999999999999E+6144", "123456789012345678901234567890.1234"} {
		got, reason := cvParseDecimal(s)
		if reason != "" {
			t.Fatalf("%s: %s", s, reason)
		}
		want, err := bson.ParseDecimal128(s)
		if err != nil {
			t.Fatal(err)
		}
		gh, gl := got.GetBytes()
		wh, wl := want.GetBytes()
		if gh != wh || gl != wl {
			t.Fatalf("%s: got %s, want %s", s, got, want)
		}
	}
}

// Integers parse like strconv within their range and fail with mongod's
// reasons outside it.
func TestConvertIntegerParse(t *testing.T) {
	for _, s := range []string{"0", "-0", "+7", "007", "2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808"} {
		got, reason := cvParseInteger(s, false)
		want, _ := strconv.ParseInt(s, 10, 64)
		if reason != "" || got != want {
			t.Fatalf("%s: got %d %q", s, got, reason)
		}
	}
	for s, want := range map[string]string{"9223372036854775808": "Overflow", "-9223372036854775809": "Overflow",
		"99999999999999999999999": "Overflow", "-": "No digits", "1 ": "Did not consume whole string."} {
		if _, reason := cvParseInteger(s, false); reason != want {
			t.Fatalf("%q: got %q, want %q", s, reason, want)
		}
	}
}
