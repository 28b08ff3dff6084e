package expr

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/regex"
)

// $regexFind, $regexFindAll and $regexMatch. mongod runs PCRE; patterns
// here are translated to Go's RE2 by internal/regex, so what RE2 lacks
// (lookaround, backreferences, atomic groups, possessive quantifiers,
// recursion) is refused with mongod's "Invalid Regex" error and a message
// naming the missing feature. Match positions (idx) count code points.

func init() {
	register(map[string]parseFunc{
		"$regexFind":    parseRegexOp,
		"$regexFindAll": parseRegexOp,
		"$regexMatch":   parseRegexOp,
	})
}

const (
	codeRegexUnknownArg     mongoerr.Code = 31024
	codeRegexNoInput        mongoerr.Code = 31022
	codeRegexNoRegex        mongoerr.Code = 31023
	codeRegexNotObject      mongoerr.Code = 51103
	codeRegexInputType      mongoerr.Code = 51104
	codeRegexPatternType    mongoerr.Code = 51105
	codeRegexOptionsType    mongoerr.Code = 51106
	codeRegexOptionsTwice   mongoerr.Code = 51107
	codeRegexBadFlag        mongoerr.Code = 51108
	codeRegexPatternNull    mongoerr.Code = 51109
	codeRegexOptionsNull    mongoerr.Code = 51110
	codeRegexInvalid        mongoerr.Code = 51111
	codeRegexFindAllTooBig  mongoerr.Code = 51151
	regexFindAllBufferLimit               = 64 * 1024 * 1024
)

type regexKind int

const (
	regexFind regexKind = iota
	regexFindAll
	regexMatch
)

// regexOp is one of the three regex operators.
type regexOp struct {
	name                  string
	kind                  regexKind
	input, regex, options Expr // options may be nil
	// constant is the compiled pattern when regex and options are
	// literals: mongod compiles those once, when the expression is
	// optimized, so their errors come before any document is seen.
	constant *compiledRegex
}

// compiledRegex is a pattern ready to run; re is nil when the pattern
// was null or missing.
type compiledRegex struct {
	re *regexp.Regexp

	fromOnce sync.Once
	from     *regexp.Regexp // see matchFrom
	fromErr  error
}

func parseRegexOp(name string, args bson.RawValue, pc *ParseContext) (Expr, error) {
	if args.Type != bson.TypeEmbeddedDocument {
		return nil, mongoerr.Newf(codeRegexNotObject, "%s expects an object of named arguments but found: %s", name, typeName(args))
	}
	op := &regexOp{name: name}
	switch name {
	case "$regexFindAll":
		op.kind = regexFindAll
	case "$regexMatch":
		op.kind = regexMatch
	}
	if err := parseNamedArgs(name, args, pc, codeRegexUnknownArg,
		map[string]*Expr{"input": &op.input, "regex": &op.regex, "options": &op.options}); err != nil {
		return nil, err
	}
	if op.input == nil {
		return nil, mongoerr.Newf(codeRegexNoInput, "%s requires 'input' parameter", name)
	}
	if op.regex == nil {
		return nil, mongoerr.Newf(codeRegexNoRegex, "%s requires 'regex' parameter", name)
	}
	pat, ok := Constant(op.regex)
	opts := nullValue
	if op.options != nil {
		var optOK bool
		opts, optOK = Constant(op.options)
		ok = ok && optOK
	}
	if ok {
		c, err := compileRegexArgs(name, pat, opts)
		if err != nil {
			return nil, err
		}
		op.constant = c
	}
	return op, nil
}

