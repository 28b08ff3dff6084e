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
		bson.MinKey{}, bson.Null{},
		math.NaN(), math.Inf(-1), d128("-1e400"), int64(math.MinInt64), -1e18, -2.5, int32(-2), -0.1, d128("-0.1"),
		0.0, 1e-300, d128("0.1"), 0.1, int32(1), 1.5, int64(1 << 53), int64(1<<53 + 1), 1e19, d128("1e40"), math.Inf(1),
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

// TestBSONCorpusOrder encodes every valid value of the BSON corpus and
// checks that byte order and Compare agree on all of them.
func TestBSONCorpusOrder(t *testing.T) {
	files, _ := filepath.Glob("testdata/bson-corpus/*.json")
	if len(files) == 0 {
		t.Skip("no corpus")
	}
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
		json.Unmarshal(data, &suite)
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
	if len(vals) < 100 {
		t.Fatalf("only %d corpus values", len(vals))
	}
	byCompare := append([]bson.RawValue(nil), vals...)
	sort.SliceStable(byCompare, func(i, j int) bool { return bsonx.Compare(byCompare[i], byCompare[j]) < 0 })
	for i := 1; i < len(byCompare); i++ {
		a, b := byCompare[i-1], byCompare[i]
		got := bytes.Compare(AppendValue(nil, a, false), AppendValue(nil, b, false))
		want := bsonx.Compare(a, b)
		if got != want {
			t.Errorf("corpus: %v vs %v: bytes %d, Compare %d", a, b, got, want)
		}
	}
	t.Logf("%d corpus values agree", len(vals))
}

func BenchmarkEncode(b *testing.B) {
	v := val(b, bson.D{{Key: "a", Value: 12345}, {Key: "b", Value: "hello world"}})
	var buf []byte
	for b.Loop() {
		buf = AppendValue(buf[:0], v, false)
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
			if v.Type != bson.TypeDouble && v.Type != bson.TypeInt32 && v.Type != bson.TypeInt64 &&
				v.Type != bson.TypeDecimal128 && v.Type != bson.TypeUndefined && !bytes.Equal(got[0].Value, v.Value) {
				t.Errorf("%v changed representation: %v", v, got[0])
			}
		}
	}
}
