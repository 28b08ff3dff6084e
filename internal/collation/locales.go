package collation

import (
	"sort"
	"strings"
)

// localeInfo describes one ICU locale ID SecantusDB can collate: the
// golang.org/x/text tag whose tables implement it and the attribute
// defaults ICU 57.1's tailoring for that locale sets (every attribute not
// listed is ICU's root default: caseFirst off, alternate non-ignorable,
// normalization off, backwards off).
type localeInfo struct {
	tag           string // BCP 47 tag for golang.org/x/text/collate
	upperFirst    bool   // CLDR "[caseFirst upper]"
	shifted       bool   // CLDR "[alternate shifted]"
	normalization bool   // CLDR "[normalization on]"
	backwards     bool   // CLDR "[backwards 2]"
}

// locales maps the ICU locale IDs mongod accepts (the manual's "Supported
// Languages and Locales" table, spelled exactly as ICU names them) to
// their implementation. It holds the intersection of that table with the
// collation tables golang.org/x/text ships, plus the locales whose CLDR
// collation is the root order unchanged (Italian, Dutch, Portuguese, …),
// which x/text's root table ("und") implements exactly.
var locales = map[string]localeInfo{
	"root":                   {tag: "und"},
	"af":                     {tag: "af"},
	"ar":                     {tag: "ar"},
	"as":                     {tag: "as", normalization: true},
	"az":                     {tag: "az"},
	"be":                     {tag: "be"},
	"bg":                     {tag: "bg"},
	"bn":                     {tag: "bn", normalization: true},
	"bs":                     {tag: "bs"},
	"bs_Cyrl":                {tag: "bs-Cyrl"},
	"ca":                     {tag: "ca"},
	"cs":                     {tag: "cs"},
	"cy":                     {tag: "cy"},
	"da":                     {tag: "da", upperFirst: true},
	"de":                     {tag: "de"},
	"de_AT":                  {tag: "de"},
	"de@collation=phonebook": {tag: "de-u-co-phonebk"},
	"dz":                     {tag: "dz"},
	"ee":                     {tag: "ee"},
	"el":                     {tag: "el", normalization: true},
	"en":                     {tag: "en"},
	"en_US":                  {tag: "en-US"},
	"en_US_POSIX":            {tag: "en-US-u-va-posix"},
	"eo":                     {tag: "eo"},
	"es":                     {tag: "es"},
	"et":                     {tag: "et"},
	"fa":                     {tag: "fa"},
	"fa_AF":                  {tag: "fa-AF"},
	"fi":                     {tag: "fi"},
	"fil":                    {tag: "fil"},
	"fo":                     {tag: "fo"},
	"fr":                     {tag: "fr"},
	"fr_CA":                  {tag: "fr-CA", backwards: true},
	"ga":                     {tag: "und"},
	"gu":                     {tag: "gu", normalization: true},
	"ha":                     {tag: "ha"},
	"haw":                    {tag: "haw"},
	"he":                     {tag: "he"},
	"hi":                     {tag: "hi", normalization: true},
	"hr":                     {tag: "hr"},
	"hu":                     {tag: "hu"},
	"hy":                     {tag: "hy"},
	"id":                     {tag: "und"},
	"ig":                     {tag: "ig"},
	"is":                     {tag: "is"},
	"it":                     {tag: "und"},
	"ja":                     {tag: "ja"},
	"kk":                     {tag: "kk"},
	"kl":                     {tag: "kl"},
	"km":                     {tag: "km"},
	"kn":                     {tag: "kn", normalization: true},
	"ko":                     {tag: "ko"},
	"kok":                    {tag: "kok", normalization: true},
	"ln":                     {tag: "ln"},
	"ln@collation=phonetic":  {tag: "ln-u-co-phonetic"},
	"lt":                     {tag: "lt"},
	"lv":                     {tag: "lv"},
	"mk":                     {tag: "mk"},
	"ml":                     {tag: "ml", normalization: true},
	"mr":                     {tag: "mr", normalization: true},
	"ms":                     {tag: "und"},
	"mt":                     {tag: "mt", upperFirst: true},
	"my":                     {tag: "my", normalization: true},
	"nb":                     {tag: "nb"},
	"nl":                     {tag: "und"},
	"nn":                     {tag: "nn"},
	"om":                     {tag: "om"},
	"or":                     {tag: "or", normalization: true},
	"pa":                     {tag: "pa", normalization: true},
	"pl":                     {tag: "pl"},
	"ps":                     {tag: "ps"},
	"pt":                     {tag: "und"},
	"ro":                     {tag: "ro"},
	"ru":                     {tag: "ru"},
	"se":                     {tag: "se"},
	"si":                     {tag: "si", normalization: true},
	"sk":                     {tag: "sk"},
	"sl":                     {tag: "sl"},
	"sq":                     {tag: "sq"},
	"sr":                     {tag: "sr"},
	"sr_Latn":                {tag: "sr-Latn"},
	"sv":                     {tag: "sv"},
	"sw":                     {tag: "und"},
	"ta":                     {tag: "ta", normalization: true},
	"te":                     {tag: "te", normalization: true},
	"th":                     {tag: "th", shifted: true},
	"to":                     {tag: "to"},
	"tr":                     {tag: "tr"},
	"uk":                     {tag: "uk"},
	"ur":                     {tag: "ur"},
	"vi":                     {tag: "vi", normalization: true},
	"wae":                    {tag: "wae"},
	"yo":                     {tag: "yo"},
	"zh":                     {tag: "zh"},
	"zh_Hant":                {tag: "zh-Hant"},
	"zu":                     {tag: "und"},
}

