package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/bsonx"
	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/mongoerr"
)

// $facet runs several sub-pipelines over the same input and outputs one
// document holding each one's results as an array: {name: [results], …}
// in the order of the specification. The input is read once and kept
// for the sub-pipelines (in memory, or in a temporary file past the
// memory limit when disk use is allowed).

func init() {
	register(map[string]stageDef{"$facet": {parse: parseFacet, flags: flagNoFacet}})
}

// facetMaxOutputBytes is mongod's internalQueryFacetMaxOutputDocSizeBytes:
// the document $facet builds may not exceed it.
const facetMaxOutputBytes = 100 << 20

type facetStage struct {
	names []string
	subs  []*Pipeline
}

func parseFacet(_ string, arg bson.RawValue, p *parser) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok || len(d) <= 5 {
		return nil, mongoerr.Newf(mongoerr.Location40169, "the $facet specification must be a non-empty object, but found: $facet: %s", bsonx.Format(arg))
	}
	elems, err := d.Elements()
	if err != nil {
		return nil, mongoerr.New(mongoerr.InvalidBSON, err.Error())
	}
	// Names and shapes first, as mongod checks them all before parsing
	// any pipeline.
	for _, e := range elems {
		name, v := e.Key(), e.Value()
		if err := facetName(name); err != nil {
			return nil, err
		}
		arr, ok := v.ArrayOK()
		if !ok {
			return nil, mongoerr.Newf(mongoerr.Location40170, "arguments to $facet must be arrays, %s is type %s", name, typeName(v))
		}
		vals, _ := arr.Values()
		for i, sv := range vals {
			if sv.Type != bson.TypeEmbeddedDocument {
				return nil, mongoerr.Newf(mongoerr.Location40171, "elements of arrays in $facet spec must be non-empty objects, %s argument contained an element of type %s: %d: %s", name, typeName(sv), i, bsonx.Format(sv))
			}
		}
	}
	st := &facetStage{}
	for _, e := range elems {
		sub, err := p.subPipeline(e.Key(), e.Value(), true)
		if err != nil {
			return nil, err
		}
		if len(sub.stages) == 0 {
			return nil, mongoerr.New(mongoerr.BadValue, "sub-pipeline in $facet stage cannot be empty")
		}
		st.names = append(st.names, e.Key())
		st.subs = append(st.subs, sub)
	}
	return st, nil
}

// facetName applies mongod's FieldPath rules for one field name to an
// output name of $facet.
func facetName(name string) error {
	const ctx = "$facet pipeline names must follow the naming rules of field path expressions. :: caused by :: "
	const hint = " Consider using $getField or $setField."
	switch {
	case name == "":
		return mongoerr.New(mongoerr.Location15998, ctx+"FieldPath field names may not be empty strings.")
	case name[0] == '$':
		return mongoerr.New(mongoerr.Location16410, ctx+"FieldPath field names may not start with '$'."+hint)
	case strings.IndexByte(name, 0) >= 0:
		return mongoerr.New(mongoerr.Location16411, ctx+"FieldPath field names may not contain '\\0'.")
	case strings.IndexByte(name, '.') >= 0:
		return mongoerr.New(mongoerr.Location16412, ctx+"FieldPath field names may not contain '.'."+hint)
	}
	return nil
}

func (s *facetStage) build(in exec.Stage, env *Env) (exec.Stage, error) {
	return &facetIter{in: in, st: s, env: env}, nil
}

type facetIter struct {
	in   exec.Stage
	st   *facetStage
	env  *Env
	done bool
	buf  *facetBuffer
}