// compileRegexArgs validates the regex and options values and compiles
// the pattern, with mongod's checks in mongod's order.
func compileRegexArgs(name string, pat, opts bson.RawValue) (*compiledRegex, error) {
	if !nullish(pat) && pat.Type != bson.TypeString && pat.Type != bson.TypeRegex {
		return nil, mongoerr.Newf(codeRegexPatternType, "%s needs 'regex' to be of type string or regex", name)
	}
	if !nullish(opts) && opts.Type != bson.TypeString {
		return nil, mongoerr.Newf(codeRegexOptionsType, "%s needs 'options' to be of type string", name)
	}
	var pattern, options string
	hasPattern := false
	switch pat.Type {
	case bson.TypeRegex:
		p, flags, _ := pat.RegexOK()
		if !nullish(opts) && flags != "" {
			return nil, mongoerr.Newf(codeRegexOptionsTwice,
				"%s: found regex option(s) specified in both 'regex' and 'option' fields", name)
		}
		pattern, options, hasPattern = p, flags, true
	case bson.TypeString:
		pattern, _ = pat.StringValueOK()
		hasPattern = true
	}
	if !nullish(opts) {
		options, _ = opts.StringValueOK()
	}
	if strings.IndexByte(pattern, 0) >= 0 {
		return nil, mongoerr.Newf(codeRegexPatternNull, "%s: regular expression cannot contain an embedded null byte", name)
	}
	if strings.IndexByte(options, 0) >= 0 {
		return nil, mongoerr.Newf(codeRegexOptionsNull, "%s: regular expression options cannot contain an embedded null byte", name)
	}
	if !hasPattern {
		return &compiledRegex{}, nil
	}
	for i := 0; i < len(options); i++ {
		if !strings.ContainsRune("imsux", rune(options[i])) {
			return nil, mongoerr.Newf(codeRegexBadFlag, "%s invalid flag in regex options: %c", name, options[i])
		}
	}
	// (*UTF) and (*UTF8) ask PCRE for what RE2 always does; other
	// start-of-pattern settings ((*UCP), (*CR), (*LIMIT_MATCH=n), ...)
	// have no RE2 counterpart.
	for _, utf := range []string{"(*UTF8)", "(*UTF)"} {
		for strings.HasPrefix(pattern, utf) {
			pattern = pattern[len(utf):]
		}
	}
	if strings.HasPrefix(pattern, "(*") {
		return nil, mongoerr.Newf(codeRegexInvalid,
			"Invalid Regex in %s: PCRE start-of-pattern settings such as (*UCP) are not supported by this server's regular expression engine (RE2)", name)
	}
	re, err := regex.Compile(pattern, options)
	if err != nil {
		return nil, invalidRegex(name, err)
	}
	return &compiledRegex{re: re}, nil
}

// invalidRegex turns a compile failure into mongod's 51111, saying so
// plainly when the pattern is valid PCRE that RE2 cannot run.
func invalidRegex(name string, err error) error {
	msg := mongoerr.As(err).Message
	msg = strings.TrimPrefix(msg, "Regular expression is invalid: ")
	if feature := unsupportedPCRE(msg); feature != "" {
		return mongoerr.Newf(codeRegexInvalid,
			"Invalid Regex in %s: %s are not supported by this server's regular expression engine (RE2): %s", name, feature, msg)
	}
	return mongoerr.Newf(codeRegexInvalid, "Invalid Regex in %s: %s", name, msg)
}

// unsupportedPCRE names the PCRE feature behind an RE2 parse error, or
// returns "" when the pattern is simply malformed.
func unsupportedPCRE(msg string) string {
	switch {
	case strings.Contains(msg, "`(?=") || strings.Contains(msg, "`(?!"):
		return "lookahead assertions"
	case strings.Contains(msg, "`(?<=") || strings.Contains(msg, "`(?<!"):
		return "lookbehind assertions"
	case strings.Contains(msg, "`(?>"):
		return "atomic groups"
	case strings.Contains(msg, "`(?P"), badEscape(msg) != 0 && strings.IndexByte("123456789gk", badEscape(msg)) >= 0:
		return "backreferences"
	case strings.Contains(msg, "invalid nested repetition operator") && strings.HasSuffix(msg, "+`"):
		return "possessive quantifiers"
	case strings.Contains(msg, "`(?R"), strings.Contains(msg, "`(?("), strings.Contains(msg, "`(?&"),
		strings.Contains(msg, "`(?1"), strings.Contains(msg, "`(?+"), strings.Contains(msg, "`(?-"):
		return "recursion and conditional subpatterns"
	case strings.Contains(msg, "`(?#"):
		return "(?#...) comments"
	case strings.Contains(msg, "`(?|"):
		return "branch reset groups"
	case strings.Contains(msg, "invalid repeat count"):
		return "repeat counts above 1000"
	case strings.Contains(msg, "invalid escape sequence"):
		return "some PCRE escape sequences (such as \\G, \\Z, \\K, \\R, \\h, \\X, \\e, \\c)"
	}
	return ""
}

// badEscape returns the letter of the escape an RE2 "invalid escape
// sequence" error complains about, or 0.
func badEscape(msg string) byte {
	const marker = "invalid escape sequence: `\\"
	i := strings.Index(msg, marker)
	if i < 0 || i+len(marker) >= len(msg) {
		return 0
	}
	return msg[i+len(marker)]
}

