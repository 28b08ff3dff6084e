package bsonx

import (
	"math"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

func rv(t *testing.T, v any) bson.RawValue {
	t.Helper()
	typ, data, err := bson.MarshalValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return bson.RawValue{Type: typ, Value: data}
}

func dec(t *testing.T, s string) bson.Decimal128 {
	t.Helper()
	d, err := bson.ParseDecimal128(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCompare(t *testing.T) {
	oid1, _ := bson.ObjectIDFromHex("000000000000000000000001")
	oid2, _ := bson.ObjectIDFromHex("000000000000000000000002")
	undef := bson.RawValue{Type: bson.TypeUndefined}
	sym := func(s string) bson.RawValue {
		return bson.RawValue{Type: bson.TypeSymbol, Value: bsoncore.AppendString(nil, s)}
	}
	dbp := func(ns string, oid bson.ObjectID) bson.RawValue {
		return bson.RawValue{Type: bson.TypeDBPointer, Value: bsoncore.AppendDBPointer(nil, ns, oid)}
	}
	cws := func(code string, scope bson.D) bson.RawValue {
		s, _ := bson.Marshal(scope)
		return bson.RawValue{Type: bson.TypeCodeWithScope, Value: bsoncore.AppendCodeWithScope(nil, code, s)}
	}
	tests := []struct {
		name string
		a, b any
		want int
	}{
		// Type brackets, in mongod's canonical order.
		{"minkey<undefined", bson.MinKey{}, undef, -1},
		{"undefined<null", undef, bson.Null{}, -1},
		{"null<NaN", bson.Null{}, math.NaN(), -1},
		{"number<string", math.Inf(1), "", -1},
		{"string<object", "zzz", bson.D{}, -1},
		{"object<array", bson.D{{Key: "a", Value: 1}}, bson.A{}, -1},
		{"array<bindata", bson.A{1}, bson.Binary{Data: []byte{}}, -1},
		{"bindata<oid", bson.Binary{Data: []byte{0xff}}, oid1, -1},
		{"oid<bool", oid2, false, -1},
		{"bool<date", true, bson.DateTime(math.MinInt64), -1},
		{"date<timestamp", bson.DateTime(math.MaxInt64), bson.Timestamp{}, -1},
		{"timestamp<regex", bson.Timestamp{T: math.MaxUint32}, bson.Regex{}, -1},
		{"regex<dbpointer", bson.Regex{Pattern: "z"}, dbp("a", oid1), -1},
		{"dbpointer<code", dbp("zzz", oid2), bson.JavaScript(""), -1},
		{"code<codewscope", bson.JavaScript("zzz"), cws("", bson.D{}), -1},
		{"codewscope<maxkey", cws("zzz", bson.D{}), bson.MaxKey{}, -1},
		{"minkey==minkey", bson.MinKey{}, bson.MinKey{}, 0},
		{"null==null", bson.Null{}, bson.Null{}, 0},

		// Numbers compare by value across types.
		{"NaN==NaN", math.NaN(), math.NaN(), 0},
		{"NaN==decimal NaN", math.NaN(), dec(t, "NaN"), 0},
		{"NaN<-Inf", math.NaN(), math.Inf(-1), -1},
		{"decimal NaN<int", dec(t, "NaN"), int32(math.MinInt32), -1},
		{"-Inf==decimal -Inf", math.Inf(-1), dec(t, "-Infinity"), 0},
		{"decimal Inf>int64 max", dec(t, "Infinity"), int64(math.MaxInt64), 1},
		{"-0==0", math.Copysign(0, -1), int32(0), 0},
		{"decimal -0==0", dec(t, "-0.00"), int64(0), 0},
		{"int32==int64", int32(7), int64(7), 0},
		{"int32==double", int32(7), 7.0, 0},
		{"int32==decimal", int32(7), dec(t, "7.000"), 0},
		{"int32<double", int32(7), 7.5, -1},
		{"2^53+1>double 2^53", int64(1<<53 + 1), float64(1 << 53), 1},
		{"int64 max<2^63", int64(math.MaxInt64), 9.223372036854775807e18, -1},
		{"int64 min==-2^63", int64(math.MinInt64), -9.223372036854775808e18, 0},
		{"int64 min>-1e300", int64(math.MinInt64), -1e300, 1},
		{"decimal 0.1<double 0.1", dec(t, "0.1"), 0.1, -1},
		{"decimal 2^53+1>double 2^53", dec(t, "9007199254740993"), float64(1 << 53), 1},
		{"decimal huge>int64", dec(t, "1E+30"), int64(math.MaxInt64), 1},
		{"negative decimal", dec(t, "-1.5"), int32(-1), -1},

		// Strings and symbols: bytewise, one bracket.
		{"a<ab", "a", "ab", -1},
		{"ab<b", "ab", "b", -1},
		{"a<a\\x00", "a", "a\x00", -1},
		{"empty<a", "", "a", -1},
		{"symbol==string", sym("abc"), "abc", 0},
		{"symbol<string", sym("abc"), "abd", -1},
		{"utf8 bytes", "é", "z", 1},

		// Documents: type of value, then name, then value; prefix first.
		{"doc empty<non-empty", bson.D{}, bson.D{{Key: "a", Value: bson.MinKey{}}}, -1},
		{"doc value type before name", bson.D{{Key: "b", Value: 1}}, bson.D{{Key: "a", Value: "x"}}, -1},
		{"doc name", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "b", Value: 0}}, -1},
		{"doc value", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 2.5}}, -1},
		{"doc numeric equal", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 1.0}}, 0},
		{"doc prefix", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}, -1},
		{"doc nested", bson.D{{Key: "a", Value: bson.D{{Key: "x", Value: 1}}}}, bson.D{{Key: "a", Value: bson.D{{Key: "x", Value: 2}}}}, -1},

		// Arrays: element by element; shorter prefix first.
		{"array empty", bson.A{}, bson.A{bson.MinKey{}}, -1},
		{"array prefix", bson.A{1}, bson.A{1, 2}, -1},
		{"array elem", bson.A{1, 2}, bson.A{2}, -1},
		{"array elem type", bson.A{"a"}, bson.A{bson.D{}}, -1},
		{"array numeric", bson.A{1, int64(2)}, bson.A{1.0, 2.0}, 0},

		// BinData: length, then subtype, then bytes.
		{"bindata length first", bson.Binary{Subtype: 5, Data: []byte{9}}, bson.Binary{Subtype: 0, Data: []byte{1, 2}}, -1},
		{"bindata subtype", bson.Binary{Subtype: 0, Data: []byte{9}}, bson.Binary{Subtype: 1, Data: []byte{1}}, -1},
		{"bindata bytes", bson.Binary{Subtype: 1, Data: []byte{1}}, bson.Binary{Subtype: 1, Data: []byte{2}}, -1},

		{"oid", oid1, oid2, -1},
		{"bool", false, true, -1},
		{"date signed", bson.DateTime(-5), bson.DateTime(3), -1},
		{"timestamp t first", bson.Timestamp{T: 1, I: 9}, bson.Timestamp{T: 2, I: 1}, -1},
		{"timestamp unsigned", bson.Timestamp{T: 1 << 31}, bson.Timestamp{T: 1}, 1},
		{"timestamp i", bson.Timestamp{T: 1, I: 1}, bson.Timestamp{T: 1, I: 2}, -1},
		{"regex pattern first", bson.Regex{Pattern: "a", Options: "x"}, bson.Regex{Pattern: "b", Options: ""}, -1},
		{"regex flags", bson.Regex{Pattern: "a", Options: "i"}, bson.Regex{Pattern: "a", Options: "m"}, -1},
		{"dbpointer ns length first", dbp("zz", oid1), dbp("aaa", oid1), -1},
		{"dbpointer oid", dbp("a", oid1), dbp("a", oid2), -1},
		{"code", bson.JavaScript("a"), bson.JavaScript("b"), -1},
		{"codewscope code first", cws("a", bson.D{{Key: "z", Value: 1}}), cws("b", bson.D{}), -1},
		{"codewscope scope", cws("a", bson.D{{Key: "x", Value: 1}}), cws("a", bson.D{{Key: "x", Value: 2}}), -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := toRV(t, tc.a), toRV(t, tc.b)
			if got := Compare(a, b); got != tc.want {
				t.Errorf("Compare(a, b) = %d, want %d", got, tc.want)
			}
			if got := Compare(b, a); got != -tc.want {
				t.Errorf("Compare(b, a) = %d, want %d", got, -tc.want)
			}
			if got := Equal(a, b); got != (tc.want == 0) {
				t.Errorf("Equal = %v", got)
			}
		})
	}
}

