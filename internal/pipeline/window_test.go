package pipeline

import (
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/expr"
)

// TestWinSumNarrowing pins mongod's RemovableSum result types: a sum of
// longs that fits an int is an int, infinities of both signs are NaN.
func TestWinSumNarrowing(t *testing.T) {
	ec := &expr.EvalContext{}
	m := newValueMath(nil)
	s := newWinSum(false, ec, m)
	s.add(winInt64(2))
	s.add(winInt64(3))
	if v, _ := s.result(); v.Type != bson.TypeInt32 || v.Int32() != 5 {
		t.Fatalf("sum of longs = %v, want int 5", v)
	}
	s.add(winDouble(math.Inf(1)))
	s.add(winDouble(math.Inf(-1)))
	if v, _ := s.result(); v.Type != bson.TypeDouble || !math.IsNaN(v.Double()) {
		t.Fatalf("sum with +inf and -inf = %v, want NaN", v)
	}
	a := newWinSum(true, ec, m)
	if v, _ := a.result(); v.Type != bson.TypeNull {
		t.Fatalf("empty avg = %v, want null", v)
	}
}

// TestDocumentWindows checks the clamping of document-based windows.
func TestDocumentWindows(t *testing.T) {
	p := &winPartition{docs: make([]bson.Raw, 5)}
	b := windowBounds{lower: windowBound{kind: boundValue, n: -1}, upper: windowBound{kind: boundValue, n: 2}}
	r, err := newWinResolver(b, p)
	if err != nil {
		t.Fatal(err)
	}
	want := [][3]int{{0, 2, 1}, {0, 3, 1}, {1, 4, 1}, {2, 4, 1}, {3, 4, 1}}
	for i, w := range want {
		lo, hi, ok, _ := r.window(i)
		if lo != w[0] || hi != w[1] || ok != (w[2] == 1) {
			t.Errorf("window(%d) = %d, %d, %v; want %v", i, lo, hi, ok, w)
		}
	}
	empty := windowBounds{lower: windowBound{kind: boundValue, n: 6}, upper: windowBound{kind: boundValue, n: 7}}
	r, _ = newWinResolver(empty, p)
	if _, _, ok, _ := r.window(0); ok {
		t.Error("window beyond the partition should be empty")
	}
}
