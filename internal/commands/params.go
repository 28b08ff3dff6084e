package commands

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// param is one server parameter.
type param struct {
	value   any  // int64, bool, string or a bson.D for structured values
	runtime bool // settable with setParameter
	startup bool // settable with --setParameter
}

// Params holds the server parameters (getParameter / setParameter /
// --setParameter). It is safe for concurrent use.
type Params struct {
	mu sync.RWMutex
	m  map[string]*param
}

// NewParams returns the defaults with overrides applied, as given by
// --setParameter name=value; unknown names are an error.
func NewParams(overrides map[string]string) (*Params, error) {
	p := &Params{m: map[string]*param{
		"enableTestCommands":  {value: false, startup: true},
		"cursorTimeoutMillis": {value: int64(600000), runtime: true, startup: true},
		"slowms":              {value: int64(100), runtime: true, startup: true},
		"ttlMonitorSleepSecs": {value: int64(60), runtime: true, startup: true},
		"ttlMonitorEnabled":   {value: true, runtime: true, startup: true},
		"internalQueryMaxBlockingSortMemoryUsageBytes": {value: int64(100 * 1024 * 1024), runtime: true, startup: true},
		"logLevel":                          {value: int64(0), runtime: true, startup: true},
		"quiet":                             {value: false, runtime: true, startup: true},
		"transactionLifetimeLimitSeconds":   {value: int64(60), runtime: true, startup: true},
		"requireApiVersion":                 {value: false, runtime: true, startup: true},
		"notablescan":                       {value: false},
		"maxBSONDepth":                      {value: int64(200)},
		"authenticationMechanisms":          {value: bson.A{"SCRAM-SHA-1", "SCRAM-SHA-256"}},
		"featureCompatibilityVersion":       {value: bson.D{{Key: "version", Value: "8.0"}}},
		"localLogicalSessionTimeoutMinutes": {value: int64(30)},
	}}
	for name, v := range overrides {
		pp := p.m[name]
		if pp == nil || !pp.startup {
			return nil, fmt.Errorf("Unknown --setParameter '%s'", name)
		}
		nv, err := convertParam(pp.value, v)
		if err != nil {
			return nil, fmt.Errorf("bad value for --setParameter %s: %v", name, err)
		}
		pp.value = nv
	}
	return p, nil
}

func convertParam(old any, s string) (any, error) {
	switch old.(type) {
	case bool:
		switch s {
		case "1", "true":
			return true, nil
		case "0", "false":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean", s)
	case int64:
		return strconv.ParseInt(s, 10, 64)
	case string:
		return s, nil
	}
	return nil, fmt.Errorf("cannot be set")
}

func (p *Params) int(name string) int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	v, _ := p.m[name].value.(int64)
	return v
}

func (p *Params) bool(name string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	v, _ := p.m[name].value.(bool)
	return v
}

// SlowMS is the slow-operation logging threshold in milliseconds.
func (p *Params) SlowMS() int64 { return p.int("slowms") }

// CursorTimeout is how long an idle cursor lives.
func (p *Params) CursorTimeout() time.Duration {
	return time.Duration(p.int("cursorTimeoutMillis")) * time.Millisecond
}

// TTLMonitorSleepSecs is the TTL monitor's period in seconds.
func (p *Params) TTLMonitorSleepSecs() int64 { return p.int("ttlMonitorSleepSecs") }

// EnableTestCommands reports whether test-only commands are available.
func (p *Params) EnableTestCommands() bool { return p.bool("enableTestCommands") }

// SortMemoryLimit is the blocking-sort memory limit in bytes.
func (p *Params) SortMemoryLimit() int64 {
	return p.int("internalQueryMaxBlockingSortMemoryUsageBytes")
}

func (p *Params) names() []string {
	var out []string
	for k := range p.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func init() {
	register(
		&Command{Name: "getParameter", Handler: getParameterCmd, AdminOnly: true, Help: "get server parameters"},
		&Command{Name: "setParameter", Handler: setParameterCmd, AdminOnly: true, Help: "set server parameters"},
	)
}

func getParameterCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	arg := req.Command()
	showDetails := false
	all := false
	if str, ok := arg.StringValueOK(); ok {
		if str != "*" {
			return mongoerr.New(mongoerr.BadValue, "getParameter takes '*' or an object")
		}
		all = true
	} else if d, ok := arg.DocumentOK(); ok {
		showDetails = d.Lookup("showDetails").Type == bson.TypeBoolean && d.Lookup("showDetails").Boolean()
		all = d.Lookup("allParameters").Type == bson.TypeBoolean && d.Lookup("allParameters").Boolean()
	}
	p := s.Params
	p.mu.RLock()
	defer p.mu.RUnlock()
	var wanted []string
	if all {
		wanted = p.names()
	} else {
		elems, _ := req.Body.Elements()
		for i, e := range elems {
			if i == 0 || genericArgs[e.Key()] {
				continue
			}
			if p.m[e.Key()] == nil {
				return mongoerr.New(mongoerr.InvalidOptions, "no option found to get")
			}
			wanted = append(wanted, e.Key())
		}
		if len(wanted) == 0 {
			return mongoerr.New(mongoerr.InvalidOptions, "no option found to get")
		}
	}
	for _, name := range wanted {
		pp := p.m[name]
		if showDetails {
			d := bsoncore.NewDocumentBuilder()
			appendAny(d, "value", pp.value)
			d.AppendBoolean("settableAtRuntime", pp.runtime).AppendBoolean("settableAtStartup", pp.startup)
			reply.AppendDocument(name, d.Build())
			continue
		}
		appendAny(reply, name, pp.value)
	}
	return nil
}

func setParameterCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	p := s.Params
	p.mu.Lock()
	defer p.mu.Unlock()
	elems, _ := req.Body.Elements()
	n := 0
	for i, e := range elems {
		if i == 0 || genericArgs[e.Key()] {
			continue
		}
		pp := p.m[e.Key()]
		if pp == nil {
			return mongoerr.Newf(mongoerr.InvalidOptions, "attempted to set unrecognized parameter [%s], use help:true to see options ", e.Key())
		}
		if !pp.runtime {
			return mongoerr.Newf(mongoerr.IllegalOperation, "not allowed to change [%s] at runtime", e.Key())
		}
		v := e.Value()
		var nv any
		switch pp.value.(type) {
		case int64:
			x, ok := asInt64(v)
			if !ok {
				return mongoerr.Newf(mongoerr.BadValue, "Invalid value for parameter %s: %s", e.Key(), v)
			}
			nv = x
		case bool:
			b, err := boolValue(e.Key(), v)
			if err != nil {
				return err
			}
			nv = b
		default:
			return mongoerr.Newf(mongoerr.IllegalOperation, "not allowed to change [%s] at runtime", e.Key())
		}
		appendAny(reply, "was", pp.value)
		pp.value = nv
		n++
	}
	if n == 0 {
		return mongoerr.New(mongoerr.InvalidOptions, "no option found to set, use help:true to see options ")
	}
	return nil
}
