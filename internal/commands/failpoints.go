package commands

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// FailPoints holds the server's fail points. Only failCommand, the one
// drivers' test suites use, exists; configureFailPoint rejects any other
// name as mongod rejects names it does not know. It is safe for concurrent
// use.
type FailPoints struct {
	mu sync.Mutex
	// fc is the active failCommand configuration, nil when off.
	fc *failCommand
	// entered counts how often failCommand fired over the life of the
	// process; configureFailPoint reports it as count.
	entered int64
}

// NewFailPoints returns a registry with every fail point off.
func NewFailPoints() *FailPoints { return &FailPoints{} }

// fpMode is how an active fail point decides whether to fire.
type fpMode int

const (
	fpAlwaysOn fpMode = iota
	fpTimes           // fire n more times, then turn off
	fpSkip            // let n matching commands pass, then always fire
	fpRandom          // fire with probability prob
)

// failCommand is the configuration of mongod's failCommand fail point.
// Its data fields are read leniently, as mongod reads them only when the
// fail point is evaluated: wrong types count as absent.
type failCommand struct {
	mode fpMode
	n    int64
	prob float64

	commands          []string
	hasErrorCode      bool
	errorCode         int32
	errorLabels       []string // nil when not configured
	closeConnection   bool
	blockConnection   bool
	hasBlockTime      bool
	blockTime         time.Duration
	writeConcernError bson.Raw
	hasAppName        bool
	appName           string
	hasNamespace      bool
	namespace         string
}

// fpFire is what a fired fail point does to the command.
type fpFire struct {
	errorCode         int32
	errorLabels       []string
	writeConcernError bson.Raw
}

// wceCommands are the commands that accept a write concern: only they can
// get failCommand's writeConcernError, as only for them does mongod
// evaluate it.
var wceCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "bulkWrite": true,
	"create": true, "drop": true, "dropDatabase": true, "createIndexes": true, "dropIndexes": true,
	"renameCollection": true, "collMod": true, "commitTransaction": true, "abortTransaction": true,
	"createUser": true, "updateUser": true, "dropUser": true, "dropAllUsersFromDatabase": true,
	"createRole": true, "dropRole": true, "setFeatureCompatibilityVersion": true, "convertToCapped": true,
	"cloneCollectionAsCapped": true,
}

// matches reports whether the fail point applies to req, which runs cmd.
// wce is set when the match is only through writeConcernError.
func (fc *failCommand) matches(cmd *Command, req *Request) (ok, wce bool) {
	if cmd == nil || cmd.Name == "configureFailPoint" {
		return false, false
	}
	named := false
	for _, c := range fc.commands {
		if c == cmd.Name {
			named = true
			break
		}
		for _, a := range cmd.Aliases {
			if c == a {
				named = true
			}
		}
	}
	if !named {
		return false, false
	}
	if fc.hasAppName && (req.Conn == nil || req.Conn.ClientMetadata == nil || req.Conn.AppName != fc.appName) {
		return false, false
	}
	if fc.hasNamespace && fc.namespace != requestNamespace(req) {
		return false, false
	}
	if fc.hasErrorCode || fc.closeConnection || fc.blockConnection {
		return true, false
	}
	if fc.writeConcernError != nil && wceCommands[cmd.Name] {
		return true, true
	}
	return false, false
}

// requestNamespace is the namespace a command works on: db.collection
// when its argument is a collection name, the database otherwise.
func requestNamespace(req *Request) string {
	if coll, ok := req.Command().StringValueOK(); ok && coll != "" {
		return req.DB + "." + coll
	}
	return req.DB
}