func toRV(t *testing.T, v any) bson.RawValue {
	if r, ok := v.(bson.RawValue); ok {
		return r
	}
	return rv(t, v)
}

func TestCanonicalType(t *testing.T) {
	order := [][]bson.Type{
		{bson.TypeMinKey},
		{bson.TypeUndefined},
		{bson.TypeNull},
		{bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128},
		{bson.TypeString, bson.TypeSymbol},
		{bson.TypeEmbeddedDocument},
		{bson.TypeArray},
		{bson.TypeBinary},
		{bson.TypeObjectID},
		{bson.TypeBoolean},
		{bson.TypeDateTime},
		{bson.TypeTimestamp},
		{bson.TypeRegex},
		{bson.TypeDBPointer},
		{bson.TypeJavaScript},
		{bson.TypeCodeWithScope},
		{bson.TypeMaxKey},
	}
	prev := math.MinInt
	for _, group := range order {
		r := CanonicalType(bsoncore.Type(group[0]))
		if r <= prev {
			t.Errorf("type %v rank %d not above %d", group[0], r, prev)
		}
		for _, typ := range group[1:] {
			if got := CanonicalType(bsoncore.Type(typ)); got != r {
				t.Errorf("type %v rank %d, want %d (same bracket as %v)", typ, got, r, group[0])
			}
		}
		prev = r
	}
}

