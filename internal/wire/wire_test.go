package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/snappy"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

func mustDoc(t testing.TB, v any) []byte {
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
	two := &OpMsg{Flags: FlagExhaustAllowed, Body: body, Sequences: []Sequence{
		{Identifier: "ops", Documents: []bson.Raw{doc, doc}},
		{Identifier: "nsInfo", Documents: []bson.Raw{doc}},
	}}
	for _, tc := range []struct {
		name  string
		frame []byte
		flags uint32
		seqs  []int // documents per sequence
	}{
		{"plain", AppendMsg(nil, 7, 3, 0, body), 0, nil},
		{"checksum", AppendMsg(nil, 7, 3, FlagChecksumPresent, body), FlagChecksumPresent, nil},
		{"moreToCome", AppendMsg(nil, 7, 3, FlagMoreToCome, body), FlagMoreToCome, nil},
		{"sequence", AppendMsgWithSequence(nil, 7, 0, body, "documents", doc, doc), 0, []int{2}},
		{"empty sequence", AppendMsgWithSequence(nil, 7, 0, body, "documents"), 0, []int{0}},
		{"sequence+checksum", AppendMsgWithSequence(nil, 7, FlagChecksumPresent, body, "documents", doc), FlagChecksumPresent, []int{1}},
		{"two sequences", AppendOpMsg(nil, 7, 3, two), FlagExhaustAllowed, []int{2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMessage(tc.frame, MaxMessageSize)
			if err != nil {
				t.Fatal(err)
			}
			check := func(m *Message) {
				t.Helper()
				if m.Header.RequestID != 7 || m.Header.OpCode != OpMsgCode || int(m.Header.MessageLength) != len(tc.frame) {
					t.Fatalf("header %+v", m.Header)
				}
				if m.Msg.Flags != tc.flags || !bytes.Equal(m.Msg.Body, body) || len(m.Msg.Sequences) != len(tc.seqs) {
					t.Fatalf("parsed %+v", m.Msg)
				}
				for i, n := range tc.seqs {
					if len(m.Msg.Sequences[i].Documents) != n {
						t.Fatalf("sequence %d: %+v", i, m.Msg.Sequences[i])
					}
					for _, d := range m.Msg.Sequences[i].Documents {
						if !bytes.Equal(d, doc) {
							t.Fatalf("sequence %d document %x", i, d)
						}
					}
				}
			}
			check(m)
			if m.Compressed {
				t.Fatal("uncompressed frame reported as compressed")
			}
			for _, id := range []uint8{CompressorNoop, CompressorSnappy, CompressorZlib, CompressorZstd} {
				c, err := Compress(nil, tc.frame, id)
				if err != nil {
					t.Fatal(err)
				}
				if op := int32(binary.LittleEndian.Uint32(c[12:])); op != OpCompressed {
					t.Fatalf("compressed opcode %d", op)
				}
				cm, err := ParseMessage(c, MaxMessageSize)
				if err != nil {
					t.Fatalf("compressor %d: %v", id, err)
				}
				if !cm.Compressed || cm.CompressorID != id {
					t.Fatalf("compressor %d: %+v", id, cm)
				}
				check(cm)
			}
		})
	}
}

func TestOpQueryAndReply(t *testing.T) {
	q := mustDoc(t, bson.D{{Key: "isMaster", Value: 1}})
	sel := mustDoc(t, bson.D{{Key: "a", Value: 1}})
	frame := AppendQuery(nil, 3, "admin.$cmd", q)
	m, err := ParseMessage(frame, MaxMessageSize)
	if err != nil {
		t.Fatal(err)
	}
	if m.Query == nil || m.Msg != nil || m.Query.FullCollectionName != "admin.$cmd" || m.Query.NumberToReturn != 1 ||
		!bytes.Equal(m.Query.Query, q) || m.Query.ReturnFieldsSelector != nil {
		t.Fatalf("OP_QUERY: %+v", m.Query)
	}
	withSel := append(bytes.Clone(frame), sel...)
	binary.LittleEndian.PutUint32(withSel, uint32(len(withSel)))
	m, err = ParseMessage(withSel, MaxMessageSize)
	if err != nil || !bytes.Equal(m.Query.ReturnFieldsSelector, sel) {
		t.Fatalf("selector: %+v %v", m, err)
	}

	reply := AppendReply([]byte{0xAA}, 10, 3, 8, 99, 0, q, sel)[1:]
	if got := int(binary.LittleEndian.Uint32(reply)); got != len(reply) {
		t.Fatalf("reply length %d, have %d bytes", got, len(reply))
	}
	want := []int32{int32(len(reply)), 10, 3, OpReply, 8}
	for i, w := range want {
		if got := int32(binary.LittleEndian.Uint32(reply[4*i:])); got != w {
			t.Fatalf("reply word %d = %d, want %d", i, got, w)
		}
	}
	if cid := binary.LittleEndian.Uint64(reply[20:]); cid != 99 {
		t.Fatalf("cursorID %d", cid)
	}
	if n := binary.LittleEndian.Uint32(reply[32:]); n != 2 || !bytes.Equal(reply[36:], append(bytes.Clone(q), sel...)) {
		t.Fatalf("numberReturned %d, docs %x", n, reply[36:])
	}
}

