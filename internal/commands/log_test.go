package commands

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestLogBuffer(t *testing.T) {
	buf := NewLogBuffer(slog.NewJSONHandler(io.Discard, nil))
	log := slog.New(buf.Handler())
	log.Debug("hidden")
	log.Info("first", "connectionId", int64(12), "n", 1)
	log.Warn("second", "component", "STORAGE")
	lines, total := buf.snapshot()
	if total != 2 || len(lines) != 2 {
		t.Fatalf("total %d, lines %v", total, lines)
	}
	var first struct {
		T    map[string]string `json:"t"`
		S    string            `json:"s"`
		C    string            `json:"c"`
		Ctx  string            `json:"ctx"`
		Msg  string            `json:"msg"`
		Attr map[string]any    `json:"attr"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatalf("%s: %v", lines[0], err)
	}
	if first.T["$date"] == "" || first.Attr["n"] != 1.0 || first.S != "I" || first.Ctx != "conn12" || first.Msg != "first" || first.C != "-" {
		t.Fatalf("bad line %s", lines[0])
	}
	if !strings.Contains(lines[1], `"s":"W"`) || !strings.Contains(lines[1], `"c":"STORAGE"`) {
		t.Fatalf("bad line %s", lines[1])
	}
	for i := 0; i < logRingSize+10; i++ {
		log.Info("line", "i", i)
	}
	lines, total = buf.snapshot()
	if total != int64(logRingSize+12) || len(lines) != logRingSize {
		t.Fatalf("total %d, %d lines", total, len(lines))
	}
	if !strings.Contains(lines[len(lines)-1], fmt.Sprintf(`"i":%d`, logRingSize+9)) {
		t.Fatalf("last line %s", lines[len(lines)-1])
	}
}

func TestGetLog(t *testing.T) {
	s := newAdminService(t)
	s.Logger.Info("hello there")
	tests := []struct {
		arg      any
		wantCode int32
		check    func(bson.Raw) bool
	}{
		{arg: "*", check: func(r bson.Raw) bool {
			return strings.Contains(r.Lookup("names").String(), "startupWarnings")
		}},
		{arg: "global", check: func(r bson.Raw) bool {
			n, _ := r.Lookup("totalLinesWritten").Int32OK()
			return n >= 1 && strings.Contains(r.Lookup("log").String(), "hello there")
		}},
		{arg: "startupWarnings", check: func(r bson.Raw) bool {
			arr, ok := r.Lookup("log").ArrayOK()
			vals, _ := arr.Values()
			return ok && len(vals) == 0
		}},
		{arg: "nope", wantCode: 96},
		{arg: 1, wantCode: 14},
	}
	for _, tt := range tests {
		r := runCmd(t, s, nil, "admin", D{{"getLog", tt.arg}})
		if got := replyCode(r); got != tt.wantCode {
			t.Fatalf("getLog %v: code %d, want %d: %s", tt.arg, got, tt.wantCode, r)
		}
		if tt.check != nil && !tt.check(r) {
			t.Fatalf("getLog %v: %s", tt.arg, r)
		}
	}
}
