package expr

import (
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Scope is what the expressions of one operation share: the variables
// its let defines, $$NOW, and the collation. A command builds one and
// parses every expression it runs ($expr in filters, projections,
// pipeline stages) in it.
type Scope struct {
	Parse *ParseContext
	Eval  *EvalContext
}

// NewScope defines the variables of a command's let document (nil for
// none): each value is an expression evaluated once, in order, against
// no document, so it may use $$NOW and the variables before it.
func NewScope(let bson.Raw, coll Collator) (*Scope, error) {
	return NewScopeAt(let, coll, bson.NewDateTimeFromTime(time.Now()))
}

// NewScopeAt is NewScope with $$NOW given: a command fixes it once for
// all its statements.
func NewScopeAt(let bson.Raw, coll Collator, now bson.DateTime) (*Scope, error) {
	s := &Scope{Parse: NewParseContext(), Eval: &EvalContext{Now: now}}
	s.Eval.Collator = coll
	if len(let) <= 5 {
		return s, nil
	}
	elems, err := let.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	empty := bson.Raw{5, 0, 0, 0, 0}
	for _, e := range elems {
		x, err := Parse(e.Value(), s.Parse)
		if err != nil {
			return nil, err
		}
		v, err := x.Eval(s.Eval, empty)
		if err != nil {
			return nil, err
		}
		id, err := s.Parse.Define(e.Key())
		if err != nil {
			return nil, err
		}
		s.Eval.SetVar(id, v)
	}
	return s, nil
}

// WithConstants returns a copy of s that also defines the variables of
// an update statement's constants (the update command's c, bulkWrite's
// constants): each value is taken literally, not evaluated. s itself is
// unchanged.
func (s *Scope) WithConstants(c bson.Raw) (*Scope, error) {
	pc := *s.Parse
	pc.scope = append([]binding(nil), s.Parse.scope...)
	ec := *s.Eval
	ec.vars = append([]bson.RawValue(nil), s.Eval.vars...)
	out := &Scope{Parse: &pc, Eval: &ec}
	elems, err := c.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	for _, e := range elems {
		id, err := out.Parse.Define(e.Key())
		if err != nil {
			return nil, err
		}
		out.Eval.SetVar(id, e.Value())
	}
	return out, nil
}
