package commands

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(&Command{Name: "hello", Handler: helloCmd, Help: "Check if this server is primary for a replica set\n{ hello : 1 }"})
	register(&Command{Name: "isMaster", Aliases: []string{"ismaster"}, Handler: helloCmd,
		Help: "Check if this server is primary for a replica set\n{ isMaster : 1 }"})
}

// supportedCompressors are the wire compressors the server speaks.
var supportedCompressors = map[string]bool{"snappy": true, "zstd": true, "zlib": true}

// Client metadata limits of mongod.
const (
	maxClientMetadataSize = 512
	maxAppNameSize        = 128
)

// helloArgs are the parsed fields of hello / isMaster.
type helloArgs struct {
	helloOk       bool
	hasHelloOk    bool
	client        bson.Raw
	hasClient     bool
	compression   []string
	hasCompress   bool
	topology      bson.Raw
	hasTopology   bool
	processID     bson.ObjectID
	counter       int64
	maxAwait      int64
	hasMaxAwait   bool
	topologyMatch bool
}

// parseHello reads and type-checks hello's fields. mongod parses hello
// with its IDL under the name "hello" (also for isMaster) and allows
// unknown fields.
func parseHello(req *Request) (*helloArgs, error) {
	a := &helloArgs{}
	elems, err := req.Body.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "helloOk":
			a.hasHelloOk = true
			if a.helloOk, err = boolValue("hello.helloOk", v); err != nil {
				return nil, err
			}
		case "client":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, typeMismatch("hello.client", "object", v)
			}
			a.client, a.hasClient = d, true
		case "compression":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, typeMismatch("hello.compression", "array", v)
			}
			a.hasCompress = true
			vals, _ := arr.Values()
			for i, c := range vals {
				name, ok := c.StringValueOK()
				if !ok {
					return nil, typeMismatchf("BSON field 'hello.compression.%d' is the wrong type '%s', expected type 'string'", i, typeName(c.Type))
				}
				a.compression = append(a.compression, name)
			}
		case "topologyVersion":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, typeMismatch("hello.topologyVersion", "object", v)
			}
			if err := a.parseTopologyVersion(d); err != nil {
				return nil, err
			}
		case "maxAwaitTimeMS":
			n, _, err := intValue("hello.maxAwaitTimeMS", v)
			if err != nil {
				return nil, err
			}
			if n < 0 {
				return nil, mongoerr.Newf(mongoerr.BadValue, "BSON field 'maxAwaitTimeMS' value must be >= 0, actual value '%d'", n)
			}
			a.maxAwait, a.hasMaxAwait = n, true
		case "loadBalanced", "hangUpOnStepDown":
			if _, err := boolValue("hello."+e.Key(), v); err != nil {
				return nil, err
			}
		case "saslSupportedMechs":
			if _, ok := v.StringValueOK(); !ok {
				return nil, typeMismatch("hello.saslSupportedMechs", "string", v)
			}
		case "speculativeAuthenticate":
			if _, ok := v.DocumentOK(); !ok {
				return nil, typeMismatch("hello.speculativeAuthenticate", "object", v)
			}
		}
	}
	return a, nil
}

func (a *helloArgs) parseTopologyVersion(d bson.Raw) error {
	pid, err := d.LookupErr("processId")
	if err != nil {
		return mongoerr.New(mongoerr.Location40414, "BSON field 'hello.topologyVersion.processId' is missing but a required field")
	}
	oid, ok := pid.ObjectIDOK()
	if !ok {
		return typeMismatch("hello.topologyVersion.processId", "objectId", pid)
	}
	cv, err := d.LookupErr("counter")
	if err != nil {
		return mongoerr.New(mongoerr.Location40414, "BSON field 'hello.topologyVersion.counter' is missing but a required field")
	}
	n, ok := asInt64(cv)
	if !ok {
		return typeMismatch("hello.topologyVersion.counter", "long", cv)
	}
	a.topology, a.hasTopology, a.processID, a.counter = d, true, oid, n
	return nil
}

// validateClientMetadata applies mongod's rules for the client document.
// It returns the application name.
func validateClientMetadata(meta bson.Raw) (string, error) {
	if len(meta) > maxClientMetadataSize {
		return "", mongoerr.Newf(mongoerr.ClientMetadataDocumentTooLarge, "The client metadata document must be less then or equal to %d bytes", maxClientMetadataSize)
	}
	appName := ""
	foundDriver, foundOS := false, false
	elems, _ := meta.Elements()
	for _, e := range elems {
		name := e.Key()
		if name != "application" && name != "driver" && name != "os" {
			continue // other fields are allowed
		}
		d, ok := e.Value().DocumentOK()
		if !ok {
			return "", mongoerr.Newf(mongoerr.TypeMismatch, "The '%s' field is required to be a BSON document in the client metadata document", name)
		}
		switch name {
		case "application":
			if v, err := d.LookupErr("name"); err == nil {
				s, ok := v.StringValueOK()
				if !ok {
					return "", mongoerr.New(mongoerr.TypeMismatch, "The 'application.name' field must be a string in the client metadata document")
				}
				if len(s) > maxAppNameSize {
					return "", mongoerr.Newf(mongoerr.ClientMetadataAppNameTooLarge, "The 'application.name' field must be less then or equal to %d bytes in the client metadata document", maxAppNameSize)
				}
				appName = s
			}
		case "driver":
			for _, f := range []string{"name", "version"} {
				v, err := d.LookupErr(f)
				if err != nil {
					return "", mongoerr.Newf(mongoerr.ClientMetadataMissingField, "Missing required field 'driver.%s' in the client metadata document", f)
				}
				if _, ok := v.StringValueOK(); !ok {
					return "", mongoerr.Newf(mongoerr.TypeMismatch, "The 'driver.%s' field must be a string in the client metadata document", f)
				}
			}
			foundDriver = true
		case "os":
			v, err := d.LookupErr("type")
			if err != nil {
				return "", mongoerr.New(mongoerr.ClientMetadataMissingField, "Missing required field 'os.type' in the client metadata document")
			}
			if _, ok := v.StringValueOK(); !ok {
				return "", mongoerr.New(mongoerr.TypeMismatch, "The 'os.type' field must be a string in the client metadata document")
			}
			foundOS = true
		}
	}
	if !foundDriver {
		return "", mongoerr.New(mongoerr.ClientMetadataMissingField, "Missing required sub-document 'driver' in the client metadata document")
	}
	if !foundOS {
		return "", mongoerr.New(mongoerr.ClientMetadataMissingField, "Missing required sub-document 'os' in the client metadata document")
	}
	return appName, nil
}

