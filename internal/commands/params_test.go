package commands

import (
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestNewParams(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]string
		wantErr   string
		check     func(*Params) bool
	}{
		{name: "defaults", check: func(p *Params) bool {
			return p.SlowMS() == 100 && p.CursorTimeout() == 10*time.Minute && p.TTLMonitorSleepSecs() == 60 &&
				!p.EnableTestCommands() && p.SortMemoryLimit() == 104857600 && p.TTLMonitorEnabled()
		}},
		{name: "bool and int", overrides: map[string]string{"enableTestCommands": "true", "cursorTimeoutMillis": "500", "ttlMonitorSleepSecs": "1"},
			check: func(p *Params) bool {
				return p.EnableTestCommands() && p.CursorTimeout() == 500*time.Millisecond && p.TTLMonitorSleepSecs() == 1
			}},
		{name: "unknown", overrides: map[string]string{"nope": "1"}, wantErr: "Unknown --setParameter 'nope'"},
		{name: "not at startup", overrides: map[string]string{"featureCompatibilityVersion": "7.0"}, wantErr: "Cannot use --setParameter"},
		{name: "bad bool", overrides: map[string]string{"enableTestCommands": "yes"}, wantErr: "not a valid boolean"},
		{name: "bad int", overrides: map[string]string{"cursorTimeoutMillis": "x"}, wantErr: "not a valid integer"},
		{name: "below minimum", overrides: map[string]string{"ttlMonitorSleepSecs": "0"}, wantErr: "greater than or equal to 1"},
		{name: "slowms is no parameter", overrides: map[string]string{"slowms": "5"}, wantErr: "Unknown --setParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewParams(tt.overrides)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(p) {
				t.Fatal("unexpected parameter values")
			}
		})
	}
}

func TestGetSetParameter(t *testing.T) {
	s := newAdminService(t)
	tests := []struct {
		name     string
		db       string
		cmd      D
		wantCode int32
		check    func(bson.Raw) bool
	}{
		{name: "all", cmd: D{{"getParameter", "*"}}, check: func(r bson.Raw) bool {
			fcv, _ := r.Lookup("featureCompatibilityVersion", "version").StringValueOK()
			mechs, _ := r.Lookup("authenticationMechanisms").ArrayOK()
			etc, _ := r.Lookup("enableTestCommands").BooleanOK()
			return fcv == "8.0" && len(mechs) > 0 && etc
		}},
		{name: "named, unknown ones skipped", cmd: D{{"getParameter", 1}, {"cursorTimeoutMillis", 1}, {"nope", 1}}, check: func(r bson.Raw) bool {
			v, ok := r.Lookup("cursorTimeoutMillis").Int64OK()
			return ok && v == 600000 && r.Lookup("nope").Type == 0
		}},
		{name: "int32 typed", cmd: D{{"getParameter", 1}, {"transactionLifetimeLimitSeconds", 1}}, check: func(r bson.Raw) bool {
			v, ok := r.Lookup("transactionLifetimeLimitSeconds").Int32OK()
			return ok && v == 60
		}},
		{name: "none known", cmd: D{{"getParameter", 1}, {"nope", 1}}, wantCode: 72},
		{name: "nothing named", cmd: D{{"getParameter", 1}}, wantCode: 72},
		{name: "show details", cmd: D{{"getParameter", D{{"showDetails", true}}}, {"featureCompatibilityVersion", 1}}, check: func(r bson.Raw) bool {
			rt, _ := r.Lookup("featureCompatibilityVersion", "settableAtRuntime").BooleanOK()
			v, _ := r.Lookup("featureCompatibilityVersion", "value", "version").StringValueOK()
			return !rt && v == "8.0"
		}},
		{name: "all with details", cmd: D{{"getParameter", D{{"showDetails", true}, {"allParameters", true}}}}, check: func(r bson.Raw) bool {
			st, ok := r.Lookup("quiet", "settableAtStartup").BooleanOK()
			return ok && st
		}},
		{name: "bad option", cmd: D{{"getParameter", D{{"bogus", true}}}}, wantCode: 40415},
		{name: "admin only", db: "test", cmd: D{{"getParameter", "*"}}, wantCode: 13},
		{name: "set returns was", cmd: D{{"setParameter", 1}, {"cursorTimeoutMillis", 1000}}, check: func(r bson.Raw) bool {
			was, ok := r.Lookup("was").Int64OK()
			return ok && was == 600000 && s.Params.CursorTimeout() == time.Second
		}},
		{name: "set bool", cmd: D{{"setParameter", 1}, {"notablescan", true}}, check: func(r bson.Raw) bool {
			return s.Params.NoTableScan()
		}},
		{name: "set startup-only", cmd: D{{"setParameter", 1}, {"enableTestCommands", false}}, wantCode: 20},
		{name: "set unknown", cmd: D{{"setParameter", 1}, {"nope", 1}}, wantCode: 72},
		{name: "set wrong type", cmd: D{{"setParameter", 1}, {"cursorTimeoutMillis", "x"}}, wantCode: 2},
		{name: "set out of range", cmd: D{{"setParameter", 1}, {"transactionLifetimeLimitSeconds", 0}}, wantCode: 2},
		{name: "set nothing", cmd: D{{"setParameter", 1}}, wantCode: 72},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := tt.db
			if db == "" {
				db = "admin"
			}
			r := runCmd(t, s, nil, db, tt.cmd)
			if got := replyCode(r); got != tt.wantCode {
				t.Fatalf("code = %d, want %d: %s", got, tt.wantCode, r)
			}
			if tt.check != nil && !tt.check(r) {
				t.Fatalf("unexpected reply %s", r)
			}
		})
	}
}
