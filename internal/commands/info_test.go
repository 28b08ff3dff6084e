package commands

import (
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestInfoCommands(t *testing.T) {
	s := newAdminService(t)
	s.CmdLine = CmdLine{Argv: []string{"secantusdb", "--port", "1"}, Parsed: bson.D{{Key: "net", Value: bson.D{{Key: "port", Value: 1}}}}}
	conn := &Conn{ID: 5, Remote: "127.0.0.1:5555"}
	tests := []struct {
		db       string
		cmd      D
		wantCode int32
		check    func(bson.Raw) bool
	}{
		{cmd: D{{"ping", 1}}},
		{cmd: D{{"buildInfo", 1}}, check: func(r bson.Raw) bool {
			v, _ := r.Lookup("version").StringValueOK()
			arr, _ := r.Lookup("versionArray").Array().Values()
			return v == Version && len(arr) == 4 && arr[0].Int32() == 8
		}},
		{cmd: D{{"buildinfo", 1}}},
		{cmd: D{{"hostInfo", 1}}, check: func(r bson.Raw) bool {
			n, _ := r.Lookup("system", "numCores").Int32OK()
			return n > 0 && r.Lookup("os", "type").StringValue() == "Linux"
		}},
		{cmd: D{{"getCmdLineOpts", 1}}, check: func(r bson.Raw) bool {
			p, _ := r.Lookup("parsed", "net", "port").Int32OK()
			return p == 1 && strings.Contains(r.Lookup("argv").String(), "--port")
		}},
		{db: "test", cmd: D{{"getCmdLineOpts", 1}}, wantCode: 13},
		{cmd: D{{"connectionStatus", 1}, {"showPrivileges", true}}, check: func(r bson.Raw) bool {
			return r.Lookup("authInfo", "authenticatedUserPrivileges").Type == bson.TypeArray
		}},
		{cmd: D{{"whatsmyuri", 1}}, check: func(r bson.Raw) bool { return r.Lookup("you").StringValue() == conn.Remote }},
		{cmd: D{{"listCommands", 1}}, check: func(r bson.Raw) bool {
			h := r.Lookup("commands", "hello")
			ao, _ := r.Lookup("commands", "getParameter", "adminOnly").BooleanOK()
			return h.Type == bson.TypeEmbeddedDocument && ao && r.Lookup("commands", "configureFailPoint").Type != 0
		}},
		{cmd: D{{"usersInfo", 1}}, check: func(r bson.Raw) bool { return r.Lookup("users").Type == bson.TypeArray }},
		{cmd: D{{"getDefaultRWConcern", 1}}, check: func(r bson.Raw) bool {
			return r.Lookup("defaultReadConcern", "level").StringValue() == "local"
		}},
		{cmd: D{{"replSetGetStatus", 1}}, wantCode: 76},
		{cmd: D{{"atlasVersion", 1}}, wantCode: 59},
		{cmd: D{{"isdbgrid", 1}}, wantCode: 59},
	}
	for _, tt := range tests {
		db := tt.db
		if db == "" {
			db = "admin"
		}
		r := runCmd(t, s, conn, db, tt.cmd)
		if got := replyCode(r); got != tt.wantCode {
			t.Fatalf("%s: code = %d, want %d: %s", tt.cmd[0].K, got, tt.wantCode, r)
		}
		if tt.check != nil && !tt.check(r) {
			t.Fatalf("%s: unexpected reply %s", tt.cmd[0].K, r)
		}
	}
}
