package jsonschema

import (
	"regexp"
	"strings"

	"github.com/secantusdb/secantus/internal/regex"
)

// compilePattern compiles a pattern or patternProperties regular
// expression. mongod uses PCRE2 (UTF mode, no flags: JSON Schema allows
// none); we use Go's RE2, which agrees on the common syntax and is
// unanchored like PCRE's partial match. Known differences:
//
//   - RE2 has no backreferences (\1), lookahead or lookbehind ((?=, (?!,
//     (?<=, (?<!), atomic groups ((?>) or possessive quantifiers (a++):
//     such patterns are refused here although mongod accepts them;
//   - PCRE's $ also matches before a final newline ("a\n" matches /a$/),
//     and \Z likewise; we rewrite both to \n?\z, which keeps that meaning
//     for a yes/no match;
//   - other escapes PCRE knows and RE2 does not (\h, \R, \X, \e, \cX, …)
//     are refused as invalid.
func compilePattern(p string) (*regexp.Regexp, error) {
	return regex.Compile(pcreEnds(p), "")
}

// pcreEnds rewrites the end-of-subject assertions $ and \Z (outside
// character classes and \Q…\E quotes) to PCRE's meaning: the end, or
// before a newline that ends the subject.
func pcreEnds(p string) string {
	if !strings.Contains(p, "$") && !strings.Contains(p, `\Z`) {
		return p
	}
	const end = `(?:\n?\z)`
	var b strings.Builder
	inClass, quoted := false, false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case quoted:
			if c == '\\' && i+1 < len(p) && p[i+1] == 'E' {
				quoted = false
				b.WriteString(`\E`)
				i++
				continue
			}
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			i++
			switch {
			case n == 'Q':
				quoted = true
			case n == 'Z' && !inClass:
				b.WriteString(end)
				continue
			}
			b.WriteByte(c)
			b.WriteByte(n)
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			// A ] right after [ or [^ is a literal member.
			b.WriteByte(c)
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case c == '$':
			b.WriteString(end)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
