package commands

import (
	"bufio"
	"context"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

func init() {
	register(
		&Command{Name: "ping", Handler: pingCmd, Help: "a no-op to test the connection"},
		&Command{Name: "buildInfo", Aliases: []string{"buildinfo"}, Handler: buildInfoCmd, Help: "the server's version and build"},
		&Command{Name: "hostInfo", Handler: hostInfoCmd, Help: "the host's hardware and OS"},
		&Command{Name: "getCmdLineOpts", Handler: getCmdLineOptsCmd, AdminOnly: true, Help: "the daemon's command line"},
		&Command{Name: "serverStatus", Handler: serverStatusCmd, Help: "server counters and state"},
		&Command{Name: "connectionStatus", Handler: connectionStatusCmd, Help: "the connection's authentication state"},
		&Command{Name: "whatsmyuri", Handler: whatsMyURICmd, Help: "the client's address as the server sees it"},
		&Command{Name: "listCommands", Handler: listCommandsCmd, Help: "every command and its metadata"},
		&Command{Name: "logout", Handler: noopCmd, Help: "end authentication on this connection"},
		&Command{Name: "usersInfo", Handler: usersInfoCmd, Help: "users of a database"},
		&Command{Name: "rolesInfo", Handler: rolesInfoCmd, Help: "roles of a database"},
		&Command{Name: "dropAllUsersFromDatabase", Handler: dropAllUsersCmd, Help: "drop the users of a database"},
		&Command{Name: "getFreeMonitoringStatus", Handler: freeMonitoringCmd, AdminOnly: true, Help: "free monitoring state (always disabled)"},
		&Command{Name: "getDefaultRWConcern", Handler: defaultRWConcernCmd, AdminOnly: true, Help: "default read and write concerns"},
		&Command{Name: "replSetGetStatus", Handler: replSetGetStatusCmd, AdminOnly: true, Help: "replica set status"},
		&Command{Name: "shutdown", Handler: shutdownCmd, AdminOnly: true, Help: "shut the server down"},
		&Command{Name: "fsync", Handler: fsyncCmd, AdminOnly: true, Help: "flush writes to disk"},
	)
}

func pingCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	return nil
}

func noopCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	return nil
}

func versionArray() []int32 {
	parts := strings.Split(Version, ".")
	out := make([]int32, 0, 4)
	for _, p := range parts {
		n, _ := strconv.Atoi(p)
		out = append(out, int32(n))
	}
	for len(out) < 4 {
		out = append(out, 0)
	}
	return out
}

func buildInfoCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	va := bsoncore.NewArrayBuilder()
	for _, n := range versionArray() {
		va.AppendInt32(n)
	}
	reply.AppendString("version", Version).
		AppendString("gitVersion", "secantusdb").
		AppendArray("modules", bsoncore.NewArrayBuilder().Build()).
		AppendString("allocator", "go").
		AppendString("javascriptEngine", "none").
		AppendString("sysInfo", "deprecated").
		AppendArray("versionArray", va.Build()).
		AppendDocument("openssl", bsoncore.NewDocumentBuilder().AppendString("running", "disabled").Build()).
		AppendDocument("buildEnvironment", bsoncore.NewDocumentBuilder().
			AppendString("distarch", runtime.GOARCH).
			AppendString("target_arch", runtime.GOARCH).
			AppendString("target_os", runtime.GOOS).
			AppendString("cc", runtime.Version()).Build()).
		AppendInt32("bits", 64).
		AppendBoolean("debug", false).
		AppendInt32("maxBsonObjectSize", MaxBSONObjectSize).
		AppendArray("storageEngines", bsoncore.NewArrayBuilder().AppendString("pebble").Build())
	return nil
}

// procStatus reads fields of /proc/self/status in KiB.
func procStatus(fields ...string) map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for _, want := range fields {
			if k == want {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				out[k] = n
			}
		}
	}
	return out
}

func memTotalMB() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n / 1024
		}
	}
	return 0
}

func osRelease() (name, version string) {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS, ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			name = strings.Trim(v, `"`)
		}
	}
	if k, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		version = strings.TrimSpace(string(k))
	}
	return name, version
}

func hostInfoCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	host, _ := os.Hostname()
	name, version := osRelease()
	mem := memTotalMB()
	reply.AppendDocument("system", bsoncore.NewDocumentBuilder().
		AppendDateTime("currentTime", time.Now().UnixMilli()).
		AppendString("hostname", host).
		AppendInt32("cpuAddrSize", 64).
		AppendInt64("memSizeMB", mem).
		AppendInt64("memLimitMB", mem).
		AppendInt32("numCores", int32(runtime.NumCPU())).
		AppendString("cpuArch", runtime.GOARCH).
		AppendBoolean("numaEnabled", false).Build())
	reply.AppendDocument("os", bsoncore.NewDocumentBuilder().
		AppendString("type", "Linux").
		AppendString("name", name).
		AppendString("version", version).Build())
	reply.AppendDocument("extra", bsoncore.NewDocumentBuilder().
		AppendString("versionString", version).
		AppendInt32("pageSize", int32(os.Getpagesize())).Build())
	return nil
}

func getCmdLineOptsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	argv := bsoncore.NewArrayBuilder()
	args := s.CmdLine.Argv
	if len(args) == 0 {
		args = []string{"secantusdb"}
	}
	for _, a := range args {
		argv.AppendString(a)
	}
	reply.AppendArray("argv", argv.Build())
	parsed := s.CmdLine.Parsed
	if parsed == nil {
		parsed = bson.D{}
	}
	appendAny(reply, "parsed", parsed)
	return nil
}

// prettyHost is the host as mongod's serverStatus reports it: the host
// name, with the port unless it is the default 27017.
func (s *Service) prettyHost() string {
	host, _ := os.Hostname()
	if _, port, err := net.SplitHostPort(s.Host); err == nil && port != "27017" {
		return net.JoinHostPort(host, port)
	}
	return host
}

func serverStatusCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	host := s.prettyHost()
	up := time.Since(s.Started)
	cs := ConnStats{}
	if s.ConnStats != nil {
		cs = s.ConnStats()
	}
	mem := procStatus("VmRSS", "VmSize")
	open, timedOut := s.Cursors.Stats()
	reply.AppendString("host", host).
		AppendString("version", Version).
		AppendString("process", "mongod").
		AppendInt64("pid", int64(os.Getpid())).
		AppendDouble("uptime", up.Seconds()).
		AppendInt64("uptimeMillis", up.Milliseconds()).
		AppendInt64("uptimeEstimate", int64(up.Seconds())).
		AppendDateTime("localTime", time.Now().UnixMilli())
	reply.AppendDocument("connections", bsoncore.NewDocumentBuilder().
		AppendInt32("current", int32(cs.Current)).
		AppendInt32("available", int32(1_000_000-cs.Current)).
		AppendInt64("totalCreated", cs.TotalCreated).
		AppendInt32("active", int32(cs.Active)).Build())
	reply.AppendDocument("opcounters", bsoncore.NewDocumentBuilder().
		AppendInt64("insert", s.Stats.Insert.Load()).
		AppendInt64("query", s.Stats.Query.Load()).
		AppendInt64("update", s.Stats.Update.Load()).
		AppendInt64("delete", s.Stats.Delete.Load()).
		AppendInt64("getmore", s.Stats.GetMore.Load()).
		AppendInt64("command", s.Stats.Command.Load()).Build())
	reply.AppendDocument("mem", bsoncore.NewDocumentBuilder().
		AppendInt32("bits", 64).
		AppendInt64("resident", mem["VmRSS"]/1024).
		AppendInt64("virtual", mem["VmSize"]/1024).
		AppendBoolean("supported", true).Build())
	cmds := bsoncore.NewDocumentBuilder()
	for _, c := range Commands() {
		if v, ok := s.Stats.CommandCounts.Load(c.Name); ok {
			cc := v.(*CommandCount)
			cmds.AppendDocument(c.Name, bsoncore.NewDocumentBuilder().
				AppendInt64("failed", cc.Failed.Load()).
				AppendInt64("total", cc.Total.Load()).Build())
		}
	}
	reply.AppendDocument("metrics", bsoncore.NewDocumentBuilder().
		AppendDocument("commands", cmds.Build()).
		AppendDocument("cursor", bsoncore.NewDocumentBuilder().
			AppendInt64("timedOut", timedOut).
			AppendDocument("open", bsoncore.NewDocumentBuilder().AppendInt64("total", open).Build()).Build()).
		AppendDocument("document", bsoncore.NewDocumentBuilder().
			AppendInt64("deleted", s.Stats.DocsDeleted.Load()).
			AppendInt64("inserted", s.Stats.DocsInserted.Load()).
			AppendInt64("returned", s.Stats.DocsReturned.Load()).
			AppendInt64("updated", s.Stats.DocsUpdated.Load()).Build()).Build())
	st := s.Catalog.Engine().Stats()
	reply.AppendDocument("storageEngine", bsoncore.NewDocumentBuilder().
		AppendString("name", st.Engine).
		AppendBoolean("supportsCommittedReads", true).
		AppendBoolean("persistent", st.Persisted).Build())
	reply.AppendDocument("logicalSessionRecordCache", bsoncore.NewDocumentBuilder().
		AppendInt32("activeSessionsCount", int32(s.Sessions.Count())).Build())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	reply.AppendDocument("extra_info", bsoncore.NewDocumentBuilder().
		AppendString("note", "fields vary by platform").Build())
	reply.AppendDocument("secantus", bsoncore.NewDocumentBuilder().
		AppendInt32("goroutines", int32(runtime.NumGoroutine())).
		AppendInt64("heapInUseBytes", int64(ms.HeapInuse)).
		AppendInt64("diskSizeBytes", st.DiskSizeBytes).Build())
	return nil
}

func connectionStatusCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	info := bsoncore.NewDocumentBuilder().
		AppendArray("authenticatedUsers", bsoncore.NewArrayBuilder().Build()).
		AppendArray("authenticatedUserRoles", bsoncore.NewArrayBuilder().Build())
	if show, _ := boolArg(req, "showPrivileges"); show {
		info.AppendArray("authenticatedUserPrivileges", bsoncore.NewArrayBuilder().Build())
	}
	reply.AppendDocument("authInfo", info.Build())
	return nil
}

func whatsMyURICmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	you := ""
	if req.Conn != nil {
		you = req.Conn.Remote
	}
	reply.AppendString("you", you)
	return nil
}

func listCommandsCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	cmds := bsoncore.NewDocumentBuilder()
	for _, c := range Commands() {
		if c.TestOnly && !s.TestCommands {
			continue
		}
		cmds.AppendDocument(c.Name, bsoncore.NewDocumentBuilder().
			AppendString("help", c.Help).
			AppendBoolean("adminOnly", c.AdminOnly).
			AppendBoolean("requiresAuth", false).
			AppendBoolean("secondaryOk", true).
			AppendArray("apiVersions", bsoncore.NewArrayBuilder().Build()).
			AppendArray("deprecatedApiVersions", bsoncore.NewArrayBuilder().Build()).Build())
	}
	reply.AppendDocument("commands", cmds.Build())
	return nil
}

// usersInfoCmd answers with no users: authentication does not exist yet,
// so no user can have been created.
func usersInfoCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	reply.AppendArray("users", bsoncore.NewArrayBuilder().Build())
	return nil
}

func rolesInfoCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	reply.AppendArray("roles", bsoncore.NewArrayBuilder().Build())
	return nil
}

func dropAllUsersCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	reply.AppendInt32("n", 0)
	return nil
}

func freeMonitoringCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	reply.AppendString("state", "disabled")
	return nil
}

func defaultRWConcernCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	reply.AppendDocument("defaultReadConcern", bsoncore.NewDocumentBuilder().AppendString("level", "local").Build()).
		AppendDocument("defaultWriteConcern", bsoncore.NewDocumentBuilder().AppendInt32("w", 1).AppendInt32("wtimeout", 0).Build()).
		AppendString("defaultReadConcernSource", "implicit").
		AppendString("defaultWriteConcernSource", "implicit")
	return nil
}

func replSetGetStatusCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	return mongoerr.New(mongoerr.NoReplicationEnabled, "not running with --replSet")
}

func shutdownCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if s.Shutdown == nil {
		return mongoerr.New(mongoerr.IllegalOperation, "shutdown is not available")
	}
	s.Logger.Info("shutdown command received", "connectionId", connID(req))
	s.Shutdown()
	return nil
}

func fsyncCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	if lock, _ := boolArg(req, "lock"); lock {
		return rejectUnsupported(req, "lock")
	}
	if err := s.Catalog.Engine().Sync(); err != nil {
		return err
	}
	reply.AppendInt32("numFiles", 1)
	return nil
}
