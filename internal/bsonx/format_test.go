package bsonx

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Format never panics on a malformed string (a length of 0 that a
// shallow validation lets through); it is used in error messages.
func TestFormatMalformedString(t *testing.T) {
	for _, v := range [][]byte{{0, 0, 0, 0}, {1, 0, 0}, {9, 0, 0, 0, 'a', 0}} {
		if got := Format(bson.RawValue{Type: bson.TypeString, Value: v}); got != "<invalid string>" {
			t.Errorf("%v: %q", v, got)
		}
	}
	if got := Format(bson.RawValue{Type: bson.TypeString, Value: []byte{2, 0, 0, 0, 'a', 0}}); got != `"a"` {
		t.Errorf("valid string: %q", got)
	}
}
