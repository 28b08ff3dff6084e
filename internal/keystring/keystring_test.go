package keystring

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/bsonx"
)

func val(t testing.TB, v any) bson.RawValue {
	t.Helper()
	typ, data, err := bson.MarshalValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return bson.RawValue{Type: typ, Value: data}
}

// ordered lists values in strictly increasing MongoDB order.
func ordered(t testing.TB) []bson.RawValue {
	d128 := func(s string) bson.Decimal128 { d, _ := bson.ParseDecimal128(s); return d }
	oid1, _ := bson.ObjectIDFromHex("000000000000000000000001")
	oid2, _ := bson.ObjectIDFromHex("000000000000000000000002")
	vals := []any{
		bson.MinKey{}, bson.Undefined{}, bson.Null{},
		math.NaN(), math.Inf(-1), d128("-1e400"), int64(math.MinInt64), -1e18, -2.5, int32(-2),
		-0.1, d128("-0.1000000000000000055511151231257827"), d128("-0.1"),
		0.0, math.SmallestNonzeroFloat64, 1e-300, d128("0.1"), 0.1, d128("0.1000000000000000055511151231257828"),
		int32(1), d128("1.000000000000000000000000000000001"), 1.5, int64(1 << 53), int64(1<<53 + 1), float64(1<<53 + 2),
		int64(math.MaxInt64), 9.223372036854775807e18, 1e19, d128("1e40"), math.MaxFloat64, d128("9.999999999999999999999999999999999E+6144"), math.Inf(1),
		"", "a", "a\x00", "ab", "b",
		bson.D{}, bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}, bson.D{{Key: "b", Value: 0}}, bson.D{{Key: "a", Value: "x"}},
		bson.A{}, bson.A{1}, bson.A{1, 2}, bson.A{2},
		bson.Binary{Subtype: 0, Data: []byte{9}}, bson.Binary{Subtype: 1, Data: []byte{1}}, bson.Binary{Subtype: 0, Data: []byte{1, 2}},
		oid1, oid2, false, true,
		bson.DateTime(-5), bson.DateTime(0), bson.DateTime(7),
		bson.Timestamp{T: 1, I: 2}, bson.Timestamp{T: 2, I: 1},
		bson.Regex{Pattern: "a", Options: "i"}, bson.Regex{Pattern: "b", Options: ""},
		bson.JavaScript("f"), bson.MaxKey{},
	}
	out := make([]bson.RawValue, len(vals))
	for i, v := range vals {
		out[i] = val(t, v)
	}
	return out
}

func TestOrderMatchesCompare(t *testing.T) {
	vals := ordered(t)
	for i := range vals {
		for j := range vals {
			want := bsonx.Compare(vals[i], vals[j])
			for _, desc := range []bool{false, true} {
				got := bytes.Compare(AppendValue(nil, vals[i], desc), AppendValue(nil, vals[j], desc))
				w := want
				if desc {
					w = -w
				}
				if got != w {
					t.Errorf("%v vs %v (desc=%v): bytes %d, Compare %d", vals[i], vals[j], desc, got, w)
				}
			}
			if i < j && want >= 0 {
				t.Errorf("Compare(%v, %v) = %d, want < 0", vals[i], vals[j], want)
			}
		}
	}
}

func TestNumbersOfAllTypesEncodeAlike(t *testing.T) {
	d, _ := bson.ParseDecimal128("1.000")
	a := AppendValue(nil, val(t, int32(1)), false)
	for _, v := range []any{int64(1), 1.0, d} {
		if !bytes.Equal(a, AppendValue(nil, val(t, v), false)) {
			t.Errorf("%v encodes differently from int32 1", v)
		}
	}
}

func TestCompoundAndRecordID(t *testing.T) {
	k1 := Encode([]bson.RawValue{val(t, "a"), val(t, 2)}, []bool{false, true})
	k2 := Encode([]bson.RawValue{val(t, "a"), val(t, 1)}, []bool{false, true})
	if bytes.Compare(k1, k2) >= 0 {
		t.Fatal("descending second component not inverted")
	}
	for _, id := range []int64{1, 2, 1 << 40} {
		got, err := DecodeRecordID(AppendRecordID(k1, id))
		if err != nil || got != id {
			t.Fatalf("record id %d -> %d %v", id, got, err)
		}
	}
	if bytes.Compare(AppendRecordID(nil, 2), AppendRecordID(nil, 10)) >= 0 {
		t.Fatal("record ids out of order")
	}
}

