package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/pipeline"
)

// What the source stages $collStats, $indexStats, $currentOp and
// $listLocalSessions read from the server.

// CollectionStats implements pipeline.Namespaces for $collStats and
// $indexStats: the counters the catalog keeps.
func (n namespaces) CollectionStats(_ context.Context, db, coll string) (pipeline.CollectionStats, error) {
	s := n.s
	out := pipeline.CollectionStats{Host: s.Host}
	s.Catalog.RLock()
	defer s.Catalog.RUnlock()
	c := s.Catalog.Lookup(db, coll)
	if c == nil {
		return out, nil
	}
	out.Exists = true
	out.Count, out.Size = c.Count(), c.DataSize()
	perIndex := indexSizeEstimate(c) / int64(len(c.Indexes()))
	for _, ix := range c.Indexes() {
		// Index accesses are not counted yet; the count starts (at zero)
		// when the server started, as mongod's does after a restart.
		out.Indexes = append(out.Indexes, pipeline.IndexStats{Name: ix.Name, Key: ix.Key, Spec: ix.Spec,
			Size: perIndex, Since: s.Started})
	}
	return out, nil
}

// noAuthUID is the uid of every session when authentication is off:
// mongod's digest of the empty user name (SHA-256 of "").
var noAuthUID = sha256.Sum256(nil)

// LocalSessions implements pipeline.Namespaces for $listLocalSessions:
// the sessions in the server's registry. Without authentication every
// session belongs to no user, so a list of users matches none of them.
func (n namespaces) LocalSessions(_ context.Context, opts pipeline.LocalSessionsOptions) ([]bson.Raw, error) {
	if len(opts.Users) > 0 {
		return nil, nil
	}
	type entry struct {
		id   []byte
		last time.Time
	}
	reg := n.s.Sessions
	reg.mu.Lock()
	list := make([]entry, 0, len(reg.last))
	for k, t := range reg.last {
		if time.Since(t) > SessionTimeout {
			continue
		}
		id, err := hex.DecodeString(k)
		if err != nil || len(id) != 16 {
			continue
		}
		list = append(list, entry{id, t})
	}
	reg.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].last.After(list[j].last) })
	out := make([]bson.Raw, 0, len(list))
	for _, e := range list {
		id := bsoncore.NewDocumentBuilder().AppendBinary("id", 4, e.id).AppendBinary("uid", 0, noAuthUID[:]).Build()
		out = append(out, bson.Raw(bsoncore.NewDocumentBuilder().
			AppendDocument("_id", id).
			AppendDateTime("lastUse", e.last.UnixMilli()).Build()))
	}
	return out, nil
}

// CurrentOp implements pipeline.Namespaces for $currentOp outside an
// aggregate command: there is no operation to report.
func (n namespaces) CurrentOp(_ context.Context, opts pipeline.CurrentOpOptions) ([]bson.Raw, error) {
	return nil, nil
}

// aggNamespaces is the namespaces of one aggregate command, which knows
// the command itself for $currentOp.
type aggNamespaces struct {
	namespaces
	req   *Request
	start time.Time
	opid  int64
}

// CurrentOp reports the operations in progress. SecantusDB keeps no
// registry of the operations of other connections yet, so the list holds
// the aggregate running $currentOp; idle connections and idle cursors
// cannot be listed and are refused by the stage's caller; idle sessions
// are those holding a transaction's resources, and there are none
// without transactions.
func (n aggNamespaces) CurrentOp(_ context.Context, opts pipeline.CurrentOpOptions) ([]bson.Raw, error) {
	req := n.req
	now := time.Now()
	b := bsoncore.NewDocumentBuilder().
		AppendString("type", "op").
		AppendString("host", n.s.Host)
	if req.Conn != nil {
		b.AppendString("desc", "conn"+strconv.FormatInt(req.Conn.ID, 10)).
			AppendInt64("connectionId", req.Conn.ID).
			AppendString("client", req.Conn.Remote)
		if req.Conn.AppName != "" {
			b.AppendString("appName", req.Conn.AppName)
		}
		if len(req.Conn.ClientMetadata) > 0 {
			b.AppendDocument("clientMetadata", req.Conn.ClientMetadata)
		}
	}
	b.AppendBoolean("active", true).
		AppendString("currentOpTime", now.Format("2006-01-02T15:04:05.000-07:00")).
		AppendBoolean("threaded", true).
		AppendInt64("opid", n.opid)
	if lsid, ok := req.Arg("lsid").DocumentOK(); ok {
		lb := bsoncore.NewDocumentBuilder()
		if v := lsid.Lookup("id"); v.Type != 0 {
			lb.AppendValue("id", bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
		}
		lb.AppendBinary("uid", 0, noAuthUID[:])
		b.AppendDocument("lsid", lb.Build())
	}
	elapsed := now.Sub(n.start)
	b.AppendInt64("secs_running", int64(elapsed/time.Second)).
		AppendInt64("microsecs_running", elapsed.Microseconds()).
		AppendString("op", "command").
		AppendString("ns", req.DB+".$cmd.aggregate").
		AppendBoolean("redacted", false).
		AppendDocument("command", req.Body).
		AppendInt32("numYields", 0).
		AppendDocument("locks", emptyDoc()).
		AppendBoolean("waitingForLock", false).
		AppendDocument("lockStats", emptyDoc()).
		AppendBoolean("waitingForFlowControl", false).
		AppendDocument("flowControlStats", emptyDoc())
	return []bson.Raw{bson.Raw(b.Build())}, nil
}

func emptyDoc() bsoncore.Document { return bsoncore.NewDocumentBuilder().Build() }
