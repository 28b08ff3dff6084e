// Package regex compiles MongoDB's regular expressions (PCRE patterns
// with the options i, m, s, x and u) into Go's RE2, with mongod's errors
// for what cannot be compiled. Query filters and $jsonSchema share it.
package regex

import (
	"regexp"
	"strings"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Compile translates a PCRE pattern with MongoDB's options (i, m,
// s, x, u) into Go's RE2 syntax. RE2 has no backreferences or
// lookaround; such patterns are refused as invalid.
func Compile(pattern, options string) (*regexp.Regexp, error) {
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