func TestAppendMsgChecksum(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "ok", Value: 1.0}})
	out := AppendMsg([]byte("prefix"), 1, 2, FlagChecksumPresent, body)[6:]
	if int(binary.LittleEndian.Uint32(out)) != len(out) {
		t.Fatal("length does not cover the checksum")
	}
	want := crc32.Checksum(out[:len(out)-4], crc32.MakeTable(crc32.Castagnoli))
	if got := binary.LittleEndian.Uint32(out[len(out)-4:]); got != want {
		t.Fatalf("checksum %08x, want %08x", got, want)
	}
}

func TestCompressorByName(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   uint8
		ok   bool
	}{{"snappy", 1, true}, {"zlib", 2, true}, {"zstd", 3, true}, {"noop", 0, false}, {"lz4", 0, false}} {
		if id, ok := CompressorByName(tc.name); id != tc.id || ok != tc.ok {
			t.Errorf("%s: %d %v", tc.name, id, ok)
		}
	}
	if _, err := Compress(nil, make([]byte, 20), 9); err == nil {
		t.Error("unknown compressor accepted by Compress")
	}
}

// frame builds a message with the given opcode and payload.
func frame(requestID, opcode int32, payload ...[]byte) []byte {
	out := appendHeader(nil, requestID, 0, opcode)
	for _, p := range payload {
		out = append(out, p...)
	}
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	return out
}

func le32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

func compressed(requestID, orig, size int32, id uint8, data []byte) []byte {
	p := append(le32(orig), le32(size)...)
	p = append(p, id)
	return frame(requestID, OpCompressed, p, data)
}

