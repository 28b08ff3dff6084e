package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestHello(t *testing.T) {
	s := newAdminService(t)
	meta := D{{"driver", D{{"name", "go"}, {"version", "2"}}}, {"os", D{{"type", "linux"}}}, {"application", D{{"name", "app1"}}}}
	tests := []struct {
		name     string
		conn     *Conn // a fresh connection when nil
		cmd      D
		wantCode int32
		check    func(bson.Raw, *Conn) bool
	}{
		{name: "hello", cmd: D{{"hello", 1}, {"helloOk", true}}, check: func(r bson.Raw, c *Conn) bool {
			w, _ := r.Lookup("isWritablePrimary").BooleanOK()
			ok, _ := r.Lookup("helloOk").BooleanOK()
			pid, _ := r.Lookup("topologyVersion", "processId").ObjectIDOK()
			mw, _ := r.Lookup("maxWireVersion").Int32OK()
			id, _ := r.Lookup("connectionId").Int64OK()
			return w && ok && pid == s.TopologyID && mw == 25 && id == c.ID && r.Lookup("ismaster").Type == 0 && r.Lookup("compression").Type == 0
		}},
		{name: "isMaster", cmd: D{{"isMaster", 1}}, check: func(r bson.Raw, c *Conn) bool {
			m, _ := r.Lookup("ismaster").BooleanOK()
			return m && r.Lookup("isWritablePrimary").Type == 0 && r.Lookup("helloOk").Type == 0
		}},
		{name: "compression in client order", cmd: D{{"hello", 1}, {"compression", bson.A{"zlib", "lz4", "snappy"}}}, check: func(r bson.Raw, c *Conn) bool {
			vals, _ := r.Lookup("compression").Array().Values()
			return len(vals) == 2 && vals[0].StringValue() == "zlib" && vals[1].StringValue() == "snappy" &&
				len(c.Compressors) == 2 && c.Compressors[0] == "zlib"
		}},
		{name: "client metadata", cmd: D{{"hello", 1}, {"client", meta}}, check: func(r bson.Raw, c *Conn) bool {
			return c.AppName == "app1" && c.ClientMetadata != nil && c.HelloDone
		}},
		{name: "client metadata twice", conn: &Conn{ID: 3, HelloDone: true}, cmd: D{{"hello", 1}, {"client", meta}}, wantCode: 186},
		{name: "client metadata without driver", cmd: D{{"hello", 1}, {"client", D{{"os", D{{"type", "x"}}}}}}, wantCode: 183},
		{name: "client app name too long", cmd: D{{"hello", 1}, {"client", D{{"application", D{{"name", strings.Repeat("a", 129)}}}}}}, wantCode: 184},
		{name: "client not a document", cmd: D{{"hello", 1}, {"client", "x"}}, wantCode: 14},
		{name: "helloOk type", cmd: D{{"hello", 1}, {"helloOk", "yes"}}, wantCode: 14},
		{name: "topologyVersion without maxAwaitTimeMS", cmd: D{{"hello", 1}, {"topologyVersion", D{{"processId", bson.NewObjectID()}, {"counter", int64(0)}}}}, wantCode: 31368},
		{name: "maxAwaitTimeMS without topologyVersion", cmd: D{{"hello", 1}, {"maxAwaitTimeMS", 10}}, wantCode: 31368},
		{name: "negative maxAwaitTimeMS", cmd: D{{"hello", 1}, {"topologyVersion", D{{"processId", s.TopologyID}, {"counter", int64(0)}}}, {"maxAwaitTimeMS", -1}}, wantCode: 2},
		{name: "negative counter", cmd: D{{"hello", 1}, {"topologyVersion", D{{"processId", s.TopologyID}, {"counter", int64(-1)}}}, {"maxAwaitTimeMS", 1}}, wantCode: 31372},
		{name: "counter from the future", cmd: D{{"hello", 1}, {"topologyVersion", D{{"processId", s.TopologyID}, {"counter", int64(5)}}}, {"maxAwaitTimeMS", 1}}, wantCode: 31382},
		// A wait of 10 minutes would time the test out: the other process
		// must be answered at once.
		{name: "other process answers at once", cmd: D{{"hello", 1}, {"topologyVersion", D{{"processId", bson.NewObjectID()}, {"counter", int64(3)}}}, {"maxAwaitTimeMS", 600000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := tt.conn
			if conn == nil {
				conn = &Conn{ID: 42}
			}
			r := runCmd(t, s, conn, "admin", tt.cmd)
			if got := replyCode(r); got != tt.wantCode {
				t.Fatalf("code = %d, want %d: %s", got, tt.wantCode, r)
			}
			if tt.check != nil && !tt.check(r, conn) {
				t.Fatalf("unexpected reply %s (conn %+v)", r, conn)
			}
		})
	}
}

func TestAwaitableHello(t *testing.T) {
	s := newAdminService(t)
	tv := D{{"processId", s.TopologyID}, {"counter", int64(0)}}
	req := &Request{DB: "admin", Name: "hello", Conn: &Conn{ID: 1}, ExhaustAllowed: true,
		Body: mustDoc(t, D{{"hello", 1}, {"topologyVersion", tv}, {"maxAwaitTimeMS", 60}})}
	start := time.Now()
	r, err := s.Run(context.Background(), req)
	if err != nil || replyCode(r) != 0 {
		t.Fatalf("%v %s", err, r)
	}
	// A timer never fires early: the reply must have waited.
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("answered after %v, want >= 60ms", d)
	}
	if !req.Exhaust {
		t.Fatal("exhaust not requested")
	}

	// A stale processId answers at once and the next streamed run carries ours.
	req = &Request{DB: "admin", Name: "hello", Conn: &Conn{ID: 2}, ExhaustAllowed: true,
		Body: mustDoc(t, D{{"hello", 1}, {"topologyVersion", D{{"processId", bson.NewObjectID()}, {"counter", int64(0)}}}, {"maxAwaitTimeMS", 600000}})}
	if r, err := s.Run(context.Background(), req); err != nil || replyCode(r) != 0 || !req.Exhaust {
		t.Fatalf("%v %s exhaust=%v", err, r, req.Exhaust)
	}
	if pid, _ := req.Body.Lookup("topologyVersion", "processId").ObjectIDOK(); pid != s.TopologyID {
		t.Fatalf("body not rewritten: %s", req.Body)
	}

	// Shutdown ends a 10-minute wait.
	req = &Request{DB: "admin", Name: "hello", Conn: &Conn{ID: 3},
		Body: mustDoc(t, D{{"hello", 1}, {"topologyVersion", tv}, {"maxAwaitTimeMS", 600000}})}
	time.AfterFunc(20*time.Millisecond, func() { close(s.ShuttingDown) })
	if r, err := s.Run(context.Background(), req); err != nil || replyCode(r) != 0 || req.Exhaust {
		t.Fatalf("%v %s", err, r)
	}

	// Exhaust without the awaitable form is refused.
	req = &Request{DB: "admin", Name: "hello", Conn: &Conn{ID: 4}, ExhaustAllowed: true, Body: mustDoc(t, D{{"hello", 1}})}
	if r, _ := s.Run(context.Background(), req); replyCode(r) != 51756 {
		t.Fatalf("got %s", r)
	}
}
