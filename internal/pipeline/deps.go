package pipeline

import (
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/exec"
	"github.com/secantusdb/secantus/internal/query"
)

// Dependency analysis, as mongod's DepsTracker: when the stages up to one
// that builds new documents from only what it reads ($group, an inclusion
// $project, $replaceRoot, $count, …) use just some top-level fields of
// their input, the scan that feeds the pipeline hands out only those
// fields, so that a pipeline over large documents does not copy them
// whole through every stage.
//
// The analysis reads the stage specifications, not the parsed stages, and
// over-approximates: any string that looks like a field path counts, and
// anything it cannot see through ($$ROOT, $$CURRENT, $getField, an
// unknown stage) means the whole document.

// deps collects the top-level fields a pipeline prefix reads.
type deps struct {
	fields map[string]bool
	all    bool
}

func (d *deps) add(path string) {
	if i := strings.IndexByte(path, '.'); i >= 0 {
		path = path[:i]
	}
	if path != "" {
		d.fields[path] = true
	}
}

// expr adds the fields an expression value may read.
func (d *deps) expr(v bson.RawValue) {
	if d.all {
		return
	}
	switch v.Type {
	case bson.TypeString:
		s := v.StringValue()
		switch {
		case strings.HasPrefix(s, "$$"):
			name := s[2:]
			if i := strings.IndexByte(name, '.'); i >= 0 {
				name = name[:i]
			}
			if name == "ROOT" || name == "CURRENT" {
				d.all = true
			}
		case strings.HasPrefix(s, "$"):
			d.add(s[1:])
		}
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		elems, _ := bson.Raw(v.Value).Elements()
		for _, e := range elems {
			switch e.Key() {
			case "$getField", "$setField", "$unsetField", "CURRENT", "$function", "$accumulator":
				// These read fields named by plain strings, or rebind
				// $$CURRENT: no analysis.
				d.all = true
				return
			}
			d.expr(e.Value())
		}
	}
}

// filter adds the fields a query filter may read.
func (d *deps) filter(f bson.Raw) {
	elems, _ := f.Elements()
	for _, e := range elems {
		k := e.Key()
		switch {
		case k == "$and" || k == "$or" || k == "$nor":
			vals, _ := bson.Raw(e.Value().Value).Values()
			for _, v := range vals {
				if sub, ok := v.DocumentOK(); ok {
					d.filter(sub)
				}
			}
		case k == "$expr":
			d.expr(e.Value())
		case k == "$comment":
		case strings.HasPrefix(k, "$"):
			d.all = true
		default:
			d.add(k)
		}
	}
}

// stage adds what stage name with argument arg reads and reports
// whether it builds its output from only that (so that later stages do
// not matter).
func (d *deps) stage(name string, arg bson.RawValue) (exhaustive bool) {
	switch name {
	case "$match":
		if f, ok := arg.DocumentOK(); ok {
			d.filter(f)
		}
	case "$addFields", "$set":
		d.addFieldsSpec(arg)
	case "$unset", "$limit", "$skip", "$sample":
	case "$sort":
		elems, _ := bson.Raw(arg.Value).Elements()
		for _, e := range elems {
			d.add(e.Key())
		}
	case "$unwind":
		if s, ok := arg.StringValueOK(); ok {
			d.add(strings.TrimPrefix(s, "$"))
		} else if doc, ok := arg.DocumentOK(); ok {
			if p, ok := doc.Lookup("path").StringValueOK(); ok {
				d.add(strings.TrimPrefix(p, "$"))
			}
		}
	case "$project":
		return d.project(arg)
	case "$replaceRoot":
		if doc, ok := arg.DocumentOK(); ok {
			d.expr(doc.Lookup("newRoot"))
		}
		return true
	case "$replaceWith", "$sortByCount":
		d.expr(arg)
		return true
	case "$group":
		elems, _ := bson.Raw(arg.Value).Elements()
		for _, e := range elems {
			d.expr(e.Value())
		}
		return true
	case "$bucket", "$bucketAuto":
		elems, _ := bson.Raw(arg.Value).Elements()
		for _, e := range elems {
			if e.Key() == "groupBy" || e.Key() == "output" {
				d.expr(e.Value())
			}
		}
		return true
	case "$count":
		return true
	case "$lookup":
		doc, _ := arg.DocumentOK()
		if lf, ok := doc.Lookup("localField").StringValueOK(); ok {
			d.add(lf)
		}
		if let, ok := doc.Lookup("let").DocumentOK(); ok {
			d.expr(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: let})
		}
	case "$graphLookup":
		doc, _ := arg.DocumentOK()
		d.expr(doc.Lookup("startWith"))
	case "$unionWith":
		// The other collection's documents come whole; the input's
		// fields are not read.
	case "$setWindowFields":
		doc, _ := arg.DocumentOK()
		d.expr(doc.Lookup("partitionBy"))
		if sortBy, ok := doc.Lookup("sortBy").DocumentOK(); ok {
			elems, _ := sortBy.Elements()
			for _, e := range elems {
				d.add(e.Key())
			}
		}
		d.expr(doc.Lookup("output"))
	case "$facet":
		doc, _ := arg.DocumentOK()
		elems, _ := doc.Elements()
		for _, e := range elems {
			stages, _ := e.Value().ArrayOK()
			vals, _ := stages.Values()
			exhaustive := false
			for _, v := range vals {
				st, _ := v.DocumentOK()
				first, err := st.IndexErr(0)
				if err != nil {
					d.all = true
					return false
				}
				if exhaustive = d.stage(first.Key(), first.Value()); exhaustive || d.all {
					break
				}
			}
			if !exhaustive {
				d.all = true
			}
		}
		return true
	default:
		d.all = true
	}
	return false
}

