package expr

import (
	"math/rand"
	"testing"
	"time"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

var testZones = []string{"UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "+05:30", "-0930"}

// TestDateLocalPartsMatchGo checks the calendar arithmetic (parts of an
// instant in a zone, day of year, ISO weeks) against Go's time package
// over instants spread across ±2000 years.
func TestDateLocalPartsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, name := range testZones {
		tz, err := lookupTimeZone(name)
		if err != nil {
			t.Fatal(err)
		}
		loc := tz.loc
		if loc == nil {
			loc = time.FixedZone(name, int(tz.offset))
		}
		for i := 0; i < 2000; i++ {
			ms := rng.Int63n(2*63113904000000) - 63113904000000 // ±2000 years
			p := tz.local(ms)
			g := time.UnixMilli(ms).In(loc)
			if p.year != int64(g.Year()) || p.month != int64(g.Month()) || p.day != int64(g.Day()) ||
				p.hour != int64(g.Hour()) || p.minute != int64(g.Minute()) || p.second != int64(g.Second()) ||
				p.millisecond != int64(g.Nanosecond()/1e6) {
				t.Fatalf("%s %d: got %+v, want %v", name, ms, p, g)
			}
			if d := dayOfYear(p.year, p.days); d != int64(g.YearDay()) {
				t.Fatalf("%s %v: day of year %d, want %d", name, g, d, g.YearDay())
			}
			if w := weekdaySun0(p.days); w != int64(g.Weekday()) {
				t.Fatalf("%s %v: weekday %d, want %d", name, g, w, g.Weekday())
			}
			gy, gw := g.ISOWeek()
			if y, w := isoWeek(p.year, p.days); y != int64(gy) || w != int64(gw) {
				t.Fatalf("%s %v: ISO week %d-%d, want %d-%d", name, g, y, w, gy, gw)
			}
			if days := isoDateToDays(int64(gy), int64(gw), isoWeekday(p.days)); days != p.days {
				t.Fatalf("%s %v: ISO date back to %d days, want %d", name, g, days, p.days)
			}
		}
	}
}

// TestDateWallToUTCRoundTrips checks that a wall-clock time read from an
// instant converts back to that instant wherever the wall clock is not
// ambiguous.
func TestDateWallToUTCRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, name := range testZones {
		tz, _ := lookupTimeZone(name)
		for i := 0; i < 2000; i++ {
			secs := rng.Int63n(2*4102444800) - 4102444800 // ±130 years
			p := tz.local(secs * 1000)
			wall := p.days*86400 + p.hour*3600 + p.minute*60 + p.second
			if tz.loc != nil {
				// Skip wall-clock times that occur twice.
				if other, _, _ := tz.zoneInfo(secs + 3*3600); other != p.offset {
					continue
				}
				if other, _, _ := tz.zoneInfo(secs - 3*3600); other != p.offset {
					continue
				}
			}
			if got := tz.wallToUTC(wall, p.dst); got != secs {
				t.Fatalf("%s: wall %d (from %d) gave %d", name, wall, secs, got)
			}
		}
	}
}

// FuzzDateFromString feeds date strings and formats to the parser behind
// $dateFromString: it must never panic, and must fail only with the
// errors mongod gives.
func FuzzDateFromString(f *testing.F) {
	for _, s := range []string{
		"2017-07-04T11:56:02.813Z", "July 4th, 2017 12:39:30 BST", "7/4/17", "04-07-2017",
		"2017-Jul-04 noon", "2017-07-04 12:48:07 GMT+0545", "2017-W01-1", "@1499169600.25",
		"Tue, 04 Jul 2017 10:00:00 GMT", "2017-07-12T22:23:55 Europe/Amsterdam", "60.Monday1770/06:59",
	} {
		f.Add(s, "")
	}
	f.Add("4/26/1992:+0445", "%m/%d/%Y:%z")
	f.Add("53.7.2017", "%V.%u.%G")
	f.Add("June 15, 2018", "%B %d, %Y")
	f.Add("2018 032", "%Y %j")
	f.Fuzz(func(t *testing.T, s, format string) {
		for _, tz := range []*timeZone{utcZone, {offset: 3600}} {
			var fp *string
			if format != "" {
				if validateDateFormat(format, fromStringSpecifiers) != nil {
					continue
				}
				fp = &format
			}
			if _, err := dateFromString(s, tz, fp); err != nil && !mongoerr.Is(err, mongoerr.ConversionFailure) {
				t.Fatalf("%q %q: unexpected error %v", s, format, err)
			}
		}
	})
}
