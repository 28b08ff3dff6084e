package pipeline

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/exec"
)

// fakeNamespaces is an in-memory Namespaces for the corpus: collections
// by "db.coll" name, in insertion order.
type fakeNamespaces struct {
	colls map[string][]bson.Raw
}

func newFakeNamespaces() *fakeNamespaces {
	return &fakeNamespaces{colls: map[string][]bson.Raw{}}
}

func (f *fakeNamespaces) Open(_ context.Context, db, coll string) (exec.Stage, error) {
	return &sliceIter{docs: f.colls[db+"."+coll]}, nil
}

// sliceIter streams a list of documents.
type sliceIter struct {
	docs []bson.Raw
	pos  int
}

func (s *sliceIter) Next(context.Context) (bson.Raw, bool, error) {
	if s.pos >= len(s.docs) {
		return nil, false, nil
	}
	s.pos++
	return s.docs[s.pos-1], true, nil
}

func (s *sliceIter) Close() {}
