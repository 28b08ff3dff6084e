package commands

import (
	"errors"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// writeResult accumulates the outcome of a write command's statements.
type writeResult struct {
	n, nModified int
	upserted     []upsertedID
	errors       []writeError
}

type upsertedID struct {
	index int
	id    bson.RawValue
}

type writeError struct {
	index int
	err   *mongoerr.Error
}

func (w *writeResult) addError(index int, err error) {
	w.errors = append(w.errors, writeError{index: index, err: mongoerr.As(err)})
}

func (w *writeResult) sortErrors() {
	sort.SliceStable(w.errors, func(i, j int) bool { return w.errors[i].index < w.errors[j].index })
}

// isWriteError reports whether err belongs to one statement (reported in
// writeErrors) rather than failing the whole command.
func isWriteError(err error) bool {
	var me *mongoerr.Error
	if !errors.As(err, &me) {
		return false
	}
	switch me.Code {
	case mongoerr.InternalError, mongoerr.MaxTimeMSExpired, mongoerr.Interrupted, mongoerr.InterruptedAtShutdown:
		return false
	}
	return true
}

func (w *writeResult) appendErrors(reply *bsoncore.DocumentBuilder) {
	if len(w.errors) == 0 {
		return
	}
	arr := bsoncore.NewArrayBuilder()
	for _, we := range w.errors {
		b := bsoncore.NewDocumentBuilder().
			AppendInt32("index", int32(we.index)).
			AppendInt32("code", int32(we.err.Code))
		for _, f := range we.err.Extra {
			appendAny(b, f.Key, f.Value)
		}
		b.AppendString("errmsg", we.err.Message)
		arr.AppendDocument(b.Build())
	}
	reply.AppendArray("writeErrors", arr.Build())
}

func (w *writeResult) appendUpserted(reply *bsoncore.DocumentBuilder) {
	if len(w.upserted) == 0 {
		return
	}
	arr := bsoncore.NewArrayBuilder()
	for _, u := range w.upserted {
		arr.AppendDocument(bsoncore.NewDocumentBuilder().
			AppendInt32("index", int32(u.index)).
			AppendValue("_id", bsoncore.Value{Type: bsoncore.Type(u.id.Type), Data: u.id.Value}).Build())
	}
	reply.AppendArray("upserted", arr.Build())
}

// writeStatements reads a write command's statements (from the body or a
// document sequence), checks the batch size and reads ordered.
func writeStatements(req *Request, field string) (stmts []bson.Raw, ordered bool, err error) {
	stmts, present, err := req.Docs(field)
	if err != nil {
		return nil, false, err
	}
	if !present {
		return nil, false, mongoerr.Newf(mongoerr.Location40414, "BSON field '%s.%s' is missing but a required field", req.Name, field)
	}
	if err := checkBatchSize(len(stmts)); err != nil {
		return nil, false, err
	}
	ordered = true
	if v, err := req.Body.LookupErr("ordered"); err == nil {
		if ordered, err = boolValue(req.Name+".ordered", v); err != nil {
			return nil, false, err
		}
	}
	return stmts, ordered, nil
}
