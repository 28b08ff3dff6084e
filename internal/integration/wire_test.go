package integration

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/secantusdb/secantus"
	"github.com/secantusdb/secantus/internal/storage/pebble"
	"github.com/secantusdb/secantus/internal/wire"
	"github.com/secantusdb/secantus/secantustest"
)

func rawConn(t *testing.T, srv *secantus.Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func TestLegacyHandshakeAndBadFrames(t *testing.T) {
	t.Parallel()
	srv := secantustest.New(t)
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	coll := client.Database("w").Collection("c")
	coll.InsertOne(ctx(t), bson.D{{Key: "_id", Value: 1}})

	// OP_QUERY isMaster on admin.$cmd is answered with OP_REPLY.
	c, r := rawConn(t, srv)
	q, _ := bson.Marshal(bson.D{{Key: "isMaster", Value: 1}})
	c.Write(wire.AppendQuery(nil, 11, "admin.$cmd", q))
	hdr := make([]byte, 16)
	if _, err := r.Read(hdr); err != nil {
		t.Fatal(err)
	}
	if op := int32(hdr[12]) | int32(hdr[13])<<8; op != wire.OpReply || hdr[8] != 11 {
		t.Fatalf("reply opcode %d responseTo %d", op, hdr[8])
	}

	// A frame with invalid BSON gets an error reply; the connection lives on.
	c2, r2 := rawConn(t, srv)
	c2.Write(wire.AppendMsg(nil, 5, 0, 0, []byte{6, 0, 0, 0, 0x42, 0}))
	m, err := wire.ReadMessage(r2, wire.MaxMessageSize)
	if err != nil || m.Msg == nil || m.Msg.Body.Lookup("ok").Double() != 0 || m.Msg.Body.Lookup("code").Int32() != 22 {
		t.Fatalf("invalid BSON reply: %+v %v", m, err)
	}
	ping, _ := bson.Marshal(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}})
	c2.Write(wire.AppendMsg(nil, 6, 0, wire.FlagChecksumPresent, ping))
	m, err = wire.ReadMessage(r2, wire.MaxMessageSize)
	if err != nil || m.Msg.Body.Lookup("ok").Double() != 1 || m.Msg.Flags&wire.FlagChecksumPresent == 0 {
		t.Fatalf("ping after a bad frame: %+v %v", m, err)
	}

	// An impossible length closes only that connection.
	c3, r3 := rawConn(t, srv)
	c3.Write([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0xdd, 0x07, 0, 0})
	if _, err := r3.ReadByte(); err == nil {
		t.Fatal("connection with an oversized frame stayed open")
	}
	if err := coll.FindOne(ctx(t), bson.D{{Key: "_id", Value: 1}}).Err(); err != nil {
		t.Fatalf("other clients affected: %v", err)
	}

	// moreToCome: an unacknowledged insert gets no reply and is applied.
	ins, _ := bson.Marshal(bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "w"}})
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: 2}})
	c2.Write(wire.AppendMsgWithSequence(nil, 7, wire.FlagMoreToCome, ins, "documents", doc))
	c2.Write(wire.AppendMsg(nil, 8, 0, 0, ping))
	m, err = wire.ReadMessage(r2, wire.MaxMessageSize)
	if err != nil || m.Header.ResponseTo != 8 {
		t.Fatalf("reply after moreToCome: %+v %v", m, err)
	}
	if n := count(t, coll, bson.D{}); n != 2 {
		t.Fatalf("unacknowledged insert not applied: %d docs", n)
	}
}

func TestUnknownFormatVersionRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := secantus.Start(context.Background(), secantus.Config{Addr: "127.0.0.1:0", Storage: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	eng, err := pebble.Open(dir, pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tx := eng.Begin()
	tx.Set([]byte("\x01format"), []byte("99"))
	if err := tx.Commit(true); err != nil {
		t.Fatal(err)
	}
	eng.Close()
	_, err = secantus.Start(context.Background(), secantus.Config{Addr: "127.0.0.1:0", Storage: dir})
	if err == nil || !strings.Contains(err.Error(), "format version") {
		t.Fatalf("start on an unknown format: %v", err)
	}
}
