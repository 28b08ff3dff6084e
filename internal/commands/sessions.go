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
		&Command{Name: "killAllSessionsByPattern", Handler: killAllSessionsByPatternCmd, Help: "kill logical sessions by pattern"},
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
	out := make([]string, 0, len(vals))
	for i, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return nil, typeMismatchf("BSON field '%s.%s.%d' is the wrong type '%s', expected type 'object'", req.Name, req.Name, i, typeName(v.Type))
		}
		id, err := lsidID(d)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// lsidID reads the id of a logical session document as the session key.
func lsidID(d bson.Raw) (string, error) {
	v, err := d.LookupErr("id")
	if err != nil {
		return "", mongoerr.New(mongoerr.Location40414, "BSON field 'LogicalSessionFromClient.id' is missing but a required field")
	}
	sub, data, ok := v.BinaryOK()
	if !ok {
		return "", typeMismatchf("BSON field 'LogicalSessionFromClient.id' is the wrong type '%s', expected type 'binData'", typeName(v.Type))
	}
	if sub != 4 || len(data) != 16 {
		return "", mongoerr.New(mongoerr.InvalidUUID, "BSON field 'LogicalSessionFromClient.id' is the wrong binData type")
	}
	return hex.EncodeToString(data), nil
}

func endSessionsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	ids, err := sessionIDs(req)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.killSession(id)
	}
	return nil
}

// killSession forgets a session and kills its cursors.
func (s *Service) killSession(id string) {
	s.Sessions.end(id)
	s.Cursors.KillSession(id)
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

// killAllSessions forgets every session and kills every cursor.
func (s *Service) killAllSessions() {
	s.Sessions.mu.Lock()
	s.Sessions.last = map[string]time.Time{}
	s.Sessions.mu.Unlock()
	s.Cursors.KillAll()
}

// killAllSessionsCmd kills every session when given an empty list, or the
// sessions of the listed users. Without authentication no session belongs
// to a user, so a non-empty list kills nothing.
func killAllSessionsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	arr, ok := req.Command().ArrayOK()
	if !ok {
		return typeMismatch("killAllSessions.killAllSessions", "array", req.Command())
	}
	vals, _ := arr.Values()
	for i, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return typeMismatchf("BSON field 'killAllSessions.killAllSessions.%d' is the wrong type '%s', expected type 'object'", i, typeName(v.Type))
		}
		for _, f := range []string{"user", "db"} {
			fv, err := d.LookupErr(f)
			if err != nil {
				return mongoerr.Newf(mongoerr.Location40414, "BSON field 'KillAllSessionsUser.%s' is missing but a required field", f)
			}
			if _, ok := fv.StringValueOK(); !ok {
				return typeMismatch("KillAllSessionsUser."+f, "string", fv)
			}
		}
	}
	if len(vals) == 0 {
		s.killAllSessions()
	}
	return nil
}

// killAllSessionsByPatternCmd kills the sessions matching any pattern: {}
// matches all, {lsid} one session, {users}/{roles} none (there are no
// users), {uid} all (every session has the unauthenticated uid).
func killAllSessionsByPatternCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	arr, ok := req.Command().ArrayOK()
	if !ok {
		return typeMismatch("killAllSessionsByPattern.killAllSessionsByPattern", "array", req.Command())
	}
	vals, _ := arr.Values()
	all := len(vals) == 0
	var ids []string
	for i, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return typeMismatchf("BSON field 'killAllSessionsByPattern.killAllSessionsByPattern.%d' is the wrong type '%s', expected type 'object'", i, typeName(v.Type))
		}
		if lv, err := d.LookupErr("lsid"); err == nil {
			ld, ok := lv.DocumentOK()
			if !ok {
				return typeMismatch("KillAllSessionsByPattern.lsid", "object", lv)
			}
			id, err := lsidID(ld)
			if err != nil {
				return err
			}
			ids = append(ids, id)
			continue
		}
		_, hasUsers := d.Lookup("users").ArrayOK()
		_, hasRoles := d.Lookup("roles").ArrayOK()
		if !hasUsers && !hasRoles {
			all = true
		}
	}
	if all {
		s.killAllSessions()
		return nil
	}
	for _, id := range ids {
		s.killSession(id)
	}
	return nil
}
