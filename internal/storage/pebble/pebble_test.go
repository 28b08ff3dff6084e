package pebble

import (
	"errors"
	"fmt"
	"testing"

	"github.com/secantusdb/secantus/internal/storage"
)

func open(t *testing.T, path string) *Engine {
	t.Helper()
	e, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func set(t *testing.T, e storage.Engine, kv ...string) {
	t.Helper()
	tx := e.Begin()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			tx.Delete([]byte(kv[i]))
		} else {
			tx.Set([]byte(kv[i]), []byte(kv[i+1]))
		}
	}
	if err := tx.Commit(true); err != nil {
		t.Fatal(err)
	}
}

func keys(it storage.Iterator, reverse bool) string {
	s := ""
	ok := it.First()
	if reverse {
		ok = it.Last()
	}
	for ok {
		s += string(it.Key()) + "=" + string(it.Value()) + " "
		if reverse {
			ok = it.Prev()
		} else {
			ok = it.Next()
		}
	}
	return s
}

func TestSnapshotIsolationAndConflicts(t *testing.T) {
	e := open(t, InMemory)
	defer e.Close()
	set(t, e, "a", "1", "b", "1")

	t1 := e.Begin()
	set(t, e, "a", "2")
	if v, _ := t1.Get([]byte("a")); string(v) != "1" {
		t.Fatalf("snapshot read %q, want 1", v)
	}
	t1.Set([]byte("a"), []byte("3"))
	if err := t1.Commit(false); !errors.Is(err, storage.ErrWriteConflict) {
		t.Fatalf("commit = %v, want write conflict", err)
	}
	t2 := e.Begin()
	t2.Set([]byte("b"), []byte("2"))
	if err := t2.Commit(false); err != nil {
		t.Fatal(err)
	}
	tx := e.Begin()
	defer tx.Rollback()
	if v, _ := tx.Get([]byte("a")); string(v) != "2" {
		t.Fatalf("a = %q", v)
	}
}

func TestMergeIterator(t *testing.T) {
	e := open(t, InMemory)
	defer e.Close()
	set(t, e, "a", "1", "c", "1", "e", "1", "g", "1")
	tx := e.Begin()
	defer tx.Rollback()
	tx.Set([]byte("b"), []byte("2"))
	tx.Delete([]byte("c"))
	tx.Set([]byte("e"), []byte("2"))
	tx.Set([]byte("h"), []byte("2"))
	tx.Delete([]byte("zz"))
	for _, tc := range []struct {
		lo, hi string
		rev    bool
		want   string
	}{
		{"", "", false, "a=1 b=2 e=2 g=1 h=2 "},
		{"", "", true, "h=2 g=1 e=2 b=2 a=1 "},
		{"b", "g", false, "b=2 e=2 "},
		{"b", "g", true, "e=2 b=2 "},
	} {
		var lo, hi []byte
		if tc.lo != "" {
			lo, hi = []byte(tc.lo), []byte(tc.hi)
		}
		it := tx.NewIter(lo, hi)
		if got := keys(it, tc.rev); got != tc.want {
			t.Errorf("%+v: got %q", tc, got)
		}
		it.Close()
	}
	it := tx.NewIter(nil, nil)
	defer it.Close()
	if !it.SeekGE([]byte("c")) || string(it.Key()) != "e" {
		t.Fatalf("SeekGE(c) at %q", it.Key())
	}
	if !it.Prev() || string(it.Key()) != "b" {
		t.Fatalf("Prev at %q", it.Key())
	}
	if !it.Next() || string(it.Key()) != "e" {
		t.Fatalf("Next at %q", it.Key())
	}
	if !it.SeekLT([]byte("e")) || string(it.Key()) != "b" {
		t.Fatalf("SeekLT(e) at %q", it.Key())
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir)
	for i := 0; i < 100; i++ {
		set(t, e, fmt.Sprintf("k%03d", i), "v")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = open(t, dir)
	defer e.Close()
	tx := e.Begin()
	defer tx.Rollback()
	it := tx.NewIter(nil, nil)
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	it.Close()
	if n != 100 {
		t.Fatalf("reopened store has %d keys, want 100", n)
	}
}
