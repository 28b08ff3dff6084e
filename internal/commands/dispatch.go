package commands

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// genericArgs are fields any command may carry: they belong to the
// protocol (sessions, read/write concern, API version), not the command.
var genericArgs = map[string]bool{
	"$db": true, "lsid": true, "txnNumber": true, "autocommit": true, "startTransaction": true,
	"$clusterTime": true, "$readPreference": true, "readConcern": true, "writeConcern": true,
	"comment": true, "maxTimeMS": true, "apiVersion": true, "apiStrict": true,
	"apiDeprecationErrors": true, "$audit": true, "$client": true, "mayBypassWriteBlocking": true,
	"$queryOptions": true, "$readPreferenceMode": true,
}

// errConnectionClosed is returned by Run when a fail point closed the
// connection: the server must send nothing.
var errConnectionClosed = errors.New("connection closed by fail point")

// IsConnectionClosed reports whether err means the connection was closed
// on purpose and no reply must be sent.
func IsConnectionClosed(err error) bool { return errors.Is(err, errConnectionClosed) }

// Run executes one command and returns the reply document. An error is
// returned only when no reply must be sent at all.
func (s *Service) Run(ctx context.Context, req *Request) (bson.Raw, error) {
	req.svc = s
	start := time.Now()
	reply, failed, err := s.run(ctx, req)
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	if ms := elapsed.Milliseconds(); ms >= s.Params.SlowMS() && req.Name != "hello" && req.Name != "isMaster" && req.Name != "ismaster" {
		s.logSlow(req, elapsed, failed)
	}
	return reply, nil
}

func (s *Service) run(ctx context.Context, req *Request) (reply bson.Raw, failed bool, err error) {
	reply, failed, err = s.runCommand(ctx, req)
	if failed && err == nil {
		reply = s.withTopologyVersion(reply)
	}
	return reply, failed, err
}

// stateChangeCodes are the errors after which drivers re-check the
// server; mongod attaches its topologyVersion to them so that drivers can
// tell a stale error from a new one.
var stateChangeCodes = map[int32]bool{
	10107: true, 13435: true, 13436: true, 11600: true, 11602: true, 189: true, 91: true,
}

func (s *Service) withTopologyVersion(reply bson.Raw) bson.Raw {
	code, _ := reply.Lookup("code").Int32OK()
	if !stateChangeCodes[code] {
		return reply
	}
	elems, _ := reply.Elements()
	b := bsoncore.NewDocumentBuilder()
	for _, e := range elems {
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
	}
	b.AppendDocument("topologyVersion", bsoncore.NewDocumentBuilder().
		AppendObjectID("processId", s.TopologyID).AppendInt64("counter", 0).Build())
	return bson.Raw(b.Build())
}

func (s *Service) runCommand(ctx context.Context, req *Request) (reply bson.Raw, failed bool, err error) {
	cmd := lookup(req.Name)
	if cmd == nil || (cmd.TestOnly && !s.TestCommands) {
		s.Stats.Command.Add(1)
		return errorReply(mongoerr.Newf(mongoerr.CommandNotFound, "no such command: '%s'", req.Name)), true, nil
	}
	if cmd.Write {
		// opcounters for writes are per document; commands count once.
	} else {
		s.Stats.Command.Add(1)
	}
	s.Sessions.Touch(sessionKey(req))
	if err := s.checkRequest(cmd, req); err != nil {
		s.Stats.command(cmd.Name, true)
		return errorReply(err), true, nil
	}
	fp, err := s.FailPoints.check(ctx, req)
	if err != nil {
		return nil, true, err
	}
	if fp != nil && fp.errorCode != 0 {
		s.Stats.command(cmd.Name, true)
		e := &mongoerr.Error{Code: mongoerr.Code(fp.errorCode), Message: "Failing command via 'failCommand' failpoint", Labels: fp.errorLabels}
		return errorReply(e), true, nil
	}
	if v, err := req.Body.LookupErr("maxTimeMS"); err == nil {
		ms, ok := asInt64(v)
		if !ok || ms < 0 {
			return errorReply(mongoerr.Newf(mongoerr.BadValue, "%s value for maxTimeMS is out of range [0, 2147483647]", v)), true, nil
		}
		if ms > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
			defer cancel()
		}
	}
	b := bsoncore.NewDocumentBuilder()
	herr := s.safeCall(ctx, cmd, req, b)
	s.Stats.command(cmd.Name, herr != nil)
	if herr != nil {
		if errors.Is(herr, context.DeadlineExceeded) {
			herr = mongoerr.New(mongoerr.MaxTimeMSExpired, "operation exceeded time limit")
		}
		return errorReply(herr), true, nil
	}
	if fp != nil && fp.writeConcernError != nil {
		b.AppendDocument("writeConcernError", fp.writeConcernError)
	}
	b.AppendDouble("ok", 1)
	return bson.Raw(b.Build()), false, nil
}

// safeCall runs the handler, turning a panic into an InternalError reply:
// one bad request never takes the server or the connection down.
func (s *Service) safeCall(ctx context.Context, cmd *Command, req *Request, b *bsoncore.DocumentBuilder) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.Logger.Error("command panicked", "command", req.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = mongoerr.Newf(mongoerr.InternalError, "internal error running %s: %v", req.Name, p)
		}
	}()
	return cmd.Handler(ctx, s, req, b)
}

func (s *Service) checkRequest(cmd *Command, req *Request) error {
	if req.DB == "" {
		return mongoerr.New(mongoerr.InvalidNamespace, "Invalid database name: ''")
	}
	if cmd.AdminOnly && req.DB != "admin" {
		return mongoerr.Newf(mongoerr.Unauthorized, "%s may only be run against the admin database.", cmd.Name)
	}
	if v, err := req.Body.LookupErr("writeConcern"); err == nil {
		if err := checkWriteConcern(v); err != nil {
			return err
		}
	}
	if v, err := req.Body.LookupErr("readConcern"); err == nil {
		if err := checkReadConcern(v); err != nil {
			return err
		}
	}
	return nil
}

