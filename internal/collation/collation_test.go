package collation

import (
	"bytes"
	"fmt"
	"sort"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func mustParse(t testing.TB, d bson.D) *Collation {
	t.Helper()
	b, _ := bson.Marshal(d)
	c, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(%v): %v", d, err)
	}
	return c
}

func spec(locale string, opts ...any) bson.D {
	d := bson.D{{Key: "locale", Value: locale}}
	for i := 0; i+1 < len(opts); i += 2 {
		d = append(d, bson.E{Key: opts[i].(string), Value: opts[i+1]})
	}
	return d
}

// Cases from the MongoDB manual's collation page (strength, caseFirst,
// numericOrdering, alternate/maxVariable, backwards) and from the
// locale tailorings it cites.
func TestCompareStrings(t *testing.T) {
	tests := []struct {
		spec bson.D
		a, b string
		want int
	}{
		// strength 1: base letters only.
		{spec("en", "strength", int32(1)), "cafe", "Café", 0},
		{spec("en", "strength", int32(1)), "cafe", "cafes", -1},
		{spec("fr", "strength", int32(1)), "côte", "cote", 0},
		// strength 2: diacritics count, case does not.
		{spec("en", "strength", int32(2)), "cafe", "CAFE", 0},
		{spec("en", "strength", int32(2)), "cafe", "café", -1},
		{spec("en", "strength", int32(2)), "Cafe", "café", -1},
		// strength 3 (default): case counts; lowercase first (caseFirst off).
		{spec("en"), "cafe", "Cafe", -1},
		{spec("en"), "a", "A", -1},
		{spec("en"), "A", "b", -1}, // not byte order
		{spec("en"), "cafe", "café", -1},
		{spec("en", "caseFirst", "lower"), "a", "A", -1},
		// Uppercase-first only matters above strength 2.
		{spec("en", "caseFirst", "upper", "strength", int32(2)), "a", "A", 0},
		// caseFirst upper: uppercase before lowercase, base letters first.
		{spec("en", "caseFirst", "upper"), "A", "a", -1},
		{spec("en", "caseFirst", "upper"), "a", "B", -1},
		{spec("en", "caseFirst", "upper"), "Cafe", "cafe", -1},
		{spec("en", "caseFirst", "upper"), "cafe", "Café", -1},
		{spec("da"), "A", "a", -1}, // Danish defaults to upper first
		// numericOrdering.
		{spec("en"), "10", "2", -1},
		{spec("en", "numericOrdering", true), "10", "2", 1},
		{spec("en", "numericOrdering", true), "item 2", "item 10", -1},
		{spec("en", "numericOrdering", true), "02", "2", 0},
		{spec("en", "numericOrdering", true), "-10", "-2", 1}, // signs are not numbers
		// alternate shifted (maxVariable punct): spaces and punctuation
		// ignorable at strengths 1–3, distinguished at 4.
		{spec("en"), "a b", "ab", -1},
		{spec("en", "alternate", "shifted"), "a b", "ab", 0},
		{spec("en", "alternate", "shifted"), "black-bird", "blackbird", 0},
		{spec("en", "alternate", "shifted"), "black bird", "black-bird", 0},
		{spec("en", "alternate", "shifted"), "b", "a-c", 1},
		{spec("en", "alternate", "shifted"), "a$b", "ab", -1}, // symbols are not punctuation
		{spec("en", "alternate", "shifted", "strength", int32(1)), "Black-Bird", "blackbird", 0},
		{spec("en", "alternate", "shifted", "strength", int32(4)), "black-bird", "blackbird", -1},
		{spec("th"), "a b", "ab", 0}, // Thai shifts by default
		// backwards: French accent order from the end of the string.
		{spec("fr"), "côte", "coté", 1},
		{spec("fr", "backwards", true), "côte", "coté", -1},
		{spec("fr_CA"), "côte", "coté", -1},
		// Locale tailorings.
		{spec("sv"), "ö", "z", 1},
		{spec("de"), "ö", "z", -1},
		{spec("de"), "ö", "o", 1},
		{spec("de", "strength", int32(1)), "ö", "o", 0},
		{spec("es"), "ñ", "n", 1},
		{spec("es"), "ñ", "o", -1},
		{spec("es"), "ñu", "nz", 1}, // ñ is a letter after n
		{spec("en"), "ñu", "nz", -1},
		{spec("da", "caseFirst", "off"), "aa", "z", 1}, // aa = å, after z
		{spec("de"), "ä", "ad", -1},
		{spec("de@collation=phonebook"), "ä", "ad", 1},   // ä = ae
		{spec("cs"), "ch", "h", 1},                       // Czech ch after h
		{spec("tr", "strength", int32(1)), "ı", "i", -1}, // dotless ı is its own letter, before i
		// strength 5: quaternary + code points of the NFD form.
		{spec("en", "strength", int32(5)), "e\u0301", "\u00e9", 0},
		{spec("en", "strength", int32(4)), "e\u0301", "\u00e9", 0},
		{spec("en", "strength", int32(3)), "\u00e9", "e\u0301", 0},
		{spec("en", "strength", int32(5)), "a", "b", -1},
		// Full-width forms differ only at the tertiary level.
		{spec("en", "strength", int32(2)), "ａ", "a", 0},
		{spec("en"), "ａ", "a", 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v/%s/%s", tc.spec, tc.a, tc.b), func(t *testing.T) {
			c := mustParse(t, tc.spec)
			if got := c.CompareStrings(tc.a, tc.b); got != tc.want {
				t.Errorf("CompareStrings(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := c.CompareStrings(tc.b, tc.a); got != -tc.want {
				t.Errorf("CompareStrings(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
			if got := bytes.Compare(c.Key(tc.a), c.Key(tc.b)); got != tc.want {
				t.Errorf("Key order of %q, %q = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// TestKeyOrderMatchesCompare checks Key's guarantee over a corpus and a
// spread of option combinations: sorting by key and sorting by
// CompareStrings agree, pair by pair.
func TestKeyOrderMatchesCompare(t *testing.T) {
	corpus := []string{
		"", "a", "A", "á", "Á", "à", "ab", "a b", "a-b", "a_b", "a$b", "Ab", "aB", "b", "B",
		"cote", "côte", "coté", "côté", "Côte", "café", "cafe", "Cafe", "CAFE", "cafés",
		"1", "2", "10", "02", "item 2", "item 10", "item 02", "a1b", "a10b",
		"e\u0301", "\u00e9", "ö", "o", "z", "ñ", "n", "aa", "å", "æ", "ä", "ae",
		"ａ", "ﬁ", "fi", "\u3042", "\u30a2", "日本", "\t", " ", "-", "--", "x y z", "x-y-z",
	}
	specs := []bson.D{
		spec("en"), spec("en", "strength", int32(1)), spec("en", "strength", int32(2)),
		spec("en", "strength", int32(4)), spec("en", "strength", int32(5)),
		spec("en", "numericOrdering", true), spec("fr_CA"), spec("fr", "backwards", true, "strength", int32(2)),
		spec("en", "alternate", "shifted"), spec("en", "alternate", "shifted", "strength", int32(4)),
		spec("en", "alternate", "shifted", "strength", int32(5)), spec("en", "alternate", "shifted", "strength", int32(1), "numericOrdering", true),
		spec("sv"), spec("de@collation=phonebook"), spec("ja"), spec("th"), spec("da", "caseFirst", "off"),
	}
	for _, s := range specs {
		c := mustParse(t, s)
		for _, a := range corpus {
			ka := c.Key(a)
			for _, b := range corpus {
				want := c.CompareStrings(a, b)
				if got := bytes.Compare(ka, c.Key(b)); got != want {
					t.Errorf("%v: Key order of %q, %q = %d, CompareStrings = %d", s, a, b, got, want)
				}
			}
		}
		// CompareStrings is a total order on the corpus: sorting is stable under it.
		sorted := append([]string(nil), corpus...)
		sort.SliceStable(sorted, func(i, j int) bool { return c.CompareStrings(sorted[i], sorted[j]) < 0 })
		for i := 1; i < len(sorted); i++ {
			if c.CompareStrings(sorted[i-1], sorted[i]) > 0 {
				t.Errorf("%v: not sorted at %q, %q", s, sorted[i-1], sorted[i])
			}
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	c := mustParse(t, spec("de", "strength", int32(1)))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if c.CompareStrings("Müller", "muller") != 0 || len(c.Key("Straße")) == 0 {
					t.Error("wrong result under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestEqual(t *testing.T) {
	a := mustParse(t, spec("fr_CA"))
	b := mustParse(t, spec("fr_CA", "backwards", true, "strength", int32(3)))
	c := mustParse(t, spec("fr"))
	var simple *Collation
	if !a.Equal(b) || a.Equal(c) || a.Equal(simple) || !simple.Equal(nil) {
		t.Error("Equal compares resolved specs, nil only to nil")
	}
}

func BenchmarkCompareStrings(b *testing.B) {
	for _, s := range []bson.D{spec("en"), spec("en", "strength", int32(2)), spec("en", "alternate", "shifted")} {
		c := mustParse(b, s)
		b.Run(fmt.Sprint(s[len(s)-1].Value), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				c.CompareStrings("The quick brown fox", "The quick brown Fox!")
			}
		})
	}
}