// check evaluates failCommand for req. It returns nil when the fail point
// does not fire. When it fires with closeConnection the connection is
// closed and errConnectionClosed returned; with blockConnection it first
// waits blockTimeMS (or until ctx ends).
func (f *FailPoints) check(ctx context.Context, req *Request) (*fpFire, error) {
	f.mu.Lock()
	fc := f.fc
	if fc == nil {
		f.mu.Unlock()
		return nil, nil
	}
	ok, wceOnly := fc.matches(lookup(req.Name), req)
	if !ok || !fc.fire(f) {
		f.mu.Unlock()
		return nil, nil
	}
	f.entered++
	f.mu.Unlock()

	if wceOnly {
		return &fpFire{errorLabels: fc.errorLabels, writeConcernError: fc.writeConcernError}, nil
	}
	if fc.closeConnection {
		if req.Conn != nil && req.Conn.Close != nil {
			req.Conn.Close()
		}
		return nil, errConnectionClosed
	}
	fire := &fpFire{errorLabels: fc.errorLabels, writeConcernError: fc.writeConcernError}
	if fc.blockConnection {
		if !fc.hasBlockTime {
			// mongod fails the command: "must specify 'blockTimeMS' when
			// 'blockConnection' is true".
			fire.errorCode = int32(mongoerr.InvalidOptions)
			return fire, nil
		}
		t := time.NewTimer(fc.blockTime)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if fc.hasErrorCode {
		fire.errorCode = fc.errorCode
	}
	return fire, nil
}

// fire applies the mode to one matching command: it reports whether the
// fail point fires and counts times and skips down. f.mu must be held.
func (fc *failCommand) fire(f *FailPoints) bool {
	switch fc.mode {
	case fpTimes:
		fc.n--
		if fc.n <= 0 {
			f.fc = nil
		}
		return true
	case fpSkip:
		if fc.n > 0 {
			fc.n--
			return false
		}
		return true
	case fpRandom:
		return rand.Float64() < fc.prob
	}
	return true
}

func init() {
	register(&Command{Name: "configureFailPoint", Handler: configureFailPointCmd, AdminOnly: true, TestOnly: true,
		Help: "configure a fail point (test command)"})
}

func configureFailPointCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	name, ok := req.Command().StringValueOK()
	if !ok {
		return typeMismatch("configureFailPoint.configureFailPoint", "string", req.Command())
	}
	if name != "failCommand" {
		return mongoerr.Newf(mongoerr.FailPointSetFailed, "%s not found", name)
	}
	fc, off, err := parseFailPoint(req.Body)
	if err != nil {
		return err
	}
	f := s.FailPoints
	f.mu.Lock()
	count := f.entered
	if off {
		f.fc = nil
	} else {
		f.fc = fc
	}
	f.mu.Unlock()
	s.Logger.Warn("Set failpoint", "failPointName", name, "failPoint", req.Body.String())
	reply.AppendInt64("count", count)
	return nil
}

// parseFailPoint reads the mode and data of a configureFailPoint command
// with mongod's rules and messages.
func parseFailPoint(body bson.Raw) (fc *failCommand, off bool, err error) {
	fc = &failCommand{}
	mode, err := body.LookupErr("mode")
	if err != nil {
		return nil, false, mongoerr.New(mongoerr.IllegalOperation, "When setting a failpoint, you must supply a 'mode'")
	}
	switch mode.Type {
	case bson.TypeString:
		switch mode.StringValue() {
		case "off":
			off = true
		case "alwaysOn":
			fc.mode = fpAlwaysOn
		default:
			return nil, false, mongoerr.Newf(mongoerr.BadValue, "unknown mode: %s", mode.StringValue())
		}
	case bson.TypeEmbeddedDocument:
		m := mode.Document()
		switch {
		case m.Lookup("times").Type != 0:
			// mongod turns the fail point off when the count reaches zero
			// after firing, so {times: 0} fires once, like {times: 1}.
			fc.mode = fpTimes
			if fc.n, err = failPointCount(m, "times"); err != nil {
				return nil, false, err
			}
		case m.Lookup("skip").Type != 0:
			fc.mode = fpSkip
			if fc.n, err = failPointCount(m, "skip"); err != nil {
				return nil, false, err
			}
		case m.Lookup("activationProbability").Type != 0:
			fc.mode = fpRandom
			p, ok := numberAsFloat(m.Lookup("activationProbability"))
			if !ok {
				return nil, false, mongoerr.New(mongoerr.TypeMismatch, "the 'activationProbability' option to 'mode' must be a double between 0 and 1")
			}
			if p < 0 || p > 1 {
				return nil, false, mongoerr.Newf(mongoerr.BadValue, "activationProbability must be between 0.0 and 1.0; found %v", p)
			}
			fc.prob = p
		default:
			return nil, false, mongoerr.New(mongoerr.BadValue, "'mode' must be one of 'off', 'alwaysOn', '{times:n}', '{skip:n}' or '{activationProbability:p}'")
		}
	default:
		return nil, false, mongoerr.New(mongoerr.TypeMismatch, "'mode' must be a string or JSON object")
	}
	dv, err := body.LookupErr("data")
	if err != nil {
		return fc, off, nil
	}
	data, ok := dv.DocumentOK()
	if !ok {
		return nil, false, mongoerr.New(mongoerr.TypeMismatch, "the 'data' option must be a JSON object")
	}
	readFailCommandData(fc, data)
	return fc, off, nil
}

