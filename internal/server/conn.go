package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/commands"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/wire"
)

var syscallEMFILE = syscall.EMFILE

// conn is one client connection.
type conn struct {
	srv   *Server
	nc    net.Conn
	state *commands.Conn
	br    *bufio.Reader
	out   []byte // reply buffer, reused
	cbuf  []byte // compression buffer, reused
	close sync.Once
}

func newConn(s *Server, nc net.Conn, id int64) *conn {
	c := &conn{srv: s, nc: nc, br: bufio.NewReaderSize(nc, 16*1024)}
	c.state = &commands.Conn{
		ID:     id,
		Remote: nc.RemoteAddr().String(),
		Local:  nc.LocalAddr().String(),
		Close:  func() { c.close.Do(func() { nc.Close() }) },
	}
	return c
}

func (c *conn) serve(parent context.Context) {
	defer c.state.Close()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	for {
		msg, err := wire.ReadMessage(c.br, commands.MaxMessageSizeBytes)
		if err != nil {
			var fe *wire.FrameError
			if errors.As(err, &fe) && !fe.Fatal {
				// The frame was read whole; its content is bad. Answer
				// with an error and keep the connection.
				c.srv.logger.Info("invalid message", "remote", c.state.Remote, "error", fe.Error())
				if werr := c.writeMsg(fe.RequestID, 0, commands.ErrorReply(mongoerr.New(fe.Code, fe.Msg)), 0); werr != nil {
					return
				}
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.srv.logger.Info("closing connection after an unreadable message", "remote", c.state.Remote, "error", err.Error())
			}
			return
		}
		c.srv.active.Add(1)
		ok := c.handle(ctx, msg)
		c.srv.active.Add(-1)
		if !ok {
			return
		}
	}
}

// handle answers one message; it returns false when the connection must
// be closed.
func (c *conn) handle(ctx context.Context, msg *wire.Message) bool {
	compressor := uint8(0)
	if msg.Compressed {
		compressor = msg.CompressorID
	}
	switch {
	case msg.Msg != nil:
		return c.handleMsg(ctx, msg, compressor)
	case msg.Query != nil:
		return c.handleQuery(ctx, msg, compressor)
	}
	return false
}

func (c *conn) handleMsg(ctx context.Context, msg *wire.Message, compressor uint8) bool {
	m := msg.Msg
	req := &commands.Request{
		Body:           m.Body,
		Conn:           c.state,
		Unacknowledged: m.Flags&wire.FlagMoreToCome != 0,
		ExhaustAllowed: m.Flags&wire.FlagExhaustAllowed != 0,
	}
	if len(m.Sequences) > 0 {
		req.Sequences = make(map[string][]bson.Raw, len(m.Sequences))
		for _, s := range m.Sequences {
			req.Sequences[s.Identifier] = s.Documents
		}
	}
	var reply bson.Raw
	first, err := m.Body.IndexErr(0)
	if err != nil {
		reply = commands.ErrorReply(mongoerr.New(mongoerr.FailedToParse, "Empty command object"))
	} else {
		req.Name = first.Key()
		db, ok := m.Body.Lookup("$db").StringValueOK()
		if !ok {
			reply = commands.ErrorReply(mongoerr.New(mongoerr.Code(40571), "OP_MSG requests require a $db argument"))
		} else {
			req.DB = db
		}
	}
	flags := uint32(0)
	if m.Flags&wire.FlagChecksumPresent != 0 {
		flags |= wire.FlagChecksumPresent
	}
	responseTo := msg.Header.RequestID
	for {
		if reply == nil {
			runCtx, stop := ctx, func() {}
			if isAwaitableHello(req) {
				runCtx, stop = c.watchPeer(ctx)
			}
			reply, err = c.srv.svc.Run(runCtx, req)
			stop()
			if commands.IsConnectionClosed(err) || err != nil {
				return false
			}
		}
		if req.Unacknowledged {
			return true
		}
		replyFlags := flags
		if req.Exhaust {
			replyFlags |= wire.FlagMoreToCome
		}
		id, werr := c.writeMsgID(responseTo, replyFlags, reply, compressor)
		if werr != nil {
			return false
		}
		if !req.Exhaust {
			return true
		}
		// Exhaust (streaming hello): keep answering, each reply in
		// response to the previous one, until the client goes away.
		responseTo = id
		req.Exhaust = false
		reply = nil
		if ctx.Err() != nil {
			return false
		}
	}
}