func (d *deps) addFieldsSpec(arg bson.RawValue) {
	elems, _ := bson.Raw(arg.Value).Elements()
	for _, e := range elems {
		d.expr(e.Value())
	}
}

// project handles $project: an inclusion reads the fields it keeps and
// the ones its expressions use, and is exhaustive; an exclusion only
// removes fields.
func (d *deps) project(arg bson.RawValue) bool {
	elems, _ := bson.Raw(arg.Value).Elements()
	idExcluded, inclusion := false, false
	for _, e := range elems {
		v := e.Value()
		isFalse := false
		switch v.Type {
		case bson.TypeBoolean:
			isFalse = !v.Boolean()
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
			f, ok := v.AsFloat64OK()
			if !ok && v.Type == bson.TypeDecimal128 {
				f = 1
				if s := v.Decimal128().String(); s == "0" || s == "-0" || strings.HasPrefix(s, "0E") {
					f = 0
				}
			}
			isFalse = f == 0
		}
		if isFalse {
			if e.Key() == "_id" {
				idExcluded = true
			}
			continue
		}
		inclusion = true
		d.add(e.Key())
		switch v.Type {
		case bson.TypeString, bson.TypeEmbeddedDocument, bson.TypeArray:
			d.expr(v)
		}
	}
	if !inclusion {
		return false
	}
	if !idExcluded {
		d.add("_id")
	}
	return true
}

// ScanProjection returns the inclusion projection the scan feeding the
// pipeline may apply (nil when the pipeline needs whole documents): the
// top-level fields the leading $match (already applied by the scan) does
// not need but the stages up to the first exhaustive one read.
func (pl *Pipeline) ScanProjection() bson.Raw {
	d := &deps{fields: map[string]bool{}}
	exhaustive := false
	for _, s := range pl.stages {
		if exhaustive = d.stage(s.name, s.arg); exhaustive || d.all {
			break
		}
	}
	if !exhaustive || d.all {
		return nil
	}
	names := make([]string, 0, len(d.fields))
	for f := range d.fields {
		names = append(names, f)
	}
	sort.Strings(names)
	b := bsoncore.NewDocumentBuilder()
	if !d.fields["_id"] {
		b.AppendInt32("_id", 0)
	}
	for _, f := range names {
		b.AppendInt32(f, 1)
	}
	if len(names) == 0 && !d.fields["_id"] {
		// Nothing is read ($count): keep _id alone, the smallest
		// document a projection can leave.
		return bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", 1).Build())
	}
	return bson.Raw(b.Build())
}

// FindSpec is the scan that feeds the pipeline: its leading $match and
// the projection of the fields the pipeline reads.
func (pl *Pipeline) FindSpec() exec.FindSpec {
	spec := exec.FindSpec{Filter: pl.Filter, RawFilter: pl.RawFilter}
	if proj := pl.ScanProjection(); proj != nil {
		// The projection is an inclusion of plain field names, which
		// always parses.
		spec.ScanProjection, _ = query.ParseProjection(proj)
	}
	return spec
}