// readFailCommandData copies the failCommand settings out of data.
func readFailCommandData(fc *failCommand, data bson.Raw) {
	if arr, ok := data.Lookup("failCommands").ArrayOK(); ok {
		vals, _ := arr.Values()
		for _, v := range vals {
			if name, ok := v.StringValueOK(); ok {
				fc.commands = append(fc.commands, name)
			}
		}
	}
	if v := data.Lookup("errorCode"); v.Type != 0 {
		n, _ := asInt64(v)
		fc.errorCode = int32(n)
		fc.hasErrorCode = fc.errorCode != 0
	}
	if arr, ok := data.Lookup("errorLabels").ArrayOK(); ok {
		vals, _ := arr.Values()
		fc.errorLabels = []string{}
		for _, v := range vals {
			if l, ok := v.StringValueOK(); ok {
				fc.errorLabels = append(fc.errorLabels, l)
			}
		}
	}
	fc.closeConnection, _ = data.Lookup("closeConnection").BooleanOK()
	fc.blockConnection, _ = data.Lookup("blockConnection").BooleanOK()
	if ms, ok := numberAsFloat(data.Lookup("blockTimeMS")); ok {
		fc.hasBlockTime = true
		fc.blockTime = time.Duration(ms * float64(time.Millisecond))
	}
	if wce, ok := data.Lookup("writeConcernError").DocumentOK(); ok {
		fc.writeConcernError = wce
	}
	if v := data.Lookup("appName"); v.Type != 0 {
		fc.hasAppName = true
		fc.appName, _ = v.StringValueOK()
	}
	if v := data.Lookup("namespace"); v.Type != 0 {
		fc.hasNamespace = true
		fc.namespace, _ = v.StringValueOK()
	}
}

// failPointCount reads the integer of {times: n} or {skip: n}.
func failPointCount(mode bson.Raw, field string) (int64, error) {
	v := mode.Lookup(field)
	f, ok := numberAsFloat(v)
	if !ok {
		return 0, mongoerr.Newf(mongoerr.TypeMismatch, "Expected field \"%s\" to have numeric type, but found %s", field, typeName(v.Type))
	}
	n, ok := asInt64(v)
	if !ok || float64(n) != f {
		return 0, mongoerr.Newf(mongoerr.BadValue, "Expected field \"%s\" to have a value exactly representable as a 64-bit integer, but found %s: %v", field, field, f)
	}
	if n < 0 {
		return 0, mongoerr.Newf(mongoerr.BadValue, "'%s' option to 'mode' must be positive", field)
	}
	if n > 1<<31-1 {
		return 0, mongoerr.Newf(mongoerr.BadValue, "'%s' option to 'mode' is too large", field)
	}
	return n, nil
}

// numberAsFloat returns a numeric BSON value as a float64.
func numberAsFloat(v bson.RawValue) (float64, bool) {
	switch v.Type {
	case bson.TypeDouble:
		return v.Double(), true
	case bson.TypeInt32:
		return float64(v.Int32()), true
	case bson.TypeInt64:
		return float64(v.Int64()), true
	case bson.TypeDecimal128:
		f, err := parseDecimalFloat(v.Decimal128().String())
		return f, err == nil
	}
	return 0, false
}