// handleQuery answers the legacy OP_QUERY handshake on <db>.$cmd.
func (c *conn) handleQuery(ctx context.Context, msg *wire.Message, compressor uint8) bool {
	q := msg.Query
	db, coll, _ := strings.Cut(q.FullCollectionName, ".")
	var reply bson.Raw
	body := q.Query
	// Drivers may wrap the command as {$query: {...}, $readPreference: ...}.
	if inner, ok := body.Lookup("$query").DocumentOK(); ok {
		body = inner
	} else if inner, ok := body.Lookup("query").DocumentOK(); ok {
		body = inner
	}
	first, err := body.IndexErr(0)
	switch {
	case coll != "$cmd":
		reply = commands.ErrorReply(mongoerr.Newf(mongoerr.UnsupportedOpQueryCommand, "Unsupported OP_QUERY command: find. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal"))
	case err != nil:
		reply = commands.ErrorReply(mongoerr.New(mongoerr.FailedToParse, "Empty command object"))
	default:
		name := first.Key()
		switch name {
		case "hello", "isMaster", "ismaster":
			req := &commands.Request{DB: db, Name: name, Body: body, Conn: c.state}
			reply, err = c.srv.svc.Run(ctx, req)
			if err != nil {
				return false
			}
		default:
			reply = commands.ErrorReply(mongoerr.Newf(mongoerr.UnsupportedOpQueryCommand, "Unsupported OP_QUERY command: %s. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal", name))
		}
	}
	c.out = wire.AppendReply(c.out[:0], c.srv.requestN.Add(1), msg.Header.RequestID, 8 /* AwaitCapable */, 0, 0, reply)
	return c.write(c.out, compressor) == nil
}

func (c *conn) writeMsg(responseTo int32, flags uint32, body bson.Raw, compressor uint8) error {
	_, err := c.writeMsgID(responseTo, flags, body, compressor)
	return err
}

func (c *conn) writeMsgID(responseTo int32, flags uint32, body bson.Raw, compressor uint8) (int32, error) {
	id := c.srv.requestN.Add(1)
	c.out = wire.AppendMsg(c.out[:0], id, responseTo, flags, body)
	return id, c.write(c.out, compressor)
}

func (c *conn) write(frame []byte, compressor uint8) error {
	if compressor != 0 {
		out, err := wire.Compress(c.cbuf[:0], frame, compressor)
		if err == nil {
			c.cbuf = out
			frame = out
		}
	}
	_, err := c.nc.Write(frame)
	if cap(c.out) > 1<<20 {
		c.out = nil // don't pin a huge buffer on an idle connection
	}
	if cap(c.cbuf) > 1<<20 {
		c.cbuf = nil
	}
	return err
}

// isAwaitableHello reports a hello that may wait (maxAwaitTimeMS) for a
// topology change.
func isAwaitableHello(req *commands.Request) bool {
	switch req.Name {
	case "hello", "isMaster", "ismaster":
		return req.Body.Lookup("topologyVersion").Type != 0
	}
	return false
}

// watchPeer returns a context cancelled if the client closes the
// connection while a command waits (an awaitable hello sits for up to
// maxAwaitTimeMS with nothing to read). stop ends the watch and leaves
// any bytes that arrived buffered for the next read.
func (c *conn) watchPeer(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := c.br.Peek(1); err != nil {
			var ne net.Error
			if !(errors.As(err, &ne) && ne.Timeout()) {
				cancel()
			}
		}
	}()
	return ctx, func() {
		c.nc.SetReadDeadline(time.Now())
		<-done
		c.nc.SetReadDeadline(time.Time{})
		cancel()
	}
}
