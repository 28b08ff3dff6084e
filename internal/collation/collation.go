package collation

import (
	"bytes"
	"strings"
	"sync"
	"unicode"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Collation is a parsed, resolved, non-simple collation. It is immutable
// and safe for concurrent use. A nil *Collation is the simple collation:
// its methods compare bytes.
type Collation struct {
	locale        string
	caseLevel     bool
	caseFirst     string
	strength      int
	numeric       bool
	alternate     string
	maxVariable   string
	normalization bool
	backwards     bool

	// upperFirst orders uppercase before lowercase at the case level:
	// x/text only knows lowercase first, so strings are compared with
	// their letters' case swapped, which leaves the base letters and
	// accents (the levels below case) as they are.
	upperFirst bool

	spec bson.Raw
	// collators holds *collate.Collator values, which keep per-call
	// state and so cannot be shared between goroutines.
	collators sync.Pool
}

type collator struct {
	c          *collate.Collator
	bufA, bufB collate.Buffer
}

// build derives the x/text collator from the resolved options and
// renders the resolved spec.
func (c *Collation) build(baseTag string) {
	tag := language.MustParse(baseTag)
	set := func(key, value string) {
		if t, err := tag.SetTypeForKey(key, value); err == nil {
			tag = t
		}
	}
	switch c.strength {
	case 1:
		set("ks", "level1")
	case 2:
		set("ks", "level2")
	case 3:
		set("ks", "level3")
	default:
		// Identical (5) is quaternary plus the NFD code point
		// tie-break added in CompareStrings and Key: x/text's own
		// "identic" compares raw bytes, which would tell canonically
		// equivalent strings apart where ICU does not.
		set("ks", "level4")
	}
	if c.alternate == AlternateShifted {
		set("ka", "shifted")
	}
	if c.backwards {
		set("kb", "true")
	}
	if c.numeric {
		set("kn", "true")
	}
	c.upperFirst = c.caseFirst == CaseFirstUpper && c.strength >= 3
	c.collators.New = func() any { return &collator{c: collate.New(tag)} }

	doc := bson.D{
		{Key: "locale", Value: c.locale},
		{Key: "caseLevel", Value: c.caseLevel},
		{Key: "caseFirst", Value: c.caseFirst},
		{Key: "strength", Value: int32(c.strength)},
		{Key: "numericOrdering", Value: c.numeric},
		{Key: "alternate", Value: c.alternate},
		{Key: "maxVariable", Value: c.maxVariable},
		{Key: "normalization", Value: c.normalization},
		{Key: "backwards", Value: c.backwards},
		{Key: "version", Value: Version},
	}
	c.spec, _ = bson.Marshal(doc)
}

// Spec returns the fully resolved collation document, as mongod reports
// it in listCollections, listIndexes and explain: every option with the
// locale's default filled in, and the collator version. It is nil for
// the simple collation.
func (c *Collation) Spec() bson.Raw {
	if c == nil {
		return nil
	}
	return c.spec
}

// Locale returns the ICU locale ID, or "simple" for the simple collation.
func (c *Collation) Locale() string {
	if c == nil {
		return "simple"
	}
	return c.locale
}

// Strength returns the comparison level, 1 to 5 (0 for simple).
func (c *Collation) Strength() int {
	if c == nil {
		return 0
	}
	return c.strength
}

// Equal reports whether c and d collate identically (mongod compares
// resolved specs when matching an index's collation to a query's).
func (c *Collation) Equal(d *Collation) bool {
	if c == nil || d == nil {
		return c == nil && d == nil
	}
	return bytes.Equal(c.spec, d.spec)
}

// CompareStrings orders a and b under the collation: negative, zero or
// positive. A nil *Collation compares bytes, as the simple collation does.
func (c *Collation) CompareStrings(a, b string) int {
	if c == nil {
		return strings.Compare(a, b)
	}
	if a == b {
		return 0
	}
	if c.upperFirst {
		a, b = swapCase(a), swapCase(b)
	}
	col := c.collators.Get().(*collator)
	var r int
	if c.alternate == AlternateShifted {
		// x/text's incremental comparison skips the primary level
		// when variables are shifted (an unimplemented TODO there);
		// its sort keys implement shifting fully, so compare those.
		col.bufA.Reset()
		col.bufB.Reset()
		r = bytes.Compare(col.c.KeyFromString(&col.bufA, a), col.c.KeyFromString(&col.bufB, b))
	} else {
		r = col.c.CompareString(a, b)
	}
	c.collators.Put(col)
	if r == 0 && c.strength == 5 {
		r = strings.Compare(norm.NFD.String(a), norm.NFD.String(b))
	}
	return r
}

// Key returns a sort key for s: for any strings a and b,
// bytes.Compare(c.Key(a), c.Key(b)) has the sign of c.CompareStrings(a, b).
// A nil *Collation returns s's bytes. The key is freshly allocated.
func (c *Collation) Key(s string) []byte {
	if c == nil {
		return []byte(s)
	}
	if c.upperFirst {
		s = swapCase(s)
	}
	col := c.collators.Get().(*collator)
	col.bufA.Reset()
	k := col.c.KeyFromString(&col.bufA, s)
	var out []byte
	if c.strength == 5 {
		// Escape the level key (0x00 → 0x00 0xFF) and end it with
		// 0x00 0x00, which sorts below any continuation, so that the
		// NFD tie-break appended after it never changes the order the
		// levels decide.
		out = make([]byte, 0, len(k)+len(s)+8)
		for _, b := range k {
			out = append(out, b)
			if b == 0 {
				out = append(out, 0xFF)
			}
		}
		out = append(out, 0, 0)
		out = append(out, norm.NFD.String(s)...)
	} else {
		out = append([]byte(nil), k...)
	}
	c.collators.Put(col)
	return out
}

// swapCase turns uppercase letters into lowercase and back, for letters
// whose case mapping round-trips (so that no letter changes identity:
// the Turkish dotless ı, for one, is left alone).
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if u := unicode.ToUpper(r); u != r && unicode.ToLower(u) == r {
			return u
		}
		if l := unicode.ToLower(r); l != r && unicode.ToUpper(l) == r {
			return l
		}
		return r
	}, s)
}