func TestCompareDocs(t *testing.T) {
	doc := func(d bson.D) bson.Raw {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		a, b bson.D
		want int
	}{
		{"equal", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: int64(1)}}, 0},
		{"names matter", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "b", Value: 1}}, -1},
		{"type before name", bson.D{{Key: "z", Value: 1}}, bson.D{{Key: "a", Value: true}}, -1},
		{"field order matters", bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 2}}, bson.D{{Key: "b", Value: 2}, {Key: "a", Value: 1}}, -1},
		{"longer is larger", bson.D{{Key: "a", Value: 1}, {Key: "b", Value: bson.MinKey{}}}, bson.D{{Key: "a", Value: 1}}, 1},
		{"empty", bson.D{}, bson.D{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CompareDocs(doc(tc.a), doc(tc.b)); got != tc.want {
				t.Errorf("CompareDocs = %d, want %d", got, tc.want)
			}
			if got := CompareDocs(doc(tc.b), doc(tc.a)); got != -tc.want {
				t.Errorf("reversed CompareDocs = %d, want %d", got, -tc.want)
			}
		})
	}
}

// benchPairs are value pairs typical of sorts and index range checks.
func benchPairs(b *testing.B) [][2]bson.RawValue {
	mk := func(v any) bson.RawValue {
		typ, data, err := bson.MarshalValue(v)
		if err != nil {
			b.Fatal(err)
		}
		return bson.RawValue{Type: typ, Value: data}
	}
	return [][2]bson.RawValue{
		{mk("alpha"), mk("alphabet")},
		{mk(int32(42)), mk(int64(43))},
		{mk(1.5), mk(int32(2))},
		{mk(bson.D{{Key: "a", Value: "x"}, {Key: "b", Value: int32(1)}}), mk(bson.D{{Key: "a", Value: "x"}, {Key: "b", Value: int32(2)}})},
		{mk(bson.A{"a", "b", "c"}), mk(bson.A{"a", "b", "d"})},
	}
}

func BenchmarkCompare(b *testing.B) {
	pairs := benchPairs(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pairs[i%len(pairs)]
		Compare(p[0], p[1])
	}
}

// foldComparer is a stand-in collation: case-insensitive ASCII, like a
// strength-2 collation on plain English.
type foldComparer struct{}

