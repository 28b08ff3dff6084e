// Package commands implements SecantusDB's database commands: one file per
// command or small family, registered in a table that carries each
// command's metadata. The server parses frames and calls Run; everything a
// command needs lives in the Service it is given.
package commands

import (
	"context"
	"github.com/secantusdb/secantus/internal/collation"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Handler runs one command. It appends its reply fields to reply (the
// dispatcher adds ok: 1 after them) or returns an error, in which case
// whatever it appended is discarded and an error reply is sent instead.
type Handler func(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error

// Command is a registered command and its metadata.
type Command struct {
	// Name is the canonical name, as listCommands reports it.
	Name string
	// Aliases are other names the command answers to (isMaster, ismaster).
	Aliases []string
	Handler Handler
	// AdminOnly commands must run against the admin database.
	AdminOnly bool
	// TestOnly commands exist only with enableTestCommands.
	TestOnly bool
	// Write commands count towards opcounters and honour writeConcern.
	Write bool
	// Help is the one-line description listCommands returns.
	Help string
}

var registry = map[string]*Command{}

// register adds commands to the table; called from each file's init.
func register(cmds ...*Command) {
	for _, c := range cmds {
		registry[strings.ToLower(c.Name)] = c
		for _, a := range c.Aliases {
			registry[strings.ToLower(a)] = c
		}
	}
}

// lookup finds a command by the name the client sent. mongod matches
// command names exactly, except for the historical lowercase aliases it
// registers; we register those as aliases and match case-sensitively
// against name and aliases.
func lookup(name string) *Command {
	c := registry[strings.ToLower(name)]
	if c == nil {
		return nil
	}
	if c.Name == name {
		return c
	}
	for _, a := range c.Aliases {
		if a == name {
			return c
		}
	}
	return nil
}

// Commands returns every registered command once, sorted by name.
func Commands() []*Command {
	seen := map[*Command]bool{}
	var out []*Command
	for _, c := range registry {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Request is one command as the server received it.
type Request struct {
	// DB is the database the command runs against ($db).
	DB string
	// Name is the command name exactly as sent (the body's first key).
	Name string
	// Body is the command document.
	Body bson.Raw
	// Sequences holds OP_MSG kind-1 document sequences by identifier.
	Sequences map[string][]bson.Raw
	// Conn is the connection the command arrived on.
	Conn *Conn
	// Unacknowledged is set when the client asked for no reply
	// (moreToCome, or writeConcern w:0).
	Unacknowledged bool
	// ExhaustAllowed is set when the client accepts exhaust replies.
	ExhaustAllowed bool
	// Exhaust is set by a handler that wants the server to send its reply
	// with moreToCome and run the command again (streaming hello).
	Exhaust bool

	svc *Service // the service running the request

	// The collection's default collation, looked up once per request
	// (every statement of an update or delete asks for it).
	defaultColl     *collation.Collation
	defaultCollErr  error
	defaultCollDone bool

	// now is $$NOW for the whole command, set on first use.
	now bson.DateTime
}

// Now returns the command's $$NOW: the time it was first asked for, the
// same for every statement and expression of the command, as on mongod.
func (r *Request) Now() bson.DateTime {
	if r.now == 0 {
		r.now = bson.NewDateTimeFromTime(time.Now())
	}
	return r.now
}

// Arg returns the value of a field of the command document.
func (r *Request) Arg(name string) bson.RawValue { return r.Body.Lookup(name) }

// Command returns the value of the command's first field (its argument:
// the collection name for most commands).
func (r *Request) Command() bson.RawValue {
	e, err := r.Body.IndexErr(0)
	if err != nil {
		return bson.RawValue{}
	}
	return e.Value()
}

// Docs returns the documents of an array field that may also arrive as a
// kind-1 document sequence (insert's documents, update's updates, ...).
func (r *Request) Docs(field string) ([]bson.Raw, bool, error) {
	if seq, ok := r.Sequences[field]; ok {
		return seq, true, nil
	}
	v, err := r.Body.LookupErr(field)
	if err != nil {
		return nil, false, nil
	}
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, true, typeMismatch(field, "array", v)
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, true, err
	}
	out := make([]bson.Raw, 0, len(vals))
	for i, e := range vals {
		d, ok := e.DocumentOK()
		if !ok {
			return nil, true, typeMismatchf("BSON field '%s.%s.%d' is the wrong type '%s', expected type 'object'", r.Name, field, i, typeName(e.Type))
		}
		out = append(out, d)
	}
	return out, true, nil
}
