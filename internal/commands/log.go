package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// logRingSize is how many recent log lines getLog returns.
const logRingSize = 1024

// LogBuffer tees log records into a ring of recent JSON lines, which
// getLog serves, before passing them to the next handler.
type LogBuffer struct {
	next  slog.Handler
	mu    sync.Mutex
	lines []string
	start int
	total int64
}

// NewLogBuffer wraps next.
func NewLogBuffer(next slog.Handler) *LogBuffer { return &LogBuffer{next: next} }

// Handler returns the slog handler that records into the buffer.
func (l *LogBuffer) Handler() slog.Handler { return &logTee{buf: l, next: l.next} }

func (l *LogBuffer) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if len(l.lines) < logRingSize {
		l.lines = append(l.lines, line)
		return
	}
	l.lines[l.start] = line
	l.start = (l.start + 1) % logRingSize
}

func (l *LogBuffer) snapshot() ([]string, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.lines))
	out = append(out, l.lines[l.start:]...)
	out = append(out, l.lines[:l.start]...)
	return out, l.total
}

type logTee struct {
	buf    *LogBuffer
	next   slog.Handler
	attrs  []slog.Attr
	groups []string
}

func (t *logTee) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo || t.next.Enabled(ctx, level)
}

func (t *logTee) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo {
		t.buf.add(t.format(r))
	}
	if t.next.Enabled(ctx, r.Level) {
		return t.next.Handle(ctx, r)
	}
	return nil
}

// format renders a record as one line of mongod's structured log:
// {"t":{"$date":...},"s":"I","c":"-","id":0,"ctx":"conn12","msg":...,"attr":{...}}.
// The context is the connection when the record carries a connectionId
// attribute; the component comes from a "component" attribute.
func (t *logTee) format(r slog.Record) string {
	attrs := append([]slog.Attr{}, t.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	logCtx, component := "main", "-"
	for _, a := range attrs {
		switch a.Key {
		case "connectionId":
			if id, ok := a.Value.Resolve().Any().(int64); ok {
				logCtx = "conn" + strconv.FormatInt(id, 10)
			}
		case "component":
			component = a.Value.Resolve().String()
		}
	}
	var b bytes.Buffer
	b.WriteString(`{"t":{"$date":"`)
	b.WriteString(r.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	b.WriteString(`"},"s":"`)
	b.WriteString(severity(r.Level))
	b.WriteString(`","c":`)
	writeJSONString(&b, component)
	b.WriteString(`,"id":0,"ctx":`)
	writeJSONString(&b, logCtx)
	b.WriteString(`,"msg":`)
	writeJSONString(&b, r.Message)
	if len(attrs) > 0 {
		// Let slog's JSON handler encode the attributes (groups, errors,
		// times), keeping only their object.
		var ab bytes.Buffer
		var h slog.Handler = slog.NewJSONHandler(&ab, &slog.HandlerOptions{
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
					return slog.Attr{}
				}
				return a
			},
		})
		for _, g := range t.groups {
			h = h.WithGroup(g)
		}
		nr := slog.NewRecord(time.Time{}, r.Level, "", 0)
		nr.AddAttrs(attrs...)
		if h.Handle(context.Background(), nr) == nil {
			b.WriteString(`,"attr":`)
			b.Write(bytes.TrimSpace(ab.Bytes()))
		}
	}
	b.WriteByte('}')
	return b.String()
}

// severity is mongod's one-letter log severity.
func severity(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "E"
	case l >= slog.LevelWarn:
		return "W"
	case l >= slog.LevelInfo:
		return "I"
	}
	return "D1"
}

func writeJSONString(b *bytes.Buffer, s string) {
	out, _ := json.Marshal(s)
	b.Write(out)
}

func (t *logTee) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logTee{buf: t.buf, next: t.next.WithAttrs(attrs), attrs: append(append([]slog.Attr{}, t.attrs...), attrs...), groups: t.groups}
}

func (t *logTee) WithGroup(name string) slog.Handler {
	return &logTee{buf: t.buf, next: t.next.WithGroup(name), attrs: t.attrs, groups: append(append([]string{}, t.groups...), name)}
}

// logSlow logs a command that took at least slowms, roughly as mongod's
// "Slow query" event.
func (s *Service) logSlow(req *Request, elapsed time.Duration, failed bool) {
	appName := ""
	if req.Conn != nil {
		appName = req.Conn.AppName
	}
	ok := 1
	if failed {
		ok = 0
	}
	s.Logger.Info("Slow query", "component", "COMMAND", "type", "command", "ns", requestNamespace(req),
		"appName", appName, "command", req.Name, "durationMillis", elapsed.Milliseconds(), "ok", ok,
		"connectionId", connID(req))
}

func connID(req *Request) int64 {
	if req.Conn == nil {
		return 0
	}
	return req.Conn.ID
}

func init() {
	register(&Command{Name: "getLog", Handler: getLogCmd, AdminOnly: true, Help: "recent log lines"})
}

func getLogCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	name, ok := req.Command().StringValueOK()
	if !ok {
		return typeMismatch("getLog.getLog", "string", req.Command())
	}
	switch name {
	case "*":
		reply.AppendArray("names", bsoncore.NewArrayBuilder().AppendString("global").AppendString("startupWarnings").Build())
	case "global":
		lines, total := s.Log.snapshot()
		arr := bsoncore.NewArrayBuilder()
		for _, l := range lines {
			arr.AppendString(l)
		}
		appendNumber(reply, "totalLinesWritten", total)
		reply.AppendArray("log", arr.Build())
	case "startupWarnings":
		reply.AppendInt32("totalLinesWritten", 0).AppendArray("log", bsoncore.NewArrayBuilder().Build())
	default:
		return mongoerr.Newf(mongoerr.OperationFailed, "No log named '%s'", name)
	}
	return nil
}

// appendNumber appends n as an int when it fits, as mongod's appendNumber
// does for counters, and as a long otherwise.
func appendNumber(b *bsoncore.DocumentBuilder, key string, n int64) {
	if n >= -(1<<31) && n < 1<<31 {
		b.AppendInt32(key, int32(n))
		return
	}
	b.AppendInt64(key, n)
}