// matchFrom runs the pattern as PCRE does when told to start at byte
// pos of s: the leftmost match at or after pos, with the text before pos
// still visible to ^, \b and friends. RE2 has no start offset, so the
// search runs on s from the rune before pos with the pattern wrapped to
// skip that rune and then as little as possible; its first group is the
// match. It returns submatch byte offsets into s, like
// FindStringSubmatchIndex, or nil.
func (c *compiledRegex) matchFrom(s string, pos int) ([]int, error) {
	if pos == 0 {
		return c.re.FindStringSubmatchIndex(s), nil
	}
	c.fromOnce.Do(func() {
		inner := c.re.String()
		if strings.Contains(inner, `\Q`) {
			// \Q...\E may run to the end of the pattern and would swallow
			// the closing parenthesis; the parsed form has no quoting.
			if tree, err := syntax.Parse(inner, syntax.Perl); err == nil {
				inner = tree.String()
			}
		}
		c.from, c.fromErr = regexp.Compile(`^(?s:.)(?s:.*?)(` + inner + `)`)
	})
	if c.fromErr != nil {
		return nil, mongoerr.Newf(codeRegexInvalid, "Invalid Regex: %v", c.fromErr)
	}
	_, w := utf8.DecodeLastRuneInString(s[:pos])
	base := pos - w
	loc := c.from.FindStringSubmatchIndex(s[base:])
	if loc == nil {
		return nil, nil
	}
	out := loc[2:]
	for i, x := range out {
		if x >= 0 {
			out[i] = x + base
		}
	}
	return out, nil
}

func (op *regexOp) Eval(ec *EvalContext, doc bson.Raw) (bson.RawValue, error) {
	in, err := op.input.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	pat, err := op.regex.Eval(ec, doc)
	if err != nil {
		return bson.RawValue{}, err
	}
	opts := nullValue
	if op.options != nil {
		if opts, err = op.options.Eval(ec, doc); err != nil {
			return bson.RawValue{}, err
		}
	}
	if !nullish(in) && in.Type != bson.TypeString {
		return bson.RawValue{}, mongoerr.Newf(codeRegexInputType, "%s needs 'input' to be of type string", op.name)
	}
	c := op.constant
	if c == nil {
		if c, err = compileRegexArgs(op.name, pat, opts); err != nil {
			return bson.RawValue{}, err
		}
	}
	s, isStr := strArg(in)
	if !isStr || c.re == nil {
		switch op.kind {
		case regexFindAll:
			return arrayValue(nil), nil
		case regexMatch:
			return falseValue, nil
		}
		return nullValue, nil
	}
	switch op.kind {
	case regexMatch:
		return boolValue(c.re.MatchString(s)), nil
	case regexFind:
		loc, _ := c.matchFrom(s, 0)
		if loc == nil {
			return nullValue, nil
		}
		return regexMatchDoc(s, loc, codePointCount(s[:loc[0]])), nil
	}
	return op.findAll(c, s)
}

// findAll is $regexFindAll's loop: after an empty match the search moves
// on one code point, after any other it resumes where the match ended
// (so an empty match may directly follow a non-empty one, unlike Go's
// FindAll); it stops once the start reaches the end of the input.
func (op *regexOp) findAll(c *compiledRegex, s string) (bson.RawValue, error) {
	var out []bson.RawValue
	pos, cp, total := 0, 0, 0
	for {
		loc, err := c.matchFrom(s, pos)
		if err != nil {
			return bson.RawValue{}, err
		}
		if loc == nil {
			break
		}
		cp += codePointCount(s[pos:loc[0]])
		pos = loc[0]
		m := regexMatchDoc(s, loc, cp)
		total += len(m.Value)
		if total > regexFindAllBufferLimit {
			return bson.RawValue{}, mongoerr.Newf(codeRegexFindAllTooBig,
				"%s: the size of buffer to store output exceeded the 64MB limit", op.name)
		}
		out = append(out, m)
		if loc[1] == loc[0] {
			if pos < len(s) && !isContinuationByte(s[pos]) {
				pos += codePointLength(s[pos])
			} else {
				pos++
			}
			cp++
		} else {
			match := s[loc[0]:loc[1]]
			for b := 0; b < len(match); cp++ {
				if isContinuationByte(match[b]) {
					b++
				} else {
					b += codePointLength(match[b])
				}
			}
			pos = loc[1]
		}
		if pos >= len(s) {
			break
		}
	}
	return arrayValue(out), nil
}

// regexMatchDoc builds {match, idx, captures}: idx in code points,
// unmatched groups as null.
func regexMatchDoc(s string, loc []int, idx int) bson.RawValue {
	captures := make([]bson.RawValue, 0, len(loc)/2-1)
	for i := 2; i+1 < len(loc); i += 2 {
		if loc[i] < 0 {
			captures = append(captures, nullValue)
			continue
		}
		captures = append(captures, stringResult(s[loc[i]:loc[i+1]]))
	}
	start, d := bsoncore.AppendDocumentStart(nil)
	d = bsoncore.AppendStringElement(d, "match", s[loc[0]:loc[1]])
	d = bsoncore.AppendInt32Element(d, "idx", int32(idx))
	d = bsoncore.AppendArrayElement(d, "captures", arrayValue(captures).Value)
	d, _ = bsoncore.AppendDocumentEnd(d, start)
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: d}
}
