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

// param is one server parameter. Its value is an int32, int64, bool,
// string, or (for parameters nobody can set) any BSON-marshalable value.
type param struct {
	value   any
	runtime bool  // settable with setParameter
	startup bool  // settable with --setParameter
	min     int64 // lowest accepted value of a numeric parameter
	max     int64 // highest accepted value (0: no limit)
}

// Params holds the server parameters behind getParameter, setParameter
// and --setParameter, with mongod's names, types and defaults. It is safe
// for concurrent use.
type Params struct {
	mu     sync.RWMutex
	m      map[string]*param
	slowMS int64 // the profiler's slowms: not a server parameter in mongod
}

// defaultParams are the parameters SecantusDB knows: those drivers, test
// runners and tools read, and those that change its behaviour.
func defaultParams() map[string]*param {
	return map[string]*param{
		"authenticationMechanisms":                     {value: bson.A{"SCRAM-SHA-1", "SCRAM-SHA-256"}, startup: true},
		"cursorTimeoutMillis":                          {value: int64(600000), runtime: true, startup: true},
		"enableTestCommands":                           {value: false, startup: true},
		"featureCompatibilityVersion":                  {value: bson.D{{Key: "version", Value: "8.0"}}},
		"internalDocumentSourceGroupMaxMemoryBytes":    {value: int64(100 * 1024 * 1024), runtime: true, startup: true, min: 1},
		"internalQueryMaxBlockingSortMemoryUsageBytes": {value: int32(100 * 1024 * 1024), runtime: true, startup: true},
		"localLogicalSessionTimeoutMinutes":            {value: int32(30), startup: true},
		"logLevel":                                     {value: int32(0), runtime: true, startup: true, max: 5},
		"maxBSONDepth":                                 {value: int32(200), startup: true, min: 21, max: 1000},
		"maxTransactionLockRequestTimeoutMillis":       {value: int32(5), runtime: true, startup: true, min: -1},
		"notablescan":                                  {value: false, runtime: true, startup: true},
		"quiet":                                        {value: false, runtime: true, startup: true},
		"requireApiVersion":                            {value: false, runtime: true, startup: true},
		"transactionLifetimeLimitSeconds":              {value: int32(60), runtime: true, startup: true, min: 1},
		"ttlMonitorEnabled":                            {value: true, runtime: true, startup: true},
		"ttlMonitorSleepSecs":                          {value: int32(60), runtime: true, startup: true, min: 1},
		// allowDiskUseByDefault is what find and aggregate use when the
		// command has no allowDiskUse (true since MongoDB 6.0).
		"allowDiskUseByDefault": {value: true, runtime: true, startup: true},
	}
}

// NewParams returns the defaults with overrides applied, as given by
// --setParameter name=value. An unknown name, one that cannot be set at
// startup, or a value of the wrong kind is an error.
func NewParams(overrides map[string]string) (*Params, error) {
	p := &Params{m: defaultParams(), slowMS: 100}
	names := make([]string, 0, len(overrides))
	for name := range overrides {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pp := p.m[name]
		if pp == nil {
			return nil, fmt.Errorf("Unknown --setParameter '%s'", name)
		}
		if !pp.startup {
			return nil, fmt.Errorf("Cannot use --setParameter to set '%s' at startup", name)
		}
		nv, err := pp.parse(overrides[name])
		if err != nil {
			return nil, fmt.Errorf("Bad value for parameter \"%s\": %v", name, err)
		}
		pp.value = nv
	}
	return p, nil
}

// parse converts the text of --setParameter to the parameter's type.
func (pp *param) parse(s string) (any, error) {
	switch pp.value.(type) {
	case bool:
		switch s {
		case "1", "true":
			return true, nil
		case "0", "false":
			return false, nil
		}
		return nil, fmt.Errorf("'%s' is not a valid boolean value", s)
	case int32, int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("'%s' is not a valid integer", s)
		}
		return pp.checkRange(n)
	case string:
		return s, nil
	}
	return nil, fmt.Errorf("the value cannot be set")
}

// checkRange validates n against the parameter's bounds and returns it in
// the parameter's type.
func (pp *param) checkRange(n int64) (any, error) {
	if pp.min != 0 && n < pp.min || pp.min == 0 && n < 0 {
		return nil, fmt.Errorf("%d is not greater than or equal to %d", n, pp.min)
	}
	if pp.max != 0 && n > pp.max {
		return nil, fmt.Errorf("%d is not less than or equal to %d", n, pp.max)
	}
	if _, ok := pp.value.(int32); ok {
		if n > 1<<31-1 {
			return nil, fmt.Errorf("%d is out of range for a 32-bit integer", n)
		}
		return int32(n), nil
	}
	return n, nil
}

// fromBSON converts the value of setParameter to the parameter's type.
func (pp *param) fromBSON(name string, v bson.RawValue) (any, error) {
	switch pp.value.(type) {
	case bool:
		if b, ok := v.BooleanOK(); ok {
			return b, nil
		}
		if f, ok := numberAsFloat(v); ok {
			return f != 0, nil
		}
	case int32, int64:
		if n, ok := asInt64(v); ok {
			nv, err := pp.checkRange(n)
			if err != nil {
				return nil, mongoerr.Newf(mongoerr.BadValue, "Invalid value for parameter %s: %v", name, err)
			}
			return nv, nil
		}
	case string:
		if s, ok := v.StringValueOK(); ok {
			return s, nil
		}
	}
	return nil, mongoerr.Newf(mongoerr.BadValue, "Invalid value for parameter %s: %s", name, v)
}

func (p *Params) int(name string) int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	switch v := p.m[name].value.(type) {
	case int32:
		return int64(v)
	case int64:
		return v
	}
	return 0
}