func TestFrameErrors(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}})
	doc := mustDoc(t, bson.D{{Key: "_id", Value: 1}})
	badChecksum := AppendMsg(nil, 5, 0, FlagChecksumPresent, body)
	badChecksum[len(badChecksum)-1] ^= 0xFF
	twoBodies := frame(5, OpMsgCode, le32(0), []byte{0}, body, []byte{0}, body)
	badBSON := []byte{6, 0, 0, 0, 0x42, 0}
	seq := func(ident string, docs ...[]byte) []byte {
		p := append([]byte{1}, le32(0)...)
		p = append(p, ident...)
		p = append(p, 0)
		for _, d := range docs {
			p = append(p, d...)
		}
		binary.LittleEndian.PutUint32(p[1:], uint32(len(p)-1))
		return p
	}
	inner := AppendMsg(nil, 5, 0, 0, body)
	deep := orEmpty(t, nil)
	for i := 0; i <= MaxNestingDepth; i++ {
		deep = mustDoc(t, bson.D{{Key: "a", Value: bson.Raw(deep)}})
	}
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint32(huge, MaxBSONObjectSize+BSONObjectSizeOverhead+1)

	for _, tc := range []struct {
		name  string
		frame []byte
		fatal bool
		code  mongoerr.Code
		msg   string
	}{
		{"length too small", frame(5, OpMsgCode)[:12:12], true, 0, ""},
		{"length below header", append(le32(15), make([]byte, 12)...), true, mongoerr.ProtocolError, "recv(): message msgLen 15 is invalid. Min 16 Max: 48000000"},
		{"length above max", append(le32(MaxMessageSize+1), make([]byte, 12)...), true, mongoerr.ProtocolError, "recv(): message msgLen 48000001 is invalid"},
		{"negative length", append(le32(-1), make([]byte, 12)...), true, mongoerr.ProtocolError, "msgLen -1 is invalid"},
		{"truncated body", AppendMsg(nil, 5, 0, 0, body)[:20], true, mongoerr.ProtocolError, "short message"},
		{"unknown opcode", frame(5, 2002, le32(0)), false, mongoerr.ProtocolError, "Unsupported opcode 2002"},
		{"OP_REPLY from client", frame(5, OpReply, make([]byte, 20)), false, mongoerr.ProtocolError, "Unsupported opcode 1"},
		{"OP_MSG without flags", frame(5, OpMsgCode, []byte{0, 0}), false, mongoerr.ProtocolError, "too short"},
		{"illegal flag", AppendMsg(nil, 5, 0, 1<<3, body), true, mongoerr.IllegalOpMsgFlag, "Message contains illegal flags value: Ob00000000000000000000000000001000"},
		{"checksum mismatch", badChecksum, true, mongoerr.ChecksumMismatch, "OP_MSG checksum does not match contents"},
		{"checksum missing", frame(5, OpMsgCode, le32(1), []byte{0}), true, mongoerr.ChecksumMismatch, "checksum"},
		{"no body", frame(5, OpMsgCode, le32(0)), false, mongoerr.Location40587, "OP_MSG messages must have a body"},
		{"only a sequence", frame(5, OpMsgCode, le32(0), seq("documents", doc)), false, mongoerr.Location40587, "must have a body"},
		{"two bodies", twoBodies, false, mongoerr.Location40430, "Multiple body sections in message"},
		{"unknown section kind", frame(5, OpMsgCode, le32(0), []byte{0}, body, []byte{2}), false, mongoerr.Location40432, "Unknown section kind 2"},
		{"duplicate sequence", frame(5, OpMsgCode, le32(0), seq("d", doc), seq("d", doc), []byte{0}, body), false, mongoerr.Location40431, "Duplicate document sequence: d"},
		{"three sequences", frame(5, OpMsgCode, le32(0), seq("a"), seq("b"), seq("c"), []byte{0}, body), true, mongoerr.TooManyDocumentSequences, "Too many document sequences in OP_MSG"},
		{"sequence in body", frame(5, OpMsgCode, le32(0), seq("ping", doc), []byte{0}, body), false, mongoerr.Location40433, "Duplicate field between body and document sequence ping"},
		{"sequence size overruns", frame(5, OpMsgCode, le32(0), []byte{0}, body, []byte{1}, le32(100), []byte("x\x00")), false, mongoerr.ProtocolError, "document sequence size 100"},
		{"sequence size too small", frame(5, OpMsgCode, le32(0), []byte{0}, body, []byte{1}, le32(2)), false, mongoerr.ProtocolError, "document sequence size 2"},
		{"sequence identifier unterminated", frame(5, OpMsgCode, le32(0), []byte{0}, body, []byte{1}, le32(6), []byte("ab")), false, mongoerr.ProtocolError, "not null-terminated"},
		{"bad document in sequence", frame(5, OpMsgCode, le32(0), seq("documents", badBSON), []byte{0}, body), false, mongoerr.InvalidBSON, ""},
		{"partial document in sequence", frame(5, OpMsgCode, le32(0), seq("documents", doc[:len(doc)-1]), []byte{0}, body), false, mongoerr.InvalidBSON, "Incorrect BSON length"},
		{"invalid body BSON", AppendMsg(nil, 5, 0, 0, []byte{8, 0, 0, 0, 0x42, 'a', 0, 0}), false, mongoerr.InvalidBSON, "66"},
		{"body too deep", AppendMsg(nil, 5, 0, 0, deep), false, mongoerr.Overflow, "BSONObj exceeds maximum nested object depth in element with field name 'a'"},
		{"body too large", frame(5, OpMsgCode, le32(0), []byte{0}, huge), false, mongoerr.BSONObjectTooLarge, "BSONObj size: 16793601 (0x1004001) is invalid. Size must be between 0 and 16793600(16MB)"},
		{"body size negative", frame(5, OpMsgCode, le32(0), []byte{0}, le32(-1), []byte{0}), false, mongoerr.BSONObjectTooLarge, "BSONObj size: -1 (0xFFFFFFFF) is invalid"},
		{"body overruns frame", frame(5, OpMsgCode, le32(0), []byte{0}, body[:len(body)-2]), false, mongoerr.InvalidBSON, ""},
		{"OP_QUERY unterminated name", frame(5, OpQueryCode, le32(0), []byte("admin")), false, mongoerr.ProtocolError, "not null-terminated"},
		{"OP_QUERY without counts", frame(5, OpQueryCode, le32(0), []byte("a.$cmd\x00"), le32(0)), false, mongoerr.ProtocolError, "too short"},
		{"OP_QUERY bad query", frame(5, OpQueryCode, le32(0), []byte("a.$cmd\x00"), le32(0), le32(1), badBSON), false, mongoerr.InvalidBSON, ""},
		{"OP_QUERY trailing bytes", frame(5, OpQueryCode, le32(0), []byte("a.$cmd\x00"), le32(0), le32(1), body, doc, []byte{1}), false, mongoerr.ProtocolError, "trailing bytes"},
		{"compressed header short", frame(5, OpCompressed, []byte{1, 2, 3}), true, mongoerr.BadValue, "Invalid compressed message header"},
		{"unknown compressor", compressed(5, OpMsgCode, 10, 4, nil), true, mongoerr.InternalError, "Compression algorithm specified in message is not available"},
		{"uncompressed size too large", compressed(5, OpMsgCode, MaxMessageSize, CompressorSnappy, nil), true, mongoerr.BadValue, "Decompressed message would be larger than maximum message size"},
		{"uncompressed size negative", compressed(5, OpMsgCode, -5, CompressorZlib, nil), true, mongoerr.BadValue, "larger than maximum"},
		{"compressed compressed", compressed(5, OpCompressed, 4, CompressorNoop, []byte{1, 2, 3, 4}), true, mongoerr.BadValue, "cannot wrap"},
		{"noop size mismatch", compressed(5, OpMsgCode, 100, CompressorNoop, inner[16:]), true, mongoerr.BadValue, ""},
		{"snappy size lie", compressed(5, OpMsgCode, 1000, CompressorSnappy, snappy.Encode(nil, inner[16:])), true, mongoerr.BadValue, ""},
		{"snappy garbage", compressed(5, OpMsgCode, 10, CompressorSnappy, []byte{10, 0xFF, 0xFF}), true, mongoerr.BadValue, ""},
		{"zlib garbage", compressed(5, OpMsgCode, 10, CompressorZlib, []byte("not zlib at all")), true, mongoerr.BadValue, ""},
		{"zstd garbage", compressed(5, OpMsgCode, 10, CompressorZstd, []byte("not zstd at all")), true, mongoerr.BadValue, ""},
		{"compressed invalid content", compressed(5, OpMsgCode, 6, CompressorNoop, append(le32(0), 9, 9)), false, mongoerr.Location40432, "Unknown section kind 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMessage(tc.frame, MaxMessageSize)
			if err == nil {
				t.Fatal("parsed a bad frame")
			}
			if tc.code == 0 {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("want ErrUnexpectedEOF, got %v", err)
				}
				return
			}
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("want a FrameError, got %T %v", err, err)
			}
			if fe.Fatal != tc.fatal || fe.Code != tc.code || !strings.Contains(fe.Msg, tc.msg) {
				t.Fatalf("got %+v", fe)
			}
			if fe.Code != mongoerr.ProtocolError || !fe.Fatal {
				if fe.RequestID != 5 {
					t.Fatalf("requestID %d", fe.RequestID)
				}
			}
		})
	}
}

