package expr

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// The expression corpus (testdata/*.json, one file per operator family)
// pins down what mongod 8.0 computes for an expression: the value, with
// its exact BSON type, or the error code. Every case cites the manual page
// or mongod jstest it comes from.
//
// A case: {name, ref, expr, doc?, let?, expected? | missing: true | error: {code, messageContains?}}.
// expr and expected are Extended JSON values (relaxed: {"$numberLong": "1"}
// for int64, {"$numberDouble": "1.0"} where a double must be written
// without a fraction). doc is the document evaluated against ($$ROOT),
// {} by default; let binds variables as a command's let does. $$NOW is
// corpusNow.

var corpusNow = bson.NewDateTimeFromTime(time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC))

type exprCase struct {
	Name     string          `json:"name"`
	Ref      string          `json:"ref"`
	Expr     json.RawMessage `json:"expr"`
	Doc      json.RawMessage `json:"doc"`
	Let      json.RawMessage `json:"let"`
	Expected json.RawMessage `json:"expected"`
	Missing  bool            `json:"missing"`
	Error    *struct {
		Code            int32  `json:"code"`
		MessageContains string `json:"messageContains"`
	} `json:"error"`
}

func TestExprCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Cases []exprCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		family := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, tc := range c.Cases {
			total++
			t.Run(family+"/"+tc.Name, func(t *testing.T) { runExprCase(t, tc) })
		}
	}
	t.Logf("%d expression corpus cases", total)
}

func runExprCase(t *testing.T, tc exprCase) {
	t.Helper()
	if tc.Ref == "" {
		t.Error("case without ref")
	}
	doc := bson.Raw{5, 0, 0, 0, 0}
	if len(tc.Doc) > 0 {
		doc = extJSONDoc(t, tc.Doc)
	}
	var let bson.Raw
	if len(tc.Let) > 0 {
		let = extJSONDoc(t, tc.Let)
	}
	got, err := evalCorpusExpr(extJSONValue(t, tc.Expr), let, doc)
	if tc.Error != nil {
		me := mongoerr.As(err)
		if me == nil || int32(me.Code) != tc.Error.Code {
			t.Fatalf("got %v (value %v), want error code %d", err, got, tc.Error.Code)
		}
		if !strings.Contains(me.Message, tc.Error.MessageContains) {
			t.Fatalf("message %q does not contain %q", me.Message, tc.Error.MessageContains)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if tc.Missing {
		if got.Type != 0 {
			t.Fatalf("got %v, want missing", got)
		}
		return
	}
	want := extJSONValue(t, tc.Expected)
	if got.Type != want.Type || !bytes.Equal(got.Value, want.Value) {
		t.Fatalf("got  %s (%s)\nwant %s (%s)", got, got.Type, want, want.Type)
	}
}

// evalCorpusExpr parses and evaluates one expression as a command with
// the given let would.
func evalCorpusExpr(x bson.RawValue, let, doc bson.Raw) (bson.RawValue, error) {
	sc, err := NewScope(let, nil)
	if err != nil {
		return bson.RawValue{}, err
	}
	sc.Eval.Now = corpusNow
	e, err := Parse(x, sc.Parse)
	if err != nil {
		return bson.RawValue{}, err
	}
	return e.Eval(sc.Eval, doc)
}

func extJSONDoc(t *testing.T, data []byte) bson.Raw {
	t.Helper()
	var d bson.Raw
	if err := bson.UnmarshalExtJSON(data, false, &d); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return d
}

// extJSONValue reads one Extended JSON value by wrapping it in a document.
func extJSONValue(t *testing.T, data []byte) bson.RawValue {
	t.Helper()
	d := extJSONDoc(t, append(append([]byte(`{"v": `), data...), '}'))
	return d.Lookup("v")
}
