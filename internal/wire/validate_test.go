package wire

import (
	"encoding/binary"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// doc wraps element bytes into a document with a correct length prefix.
func doc(elems ...byte) []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(elems)+5))
	out = append(out, elems...)
	return append(out, 0)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func nest(t *testing.T, levels int, array bool) []byte {
	d := mustDoc(t, bson.D{})
	for i := 0; i < levels; i++ {
		if array {
			d = cat([]byte{4, '0', 0}, d)
		} else {
			d = cat([]byte{3, 'a', 0}, d)
		}
		d = doc(d...)
	}
	return d
}

func TestValidateDocument(t *testing.T) {
	str := func(s string) []byte {
		return cat(binary.LittleEndian.AppendUint32(nil, uint32(len(s)+1)), []byte(s), []byte{0})
	}
	scope := mustDoc(t, bson.D{{Key: "x", Value: 1}})
	cws := cat(binary.LittleEndian.AppendUint32(nil, uint32(4+len(str("f()"))+len(scope))), str("f()"), scope)
	for _, tc := range []struct {
		name string
		doc  []byte
		code mongoerr.Code // 0: valid
		msg  string
	}{
		{"empty", doc(), 0, ""},
		{"all types", mustDoc(t, bson.D{{Key: "d", Value: 1.5}, {Key: "s", Value: "x"}, {Key: "o", Value: bson.D{{Key: "a", Value: 1}}},
			{Key: "a", Value: bson.A{1, "b"}}, {Key: "b", Value: bson.Binary{Subtype: 0, Data: []byte{1}}}, {Key: "u", Value: bson.Undefined{}},
			{Key: "id", Value: bson.NewObjectID()}, {Key: "t", Value: true}, {Key: "dt", Value: bson.DateTime(5)}, {Key: "n", Value: nil},
			{Key: "re", Value: bson.Regex{Pattern: "a", Options: "i"}}, {Key: "p", Value: bson.DBPointer{DB: "db", Pointer: bson.NewObjectID()}},
			{Key: "js", Value: bson.JavaScript("f()")}, {Key: "sym", Value: bson.Symbol("s")},
			{Key: "cws", Value: bson.CodeWithScope{Code: "f()", Scope: bson.D{{Key: "x", Value: 1}}}},
			{Key: "i", Value: int32(1)}, {Key: "ts", Value: bson.Timestamp{T: 1, I: 2}}, {Key: "l", Value: int64(3)},
			{Key: "dec", Value: bson.NewDecimal128(1, 2)}, {Key: "min", Value: bson.MinKey{}}, {Key: "max", Value: bson.MaxKey{}}}), 0, ""},
		{"code with scope", doc(cat([]byte{0x0F, 'c', 0}, cws)...), 0, ""},
		{"old binary", doc(cat([]byte{5, 'b', 0}, []byte{5, 0, 0, 0, 2, 1, 0, 0, 0, 9})...), 0, ""},
		{"depth at limit", nest(t, MaxNestingDepth, false), 0, ""},
		{"array depth at limit", nest(t, MaxNestingDepth, true), 0, ""},
		{"too short", []byte{5, 0, 0, 0}, mongoerr.InvalidBSON, "BSON data has to be at least 5 bytes"},
		{"length below 5", []byte{4, 0, 0, 0, 0}, mongoerr.InvalidBSON, "BSON data has to be at least 5 bytes"},
		{"length mismatch", []byte{6, 0, 0, 0, 0}, mongoerr.InvalidBSON, "Incorrect BSON length"},
		{"trailing bytes", []byte{5, 0, 0, 0, 0, 0}, mongoerr.InvalidBSON, "Incorrect BSON length"},
		{"no EOO", []byte{5, 0, 0, 0, 1}, mongoerr.InvalidBSON, "BSON object not terminated with EOO"},
		{"unknown type", doc(0x42, 'a', 0), mongoerr.InvalidBSON, "Unrecognized BSON type 66 in element with field name 'a'"},
		{"type 0x14", doc(0x14, 'a', 0), mongoerr.InvalidBSON, "Unrecognized BSON type 20"},
		{"name unterminated", doc(0x10, 'a', 'b'), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"int32 truncated", doc(0x10, 'a', 0, 1, 2), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"bool 2", doc(0x08, 'b', 0, 2), mongoerr.InvalidBSON, "BSON bool is neither false nor true in element with field name 'b'"},
		{"string no NUL", doc(cat([]byte{2, 's', 0}, []byte{2, 0, 0, 0, 'x', 'y'})...), mongoerr.InvalidBSON, "Not null terminated string"},
		{"string length 0", doc(cat([]byte{2, 's', 0}, []byte{0, 0, 0, 0})...), mongoerr.InvalidBSON, "Not null terminated string"},
		{"string overruns", doc(cat([]byte{2, 's', 0}, []byte{50, 0, 0, 0, 'x', 0})...), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"string negative length", doc(cat([]byte{2, 's', 0}, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0})...), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"nested too small", doc(3, 'o', 0, 4, 0, 0, 0), mongoerr.InvalidBSON, "Nested BSON object has to be at least 5 bytes"},
		{"nested overruns", doc(3, 'o', 0, 9, 0, 0, 0, 0), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"nested no EOO", doc(3, 'o', 0, 5, 0, 0, 0, 1), mongoerr.InvalidBSON, "incorrect BSON length"},
		{"nested bad element", doc(cat([]byte{3, 'o', 0}, doc(8, 'x', 0, 7))...), mongoerr.InvalidBSON, "field name 'x'"},
		{"binary overruns", doc(5, 'b', 0, 9, 0, 0, 0, 0, 1), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"old binary inner length", doc(cat([]byte{5, 'b', 0}, []byte{5, 0, 0, 0, 2, 2, 0, 0, 0, 9})...), mongoerr.InvalidBSON, "subtype 2"},
		{"regex unterminated", doc(0x0B, 'r', 0, 'a', 0, 'i'), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"dbpointer short", doc(cat([]byte{0x0C, 'p', 0}, str("db"), []byte{1, 2})...), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"code with scope bad total", doc(cat([]byte{0x0F, 'c', 0}, []byte{200, 0, 0, 0}, cws[4:])...), mongoerr.InvalidBSON, "BSON size is larger than buffer size"},
		{"code with scope short total", doc(cat([]byte{0x0F, 'c', 0}, binary.LittleEndian.AppendUint32(nil, uint32(len(cws)-1)), cws[4:])...), mongoerr.InvalidBSON, ""},
		{"too deep", nest(t, MaxNestingDepth+1, false), mongoerr.Overflow, "BSONObj exceeds maximum nested object depth in element with field name 'a'"},
		{"array too deep", nest(t, MaxNestingDepth+1, true), mongoerr.Overflow, "BSONObj exceeds maximum nested object depth"},
		{"odd field name", doc(0x42, 0x01, '\\', 0), mongoerr.InvalidBSON, `field name '\x01\x5c'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateDocument(tc.doc, MaxNestingDepth)
			if tc.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if err := bson.Raw(tc.doc).Validate(); err != nil {
					t.Fatalf("the BSON library rejects a valid case: %v", err)
				}
				return
			}
			me := mongoerr.As(err)
			if err == nil || me.Code != tc.code || !strings.Contains(me.Message, tc.msg) {
				t.Fatalf("got %v (%v)", err, me)
			}
		})
	}
	// A smaller limit is honoured.
	if err := ValidateDocument(nest(t, 3, false), 2); mongoerr.As(err).Code != mongoerr.Overflow {
		t.Fatalf("depth 3 with limit 2: %v", err)
	}
}

func TestValidateAgreesWithCorpus(t *testing.T) {
	docs := corpusDocs(t)
	if len(docs) < 300 {
		t.Fatalf("corpus has %d documents", len(docs))
	}
	accepted := 0
	for _, d := range docs {
		if ValidateDocument(d, MaxNestingDepth) == nil {
			accepted++
			if err := bson.Raw(d).Validate(); err != nil {
				t.Errorf("accepted %x which the BSON library rejects: %v", d, err)
			}
		}
	}
	if accepted < 200 {
		t.Fatalf("accepted only %d corpus documents", accepted)
	}
}

func TestValidateDoesNotAllocate(t *testing.T) {
	d := mustDoc(t, bson.D{{Key: "a", Value: bson.A{1, "x", bson.D{{Key: "b", Value: true}}}}})
	if n := testing.AllocsPerRun(100, func() { _ = ValidateDocument(d, MaxNestingDepth) }); n != 0 {
		t.Fatalf("%v allocations per valid document", n)
	}
}
