package commands

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestSessions(t *testing.T) {
	s := newAdminService(t)
	r := runCmd(t, s, nil, "admin", D{{"startSession", 1}})
	sub, id, ok := r.Lookup("id", "id").BinaryOK()
	if !ok || sub != 4 || len(id) != 16 {
		t.Fatalf("startSession: %s", r)
	}
	if n, _ := r.Lookup("timeoutMinutes").Int32OK(); n != 30 {
		t.Fatalf("timeoutMinutes: %s", r)
	}
	if s.Sessions.Count() != 1 {
		t.Fatalf("%d sessions", s.Sessions.Count())
	}
	lsid := D{{"id", bson.Binary{Subtype: 4, Data: id}}}
	tests := []struct {
		cmd      D
		wantCode int32
		sessions int
	}{
		{cmd: D{{"refreshSessions", bson.A{lsid}}}, sessions: 1},
		{cmd: D{{"endSessions", "x"}}, wantCode: 14, sessions: 1},
		{cmd: D{{"endSessions", bson.A{1}}}, wantCode: 14, sessions: 1},
		{cmd: D{{"endSessions", bson.A{D{}}}}, wantCode: 40414, sessions: 1},
		{cmd: D{{"endSessions", bson.A{D{{"id", bson.Binary{Subtype: 0, Data: id}}}}}}, wantCode: 207, sessions: 1},
		{cmd: D{{"killAllSessions", bson.A{D{{"user", "u"}, {"db", "admin"}}}}}, sessions: 1},
		{cmd: D{{"killAllSessions", bson.A{D{{"user", "u"}}}}}, wantCode: 40414, sessions: 1},
		{cmd: D{{"killAllSessionsByPattern", bson.A{D{{"users", bson.A{}}}}}}, sessions: 1},
		{cmd: D{{"endSessions", bson.A{lsid}}}, sessions: 0},
		{cmd: D{{"ping", 1}, {"lsid", lsid}}, sessions: 1},
		{cmd: D{{"killAllSessionsByPattern", bson.A{D{{"lsid", lsid}}}}}, sessions: 0},
		{cmd: D{{"ping", 1}, {"lsid", lsid}}, sessions: 1},
		{cmd: D{{"killSessions", bson.A{lsid}}}, sessions: 0},
		{cmd: D{{"ping", 1}, {"lsid", lsid}}, sessions: 1},
		{cmd: D{{"killAllSessions", bson.A{}}}, sessions: 0},
	}
	for i, tt := range tests {
		r := runCmd(t, s, nil, "admin", tt.cmd)
		if got := replyCode(r); got != tt.wantCode {
			t.Fatalf("%d %s: code = %d, want %d: %s", i, tt.cmd[0].K, got, tt.wantCode, r)
		}
		if n := s.Sessions.Count(); n != tt.sessions {
			t.Fatalf("%d %s: %d sessions, want %d", i, tt.cmd[0].K, n, tt.sessions)
		}
	}
}
