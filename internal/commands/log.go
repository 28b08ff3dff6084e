package commands

import (
	"bytes"
	"context"
	"log/slog"
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
	buf   *LogBuffer
	next  slog.Handler
	attrs []slog.Attr
	group string
}

func (t *logTee) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo || t.next.Enabled(ctx, level)
}

func (t *logTee) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelInfo {
		var b bytes.Buffer
		h := slog.NewJSONHandler(&b, nil).WithAttrs(t.attrs)
		if t.group != "" {
			h = h.WithGroup(t.group)
		}
		h.Handle(ctx, r)
		t.buf.add(string(bytes.TrimSpace(b.Bytes())))
	}
	if t.next.Enabled(ctx, r.Level) {
		return t.next.Handle(ctx, r)
	}
	return nil
}

func (t *logTee) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logTee{buf: t.buf, next: t.next.WithAttrs(attrs), attrs: append(append([]slog.Attr{}, t.attrs...), attrs...), group: t.group}
}

func (t *logTee) WithGroup(name string) slog.Handler {
	return &logTee{buf: t.buf, next: t.next.WithGroup(name), attrs: t.attrs, group: name}
}

// logSlow logs a command that took at least slowms.
func (s *Service) logSlow(req *Request, elapsed time.Duration, failed bool) {
	s.Logger.Info("Slow query", "command", req.Name, "db", req.DB,
		"durationMillis", elapsed.Milliseconds(), "ok", !failed, "connectionId", connID(req))
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
		reply.AppendInt64("totalLinesWritten", total).AppendArray("log", arr.Build())
	case "startupWarnings":
		reply.AppendInt32("totalLinesWritten", 0).AppendArray("log", bsoncore.NewArrayBuilder().Build())
	default:
		return mongoerr.Newf(mongoerr.OperationFailed, "No log named '%s'", name)
	}
	return nil
}
