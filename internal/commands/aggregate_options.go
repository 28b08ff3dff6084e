package commands

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/cursor"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
	"github.com/secantusdb/secantus/internal/pipeline"
)

// aggregatesDatabase reports whether the command is a database-level
// aggregate ({aggregate: 1}); a number other than 1 is refused as
// mongod refuses it, and anything else must be a collection name.
func aggregatesDatabase(req *Request) (bool, error) {
	v := req.Command()
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		if f, ok := v.AsFloat64OK(); !ok || f != 1 {
			if v.Type != bson.TypeDecimal128 || v.Decimal128().String() != "1" {
				return false, mongoerr.Newf(mongoerr.FailedToParse, "Invalid command format: the '%s' field must specify a collection name or 1", req.Name)
			}
		}
		return true, nil
	}
	return false, nil
}

// aggregateWriteOptions checks that an aggregate ending in $out or
// $merge may write, and returns the settings its writes run with.
func aggregateWriteOptions(req *Request, p *pipeline.Pipeline) (pipeline.WriteOptions, error) {
	names := p.Stages()
	stage := names[len(names)-1]
	if b, ok := req.Arg("startTransaction").BooleanOK(); ok && b {
		return pipeline.WriteOptions{}, mongoerr.Newf(mongoerr.OperationNotSupportedInTransaction, "%s cannot be used in a transaction", stage)
	}
	if b, ok := req.Arg("autocommit").BooleanOK(); ok && !b {
		return pipeline.WriteOptions{}, mongoerr.Newf(mongoerr.OperationNotSupportedInTransaction, "%s cannot be used in a transaction", stage)
	}
	if rc, ok := req.Arg("readConcern").DocumentOK(); ok {
		if lvl, _ := rc.Lookup("level").StringValueOK(); lvl == "linearizable" {
			return pipeline.WriteOptions{}, mongoerr.Newf(mongoerr.InvalidOptions, "%s cannot be used with a 'linearizable' read concern level", stage)
		}
	}
	bypass, err := boolArg(req, "bypassDocumentValidation")
	if err != nil {
		return pipeline.WriteOptions{}, err
	}
	return pipeline.WriteOptions{BypassValidation: bypass, Journaled: writeConcernJournaled(req)}, nil
}

// aggregateReply answers an aggregate: a pipeline that writes runs to
// its end now, whatever the batch size, and replies with an exhausted,
// empty cursor; any other opens a cursor over st.
func (s *Service) aggregateReply(ctx context.Context, req *Request, ns string, st exec.Stage, writes bool, batchSize int, reply *bsoncore.DocumentBuilder) error {
	s.Stats.Command.Add(0)
	if writes {
		defer st.Close()
		for {
			_, ok, err := st.Next(ctx)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
		}
		appendCursor(reply, 0, ns, "firstBatch", nil)
		return nil
	}
	c := cursor.New(ns, st)
	c.Session = sessionKey(req)
	c.Comment = req.Arg("comment")
	return s.firstBatch(ctx, c, batchSize, false, reply)
}
