package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ValidateDocument checks that doc is one well-formed BSON document:
// consistent lengths, known element types, terminated names and strings,
// valid booleans, and nesting no deeper than maxDepth. It makes one pass
// and allocates nothing on success.
func ValidateDocument(doc []byte, maxDepth int) error {
	n, err := validateDoc(doc, 1, maxDepth)
	if err != nil {
		return err
	}
	if n != len(doc) {
		return errors.New("trailing bytes after document")
	}
	return nil
}

var errShort = errors.New("unexpected end of document")

// validateDoc validates the document at the start of b and returns its
// length.
func validateDoc(b []byte, depth, maxDepth int) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("BSONObj exceeds maximum nested object depth: %d", maxDepth)
	}
	if len(b) < 5 {
		return 0, errShort
	}
	size := int(int32(binary.LittleEndian.Uint32(b)))
	if size < 5 || size > len(b) {
		return 0, fmt.Errorf("invalid document length %d", size)
	}
	if b[size-1] != 0 {
		return 0, errors.New("document is not terminated by a null byte")
	}
	p := 4
	end := size - 1
	for p < end {
		t := b[p]
		p++
		// element name
		nul := indexNul(b[p:end])
		if nul < 0 {
			return 0, errors.New("element name is not terminated")
		}
		p += nul + 1
		rest := b[p:end]
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
		case 0x08: // bool
			if len(rest) < 1 {
				return 0, errShort
			}
			if rest[0] > 1 {
				return 0, errors.New("invalid boolean value")
			}
			n = 1
		case 0x06, 0x0A, 0x7F, 0xFF: // undefined, null, maxKey, minKey
			n = 0
		case 0x02, 0x0D, 0x0E: // string, JavaScript, symbol
			l, err := validateString(rest)
			if err != nil {
				return 0, err
			}
			n = l
		case 0x03, 0x04: // document, array
			l, err := validateDoc(rest, depth+1, maxDepth)
			if err != nil {
				return 0, err
			}
			n = l
		case 0x05: // binary
			if len(rest) < 5 {
				return 0, errShort
			}
			l := int(int32(binary.LittleEndian.Uint32(rest)))
			if l < 0 || 5+l > len(rest) {
				return 0, errors.New("invalid binary length")
			}
			if rest[4] == 0x02 { // old binary: inner length must agree
				if l < 4 || int(int32(binary.LittleEndian.Uint32(rest[5:]))) != l-4 {
					return 0, errors.New("invalid old binary length")
				}
			}
			n = 5 + l
		case 0x0B: // regex: two cstrings
			a := indexNul(rest)
			if a < 0 {
				return 0, errors.New("regex pattern is not terminated")
			}
			c := indexNul(rest[a+1:])
			if c < 0 {
				return 0, errors.New("regex options are not terminated")
			}
			n = a + 1 + c + 1
		case 0x0C: // DBPointer
			l, err := validateString(rest)
			if err != nil {
				return 0, err
			}
			n = l + 12
		case 0x0F: // code with scope
			if len(rest) < 4 {
				return 0, errShort
			}
			total := int(int32(binary.LittleEndian.Uint32(rest)))
			if total < 14 || total > len(rest) {
				return 0, errors.New("invalid code-with-scope length")
			}
			l, err := validateString(rest[4:total])
			if err != nil {
				return 0, err
			}
			s, err := validateDoc(rest[4+l:total], depth+1, maxDepth)
			if err != nil {
				return 0, err
			}
			if 4+l+s != total {
				return 0, errors.New("code-with-scope length does not match its contents")
			}
			n = total
		default:
			return 0, fmt.Errorf("unknown BSON type %d", t)
		}
		if n > len(rest) {
			return 0, errShort
		}
		p += n
	}
	if p != end {
		return 0, errors.New("element overruns document")
	}
	return size, nil
}

func validateString(b []byte) (int, error) {
	if len(b) < 5 {
		return 0, errShort
	}
	l := int(int32(binary.LittleEndian.Uint32(b)))
	if l < 1 || 4+l > len(b) {
		return 0, errors.New("invalid string length")
	}
	if b[4+l-1] != 0 {
		return 0, errors.New("string is not null-terminated")
	}
	return 4 + l, nil
}

func indexNul(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
