package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// SessionTimeout is logicalSessionTimeoutMinutes.
const SessionTimeout = 30 * time.Minute

// Sessions is the registry of logical sessions seen by the server.
type Sessions struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// NewSessions returns an empty registry.
func NewSessions() *Sessions { return &Sessions{last: map[string]time.Time{}} }

// Touch records use of the session with the given key.
func (s *Sessions) Touch(key string) {
	if key == "" {
		return
	}
	s.mu.Lock()
	s.last[key] = time.Now()
	if len(s.last) > 10000 {
		for k, t := range s.last {
			if time.Since(t) > SessionTimeout {
				delete(s.last, k)
			}
		}
	}
	s.mu.Unlock()
}

func (s *Sessions) end(key string) {
	s.mu.Lock()
	delete(s.last, key)
	s.mu.Unlock()
}

// Count returns the number of known sessions.
func (s *Sessions) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.last)
}

func init() {
	register(
		&Command{Name: "startSession", Handler: startSessionCmd, Help: "start a logical session"},
		&Command{Name: "endSessions", Handler: endSessionsCmd, Help: "end logical sessions"},
		&Command{Name: "refreshSessions", Handler: refreshSessionsCmd, Help: "refresh logical sessions"},
		&Command{Name: "killSessions", Handler: killSessionsCmd, Help: "kill logical sessions and their cursors"},
		&Command{Name: "killAllSessions", Handler: killAllSessionsCmd, Help: "kill all logical sessions"},
		&Command{Name: "killAllSessionsByPattern", Handler: killAllSessionsCmd, Help: "kill logical sessions by pattern"},
	)
}

func startSessionCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	var id [16]byte
	rand.Read(id[:])
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	s.Sessions.Touch(hex.EncodeToString(id[:]))
	reply.AppendDocument("id", bsoncore.NewDocumentBuilder().AppendBinary("id", 4, id[:]).Build()).
		AppendInt32("timeoutMinutes", int32(SessionTimeout/time.Minute))
	return nil
}

// sessionIDs reads the array of {id: UUID} documents these commands take.
func sessionIDs(req *Request) ([]string, error) {
	arr, ok := req.Command().ArrayOK()
	if !ok {
		return nil, typeMismatch(req.Name+"."+req.Name, "array", req.Command())
	}
	vals, _ := arr.Values()
	var out []string
	for _, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return nil, typeMismatch(req.Name, "object", v)
		}
		_, data, ok := d.Lookup("id").BinaryOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.Location40414, "BSON field 'LogicalSessionFromClient.id' is missing but a required field")
		}
		out = append(out, hex.EncodeToString(data))
	}
	return out, nil
}

func endSessionsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	ids, err := sessionIDs(req)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.Sessions.end(id)
		s.Cursors.KillSession(id)
	}
	return nil
}

func refreshSessionsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	ids, err := sessionIDs(req)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.Sessions.Touch(id)
	}
	return nil
}

func killSessionsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	return endSessionsCmd(ctx, s, req, reply)
}

// killAllSessionsCmd kills every session (an empty pattern list), or the
// sessions of the listed users: without authentication every session
// belongs to no user, so any pattern kills them all.
func killAllSessionsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if _, ok := req.Command().ArrayOK(); !ok {
		return typeMismatch(req.Name+"."+req.Name, "array", req.Command())
	}
	s.Sessions.mu.Lock()
	s.Sessions.last = map[string]time.Time{}
	s.Sessions.mu.Unlock()
	s.Cursors.KillAll()
	return nil
}

var _ = bson.Raw{}
