// Package secantus is the embedded API of SecantusDB, a MongoDB server
// written in Go: Start runs a server inside the calling process, on disk
// or in memory, that any MongoDB driver or tool can connect to.
//
//	srv, err := secantus.Start(ctx, secantus.Config{Addr: "127.0.0.1:0", Storage: ":memory:"})
//	if err != nil { ... }
//	defer srv.Close()
//	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
package secantus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/catalog"
	"github.com/secantusdb/secantus/internal/commands"
	"github.com/secantusdb/secantus/internal/cursor"
	"github.com/secantusdb/secantus/internal/server"
	"github.com/secantusdb/secantus/internal/storage/pebble"
)

// InMemory is the Storage value for an ephemeral in-memory store.
const InMemory = ":memory:"

// DefaultStorage is the data directory used when Config.Storage is empty.
const DefaultStorage = "./secantus-data"

// Config configures a server. The zero value serves on 127.0.0.1:27017
// with data in ./secantus-data.
type Config struct {
	// Addr is the TCP address to listen on; port 0 picks a free port.
	// Default "127.0.0.1:27017".
	Addr string
	// Storage is a data directory, or InMemory. Default DefaultStorage.
	Storage string
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Parameters are server parameters as --setParameter name=value
	// gives them (for example "enableTestCommands": "1").
	Parameters map[string]string
	// CmdLine is reported by getCmdLineOpts (the daemon fills it).
	CmdLine []string
	// CmdLineParsed is the parsed form of CmdLine for getCmdLineOpts.
	CmdLineParsed bson.D
}

// Server is a running SecantusDB server.
type Server struct {
	addr     net.Addr
	srv      *server.Server
	svc      *commands.Service
	eng      *pebble.Engine
	cursors  *cursor.Manager
	logger   *slog.Logger
	done     chan struct{}
	serveErr error

	closeOnce sync.Once
	closeErr  error
}

// Start opens the store, binds the listener and begins serving. It
// returns once the server accepts connections.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:27017"
	}
	if cfg.Storage == "" {
		cfg.Storage = DefaultStorage
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	params, err := commands.NewParams(cfg.Parameters)
	if err != nil {
		return nil, err
	}
	logBuf := commands.NewLogBuffer(logger.Handler())
	logger = slog.New(logBuf.Handler())

	if cfg.Storage != InMemory {
		if err := os.MkdirAll(cfg.Storage, 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	eng, err := pebble.Open(cfg.Storage, pebble.Options{})
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Open(eng)
	if err != nil {
		eng.Close()
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		eng.Close()
		return nil, err
	}
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cursors := cursor.NewManager(params.CursorTimeout)
	svc := &commands.Service{
		Catalog:      cat,
		Cursors:      cursors,
		Sessions:     commands.NewSessions(),
		Params:       params,
		FailPoints:   commands.NewFailPoints(),
		Log:          logBuf,
		Logger:       logger,
		Started:      time.Now(),
		Host:         net.JoinHostPort(host, port),
		CmdLine:      commands.CmdLine{Argv: cfg.CmdLine, Parsed: cfg.CmdLineParsed},
		TestCommands: params.EnableTestCommands(),
		Persistent:   cfg.Storage != InMemory,
		DBPath:       cfg.Storage,
		TopologyID:   bson.NewObjectID(),
		ShuttingDown: make(chan struct{}),
	}
	s := &Server{addr: ln.Addr(), svc: svc, eng: eng, cursors: cursors, logger: logger, done: make(chan struct{})}
	s.srv = server.New(svc, logger)
	svc.Shutdown = func() { go s.Close() }
	go func() {
		s.serveErr = s.srv.Serve(ln)
		close(s.done)
	}()
	logger.Info("Waiting for connections", "address", ln.Addr().String(), "storage", cfg.Storage)
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.addr }

// URI returns a connection string for the server, with directConnection
// set since it is a standalone.
func (s *Server) URI() string {
	return "mongodb://" + s.addr.String() + "/?directConnection=true"
}

// Done is closed when the server has stopped serving (after Close or the
// shutdown command).
func (s *Server) Done() <-chan struct{} { return s.done }

// Close shuts the server down gracefully: it stops accepting, closes
// connections and cursors, and flushes and closes the store. It is safe
// to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.logger.Info("Shutting down")
		close(s.svc.ShuttingDown)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		<-s.done
		s.cursors.Close()
		if cerr := s.eng.Close(); err == nil {
			err = cerr
		}
		if err == nil && s.serveErr != nil && !errors.Is(s.serveErr, net.ErrClosed) {
			err = s.serveErr
		}
		s.closeErr = err
		s.logger.Info("Now exiting")
	})
	return s.closeErr
}