// helloCmd answers the handshake as a standalone mongod 8.0 does,
// including the awaitable (streaming) form drivers' monitors use.
func helloCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	a, err := parseHello(req)
	if err != nil {
		return err
	}
	conn := req.Conn
	seen := conn != nil && conn.HelloDone
	if conn != nil {
		conn.HelloDone = true
	}
	if a.hasClient {
		if seen {
			return mongoerr.New(mongoerr.ClientMetadataCannotBeMutated, "The client metadata document may only be sent in the first hello")
		}
		appName, err := validateClientMetadata(a.client)
		if err != nil {
			return err
		}
		if conn != nil {
			conn.ClientMetadata = a.client
			conn.AppName = appName
			s.Logger.Info("client metadata", "remote", conn.Remote, "client", "conn"+strconv.FormatInt(conn.ID, 10),
				"connectionId", conn.ID, "doc", json.RawMessage(a.client.String()))
		}
	}
	if a.hasTopology != a.hasMaxAwait {
		msg := "A request with 'maxAwaitTimeMS' must include a 'topologyVersion'"
		if a.hasTopology {
			msg = "A request with a 'topologyVersion' must include 'maxAwaitTimeMS'"
		}
		return mongoerr.New(mongoerr.Code(31368), msg)
	}
	if a.hasTopology {
		if err := s.awaitHello(ctx, req, a); err != nil {
			return err
		}
	} else if req.ExhaustAllowed {
		// mongod streams hello only in its awaitable form.
		return mongoerr.New(mongoerr.Code(51756), "An isMaster or hello request with exhaust must specify 'maxAwaitTimeMS'")
	}
	if conn != nil && a.hasCompress && conn.Compressors == nil {
		conn.Compressors = []string{}
		for _, c := range a.compression {
			if supportedCompressors[c] {
				conn.Compressors = append(conn.Compressors, c)
			}
		}
	}
	s.appendHello(req, a, reply)
	return nil
}

// awaitHello implements the awaitable hello: when the client already knows
// our topologyVersion it waits maxAwaitTimeMS for a change (a standalone
// never changes) before answering. With exhaustAllowed the reply streams:
// the server sends it with moreToCome and runs the request again, which
// then always carries our topologyVersion.
func (s *Service) awaitHello(ctx context.Context, req *Request, a *helloArgs) error {
	if a.counter < 0 {
		return mongoerr.New(mongoerr.Code(31372), "topologyVersion must have a non-negative counter")
	}
	const ourCounter = 0
	if a.processID == s.TopologyID {
		if a.counter > ourCounter {
			return mongoerr.Newf(mongoerr.Code(31382), "Received a topology version with counter: %d which is greater than the server topology version counter: %d", a.counter, ourCounter)
		}
		t := time.NewTimer(time.Duration(a.maxAwait) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
		case <-s.ShuttingDown:
		}
		t.Stop()
		if err := ctx.Err(); err != nil {
			return err
		}
	} else if req.ExhaustAllowed {
		// The next streamed run must wait: give it our topologyVersion.
		req.Body = replaceField(req.Body, "topologyVersion", s.topologyVersion())
	}
	if req.ExhaustAllowed {
		req.Exhaust = true
	}
	return nil
}

func (s *Service) topologyVersion() bson.Raw {
	return bson.Raw(bsoncore.NewDocumentBuilder().
		AppendObjectID("processId", s.TopologyID).AppendInt64("counter", 0).Build())
}

// appendHello writes the reply fields of a standalone mongod 8.0.
func (s *Service) appendHello(req *Request, a *helloArgs, reply *bsoncore.DocumentBuilder) {
	conn := req.Conn
	if req.Name == "hello" {
		reply.AppendBoolean("isWritablePrimary", true)
	} else {
		reply.AppendBoolean("ismaster", true)
	}
	reply.AppendDocument("topologyVersion", s.topologyVersion())
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
	if conn != nil && a.hasCompress && len(conn.Compressors) > 0 {
		arr := bsoncore.NewArrayBuilder()
		for _, c := range conn.Compressors {
			arr.AppendString(c)
		}
		reply.AppendArray("compression", arr.Build())
	}
	if a.hasHelloOk && a.helloOk {
		reply.AppendBoolean("helloOk", true)
	}
}

// replaceField returns doc with field set to value (appended when absent).
func replaceField(doc bson.Raw, field string, value bson.Raw) bson.Raw {
	b := bsoncore.NewDocumentBuilder()
	elems, _ := doc.Elements()
	done := false
	for _, e := range elems {
		if e.Key() == field {
			b.AppendDocument(field, value)
			done = true
			continue
		}
		b.AppendValue(e.Key(), bsoncore.Value{Type: bsoncore.Type(e.Value().Type), Data: e.Value().Value})
	}
	if !done {
		b.AppendDocument(field, value)
	}
	return bson.Raw(b.Build())
}
