package catalog

import "encoding/binary"

// Key layout in the engine. Every key starts with a one-byte table tag:
//
//	0x01 "format"                         → store format version
//	0x02 db 0x00 coll                     → collection entry (BSON)
//	0x03 collID(8) recordID(8)            → document (BSON)
//	0x04 collID(8) indexID(4) keystring…  → record id (unique) or empty
//
// Collection ids are small integers allocated by the catalog; record ids
// increase per collection, so a record-table scan is natural order.
const (
	tagFormat     = 0x01
	tagCollection = 0x02
	tagRecord     = 0x03
	tagIndex      = 0x04
)

// FormatVersion is the on-disk layout version this build reads and writes.
const FormatVersion = 1

var formatKey = []byte{tagFormat, 'f', 'o', 'r', 'm', 'a', 't'}

func collectionKey(db, coll string) []byte {
	k := make([]byte, 0, 2+len(db)+len(coll))
	k = append(k, tagCollection)
	k = append(k, db...)
	k = append(k, 0)
	return append(k, coll...)
}

func collectionDBPrefix(db string) []byte {
	k := append([]byte{tagCollection}, db...)
	return append(k, 0)
}

// RecordKey is the engine key of a document.
func RecordKey(collID uint64, rid int64) []byte {
	k := make([]byte, 17)
	k[0] = tagRecord
	binary.BigEndian.PutUint64(k[1:], collID)
	binary.BigEndian.PutUint64(k[9:], uint64(rid))
	return k
}

// RecordIDFromKey extracts the record id from a record key.
func RecordIDFromKey(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[9:17])) }

func recordRange(collID uint64) (lo, hi []byte) {
	lo = make([]byte, 9)
	lo[0] = tagRecord
	binary.BigEndian.PutUint64(lo[1:], collID)
	hi = make([]byte, 9)
	hi[0] = tagRecord
	binary.BigEndian.PutUint64(hi[1:], collID+1)
	return lo, hi
}

func indexPrefix(collID uint64, indexID uint32) []byte {
	k := make([]byte, 13, 64)
	k[0] = tagIndex
	binary.BigEndian.PutUint64(k[1:], collID)
	binary.BigEndian.PutUint32(k[9:], indexID)
	return k
}

func collIndexRange(collID uint64) (lo, hi []byte) {
	lo = make([]byte, 9)
	lo[0] = tagIndex
	binary.BigEndian.PutUint64(lo[1:], collID)
	hi = make([]byte, 9)
	hi[0] = tagIndex
	binary.BigEndian.PutUint64(hi[1:], collID+1)
	return lo, hi
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
