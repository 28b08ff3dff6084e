package query

import (
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
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
	re, err := CompileRegex(pattern, options)
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

// CompileRegex translates a PCRE pattern with MongoDB's options (i, m,
// s, x, u) into Go's RE2 syntax. RE2 has no backreferences or
// lookaround; such patterns are refused as invalid.
func CompileRegex(pattern, options string) (*regexp.Regexp, error) {
	if strings.IndexByte(pattern, 0) >= 0 {
		return nil, mongoerr.New(mongoerr.Code(51091), "Regular expression cannot contain an embedded null byte")
	}
	flags := ""
	for _, o := range options {
		switch o {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, o) {
				flags += string(o)
			}
		case 'x':
			pattern = stripExtended(pattern)
		case 'u':
		default:
			return nil, mongoerr.Newf(mongoerr.Code(51108), " invalid flag in regex options: %c", o)
		}
	}
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, mongoerr.Newf(mongoerr.Code(51091), "Regular expression is invalid: %v", err)
	}
	return re, nil
}

// stripExtended removes unescaped whitespace and #-comments outside
// character classes (the x option).
func stripExtended(p string) string {
	var b strings.Builder
	inClass, escaped := false, false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case !inClass && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'):
			continue
		case !inClass && c == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
