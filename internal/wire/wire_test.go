package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

func mustDoc(t *testing.T, v any) []byte {
	t.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrips(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}})
	doc := mustDoc(t, bson.D{{Key: "_id", Value: 1}})
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"plain", AppendMsg(nil, 7, 0, 0, body)},
		{"checksum", AppendMsg(nil, 7, 0, FlagChecksumPresent, body)},
		{"sequence", AppendMsgWithSequence(nil, 7, 0, body, "documents", doc, doc)},
		{"sequence+checksum", AppendMsgWithSequence(nil, 7, FlagChecksumPresent, body, "documents", doc)},
	} {
		m, err := ParseMessage(tc.frame, MaxMessageSize)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m.Header.RequestID != 7 || !bytes.Equal(m.Msg.Body, body) {
			t.Fatalf("%s: parsed %+v", tc.name, m)
		}
		for _, id := range []uint8{CompressorNoop, CompressorSnappy, CompressorZlib, CompressorZstd} {
			c, err := Compress(nil, tc.frame, id)
			if err != nil {
				t.Fatal(err)
			}
			cm, err := ParseMessage(c, MaxMessageSize)
			if err != nil {
				t.Fatalf("%s compressed with %d: %v", tc.name, id, err)
			}
			if !cm.Compressed || cm.CompressorID != id || !bytes.Equal(cm.Msg.Body, body) || len(cm.Msg.Sequences) != len(m.Msg.Sequences) {
				t.Fatalf("%s compressed with %d: %+v", tc.name, id, cm)
			}
		}
	}
	q := AppendQuery(nil, 3, "admin.$cmd", mustDoc(t, bson.D{{Key: "isMaster", Value: 1}}))
	m, err := ParseMessage(q, MaxMessageSize)
	if err != nil || m.Query == nil || m.Query.FullCollectionName != "admin.$cmd" {
		t.Fatalf("OP_QUERY: %+v %v", m, err)
	}
}

func frameErr(t *testing.T, err error) *FrameError {
	t.Helper()
	var fe *FrameError
	if !errors.As(err, &fe) {
		t.Fatalf("want a FrameError, got %v", err)
	}
	return fe
}

func TestErrors(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}})
	good := AppendMsg(nil, 5, 0, FlagChecksumPresent, body)

	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 0xFF
	fe := frameErr(t, mustFail(t, bad))
	if fe.Fatal || fe.Code != mongoerr.ChecksumMismatch || fe.RequestID != 5 {
		t.Fatalf("checksum: %+v", fe)
	}

	flags := AppendMsg(nil, 5, 0, 1<<3, body)
	if fe := frameErr(t, mustFail(t, flags)); fe.Fatal {
		t.Fatalf("illegal flag must be answerable: %+v", fe)
	}
	// Optional high bits are ignored.
	if _, err := ParseMessage(AppendMsg(nil, 5, 0, 1<<20, body), MaxMessageSize); err != nil {
		t.Fatalf("optional flag bit: %v", err)
	}

	huge := make([]byte, 16)
	binary.LittleEndian.PutUint32(huge, MaxMessageSize+1)
	if fe := frameErr(t, mustFail(t, huge)); !fe.Fatal {
		t.Fatal("oversized length must close the connection")
	}

	invalid := AppendMsg(nil, 6, 0, 0, []byte{6, 0, 0, 0, 0x42, 0})
	if fe := frameErr(t, mustFail(t, invalid)); fe.Fatal || fe.Code != mongoerr.InvalidBSON {
		t.Fatalf("invalid BSON: %+v", fe)
	}

	two := append(AppendMsg(nil, 7, 0, 0, body)[:0:0], AppendMsg(nil, 7, 0, 0, body)...)
	two = append(two[:len(two)], 0)
	two = append(two, body...)
	binary.LittleEndian.PutUint32(two, uint32(len(two)))
	if fe := frameErr(t, mustFail(t, two)); fe.Fatal {
		t.Fatalf("two bodies: %+v", fe)
	}

	deep := []byte{}
	for i := 0; i < MaxNestingDepth+5; i++ {
		deep = mustDoc(t, bson.D{{Key: "a", Value: bson.Raw(orEmpty(t, deep))}})
	}
	if err := ValidateDocument(deep, MaxNestingDepth); err == nil {
		t.Fatal("nesting beyond the limit accepted")
	}
}

func orEmpty(t *testing.T, b []byte) []byte {
	if len(b) == 0 {
		return mustDoc(t, bson.D{})
	}
	return b
}

func mustFail(t *testing.T, frame []byte) error {
	t.Helper()
	_, err := ParseMessage(frame, MaxMessageSize)
	if err == nil {
		t.Fatal("parsed a bad frame")
	}
	return err
}

func TestValidateAgreesWithCorpus(t *testing.T) {
	docs := corpusDocs(t)
	if len(docs) < 100 {
		t.Fatalf("corpus has %d documents", len(docs))
	}
	for _, d := range docs {
		if ValidateDocument(d, MaxNestingDepth) == nil && bson.Raw(d).Validate() != nil {
			t.Errorf("accepted %x which the BSON library rejects", d)
		}
	}
}

func BenchmarkParseInsert(b *testing.B) {
	body, _ := bson.Marshal(bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}})
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: 1}, {Key: "name", Value: "x"}})
	frame := AppendMsgWithSequence(nil, 1, 0, body, "documents", doc, doc, doc)
	for b.Loop() {
		if _, err := ParseMessage(frame, MaxMessageSize); err != nil {
			b.Fatal(err)
		}
	}
}
