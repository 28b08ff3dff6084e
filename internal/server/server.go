// Package server accepts client connections and runs one goroutine per
// connection: it reads wire frames, hands commands to the commands layer
// and frames the replies, honouring OP_MSG's flag bits, compression and
// the legacy OP_QUERY handshake.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secantusdb/secantus/internal/commands"
)

// Server serves the MongoDB wire protocol on a listener.
type Server struct {
	svc    *commands.Service
	logger *slog.Logger

	mu       sync.Mutex
	conns    map[int64]*conn
	ln       net.Listener
	closing  bool
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	nextID   atomic.Int64
	created  atomic.Int64
	active   atomic.Int64
	requestN atomic.Int32
}

// New returns a server for svc.
func New(svc *commands.Service, logger *slog.Logger) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{svc: svc, logger: logger, conns: make(map[int64]*conn), ctx: ctx, cancel: cancel}
	svc.ConnStats = s.ConnStats
	return s
}

// ConnStats reports the connection counters.
func (s *Server) ConnStats() commands.ConnStats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return commands.ConnStats{Current: int64(n), TotalCreated: s.created.Load(), Active: s.active.Load()}
}

// Serve accepts connections on ln until Shutdown. It returns nil after a
// Shutdown and the accept error otherwise.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.ln = ln
	s.mu.Unlock()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscallEMFILE) {
				delay = min(max(delay*2, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.startConn(nc)
	}
}

func (s *Server) startConn(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		tc.SetKeepAlive(true)
	}
	id := s.nextID.Add(1)
	c := newConn(s, nc, id)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[id] = c
	s.wg.Add(1)
	s.mu.Unlock()
	s.created.Add(1)
	s.logger.Info("connection accepted", "remote", c.state.Remote, "connectionId", id)
	go func() {
		defer s.wg.Done()
		c.serve(s.ctx)
		s.mu.Lock()
		delete(s.conns, id)
		s.mu.Unlock()
		s.logger.Info("connection ended", "remote", c.state.Remote, "connectionId", id)
	}()
}

// Shutdown stops accepting, closes every connection and waits for their
// goroutines (or ctx) to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if s.ln != nil {
		s.ln.Close()
	}
	for _, c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