func checkWriteConcern(v bson.RawValue) error {
	doc, ok := v.DocumentOK()
	if !ok {
		return typeMismatch("writeConcern", "object", v)
	}
	elems, _ := doc.Elements()
	for _, e := range elems {
		switch e.Key() {
		case "w":
			val := e.Value()
			if s, ok := val.StringValueOK(); ok {
				if s != "majority" {
					return mongoerr.Newf(mongoerr.UnknownReplWriteConcern, "No write concern mode named '%s' found in replica set configuration", s)
				}
				continue
			}
			n, ok := asInt64(val)
			if !ok {
				return mongoerr.New(mongoerr.FailedToParse, "w has to be a number or string")
			}
			if n < 0 || n > 50 {
				return mongoerr.New(mongoerr.FailedToParse, "w has to be a non-negative number and not greater than 50; found: "+fmt.Sprint(n))
			}
			if n > 1 {
				return mongoerr.New(mongoerr.BadValue, "cannot use 'w' > 1 on a standalone")
			}
		case "j", "fsync":
			if _, ok := e.Value().BooleanOK(); !ok {
				if _, ok := asInt64(e.Value()); !ok {
					return mongoerr.Newf(mongoerr.FailedToParse, "%s must be numeric or a boolean value", e.Key())
				}
			}
		case "wtimeout", "wtimeoutMS", "getLastError", "provenance":
		default:
			return mongoerr.Newf(mongoerr.FailedToParse, "unrecognized write concern field: %s", e.Key())
		}
	}
	return nil
}

func checkReadConcern(v bson.RawValue) error {
	doc, ok := v.DocumentOK()
	if !ok {
		return typeMismatch("readConcern", "object", v)
	}
	elems, _ := doc.Elements()
	for _, e := range elems {
		switch e.Key() {
		case "level":
			lvl, _ := e.Value().StringValueOK()
			switch lvl {
			case "local", "available", "majority", "linearizable":
			case "snapshot":
				return mongoerr.New(mongoerr.InvalidOptions, "readConcern level snapshot is only valid in multi-statement transactions or with a replica set")
			default:
				return mongoerr.Newf(mongoerr.FailedToParse, "BSON field 'readConcern.level' has invalid value '%s'", lvl)
			}
		case "afterClusterTime", "afterOpTime", "atClusterTime", "provenance":
		default:
			return mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'readConcern.%s' is an unknown field.", e.Key())
		}
	}
	return nil
}

// writeConcernJournaled reports whether the command asked for j:true (or
// the legacy fsync:true): its writes must be on disk before the reply.
func writeConcernJournaled(req *Request) bool {
	wc, ok := req.Body.Lookup("writeConcern").DocumentOK()
	if !ok {
		return false
	}
	for _, f := range []string{"j", "fsync"} {
		v := wc.Lookup(f)
		if b, ok := v.BooleanOK(); ok && b {
			return true
		}
		if n, ok := asInt64(v); ok && n != 0 {
			return true
		}
	}
	return false
}

// errorReply renders err as mongod's error reply:
// {ok: 0, errmsg, code, codeName, <extra>, errorLabels}.
func errorReply(err error) bson.Raw {
	e := mongoerr.As(err)
	b := bsoncore.NewDocumentBuilder().
		AppendDouble("ok", 0).
		AppendString("errmsg", e.Message).
		AppendInt32("code", int32(e.Code))
	if name := e.Code.Name(); name != "" {
		b.AppendString("codeName", name)
	} else {
		b.AppendString("codeName", fmt.Sprintf("Location%d", e.Code))
	}
	for _, f := range e.Extra {
		appendAny(b, f.Key, f.Value)
	}
	if len(e.Labels) > 0 {
		arr := bsoncore.NewArrayBuilder()
		for _, l := range e.Labels {
			arr.AppendString(l)
		}
		b.AppendArray("errorLabels", arr.Build())
	}
	return bson.Raw(b.Build())
}

// ErrorReply is errorReply for the server layer (frame-level errors).
func ErrorReply(err error) bson.Raw { return errorReply(err) }

// appendAny appends a Go value (bson.Raw, bson.RawValue or anything the
// bson package can marshal) as field key.
func appendAny(b *bsoncore.DocumentBuilder, key string, v any) {
	switch x := v.(type) {
	case bson.Raw:
		b.AppendDocument(key, x)
	case bson.RawValue:
		b.AppendValue(key, bsoncore.Value{Type: bsoncore.Type(x.Type), Data: x.Value})
	default:
		t, data, err := bson.MarshalValue(v)
		if err != nil {
			b.AppendString(key, fmt.Sprint(v))
			return
		}
		b.AppendValue(key, bsoncore.Value{Type: bsoncore.Type(t), Data: data})
	}
}

// asInt64 converts a numeric BSON value holding an integral value.
func asInt64(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		return int64(v.Int32()), true
	case bson.TypeInt64:
		return v.Int64(), true
	case bson.TypeDouble:
		f := v.Double()
		if f != f || f > 9.2e18 || f < -9.2e18 {
			return 0, false
		}
		return int64(f), true
	case bson.TypeDecimal128:
		d := v.Decimal128()
		bi, exp, err := d.BigInt()
		if err != nil || exp != 0 || !bi.IsInt64() {
			f, err := parseDecimalFloat(d.String())
			if err != nil {
				return 0, false
			}
			return int64(f), true
		}
		return bi.Int64(), true
	}
	return 0, false
}
