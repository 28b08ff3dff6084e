package commands

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestParseFailPoint(t *testing.T) {
	tests := []struct {
		name     string
		cmd      D
		wantCode int32
		wantMsg  string
	}{
		{name: "unknown fail point", cmd: D{{"configureFailPoint", "nope"}, {"mode", "alwaysOn"}}, wantCode: 266, wantMsg: "nope not found"},
		{name: "no mode", cmd: D{{"configureFailPoint", "failCommand"}}, wantCode: 20},
		{name: "unknown mode", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", "sometimes"}}, wantCode: 2, wantMsg: "unknown mode: sometimes"},
		{name: "mode type", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", 1}}, wantCode: 14},
		{name: "negative times", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", D{{"times", -1}}}}, wantCode: 2},
		{name: "times type", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", D{{"times", "x"}}}}, wantCode: 14},
		{name: "empty mode doc", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", D{}}}, wantCode: 2},
		{name: "probability range", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", D{{"activationProbability", 2.0}}}}, wantCode: 2},
		{name: "data type", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", "off"}, {"data", 1}}, wantCode: 14},
		{name: "ok", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", D{{"times", 2}}}, {"data", D{{"failCommands", bson.A{"ping"}}, {"errorCode", 2}}}}},
		{name: "off", cmd: D{{"configureFailPoint", "failCommand"}, {"mode", "off"}}},
	}
	s := newAdminService(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, s, nil, "admin", tt.cmd)
			if got := replyCode(r); got != tt.wantCode {
				t.Fatalf("code = %d, want %d: %s", got, tt.wantCode, r)
			}
			if msg, _ := r.Lookup("errmsg").StringValueOK(); !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("errmsg = %q, want %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestFailCommandModes(t *testing.T) {
	ping := D{{"ping", 1}}
	tests := []struct {
		name  string
		mode  any
		data  D
		conn  *Conn
		cmds  []D
		codes []int32 // expected code of each command
	}{
		{name: "times", mode: D{{"times", 2}}, data: D{{"failCommands", bson.A{"ping"}}, {"errorCode", 91}},
			cmds: []D{ping, ping, ping}, codes: []int32{91, 91, 0}},
		{name: "times zero fires once", mode: D{{"times", 0}}, data: D{{"failCommands", bson.A{"ping"}}, {"errorCode", 91}},
			cmds: []D{ping, ping}, codes: []int32{91, 0}},
		{name: "skip", mode: D{{"skip", 1}}, data: D{{"failCommands", bson.A{"ping"}}, {"errorCode", 91}},
			cmds: []D{ping, ping, ping}, codes: []int32{0, 91, 91}},
		{name: "alwaysOn", mode: "alwaysOn", data: D{{"failCommands", bson.A{"ping"}}, {"errorCode", 11600}},
			cmds: []D{ping, ping}, codes: []int32{11600, 11600}},
		{name: "other commands untouched", mode: D{{"times", 1}}, data: D{{"failCommands", bson.A{"buildInfo"}}, {"errorCode", 91}},
			cmds: []D{ping, {{"buildInfo", 1}}}, codes: []int32{0, 91}},
		{name: "alias", mode: D{{"times", 1}}, data: D{{"failCommands", bson.A{"ismaster"}}, {"errorCode", 91}},
			cmds: []D{{{"isMaster", 1}}}, codes: []int32{91}},
		{name: "appName mismatch", mode: "alwaysOn", data: D{{"failCommands", bson.A{"ping"}}, {"errorCode", 91}, {"appName", "a"}},
			conn: &Conn{ID: 1, ClientMetadata: bson.Raw{}, AppName: "b"}, cmds: []D{ping}, codes: []int32{0}},
		{name: "appName match", mode: "alwaysOn", data: D{{"failCommands", bson.A{"ping"}}, {"errorCode", 91}, {"appName", "a"}},
			conn: &Conn{ID: 1, ClientMetadata: bson.Raw{}, AppName: "a"}, cmds: []D{ping}, codes: []int32{91}},
		{name: "no effect without error", mode: "alwaysOn", data: D{{"failCommands", bson.A{"ping"}}},
			cmds: []D{ping}, codes: []int32{0}},
		{name: "configureFailPoint exempt", mode: "alwaysOn", data: D{{"failCommands", bson.A{"configureFailPoint"}}, {"errorCode", 91}},
			cmds: []D{{{"configureFailPoint", "failCommand"}, {"mode", "off"}}}, codes: []int32{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newAdminService(t)
			r := runCmd(t, s, nil, "admin", D{{"configureFailPoint", "failCommand"}, {"mode", tt.mode}, {"data", tt.data}})
			if replyCode(r) != 0 {
				t.Fatal(r)
			}
			for i, c := range tt.cmds {
				r := runCmd(t, s, tt.conn, "admin", c)
				if got := replyCode(r); got != tt.codes[i] {
					t.Fatalf("command %d: code = %d, want %d: %s", i, got, tt.codes[i], r)
				}
			}
		})
	}
}

func TestFailCommandEffects(t *testing.T) {
	s := newAdminService(t)
	configure := func(mode any, data D) int64 {
		r := runCmd(t, s, nil, "admin", D{{"configureFailPoint", "failCommand"}, {"mode", mode}, {"data", data}})
		n, ok := r.Lookup("count").Int64OK()
		if !ok {
			t.Fatalf("no count: %s", r)
		}
		return n
	}

	// Labels replace the computed ones and the count is cumulative.
	configure(D{{"times", 1}}, D{{"failCommands", bson.A{"ping"}}, {"errorCode", 6}, {"errorLabels", bson.A{"RetryableWriteError"}}})
	r := runCmd(t, s, nil, "admin", D{{"ping", 1}})
	if l, _ := r.Lookup("errorLabels").ArrayOK(); replyCode(r) != 6 || !strings.Contains(l.String(), "RetryableWriteError") {
		t.Fatalf("labels not applied: %s", r)
	}
	if msg, _ := r.Lookup("errmsg").StringValueOK(); msg != "Failing command via 'failCommand' failpoint" {
		t.Fatalf("errmsg = %q", msg)
	}
	if n := configure("off", nil); n != 1 {
		t.Fatalf("count = %d, want 1", n)
	}

	// writeConcernError only for commands that take a write concern.
	configure(D{{"times", 1}}, D{{"failCommands", bson.A{"ping", "insert"}}, {"writeConcernError", D{{"code", 91}, {"errmsg", "x"}}}})
	r = runCmd(t, s, nil, "admin", D{{"ping", 1}})
	if r.Lookup("writeConcernError").Type != 0 {
		t.Fatalf("ping got a writeConcernError: %s", r)
	}
	fc, _, _ := parseFailPoint(mustDoc(t, D{{"configureFailPoint", "failCommand"}, {"mode", "alwaysOn"},
		{"data", D{{"failCommands", bson.A{"insert"}}, {"writeConcernError", D{{"code", 91}}}}}}))
	if ok, wce := fc.matches(lookup("insert"), &Request{Name: "insert", DB: "db", Body: mustDoc(t, D{{"insert", "c"}})}); !ok || !wce {
		t.Fatalf("insert: matches = %v, %v", ok, wce)
	}

	// closeConnection closes and sends nothing.
	configure(D{{"times", 1}}, D{{"failCommands", bson.A{"ping"}}, {"closeConnection", true}})
	closed := false
	req := &Request{DB: "admin", Name: "ping", Body: mustDoc(t, D{{"ping", 1}}), Conn: &Conn{ID: 7, Close: func() { closed = true }}}
	if _, err := s.Run(context.Background(), req); !IsConnectionClosed(err) || !closed {
		t.Fatalf("err = %v, closed = %v", err, closed)
	}

	// blockConnection waits (a timer never fires early), then runs the command.
	configure(D{{"times", 1}}, D{{"failCommands", bson.A{"ping"}}, {"blockConnection", true}, {"blockTimeMS", 50}})
	start := time.Now()
	r = runCmd(t, s, nil, "admin", D{{"ping", 1}})
	if replyCode(r) != 0 || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("block: %s after %v", r, time.Since(start))
	}

	// blockConnection without blockTimeMS fails the command.
	configure(D{{"times", 1}}, D{{"failCommands", bson.A{"ping"}}, {"blockConnection", true}})
	if r = runCmd(t, s, nil, "admin", D{{"ping", 1}}); replyCode(r) != 72 {
		t.Fatalf("block without time: %s", r)
	}

	// namespace restricts to one collection.
	fc, _, _ = parseFailPoint(mustDoc(t, D{{"configureFailPoint", "failCommand"}, {"mode", "alwaysOn"},
		{"data", D{{"failCommands", bson.A{"find"}}, {"errorCode", 1}, {"namespace", "db.a"}}}}))
	for coll, want := range map[string]bool{"a": true, "b": false} {
		if ok, _ := fc.matches(lookup("find"), &Request{Name: "find", DB: "db", Body: mustDoc(t, D{{"find", coll}})}); ok != want {
			t.Fatalf("namespace db.%s: matches = %v", coll, ok)
		}
	}
}

func TestFailCommandTimesConcurrent(t *testing.T) {
	s := newAdminService(t)
	runCmd(t, s, nil, "admin", D{{"configureFailPoint", "failCommand"}, {"mode", D{{"times", 50}}},
		{"data", D{{"failCommands", bson.A{"ping"}}, {"errorCode", 91}}}})
	body := mustDoc(t, D{{"ping", 1}})
	failed := make(chan int, 8)
	for g := 0; g < 8; g++ {
		go func() {
			n := 0
			for i := 0; i < 25; i++ {
				r, _ := s.Run(context.Background(), &Request{DB: "admin", Name: "ping", Body: body})
				if replyCode(r) == 91 {
					n++
				}
			}
			failed <- n
		}()
	}
	total := 0
	for g := 0; g < 8; g++ {
		total += <-failed
	}
	if total != 50 {
		t.Fatalf("fired %d times, want 50", total)
	}
}
