package commands

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/cursor"
)

// e and D spell command documents in tests: D marshals as a bson.D.
type e struct {
	K string
	V any
}

// D is an ordered document.
type D []e

// MarshalBSON implements bson.Marshaler.
func (d D) MarshalBSON() ([]byte, error) {
	out := make(bson.D, len(d))
	for i, x := range d {
		out[i] = bson.E{Key: x.K, Value: x.V}
	}
	return bson.Marshal(out)
}

// newAdminService returns a Service with everything the server-information
// commands need and no storage.
func newAdminService(t *testing.T) *Service {
	t.Helper()
	params, err := NewParams(map[string]string{"enableTestCommands": "1"})
	if err != nil {
		t.Fatal(err)
	}
	cursors := cursor.NewManager(params.CursorTimeout)
	t.Cleanup(cursors.Close)
	logBuf := NewLogBuffer(slog.NewJSONHandler(io.Discard, nil))
	return &Service{
		Cursors:      cursors,
		Sessions:     NewSessions(),
		Params:       params,
		FailPoints:   NewFailPoints(),
		Log:          logBuf,
		Logger:       slog.New(logBuf.Handler()),
		Started:      time.Now(),
		Host:         "localhost:27017",
		TestCommands: true,
		TopologyID:   bson.NewObjectID(),
		ShuttingDown: make(chan struct{}),
	}
}

// mustDoc marshals a command document.
func mustDoc(t *testing.T, d D) bson.Raw {
	t.Helper()
	raw, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// runCmd runs a command against db through the dispatcher.
func runCmd(t *testing.T, s *Service, conn *Conn, db string, cmd D) bson.Raw {
	t.Helper()
	req := &Request{DB: db, Name: cmd[0].K, Body: mustDoc(t, cmd), Conn: conn}
	reply, err := s.Run(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: %v", cmd[0].K, err)
	}
	return reply
}

// replyCode is the error code of a reply (0 when ok).
func replyCode(r bson.Raw) int32 {
	if ok, _ := r.Lookup("ok").AsFloat64OK(); ok == 1 {
		return 0
	}
	c, _ := r.Lookup("code").Int32OK()
	return c
}
