package commands

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(&Command{Name: "hello", Handler: helloCmd, Help: "the handshake: server role and limits"})
	register(&Command{Name: "isMaster", Aliases: []string{"ismaster"}, Handler: helloCmd, Help: "legacy name of hello"})
}

// supportedCompressors in our order of preference.
var supportedCompressors = map[string]bool{"snappy": true, "zstd": true, "zlib": true}

func helloCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	conn := req.Conn
	if client, err := req.Body.LookupErr("client"); err == nil {
		meta, ok := client.DocumentOK()
		if !ok {
			return typeMismatch(req.Name+".client", "object", client)
		}
		if conn != nil {
			if conn.ClientMetadata != nil {
				return mongoerr.New(mongoerr.ClientMetadataCannotBeMutated, "The client metadata document may only be sent in the first hello")
			}
			conn.ClientMetadata = meta
			conn.AppName, _ = meta.Lookup("application", "name").StringValueOK()
			s.Logger.Info("client metadata", "remote", conn.Remote, "connectionId", conn.ID, "client", meta.String())
		}
	}
	if v, err := req.Body.LookupErr("compression"); err == nil && conn != nil && !conn.HelloDone {
		arr, ok := v.ArrayOK()
		if !ok {
			return typeMismatch(req.Name+".compression", "array", v)
		}
		vals, _ := arr.Values()
		conn.Compressors = nil
		for _, c := range vals {
			if name, ok := c.StringValueOK(); ok && supportedCompressors[name] {
				conn.Compressors = append(conn.Compressors, name)
			}
		}
	}
	helloOk := false
	if v, err := req.Body.LookupErr("helloOk"); err == nil {
		helloOk, _ = boolValue(req.Name+".helloOk", v)
	}
	// Awaitable hello: with the client's topologyVersion equal to ours,
	// wait maxAwaitTimeMS for a change (a standalone never changes) and
	// then answer; the client streams with exhaustAllowed.
	if tv, ok := req.Arg("topologyVersion").DocumentOK(); ok {
		wait, hasWait, err := intArg(req, "maxAwaitTimeMS")
		if err != nil {
			return err
		}
		if !hasWait {
			return mongoerr.New(mongoerr.Location40414, "BSON field 'hello.maxAwaitTimeMS' is missing but a required field")
		}
		if pid, ok := tv.Lookup("processId").ObjectIDOK(); ok && pid == s.TopologyID {
			t := time.NewTimer(time.Duration(wait) * time.Millisecond)
			select {
			case <-t.C:
			case <-ctx.Done():
			case <-s.ShuttingDown:
			}
			t.Stop()
			if err := ctx.Err(); err != nil {
				return err
			}
			if req.ExhaustAllowed {
				req.Exhaust = true
			}
		}
	}
	if conn != nil {
		conn.HelloDone = true
	}
	if req.Name == "hello" {
		reply.AppendBoolean("isWritablePrimary", true)
	} else {
		reply.AppendBoolean("ismaster", true)
	}
	reply.AppendDocument("topologyVersion", bsoncore.NewDocumentBuilder().
		AppendObjectID("processId", s.TopologyID).AppendInt64("counter", 0).Build())
	reply.AppendInt32("maxBsonObjectSize", MaxBSONObjectSize).
		AppendInt32("maxMessageSizeBytes", MaxMessageSizeBytes).
		AppendInt32("maxWriteBatchSize", MaxWriteBatchSize).
		AppendDateTime("localTime", time.Now().UnixMilli()).
		AppendInt32("logicalSessionTimeoutMinutes", int32(SessionTimeout/time.Minute))
	if conn != nil {
		reply.AppendInt64("connectionId", conn.ID)
	}
	reply.AppendInt32("minWireVersion", 0).
		AppendInt32("maxWireVersion", MaxWireVersion).
		AppendBoolean("readOnly", false)
	if conn != nil && len(conn.Compressors) > 0 {
		arr := bsoncore.NewArrayBuilder()
		for _, c := range conn.Compressors {
			arr.AppendString(c)
		}
		reply.AppendArray("compression", arr.Build())
	}
	if helloOk {
		reply.AppendBoolean("helloOk", true)
	}
	return nil
}

var _ = bson.Raw{}