func (foldComparer) CompareStrings(a, b string) int {
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func TestCompareWith(t *testing.T) {
	sym := func(s string) bson.RawValue {
		return bson.RawValue{Type: bson.TypeSymbol, Value: bsoncore.AppendString(nil, s)}
	}
	cws := func(code string, scope bson.D) bson.RawValue {
		s, _ := bson.Marshal(scope)
		return bson.RawValue{Type: bson.TypeCodeWithScope, Value: bsoncore.AppendCodeWithScope(nil, code, s)}
	}
	tests := []struct {
		name       string
		a, b       any
		want       int // under foldComparer
		wantSimple int // under nil (the simple collation)
	}{
		{"strings", "abc", "ABC", 0, 1},
		{"strings ordered by collator", "b", "A", 1, 1},
		{"collator, not bytes, decides", "a", "B", -1, 1},
		{"symbol vs string", sym("ABC"), "abc", 0, -1},
		{"symbols", sym("x"), sym("X"), 0, 1},
		{"inside documents", bson.D{{Key: "k", Value: "Hello"}}, bson.D{{Key: "k", Value: "hello"}}, 0, -1},
		{"field names are not collated", bson.D{{Key: "K", Value: "x"}}, bson.D{{Key: "k", Value: "x"}}, -1, -1},
		{"inside arrays", bson.A{"a", "B"}, bson.A{"A", "b"}, 0, 1},
		{"nested array in document", bson.D{{Key: "a", Value: bson.A{bson.D{{Key: "b", Value: "Q"}}}}}, bson.D{{Key: "a", Value: bson.A{bson.D{{Key: "b", Value: "q"}}}}}, 0, -1},
		{"type order still first", "A", int32(1), 1, 1},
		{"numbers unaffected", int32(2), 2.0, 0, 0},
		{"regex not collated", bson.Regex{Pattern: "A"}, bson.Regex{Pattern: "a"}, -1, -1},
		{"code not collated", bson.JavaScript("A"), bson.JavaScript("a"), -1, -1},
		{"code scope not collated", cws("f", bson.D{{Key: "v", Value: "A"}}), cws("f", bson.D{{Key: "v", Value: "a"}}), -1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := rv(t, tc.a), rv(t, tc.b)
			if v, ok := tc.a.(bson.RawValue); ok {
				a = v
			}
			if v, ok := tc.b.(bson.RawValue); ok {
				b = v
			}
			if got := CompareWith(a, b, foldComparer{}); sign(got) != tc.want {
				t.Errorf("CompareWith = %d, want %d", got, tc.want)
			}
			if got := CompareWith(b, a, foldComparer{}); sign(got) != -tc.want {
				t.Errorf("reversed CompareWith = %d, want %d", got, -tc.want)
			}
			if got, want := CompareWith(a, b, nil), Compare(a, b); got != want || sign(got) != tc.wantSimple {
				t.Errorf("CompareWith(nil) = %d, Compare = %d, want %d", got, want, tc.wantSimple)
			}
			if got := EqualWith(a, b, foldComparer{}); got != (tc.want == 0) {
				t.Errorf("EqualWith = %v", got)
			}
		})
	}
}

func TestCompareDocsWith(t *testing.T) {
	a, _ := bson.Marshal(bson.D{{Key: "name", Value: "ZOE"}, {Key: "n", Value: int32(1)}})
	b, _ := bson.Marshal(bson.D{{Key: "name", Value: "zoe"}, {Key: "n", Value: int32(2)}})
	if got := CompareDocsWith(a, b, foldComparer{}); got != -1 {
		t.Errorf("CompareDocsWith = %d, want -1 (names equal under the collation, n decides)", got)
	}
	if got := CompareDocsWith(a, b, nil); got != CompareDocs(a, b) || got != -1 {
		t.Errorf("CompareDocsWith(nil) = %d, want CompareDocs = %d", got, CompareDocs(a, b))
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func BenchmarkCompareWith(b *testing.B) {
	pairs := benchPairs(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pairs[i%len(pairs)]
		CompareWith(p[0], p[1], foldComparer{})
	}
}