func (f *facetIter) Next(ctx context.Context) (bson.Raw, bool, error) {
	if f.done {
		return nil, false, nil
	}
	f.done = true
	limit := f.env.MemLimit
	if limit <= 0 {
		limit = defaultForeignMemLimit
	}
	f.buf = &facetBuffer{limit: limit, allowDisk: f.env.AllowDiskUse, dir: f.env.TempDir}
	for n := 1; ; n++ {
		d, ok, err := f.in.Next(ctx)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			break
		}
		if n%256 == 0 {
			if err := exec.Interrupted(ctx); err != nil {
				return nil, false, err
			}
		}
		if err := f.buf.add(d); err != nil {
			return nil, false, err
		}
	}
	if err := f.buf.finish(); err != nil {
		return nil, false, err
	}
	out := bsonx.NewBuilder()
	var used int64
	for i, sub := range f.st.subs {
		src, err := f.buf.open()
		if err != nil {
			return nil, false, err
		}
		st, err := sub.Build(src, f.env)
		if err != nil {
			return nil, false, err
		}
		arr := bsonx.NewArrayBuilder()
		err = drainInto(ctx, st, func(doc bson.Raw) error {
			if used += int64(len(doc)); used > facetMaxOutputBytes {
				return mongoerr.Newf(mongoerr.Location4031700, "document constructed by $facet is %d bytes, which exceeds the limit of %d bytes", used, facetMaxOutputBytes)
			}
			arr.AppendDocument(arr.NextKey(), doc)
			return nil
		})
		if err != nil {
			return nil, false, err
		}
		out.AppendArray(f.st.names[i], arr.Finish())
	}
	f.buf.release()
	return out.Finish(), true, nil
}

func (f *facetIter) Close() {
	f.in.Close()
	if f.buf != nil {
		f.buf.release()
	}
}

// facetBuffer holds the input of $facet for each sub-pipeline to read:
// in memory up to limit, then (when disk use is allowed) in a temporary
// file.
type facetBuffer struct {
	limit     int64
	allowDisk bool
	dir       string

	docs []bson.Raw
	size int64
	file *os.File
	w    *bufio.Writer
}

func (b *facetBuffer) add(d bson.Raw) error {
	if b.file != nil {
		_, err := b.w.Write(d)
		return err
	}
	b.size += int64(len(d)) + 24
	if b.size <= b.limit {
		b.docs = append(b.docs, append(bson.Raw(nil), d...))
		return nil
	}
	if !b.allowDisk {
		return mongoerr.Newf(mongoerr.QueryExceededMemoryLimitNoDiskUseAllowed,
			"$facet's input exceeded the memory limit of %d bytes, but did not opt in to external sorting.", b.limit)
	}
	file, err := os.CreateTemp(b.dir, "secantus-facet-*")
	if err != nil {
		return fmt.Errorf("$facet: spilling its input: %w", err)
	}
	b.file, b.w = file, bufio.NewWriter(file)
	for _, doc := range b.docs {
		if _, err := b.w.Write(doc); err != nil {
			return err
		}
	}
	b.docs = nil
	_, err = b.w.Write(d)
	return err
}

func (b *facetBuffer) finish() error {
	if b.file != nil {
		return b.w.Flush()
	}
	return nil
}

// open returns an iterator over the buffered input.
func (b *facetBuffer) open() (exec.Stage, error) {
	if b.file == nil {
		return &rawDocsIter{docs: b.docs}, nil
	}
	if _, err := b.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return &facetSpillReader{r: bufio.NewReader(b.file)}, nil
}

func (b *facetBuffer) release() {
	b.docs = nil
	if b.file != nil {
		b.file.Close()
		os.Remove(b.file.Name())
		b.file = nil
	}
}

// facetSpillReader reads back the documents of a facetBuffer's file. Only one
// reads the file at a time: each sub-pipeline is drained before the next
// opens it.
type facetSpillReader struct {
	r *bufio.Reader
}

func (s *facetSpillReader) Next(context.Context) (bson.Raw, bool, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, false, nil
		}
		return nil, false, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n < 5 {
		return nil, false, errors.New("$facet: corrupt spill file")
	}
	doc := make([]byte, n)
	copy(doc, hdr[:])
	if _, err := io.ReadFull(s.r, doc[4:]); err != nil {
		return nil, false, err
	}
	return doc, true, nil
}

func (s *facetSpillReader) Close() {}