func (p *Params) bool(name string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	v, _ := p.m[name].value.(bool)
	return v
}

// SlowMS is the slow-operation logging threshold in milliseconds (the
// profiler's slowms, default 100).
func (p *Params) SlowMS() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.slowMS
}

// SetSlowMS changes the slow-operation threshold (--slowms, profile).
func (p *Params) SetSlowMS(ms int64) {
	p.mu.Lock()
	p.slowMS = ms
	p.mu.Unlock()
}

// CursorTimeout is how long an idle cursor lives (cursorTimeoutMillis).
func (p *Params) CursorTimeout() time.Duration {
	return time.Duration(p.int("cursorTimeoutMillis")) * time.Millisecond
}

// TTLMonitorSleepSecs is the TTL monitor's period in seconds.
func (p *Params) TTLMonitorSleepSecs() int64 { return p.int("ttlMonitorSleepSecs") }

// TTLMonitorEnabled reports whether the TTL monitor should run.
func (p *Params) TTLMonitorEnabled() bool { return p.bool("ttlMonitorEnabled") }

// EnableTestCommands reports whether test-only commands are available.
func (p *Params) EnableTestCommands() bool { return p.bool("enableTestCommands") }

// SortMemoryLimit is the blocking-sort memory limit in bytes.
func (p *Params) SortMemoryLimit() int64 {
	return p.int("internalQueryMaxBlockingSortMemoryUsageBytes")
}

// GroupMemoryLimit is the $group memory limit in bytes.
func (p *Params) GroupMemoryLimit() int64 {
	return p.int("internalDocumentSourceGroupMaxMemoryBytes")
}

// NoTableScan reports whether collection scans are forbidden (notablescan).
func (p *Params) NoTableScan() bool { return p.bool("notablescan") }

// RequireAPIVersion reports whether commands must declare an API version.
func (p *Params) RequireAPIVersion() bool { return p.bool("requireApiVersion") }

// Get returns the current value of a parameter (int32, int64, bool,
// string or a BSON-marshalable structure) and whether it exists.
func (p *Params) Get(name string) (any, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	pp := p.m[name]
	if pp == nil {
		return nil, false
	}
	return pp.value, true
}

// Set changes a runtime-settable parameter as setParameter does and
// returns its previous value.
func (p *Params) Set(name string, v bson.RawValue) (was any, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.setLocked(name, v)
}

func (p *Params) setLocked(name string, v bson.RawValue) (any, error) {
	pp := p.m[name]
	if pp == nil {
		return nil, mongoerr.Newf(mongoerr.InvalidOptions, "attempted to set unrecognized parameter [%s], use help:true to see options ", name)
	}
	if !pp.runtime {
		return nil, mongoerr.Newf(mongoerr.IllegalOperation, "not allowed to change [%s] at runtime", name)
	}
	nv, err := pp.fromBSON(name, v)
	if err != nil {
		return nil, err
	}
	was := pp.value
	pp.value = nv
	return was, nil
}

// names returns the parameter names in order; p.mu must be held.
func (p *Params) names() []string {
	out := make([]string, 0, len(p.m))
	for k := range p.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func init() {
	register(
		&Command{Name: "getParameter", Handler: getParameterCmd, AdminOnly: true, Help: "get administrative option(s)"},
		&Command{Name: "setParameter", Handler: setParameterCmd, AdminOnly: true, Help: "set administrative option(s)"},
	)
}

// getParameterCmd answers {getParameter: "*"}, {getParameter: {showDetails,
// allParameters}} and {getParameter: 1, <name>: 1, ...}. Names it does not
// know are skipped; only when none is known is it an error, as in mongod.
func getParameterCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	arg := req.Command()
	showDetails, all := false, false
	switch arg.Type {
	case bson.TypeString:
		all = arg.StringValue() == "*"
	case bson.TypeEmbeddedDocument:
		elems, _ := arg.Document().Elements()
		for _, e := range elems {
			var err error
			switch e.Key() {
			case "showDetails":
				showDetails, err = boolValue("getParameter.showDetails", e.Value())
			case "allParameters":
				all, err = boolValue("getParameter.allParameters", e.Value())
			default:
				err = mongoerr.Newf(mongoerr.UnrecognizedCommandField, "BSON field 'getParameter.%s' is an unknown field.", e.Key())
			}
			if err != nil {
				return err
			}
		}
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
			if p.m[e.Key()] != nil {
				wanted = append(wanted, e.Key())
			}
		}
	}
	if len(wanted) == 0 {
		return mongoerr.New(mongoerr.InvalidOptions, "no option found to get")
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

// setParameterCmd sets every named parameter ({setParameter: 1, <name>:
// <value>}) and replies with the previous value of the first as "was".
func setParameterCmd(ctx context.Context, s *Service, req *Request, reply *bsoncore.DocumentBuilder) error {
	p := s.Params
	p.mu.Lock()
	defer p.mu.Unlock()
	elems, _ := req.Body.Elements()
	var was any
	n := 0
	for i, e := range elems {
		if i == 0 || genericArgs[e.Key()] {
			continue
		}
		old, err := p.setLocked(e.Key(), e.Value())
		if err != nil {
			return err
		}
		if n == 0 {
			was = old
		}
		n++
	}
	if n == 0 {
		return mongoerr.New(mongoerr.InvalidOptions, "no option found to set, use help:true to see options ")
	}
	appendAny(reply, "was", was)
	return nil
}

// AllowDiskUseByDefault is whether queries without allowDiskUse may spill
// to disk (allowDiskUseByDefault).
func (p *Params) AllowDiskUseByDefault() bool { return p.bool("allowDiskUseByDefault") }