// corpusValues returns every top-level value of every valid case of the
// BSON corpus (a copy of the specifications repository's bson-corpus).
func corpusValues(t testing.TB) []bson.RawValue {
	files, _ := filepath.Glob("testdata/bson-corpus/*.json")
	var vals []bson.RawValue
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var suite struct {
			Valid []struct {
				CanonicalBSON string `json:"canonical_bson"`
			} `json:"valid"`
		}
		if err := json.Unmarshal(data, &suite); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, v := range suite.Valid {
			b, err := hex.DecodeString(v.CanonicalBSON)
			if err != nil || bson.Raw(b).Validate() != nil {
				continue
			}
			elems, _ := bson.Raw(b).Elements()
			for _, e := range elems {
				vals = append(vals, e.Value())
			}
		}
	}
	return vals
}

// TestBSONCorpusOrder encodes every valid value of the BSON corpus, sorts
// the values once by bsonx.Compare and once by their encodings, checks the
// two orders agree, and checks every encoding round-trips.
func TestBSONCorpusOrder(t *testing.T) {
	vals := corpusValues(t)
	if len(vals) < 500 {
		t.Fatalf("only %d corpus values", len(vals))
	}
	type entry struct {
		v   bson.RawValue
		key []byte
	}
	entries := make([]entry, len(vals))
	for i, v := range vals {
		entries[i] = entry{v, AppendValue(nil, v, false)}
	}
	byCompare := append([]entry(nil), entries...)
	sort.SliceStable(byCompare, func(i, j int) bool { return bsonx.Compare(byCompare[i].v, byCompare[j].v) < 0 })
	byBytes := append([]entry(nil), entries...)
	sort.SliceStable(byBytes, func(i, j int) bool { return bytes.Compare(byBytes[i].key, byBytes[j].key) < 0 })
	for i := range byCompare {
		// Equal values may sit in either order; the two sorts agree when
		// each position holds values Compare calls equal.
		if c := bsonx.Compare(byCompare[i].v, byBytes[i].v); c != 0 {
			t.Fatalf("position %d: Compare order has %v, byte order has %v", i, byCompare[i].v, byBytes[i].v)
		}
		if i > 0 {
			a, b := byCompare[i-1], byCompare[i]
			if got, want := bytes.Compare(a.key, b.key), bsonx.Compare(a.v, b.v); got != want {
				t.Errorf("%v vs %v: bytes %d, Compare %d", a.v, b.v, got, want)
			}
		}
	}
	for _, e := range entries {
		for _, desc := range []bool{false, true} {
			key := AppendValue(nil, e.v, desc)
			got, rest, err := Decode(key, 1, []bool{desc})
			if err != nil || len(rest) != 0 {
				t.Fatalf("decode %v (desc=%v): %v, rest %x", e.v, desc, err, rest)
			}
			if bsonx.Compare(got[0], e.v) != 0 {
				t.Errorf("%v (desc=%v) decoded as %v", e.v, desc, got[0])
			}
			if !bytes.Equal(AppendValue(nil, got[0], desc), key) {
				t.Errorf("%v (desc=%v): re-encoding the decoded value differs", e.v, desc)
			}
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	oid, _ := bson.ObjectIDFromHex("5f2b6c3e9d1e8a0012345678")
	cases := []struct {
		name string
		v    any
	}{
		{"int32", int32(12345)},
		{"double", 3.14159},
		{"string", "hello world"},
		{"objectid", oid},
		{"document", bson.D{{Key: "a", Value: 12345}, {Key: "b", Value: "hello world"}}},
	}
	for _, c := range cases {
		v := val(b, c.v)
		b.Run(c.name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendValue(buf[:0], v, false)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	vals := ordered(t)
	for _, v := range vals {
		for _, desc := range []bool{false, true} {
			key := AppendValue(nil, v, desc)
			key = AppendValue(key, val(t, "tail"), false)
			got, rest, err := Decode(key, 2, []bool{desc, false})
			if err != nil {
				t.Fatalf("%v (desc=%v): %v", v, desc, err)
			}
			if len(rest) != 0 || bsonx.Compare(got[0], v) != 0 || got[1].StringValue() != "tail" {
				t.Errorf("%v (desc=%v) decoded as %v, rest %x", v, desc, got[0], rest)
			}
			if bsonx.CanonicalType(bsoncore.Type(v.Type)) != bsonx.CanonicalType(bsoncore.Type(bson.TypeInt32)) &&
				(got[0].Type != v.Type || !bytes.Equal(got[0].Value, v.Value)) {
				t.Errorf("%v changed representation: %v", v, got[0])
			}
		}
	}
}

// TestDescendingPrefix checks that inverting a component keeps compound
// order even when one component's encoding would be a prefix of another's
// without the terminators.
func TestDescendingPrefix(t *testing.T) {
	tests := []struct {
		a, b []any
		desc []bool
	}{
		// Rows are listed in increasing index order.
		{[]any{"ab", 1}, []any{"a", 2}, []bool{true, false}},
		{[]any{"a", 9}, []any{"a\x00", 1}, []bool{false, false}},
		{[]any{bson.A{1, 2}, 0}, []any{bson.A{1}, 0}, []bool{true, false}},
		{[]any{bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}, 5}, []any{bson.D{{Key: "a", Value: 1}}, 5}, []bool{true, true}},
		{[]any{1, "b"}, []any{1, "a"}, []bool{false, true}},
		{[]any{12.5, 0}, []any{12, 0}, []bool{true, false}},
		{[]any{1.25, 0}, []any{1.2, 0}, []bool{true, false}},
		{[]any{-1.2, 0}, []any{-1.25, 0}, []bool{true, false}},
	}
	for i, tc := range tests {
		var a, b []bson.RawValue
		for j := range tc.a {
			a = append(a, val(t, tc.a[j]))
			b = append(b, val(t, tc.b[j]))
		}
		ka, kb := Encode(a, tc.desc), Encode(b, tc.desc)
		if bytes.Compare(ka, kb) >= 0 {
			t.Errorf("case %d: %v does not sort before %v", i, tc.a, tc.b)
		}
		got, rest, err := Decode(ka, len(a), tc.desc)
		if err != nil || len(rest) != 0 {
			t.Fatalf("case %d: decode: %v, rest %x", i, err, rest)
		}
		for j := range a {
			if bsonx.Compare(got[j], a[j]) != 0 {
				t.Errorf("case %d: component %d decoded as %v, want %v", i, j, got[j], a[j])
			}
		}
	}
}

// TestDecodeNumberTypes pins the canonical type a decoded number takes:
// int32 if it fits, else int64, else double if exact, else decimal128.
func TestDecodeNumberTypes(t *testing.T) {
	d128 := func(s string) bson.Decimal128 { d, _ := bson.ParseDecimal128(s); return d }
	tests := []struct {
		in   any
		want bson.Type
	}{
		{int64(5), bson.TypeInt32},
		{5.0, bson.TypeInt32},
		{d128("5.00"), bson.TypeInt32},
		{0.0, bson.TypeInt32},
		{math.Copysign(0, -1), bson.TypeInt32},
		{int64(1) << 40, bson.TypeInt64},
		{1e18, bson.TypeInt64},
		{int64(math.MinInt64), bson.TypeInt64},
		{1e19, bson.TypeDouble},
		{0.1, bson.TypeDouble},
		{math.Inf(-1), bson.TypeDouble},
		{math.NaN(), bson.TypeDouble},
		{d128("NaN"), bson.TypeDouble},
		{d128("0.1"), bson.TypeDecimal128},
		{d128("1E+400"), bson.TypeDecimal128},
	}
	for _, tc := range tests {
		v := val(t, tc.in)
		got, _, err := Decode(AppendValue(nil, v, false), 1, nil)
		if err != nil {
			t.Fatalf("%v: %v", tc.in, err)
		}
		if got[0].Type != tc.want || bsonx.Compare(got[0], v) != 0 {
			t.Errorf("%v decoded as %v (%v), want type %v", tc.in, got[0], got[0].Type, tc.want)
		}
	}
}

func TestDecodeCorrupt(t *testing.T) {
	good := Encode([]bson.RawValue{val(t, "abc"), val(t, 2.5), val(t, bson.D{{Key: "a", Value: 1}})}, nil)
	for _, key := range [][]byte{
		nil,
		{0xEE},
		good[:3],
		good[:len(good)-1],
		{tNumber, nPos, 0, 0},
		{tNumber, 0x77},
		{tBinData, 0xFF, 0xFF, 0xFF, 0xFF, 0},
		{tString, 'a', 0, 7},
	} {
		if _, _, err := Decode(key, 3, nil); err == nil {
			t.Errorf("Decode(%x) succeeded, want an error", key)
		}
	}
	if _, rest, err := Decode(good, 3, nil); err != nil || len(rest) != 0 {
		t.Fatalf("Decode(good) = %v, rest %x", err, rest)
	}
}
