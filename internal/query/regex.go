package query

import (
	"regexp"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/regex"
)

// regexPred matches strings and symbols against a pattern, and stored
// regular expressions with the same pattern and options.
type regexPred struct {
	pattern, options string
	re               *regexp.Regexp
}

func (r *regexPred) expand() bool { return true }

func (r *regexPred) test(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeString, bson.TypeSymbol:
		// The string's bytes in place: length prefix, text, NUL.
		if len(v.Value) < 5 {
			return false
		}
		return r.re.Match(v.Value[4 : len(v.Value)-1])
	case bson.TypeRegex:
		p, o := v.Regex()
		return p == r.pattern && o == r.options
	}
	return false
}

func newRegexPred(pattern, options string) (*regexPred, error) {
	re, err := regex.Compile(pattern, options)
	if err != nil {
		return nil, err
	}
	return &regexPred{pattern: pattern, options: options, re: re}, nil
}

// parseRegex reads $regex together with its sibling $options.
func parseRegex(p *parser, name string, arg bson.RawValue, ops bson.Raw) (pred, error) {
	var pattern, options string
	switch arg.Type {
	case bson.TypeString:
		pattern = arg.StringValue()
	case bson.TypeRegex:
		pattern, options = arg.Regex()
	default:
		return nil, mongoerr.New(mongoerr.BadValue, "$regex has to be a string")
	}
	if o, err := ops.LookupErr("$options"); err == nil {
		s, ok := o.StringValueOK()
		if !ok {
			return nil, mongoerr.New(mongoerr.BadValue, "$options has to be a string")
		}
		if options != "" && s != "" {
			code := mongoerr.Code(51075)
			if firstKey(ops) == "$options" {
				code = 51074
			}
			return nil, mongoerr.New(code, "options set in both $regex and $options")
		}
		if s != "" {
			options = s
		}
	}
	return newRegexPred(pattern, options)
}

func parseOptions(p *parser, name string, arg bson.RawValue, ops bson.Raw) (pred, error) {
	if _, err := ops.LookupErr("$regex"); err != nil {
		return nil, mongoerr.New(mongoerr.BadValue, "$options needs a $regex")
	}
	if _, ok := arg.StringValueOK(); !ok {
		return nil, mongoerr.New(mongoerr.BadValue, "$options has to be a string")
	}
	return nil, nil
}
