package commands

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/cursor"
)

// Version is the MongoDB version SecantusDB claims to be.
const Version = "8.0.4"

// MaxWireVersion is the wire version of MongoDB 8.0.
const MaxWireVersion = 25

// Limits mongod reports in hello.
const (
	MaxBSONObjectSize   = 16 * 1024 * 1024
	MaxMessageSizeBytes = 48_000_000
	MaxWriteBatchSize   = 100_000
)

// Service is everything commands share: the catalog, cursors, sessions,
// parameters, fail points and server-wide counters.
type Service struct {
	Catalog    *catalog.Catalog
	Cursors    *cursor.Manager
	Sessions   *Sessions
	Params     *Params
	FailPoints *FailPoints
	Stats      Stats
	Log        *LogBuffer
	Logger     *slog.Logger
	Started    time.Time
	// Host is "hostname:port" as reported by hello's "me" and hostInfo.
	Host string
	// CmdLine is what getCmdLineOpts reports.
	CmdLine CmdLine
	// TestCommands enables configureFailPoint and other test-only commands.
	TestCommands bool
	// Persistent is true when data is on disk (not :memory:).
	Persistent bool
	// DBPath is the data directory (or ":memory:").
	DBPath string
	// Shutdown asks the server to shut down (the shutdown command).
	Shutdown func()
	// ConnStats reports the server's connection counters.
	ConnStats func() ConnStats
	// TopologyID is the process id part of hello's topologyVersion.
	TopologyID bson.ObjectID
	// ShuttingDown is closed when the server begins shutting down;
	// awaitable hello returns at once then.
	ShuttingDown chan struct{}

	opCounter atomic.Int64 // operation ids for currentOp
}

// CmdLine is the daemon's parsed command line for getCmdLineOpts.
type CmdLine struct {
	Argv   []string
	Parsed bson.D
}

// ConnStats are the connection counters of serverStatus.connections.
type ConnStats struct {
	Current      int64
	TotalCreated int64
	Active       int64
}

// Stats are server-wide operation counters for serverStatus.
type Stats struct {
	Insert, Query, Update, Delete, GetMore, Command      atomic.Int64
	DocsInserted, DocsReturned, DocsUpdated, DocsDeleted atomic.Int64
	CommandCounts                                        sync.Map // name -> *CommandCount
}

// CommandCount counts one command's calls for serverStatus.metrics.commands.
type CommandCount struct {
	Total, Failed atomic.Int64
}

func (s *Stats) command(name string, failed bool) {
	v, ok := s.CommandCounts.Load(name)
	if !ok {
		v, _ = s.CommandCounts.LoadOrStore(name, &CommandCount{})
	}
	c := v.(*CommandCount)
	c.Total.Add(1)
	if failed {
		c.Failed.Add(1)
	}
}

// Conn is the per-connection state commands may read or change.
type Conn struct {
	ID     int64
	Remote string
	Local  string
	// ClientMetadata is the client document of the first hello.
	ClientMetadata bson.Raw
	AppName        string
	// Compressors negotiated through hello.
	Compressors []string
	// Close closes the connection without a reply (failCommand's
	// closeConnection).
	Close func()
	// HelloDone records that the handshake has happened (client
	// metadata may only be sent once).
	HelloDone bool
}
