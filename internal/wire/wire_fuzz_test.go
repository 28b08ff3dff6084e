package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// corpusDocs returns the valid and invalid documents of the BSON corpus
// copied into testdata (from the drivers' specifications).
func corpusDocs(tb testing.TB) [][]byte {
	files, _ := filepath.Glob("../keystring/testdata/bson-corpus/*.json")
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var suite struct {
			Valid []struct {
				CanonicalBSON string `json:"canonical_bson"`
			} `json:"valid"`
			DecodeErrors []struct {
				BSON string `json:"bson"`
			} `json:"decodeErrors"`
		}
		json.Unmarshal(data, &suite)
		for _, v := range suite.Valid {
			if b, err := hex.DecodeString(v.CanonicalBSON); err == nil {
				out = append(out, b)
			}
		}
		for _, v := range suite.DecodeErrors {
			if b, err := hex.DecodeString(v.BSON); err == nil {
				out = append(out, b)
			}
		}
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
		AppendQuery(nil, 4, "admin.$cmd", hello),
	}
	for _, id := range []uint8{CompressorSnappy, CompressorZlib, CompressorZstd} {
		c, err := Compress(nil, msg, id)
		if err != nil {
			tb.Fatal(err)
		}
		frames = append(frames, c)
	}
	return frames
}

// FuzzReadMessage feeds arbitrary bytes to the frame parser: it must
// never panic, and a parsed OP_MSG must survive re-encoding.
func FuzzReadMessage(f *testing.F) {
	for _, fr := range seedFrames(f) {
		f.Add(fr)
	}
	for _, d := range corpusDocs(f) {
		f.Add(AppendMsg(nil, 9, 0, 0, d))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadMessage(bytes.NewReader(data), 1<<20)
		if err != nil || m.Msg == nil || len(m.Msg.Sequences) > 0 {
			return
		}
		again := AppendMsg(nil, m.Header.RequestID, 0, m.Msg.Flags&FlagChecksumPresent, m.Msg.Body)
		m2, err := ReadMessage(bytes.NewReader(again), 1<<20)
		if err != nil {
			t.Fatalf("re-encoded message does not parse: %v", err)
		}
		if !bytes.Equal(m2.Msg.Body, m.Msg.Body) {
			t.Fatal("body changed through a round trip")
		}
	})
}

// FuzzValidateBSON checks that whatever ValidateDocument accepts, the
// driver's BSON library can read without error.
func FuzzValidateBSON(f *testing.F) {
	for _, d := range corpusDocs(f) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ValidateDocument(data, MaxNestingDepth) != nil {
			return
		}
		if err := bson.Raw(data).Validate(); err != nil {
			t.Fatalf("accepted a document the BSON library rejects: %v", err)
		}
	})
}
