package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// corpusDocs returns the documents of testdata/bson-corpus.hex: the valid
// and the decode-error cases of the drivers' BSON corpus.
func corpusDocs(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open("testdata/bson-corpus.hex")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			tb.Fatalf("bad seed %q: %v", line, err)
		}
		out = append(out, b)
	}
	return out
}

func seedFrames(tb testing.TB) [][]byte {
	body, _ := bson.Marshal(bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}})
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: 1}})
	hello, _ := bson.Marshal(bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}})
	msg := AppendMsg(nil, 1, 0, 0, hello)
	frames := [][]byte{
		msg,
		AppendMsg(nil, 2, 0, FlagChecksumPresent, hello),
		AppendMsgWithSequence(nil, 3, 0, body, "documents", doc, doc),
		AppendOpMsg(nil, 4, 0, &OpMsg{Flags: FlagChecksumPresent, Body: body, Sequences: []Sequence{
			{Identifier: "ops", Documents: []bson.Raw{doc}}, {Identifier: "nsInfo", Documents: []bson.Raw{doc, doc}}}}),
		AppendQuery(nil, 5, "admin.$cmd", hello),
	}
	for _, id := range []uint8{CompressorNoop, CompressorSnappy, CompressorZlib, CompressorZstd} {
		c, err := Compress(nil, frames[2], id)
		if err != nil {
			tb.Fatal(err)
		}
		frames = append(frames, c)
	}
	return frames
}

// FuzzReadMessage feeds arbitrary bytes to the frame reader: it must never
// panic, and a parsed OP_MSG must come back identical after re-encoding.
func FuzzReadMessage(f *testing.F) {
	for _, fr := range seedFrames(f) {
		f.Add(fr)
	}
	for _, d := range corpusDocs(f) {
		f.Add(AppendMsg(nil, 9, 0, 0, d))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMessage(bytes.NewReader(data), 1<<20)
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("unexpected error %T: %v", err, err)
			}
			return
		}
		if m.Msg == nil {
			if m.Query == nil {
				t.Fatal("parsed a frame with neither OP_MSG nor OP_QUERY")
			}
			return
		}
		again := AppendOpMsg(nil, m.Header.RequestID, m.Header.ResponseTo, m.Msg)
		m2, err := ReadMessage(bytes.NewReader(again), 1<<20)
		if err != nil {
			t.Fatalf("re-encoded message does not parse: %v", err)
		}
		if !bytes.Equal(m2.Msg.Body, m.Msg.Body) || m2.Msg.Flags != m.Msg.Flags {
			t.Fatal("body or flags changed through a round trip")
		}
		if len(m2.Msg.Sequences) != len(m.Msg.Sequences) {
			t.Fatal("sequences changed through a round trip")
		}
		for i, s := range m.Msg.Sequences {
			s2 := m2.Msg.Sequences[i]
			if s2.Identifier != s.Identifier || len(s2.Documents) != len(s.Documents) {
				t.Fatalf("sequence %d changed through a round trip", i)
			}
			for j := range s.Documents {
				if !bytes.Equal(s.Documents[j], s2.Documents[j]) {
					t.Fatalf("sequence %d document %d changed", i, j)
				}
			}
		}
	})
}

// FuzzValidateBSON checks that whatever ValidateDocument accepts, the
// driver's BSON library can validate and iterate without error.
func FuzzValidateBSON(f *testing.F) {
	for _, d := range corpusDocs(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ValidateDocument(data, MaxNestingDepth) != nil {
			return
		}
		if err := bson.Raw(data).Validate(); err != nil {
			t.Fatalf("accepted a document bson.Raw rejects: %v", err)
		}
		if err := bsoncore.Document(data).Validate(); err != nil {
			t.Fatalf("accepted a document bsoncore rejects: %v", err)
		}
		if _, err := bsoncore.Document(data).Elements(); err != nil {
			t.Fatalf("accepted a document bsoncore cannot iterate: %v", err)
		}
	})
}
