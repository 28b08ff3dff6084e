// Command secantusdb runs SecantusDB as a standalone daemon, with
// mongod-style flags:
//
//	secantusdb --port 27017 --dbpath ./secantus-data
//	secantusdb --dbpath :memory: --setParameter enableTestCommands=1
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus"
	"github.com/secantusdb/secantus/internal/commands"
)

type paramList map[string]string

func (p paramList) String() string { return fmt.Sprint(map[string]string(p)) }

func (p paramList) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("expected name=value, got %q", v)
	}
	p[name] = value
	return nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("secantusdb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bindIP := fs.String("bind_ip", "127.0.0.1", "comma-separated addresses to listen on (the first is used)")
	fs.StringVar(bindIP, "host", "127.0.0.1", "alias for --bind_ip")
	bindAll := fs.Bool("bind_ip_all", false, "listen on all addresses")
	port := fs.Int("port", 27017, "TCP port to listen on")
	dbpath := fs.String("dbpath", secantus.DefaultStorage, "data directory, or :memory: for an ephemeral store")
	logpath := fs.String("logpath", "", "write the log to this file instead of stderr")
	logappend := fs.Bool("logappend", false, "append to --logpath instead of truncating it")
	quiet := fs.Bool("quiet", false, "log only warnings and errors")
	verbose := fs.Bool("verbose", false, "log debug events (connections)")
	version := fs.Bool("version", false, "print the version and exit")
	params := paramList{}
	fs.Var(params, "setParameter", "server parameter name=value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		fmt.Printf("db version v%s\nSecantusDB (Go %s, %s/%s)\n", commands.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return 2
	}

	out := stderr
	if *logpath != "" {
		mode := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if *logappend {
			mode = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(*logpath, mode, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "open log: %v\n", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))

	host := strings.TrimSpace(strings.Split(*bindIP, ",")[0])
	if *bindAll {
		host = "0.0.0.0"
	}
	parsed := bson.D{
		{Key: "net", Value: bson.D{{Key: "bindIp", Value: host}, {Key: "port", Value: *port}}},
		{Key: "storage", Value: bson.D{{Key: "dbPath", Value: *dbpath}}},
	}
	if len(params) > 0 {
		sp := bson.D{}
		for k, v := range params {
			sp = append(sp, bson.E{Key: k, Value: v})
		}
		parsed = append(parsed, bson.E{Key: "setParameter", Value: sp})
	}
	if *logpath != "" {
		parsed = append(parsed, bson.E{Key: "systemLog", Value: bson.D{{Key: "destination", Value: "file"}, {Key: "path", Value: *logpath}}})
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := secantus.Start(ctx, secantus.Config{
		Addr:          net.JoinHostPort(host, strconv.Itoa(*port)),
		Storage:       *dbpath,
		Logger:        logger,
		Parameters:    params,
		CmdLine:       append([]string{"secantusdb"}, args...),
		CmdLineParsed: parsed,
	})
	if err != nil {
		logger.Error("startup failed", "error", err.Error())
		fmt.Fprintf(stderr, "secantusdb: %v\n", err)
		return 1
	}
	logger.Info("SecantusDB started", "version", commands.Version, "pid", os.Getpid(), "dbpath", *dbpath, "address", srv.Addr().String())
	select {
	case <-ctx.Done():
		logger.Info("received signal, shutting down")
	case <-srv.Done():
	}
	if err := srv.Close(); err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("shutdown", "error", err.Error())
		return 1
	}
	return 0
}
