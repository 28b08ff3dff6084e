package wire

import (
	"bytes"
	"encoding/binary"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// MaxNestingDepth is mongod's BSONDepth::kDefaultMaxAllowableDepth (the
// maxBSONDepth server parameter, default 200): the number of objects or
// arrays that may be nested below the top-level document. A document at
// depth 201 is rejected with Overflow "BSONObj exceeds maximum nested
// object depth".
const MaxNestingDepth = 200

// ValidateDocument checks that doc is exactly one well-formed BSON
// document, as mongod's validateBSON does for every document arriving on
// the wire: lengths consistent with their contents, known element types,
// terminated field names and cstrings, string lengths that include their
// NUL terminator, booleans of 0 or 1, nested documents, arrays and
// code-with-scope values valid in turn, and nesting no deeper than
// maxDepth levels below the top-level document.
//
// It makes one pass and allocates nothing when doc is valid. The error is
// a *mongoerr.Error with code InvalidBSON (or Overflow for depth) and
// mongod's wording, e.g. "Not null terminated string in element with
// field name 'a'".
func ValidateDocument(doc []byte, maxDepth int) error {
	v := validator{maxDepth: maxDepth}
	if len(doc) < 5 {
		return v.fail(mongoerr.InvalidBSON, "BSON data has to be at least 5 bytes")
	}
	size := int64(int32(binary.LittleEndian.Uint32(doc)))
	if size < 5 {
		return v.fail(mongoerr.InvalidBSON, "BSON data has to be at least 5 bytes")
	}
	if size != int64(len(doc)) {
		return v.fail(mongoerr.InvalidBSON, "Incorrect BSON length")
	}
	if doc[size-1] != 0 {
		return v.fail(mongoerr.InvalidBSON, "BSON object not terminated with EOO")
	}
	if code, msg := v.elements(doc[4:size-1], 0); msg != "" {
		return v.fail(code, msg)
	}
	return nil
}

// validator carries the field name of the element being checked so that
// errors can name it, as mongod's do.
type validator struct {
	maxDepth int
	name     []byte
}

func (v *validator) fail(code mongoerr.Code, msg string) error {
	return mongoerr.New(code, msg+" in element with field name '"+printable(v.name)+"'")
}

// printable renders a field name for an error message without letting
// arbitrary bytes through.
func printable(b []byte) string {
	if b == nil {
		return "?"
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c >= 0x7F || c == '\\' {
			const hexd = "0123456789abcdef"
			out = append(out, '\\', 'x', hexd[c>>4], hexd[c&15])
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// nested validates the embedded document at the start of b, at nesting
// level depth, and returns its length.
func (v *validator) nested(b []byte, depth int) (int, mongoerr.Code, string) {
	if depth > v.maxDepth {
		return 0, mongoerr.Overflow, "BSONObj exceeds maximum nested object depth"
	}
	if len(b) < 4 {
		return 0, mongoerr.InvalidBSON, "BSON size is larger than buffer size"
	}
	size := int64(int32(binary.LittleEndian.Uint32(b)))
	if size < 5 {
		return 0, mongoerr.InvalidBSON, "Nested BSON object has to be at least 5 bytes"
	}
	if size > int64(len(b)) {
		return 0, mongoerr.InvalidBSON, "BSON size is larger than buffer size"
	}
	if b[size-1] != 0 {
		return 0, mongoerr.InvalidBSON, "incorrect BSON length"
	}
	if code, msg := v.elements(b[4:size-1], depth); msg != "" {
		return 0, code, msg
	}
	return int(size), 0, ""
}

// elements validates the element list b (a document without its length
// prefix and EOO byte) found at nesting level depth.
func (v *validator) elements(b []byte, depth int) (mongoerr.Code, string) {
	const bad = mongoerr.InvalidBSON
	for p := 0; p < len(b); {
		t := b[p]
		p++
		nul := indexNul(b[p:])
		if nul < 0 {
			return bad, "BSON size is larger than buffer size"
		}
		v.name = b[p : p+nul]
		p += nul + 1
		rest := b[p:]
		var n int
		switch t {
		case 0x01, 0x09, 0x11, 0x12: // double, date, timestamp, int64
			n = 8
		case 0x10: // int32
			n = 4
		case 0x07: // ObjectId
			n = 12
		case 0x13: // decimal128
			n = 16
		case 0x06, 0x0A, 0x7F, 0xFF: // undefined, null, maxKey, minKey
			n = 0
		case 0x08: // bool
			if len(rest) < 1 {
				return bad, "BSON size is larger than buffer size"
			}
			if rest[0] > 1 {
				return bad, "BSON bool is neither false nor true"
			}
			n = 1
		case 0x02, 0x0D, 0x0E: // string, JavaScript code, symbol
			l, msg := stringLen(rest)
			if msg != "" {
				return bad, msg
			}
			n = l
		case 0x0C: // DBPointer: string then ObjectId
			l, msg := stringLen(rest)
			if msg != "" {
				return bad, msg
			}
			n = l + 12
		case 0x03, 0x04: // document, array
			l, code, msg := v.nested(rest, depth+1)
			if msg != "" {
				return code, msg
			}
			n = l
		case 0x05: // binary: length, subtype, bytes
			if len(rest) < 5 {
				return bad, "BSON size is larger than buffer size"
			}
			l := int64(binary.LittleEndian.Uint32(rest))
			if 5+l > int64(len(rest)) {
				return bad, "BSON size is larger than buffer size"
			}
			// The old binary subtype 2 repeats the length inside; the
			// drivers reject a mismatch, so we do too.
			if rest[4] == 0x02 && (l < 4 || int64(binary.LittleEndian.Uint32(rest[5:])) != l-4) {
				return bad, "Invalid BSON binary subtype 2 length"
			}
			n = 5 + int(l)
		case 0x0B: // regex: pattern and options cstrings
			a := indexNul(rest)
			if a < 0 {
				return bad, "BSON size is larger than buffer size"
			}
			c := indexNul(rest[a+1:])
			if c < 0 {
				return bad, "BSON size is larger than buffer size"
			}
			n = a + 1 + c + 1
		case 0x0F: // code with scope: total length, code string, scope document
			if len(rest) < 4 {
				return bad, "BSON size is larger than buffer size"
			}
			total := int64(int32(binary.LittleEndian.Uint32(rest)))
			if total < 14 || total > int64(len(rest)) {
				return bad, "BSON size is larger than buffer size"
			}
			l, msg := stringLen(rest[4:total])
			if msg != "" {
				return bad, msg
			}
			s, code, msg := v.nested(rest[4+l:total], depth+1)
			if msg != "" {
				return code, msg
			}
			if int64(4+l+s) != total {
				return bad, "incorrect BSON length"
			}
			n = int(total)
		default:
			return bad, "Unrecognized BSON type " + itoa(int(t))
		}
		if n > len(rest) {
			return bad, "BSON size is larger than buffer size"
		}
		p += n
	}
	return 0, ""
}

// stringLen checks the length-prefixed, NUL-terminated string at the
// start of b and returns its encoded length.
func stringLen(b []byte) (int, string) {
	if len(b) < 4 {
		return 0, "BSON size is larger than buffer size"
	}
	l := int64(binary.LittleEndian.Uint32(b))
	if 4+l > int64(len(b)) {
		return 0, "BSON size is larger than buffer size"
	}
	if l < 1 || b[4+l-1] != 0 {
		return 0, "Not null terminated string"
	}
	return 4 + int(l), ""
}

func indexNul(b []byte) int { return bytes.IndexByte(b, 0) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [12]byte
	i := len(buf)
	for ; n > 0; n /= 10 {
		i--
		buf[i] = byte('0' + n%10)
	}
	return string(buf[i:])
}