// icuOnly lists the locale IDs mongod (ICU 57.1) accepts but SecantusDB
// cannot collate, because golang.org/x/text has no table for them or for
// their variant. They are answered NotImplemented rather than BadValue so
// that a client learns the spec is valid MongoDB, just not served here.
var icuOnly = map[string]bool{
	"am": true, "ar@collation=compat": true, "az@collation=search": true,
	"bn@collation=traditional": true, "bo": true, "bs@collation=search": true,
	"ca@collation=search": true, "chr": true, "cs@collation=search": true,
	"da@collation=search": true, "de@collation=search": true, "de@collation=eor": true,
	"de_AT@collation=phonebook": true, "dsb": true, "es@collation=search": true,
	"es@collation=traditional": true, "fi@collation=search": true,
	"fi@collation=traditional": true, "gl": true, "gl@collation=search": true,
	"he@collation=search": true, "hr@collation=search": true, "hsb": true,
	"is@collation=search": true, "ja@collation=unihan": true, "ka": true,
	"kl@collation=search": true, "kn@collation=traditional": true,
	"ko@collation=search": true, "ko@collation=searchjl": true, "ko@collation=unihan": true,
	"ky": true, "lb": true, "lkt": true, "lo": true, "mn": true, "ne": true,
	"nb@collation=search": true, "nn@collation=search": true, "se@collation=search": true,
	"si@collation=dictionary": true, "sk@collation=search": true, "smn": true,
	"smn@collation=search": true, "sr_Latn@collation=search": true,
	"sv@collation=search": true, "tr@collation=search": true, "ug": true,
	"vi@collation=traditional": true, "yi": true, "yi@collation=search": true,
	"zh@collation=big5han": true, "zh@collation=gb2312han": true,
	"zh@collation=unihan": true, "zh@collation=zhuyin": true,
}

// Locales returns the ICU locale IDs SecantusDB supports, sorted, not
// counting "simple".
func Locales() []string {
	out := make([]string, 0, len(locales))
	for id := range locales {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// suggestLocale imitates the hint mongod adds to an invalid locale: the
// locale ICU would have fallen back to. ICU canonicalizes '-' to '_' and
// drops unknown trailing subtags; when nothing but the root remains there
// is no hint.
func suggestLocale(id string) string {
	cand := strings.ReplaceAll(id, "-", "_")
	if i := strings.IndexByte(cand, '@'); i >= 0 && !known(cand) {
		cand = cand[:i]
	}
	for cand != "" {
		if known(cand) && cand != "root" {
			return cand
		}
		i := strings.LastIndexByte(cand, '_')
		if i < 0 {
			return ""
		}
		cand = cand[:i]
	}
	return ""
}

func known(id string) bool {
	_, ok := locales[id]
	return ok || icuOnly[id]
}
