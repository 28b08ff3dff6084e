package commands

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// FailPoints holds the configured fail points. Only failCommand, the one
// drivers' test suites use, exists.
type FailPoints struct {
	mu          sync.Mutex
	failCommand *failCommand
	timesFired  int64
}

// NewFailPoints returns an empty fail point registry.
func NewFailPoints() *FailPoints { return &FailPoints{} }

// failCommand is mongod's failCommand fail point configuration.
type failCommand struct {
	always            bool
	times             int64 // remaining activations when !always
	skip              int64
	commands          map[string]bool
	errorCode         int32
	errorLabels       []string
	closeConnection   bool
	blockConnection   bool
	blockTime         time.Duration
	writeConcernError bson.Raw
	appName           string
}

// fpFire is what a fired fail point does to the command.
type fpFire struct {
	errorCode         int32
	errorLabels       []string
	writeConcernError bson.Raw
}

// check fires failCommand if it matches req. A closed connection is
// reported as errConnectionClosed.
func (f *FailPoints) check(ctx context.Context, req *Request) (*fpFire, error) {
	f.mu.Lock()
	fc := f.failCommand
	if fc == nil || !fc.commands[req.Name] || (fc.appName != "" && req.Conn != nil && req.Conn.AppName != fc.appName) ||
		(fc.appName != "" && req.Conn == nil) {
		f.mu.Unlock()
		return nil, nil
	}
	if fc.skip > 0 {
		fc.skip--
		f.mu.Unlock()
		return nil, nil
	}
	if !fc.always {
		fc.times--
		if fc.times <= 0 {
			f.failCommand = nil
		}
	}
	f.timesFired++
	fire := &fpFire{errorCode: fc.errorCode, errorLabels: fc.errorLabels, writeConcernError: fc.writeConcernError}
	closeConn, block, blockTime := fc.closeConnection, fc.blockConnection, fc.blockTime
	f.mu.Unlock()
	if block {
		t := time.NewTimer(blockTime)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if closeConn {
		if req.Conn != nil && req.Conn.Close != nil {
			req.Conn.Close()
		}
		return nil, errConnectionClosed
	}
	return fire, nil
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
		return mongoerr.Newf(mongoerr.BadValue, "Cannot find failPoint: %s", name)
	}
	fc := &failCommand{commands: map[string]bool{}}
	off := false
	mode := req.Arg("mode")
	switch mode.Type {
	case bson.TypeString:
		switch mode.StringValue() {
		case "alwaysOn":
			fc.always = true
		case "off":
			off = true
		default:
			return mongoerr.Newf(mongoerr.BadValue, "unknown mode: %s", mode.StringValue())
		}
	case bson.TypeEmbeddedDocument:
		elems, _ := mode.Document().Elements()
		for _, e := range elems {
			n, ok := asInt64(e.Value())
			if !ok || n < 0 {
				return mongoerr.Newf(mongoerr.BadValue, "'%s' must be a non-negative integer", e.Key())
			}
			switch e.Key() {
			case "times":
				fc.times = n
				off = n == 0
			case "skip":
				fc.skip = n
				fc.always = true
			case "activationProbability":
				return mongoerr.New(mongoerr.NotImplemented, "activationProbability is not supported by SecantusDB yet")
			default:
				return mongoerr.Newf(mongoerr.BadValue, "unknown mode field: %s", e.Key())
			}
		}
	default:
		return mongoerr.New(mongoerr.TypeMismatch, "'mode' must be a string or a document")
	}
	if data, ok := req.Arg("data").DocumentOK(); ok {
		elems, _ := data.Elements()
		for _, e := range elems {
			v := e.Value()
			switch e.Key() {
			case "failCommands":
				arr, ok := v.ArrayOK()
				if !ok {
					return typeMismatch("data.failCommands", "array", v)
				}
				vals, _ := arr.Values()
				for _, c := range vals {
					fc.commands[c.StringValue()] = true
				}
			case "errorCode":
				n, _ := asInt64(v)
				fc.errorCode = int32(n)
			case "errorLabels":
				arr, _ := v.ArrayOK()
				vals, _ := arr.Values()
				fc.errorLabels = []string{}
				for _, l := range vals {
					fc.errorLabels = append(fc.errorLabels, l.StringValue())
				}
			case "closeConnection":
				fc.closeConnection, _ = boolValue("closeConnection", v)
			case "blockConnection":
				fc.blockConnection, _ = boolValue("blockConnection", v)
			case "blockTimeMS":
				n, _ := asInt64(v)
				fc.blockTime = time.Duration(n) * time.Millisecond
			case "writeConcernError":
				fc.writeConcernError, _ = v.DocumentOK()
			case "appName":
				fc.appName, _ = v.StringValueOK()
			case "failInternalCommands", "namespace", "errorExtraInfo":
			default:
				return mongoerr.Newf(mongoerr.BadValue, "unknown failCommand data field: %s", e.Key())
			}
		}
	}
	s.FailPoints.mu.Lock()
	count := s.FailPoints.timesFired
	if off {
		s.FailPoints.failCommand = nil
	} else {
		s.FailPoints.failCommand = fc
	}
	s.FailPoints.timesFired = 0
	s.FailPoints.mu.Unlock()
	reply.AppendInt64("count", count)
	return nil
}