func TestReadMessageStream(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "ping", Value: 1}})
	var stream []byte
	stream = AppendMsg(stream, 1, 0, 0, body)
	stream = AppendMsg(stream, 2, 0, 1<<3, body) // rejected but fully consumed
	stream = AppendMsg(stream, 3, 0, FlagChecksumPresent, body)
	r := bytes.NewReader(stream)
	for _, want := range []int32{1, 2, 3} {
		m, err := ReadMessage(r, MaxMessageSize)
		if want == 2 {
			var fe *FrameError
			if !errors.As(err, &fe) || fe.RequestID != 2 {
				t.Fatalf("want an error for frame 2, got %v", err)
			}
			continue
		}
		if err != nil || m.Header.RequestID != want {
			t.Fatalf("frame %d: %+v %v", want, m, err)
		}
	}
	if _, err := ReadMessage(r, MaxMessageSize); !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF at the end, got %v", err)
	}
	// A smaller limit is honoured before the body is read.
	_, err := ReadMessage(bytes.NewReader(AppendMsg(nil, 1, 0, 0, body)), 20)
	var fe *FrameError
	if !errors.As(err, &fe) || !fe.Fatal || !strings.Contains(fe.Msg, "Max: 20") {
		t.Fatalf("limit: %v", err)
	}
}

func orEmpty(t testing.TB, b []byte) []byte {
	if len(b) == 0 {
		return mustDoc(t, bson.D{})
	}
	return b
}

func BenchmarkParseInsert(b *testing.B) {
	body := mustDoc(b, bson.D{{Key: "insert", Value: "c"}, {Key: "ordered", Value: true}, {Key: "$db", Value: "test"}})
	var docs [][]byte
	for i := 0; i < 100; i++ {
		docs = append(docs, mustDoc(b, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "n", Value: i},
			{Key: "name", Value: "a typical string value"}, {Key: "tags", Value: bson.A{"x", "y"}},
			{Key: "sub", Value: bson.D{{Key: "a", Value: 1.5}, {Key: "b", Value: true}}}}))
	}
	frame := AppendMsgWithSequence(nil, 1, 0, body, "documents", docs...)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMessage(frame, MaxMessageSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateDocument(b *testing.B) {
	doc := mustDoc(b, bson.D{{Key: "_id", Value: bson.NewObjectID()}, {Key: "name", Value: "a typical string value"},
		{Key: "tags", Value: bson.A{"x", "y", 3}}, {Key: "sub", Value: bson.D{{Key: "a", Value: 1.5}, {Key: "b", Value: true}}}})
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidateDocument(doc, MaxNestingDepth); err != nil {
			b.Fatal(err)
		}
	}
}
