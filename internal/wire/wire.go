// Package wire reads and writes MongoDB wire-protocol frames: OP_MSG
// (flag bits, CRC-32C checksums, kind-0 bodies and kind-1 document
// sequences), the legacy OP_QUERY handshake and its OP_REPLY answer, and
// OP_COMPRESSED with snappy, zlib and zstd. It enforces the frame limits
// and validates every BSON document it hands out.
package wire

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Opcodes.
const (
	OpReply      int32 = 1
	OpQueryCode  int32 = 2004
	OpCompressed int32 = 2012
	OpMsgCode    int32 = 2013
)

// OP_MSG flag bits.
const (
	FlagChecksumPresent uint32 = 1 << 0
	FlagMoreToCome      uint32 = 1 << 1
	FlagExhaustAllowed  uint32 = 1 << 16
)

// Limits, as mongod reports them.
const (
	MaxMessageSize         = 48_000_000
	MaxBSONObjectSize      = 16 * 1024 * 1024
	BSONObjectSizeOverhead = 16 * 1024
	// MaxNestingDepth is mongod's BSONDepth::kDefaultMaxAllowableDepth.
	MaxNestingDepth = 200
)

// Compressor ids of OP_COMPRESSED.
const (
	CompressorNoop   uint8 = 0
	CompressorSnappy uint8 = 1
	CompressorZlib   uint8 = 2
	CompressorZstd   uint8 = 3
)

// CompressorByName maps a compressor name from hello's compression list
// to its id.
func CompressorByName(name string) (uint8, bool) {
	switch name {
	case "snappy":
		return CompressorSnappy, true
	case "zlib":
		return CompressorZlib, true
	case "zstd":
		return CompressorZstd, true
	}
	return 0, false
}

// Header is the standard message header.
type Header struct {
	MessageLength, RequestID, ResponseTo, OpCode int32
}

// Sequence is an OP_MSG kind-1 section.
type Sequence struct {
	Identifier string
	Documents  []bson.Raw
}

// OpMsg is a parsed OP_MSG.
type OpMsg struct {
	Flags     uint32
	Body      bson.Raw
	Sequences []Sequence
}

// OpQuery is a parsed legacy OP_QUERY.
type OpQuery struct {
	Flags                int32
	FullCollectionName   string
	NumberToSkip         int32
	NumberToReturn       int32
	Query                bson.Raw
	ReturnFieldsSelector bson.Raw
}

// Message is one frame read from a client.
type Message struct {
	Header Header
	// Compressed is set when the frame arrived as OP_COMPRESSED, with
	// CompressorID the compressor used (replies use the same one).
	Compressed   bool
	CompressorID uint8
	Msg          *OpMsg
	Query        *OpQuery
}

// FrameError is a bad frame. When Fatal, the byte stream can no longer be
// trusted and the connection must be closed; otherwise the frame was read
// whole (RequestID is known) and an error reply can be sent.
type FrameError struct {
	Fatal     bool
	Code      mongoerr.Code
	Msg       string
	RequestID int32
}

func (e *FrameError) Error() string { return e.Msg }

func fatal(format string, args ...any) error {
	return &FrameError{Fatal: true, Code: mongoerr.ProtocolError, Msg: fmt.Sprintf(format, args...)}
}

func invalid(id int32, code mongoerr.Code, format string, args ...any) error {
	return &FrameError{Code: code, Msg: fmt.Sprintf(format, args...), RequestID: id}
}

// ReadMessage reads one frame from r. Frames longer than maxSize, or
// declaring an uncompressed size beyond it, are rejected before any
// allocation of that size.
func ReadMessage(r io.Reader, maxSize int) (*Message, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	h := Header{
		MessageLength: int32(binary.LittleEndian.Uint32(hdr[0:])),
		RequestID:     int32(binary.LittleEndian.Uint32(hdr[4:])),
		ResponseTo:    int32(binary.LittleEndian.Uint32(hdr[8:])),
		OpCode:        int32(binary.LittleEndian.Uint32(hdr[12:])),
	}
	if h.MessageLength < 16 || int(h.MessageLength) > maxSize {
		return nil, fatal("message length %d is out of range [16, %d]", h.MessageLength, maxSize)
	}
	body := make([]byte, h.MessageLength-16)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fatal("short message: %v", err)
	}
	return parse(h, hdr[:], body, maxSize)
}

// ParseMessage parses a whole frame held in memory (header included).
func ParseMessage(frame []byte, maxSize int) (*Message, error) {
	return ReadMessage(bytes.NewReader(frame), maxSize)
}

func parse(h Header, hdr, body []byte, maxSize int) (*Message, error) {
	m := &Message{Header: h}
	if h.OpCode == OpCompressed {
		if len(body) < 9 {
			return nil, invalid(h.RequestID, mongoerr.ProtocolError, "OP_COMPRESSED message is too short")
		}
		orig := int32(binary.LittleEndian.Uint32(body[0:]))
		size := int32(binary.LittleEndian.Uint32(body[4:]))
		id := body[8]
		if size < 0 || int(size)+16 > maxSize {
			return nil, invalid(h.RequestID, mongoerr.ProtocolError, "OP_COMPRESSED uncompressed size %d is out of range", size)
		}
		if orig == OpCompressed {
			return nil, invalid(h.RequestID, mongoerr.ProtocolError, "OP_COMPRESSED cannot wrap OP_COMPRESSED")
		}
		data, err := decompress(id, body[9:], int(size))
		if err != nil {
			return nil, invalid(h.RequestID, mongoerr.ProtocolError, "could not decompress message: %v", err)
		}
		m.Compressed, m.CompressorID = true, id
		h.OpCode = orig
		h.MessageLength = size + 16
		m.Header = h
		body = data
		// Rebuild the header the checksum covers.
		hdr = make([]byte, 16)
		binary.LittleEndian.PutUint32(hdr[0:], uint32(h.MessageLength))
		binary.LittleEndian.PutUint32(hdr[4:], uint32(h.RequestID))
		binary.LittleEndian.PutUint32(hdr[8:], uint32(h.ResponseTo))
		binary.LittleEndian.PutUint32(hdr[12:], uint32(h.OpCode))
	}
	switch h.OpCode {
	case OpMsgCode:
		msg, err := parseMsg(h, hdr, body)
		if err != nil {
			return nil, err
		}
		m.Msg = msg
	case OpQueryCode:
		q, err := parseQuery(h, body)
		if err != nil {
			return nil, err
		}
		m.Query = q
	default:
		return nil, invalid(h.RequestID, mongoerr.ProtocolError, "unsupported opcode %d", h.OpCode)
	}
	return m, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func parseMsg(h Header, hdr, body []byte) (*OpMsg, error) {
	id := h.RequestID
	if len(body) < 5 {
		return nil, invalid(id, mongoerr.ProtocolError, "OP_MSG is too short")
	}
	flags := binary.LittleEndian.Uint32(body)
	// Bits 0-15 are required: unknown ones must make the message fail.
	if flags&0xFFFF&^(FlagChecksumPresent|FlagMoreToCome) != 0 {
		return nil, invalid(id, mongoerr.ProtocolError, "Unrecognized field in OP_MSG flags: %#x", flags)
	}
	sections := body[4:]
	if flags&FlagChecksumPresent != 0 {
		if len(sections) < 4 {
			return nil, invalid(id, mongoerr.ProtocolError, "OP_MSG checksum is missing")
		}
		want := binary.LittleEndian.Uint32(sections[len(sections)-4:])
		crc := crc32.Update(0, castagnoli, hdr)
		crc = crc32.Update(crc, castagnoli, body[:len(body)-4])
		if crc != want {
			return nil, invalid(id, mongoerr.ChecksumMismatch, "OP_MSG checksum does not match contents")
		}
		sections = sections[:len(sections)-4]
	}
	msg := &OpMsg{Flags: flags}
	for len(sections) > 0 {
		kind := sections[0]
		sections = sections[1:]
		switch kind {
		case 0:
			if msg.Body != nil {
				return nil, invalid(id, mongoerr.ProtocolError, "Multiple body sections in message")
			}
			doc, rest, err := readDoc(sections, MaxBSONObjectSize+BSONObjectSizeOverhead)
			if err != nil {
				return nil, invalid(id, codeOf(err), "invalid OP_MSG body: %v", err)
			}
			msg.Body, sections = doc, rest
		case 1:
			if len(sections) < 4 {
				return nil, invalid(id, mongoerr.ProtocolError, "document sequence is too short")
			}
			size := int(int32(binary.LittleEndian.Uint32(sections)))
			if size < 5 || size > len(sections) {
				return nil, invalid(id, mongoerr.ProtocolError, "invalid document sequence size %d", size)
			}
			seq := sections[4:size]
			sections = sections[size:]
			nul := bytes.IndexByte(seq, 0)
			if nul < 0 {
				return nil, invalid(id, mongoerr.ProtocolError, "document sequence identifier is not terminated")
			}
			s := Sequence{Identifier: string(seq[:nul])}
			for _, other := range msg.Sequences {
				if other.Identifier == s.Identifier {
					return nil, invalid(id, mongoerr.ProtocolError, "Duplicate document sequence: %s", s.Identifier)
				}
			}
			seq = seq[nul+1:]
			for len(seq) > 0 {
				doc, rest, err := readDoc(seq, MaxBSONObjectSize)
				if err != nil {
					return nil, invalid(id, codeOf(err), "invalid document in sequence %s: %v", s.Identifier, err)
				}
				s.Documents = append(s.Documents, doc)
				seq = rest
			}
			msg.Sequences = append(msg.Sequences, s)
		default:
			return nil, invalid(id, mongoerr.ProtocolError, "Unknown section kind %d", kind)
		}
	}
	if msg.Body == nil {
		return nil, invalid(id, mongoerr.ProtocolError, "OP_MSG does not contain a body section")
	}
	for _, s := range msg.Sequences {
		if _, err := msg.Body.LookupErr(s.Identifier); err == nil {
			return nil, invalid(id, mongoerr.ProtocolError, "Duplicate field %s in body and document sequence", s.Identifier)
		}
	}
	return msg, nil
}

type sizeError struct{ size int }

func (e sizeError) Error() string {
	return fmt.Sprintf("BSONObj size: %d (0x%X) is invalid. Size must be between 0 and 16793600(16MB)", e.size, e.size)
}

func codeOf(err error) mongoerr.Code {
	var se sizeError
	if errors.As(err, &se) {
		return mongoerr.BSONObjectTooLarge
	}
	return mongoerr.InvalidBSON
}

// readDoc reads and validates one BSON document from the start of b.
func readDoc(b []byte, max int) (bson.Raw, []byte, error) {
	if len(b) < 5 {
		return nil, nil, errors.New("document is too short")
	}
	size := int(int32(binary.LittleEndian.Uint32(b)))
	if size > max {
		return nil, nil, sizeError{size}
	}
	if size < 5 || size > len(b) {
		return nil, nil, fmt.Errorf("document length %d does not fit the message", size)
	}
	if err := ValidateDocument(b[:size], MaxNestingDepth); err != nil {
		return nil, nil, err
	}
	return bson.Raw(b[:size]), b[size:], nil
}

func parseQuery(h Header, body []byte) (*OpQuery, error) {
	id := h.RequestID
	if len(body) < 4 {
		return nil, invalid(id, mongoerr.ProtocolError, "OP_QUERY is too short")
	}
	q := &OpQuery{Flags: int32(binary.LittleEndian.Uint32(body))}
	body = body[4:]
	nul := bytes.IndexByte(body, 0)
	if nul < 0 {
		return nil, invalid(id, mongoerr.ProtocolError, "OP_QUERY collection name is not terminated")
	}
	q.FullCollectionName = string(body[:nul])
	body = body[nul+1:]
	if len(body) < 8 {
		return nil, invalid(id, mongoerr.ProtocolError, "OP_QUERY is too short")
	}
	q.NumberToSkip = int32(binary.LittleEndian.Uint32(body))
	q.NumberToReturn = int32(binary.LittleEndian.Uint32(body[4:]))
	doc, rest, err := readDoc(body[8:], MaxBSONObjectSize+BSONObjectSizeOverhead)
	if err != nil {
		return nil, invalid(id, codeOf(err), "invalid OP_QUERY document: %v", err)
	}
	q.Query = doc
	if len(rest) > 0 {
		sel, rest2, err := readDoc(rest, MaxBSONObjectSize)
		if err != nil || len(rest2) != 0 {
			return nil, invalid(id, mongoerr.InvalidBSON, "invalid OP_QUERY field selector")
		}
		q.ReturnFieldsSelector = sel
	}
	return q, nil
}

var (
	zstdDec     *zstd.Decoder
	zstdEnc     *zstd.Encoder
	zstdOnce    sync.Once
	zlibWriters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}
)

func initZstd() {
	zstdOnce.Do(func() {
		zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxMessageSize))
		zstdEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest))
	})
}

func decompress(id uint8, data []byte, size int) ([]byte, error) {
	var out []byte
	var err error
	switch id {
	case CompressorNoop:
		out = data
	case CompressorSnappy:
		n, derr := snappy.DecodedLen(data)
		if derr != nil {
			return nil, derr
		}
		if n != size {
			return nil, fmt.Errorf("snappy length %d does not match the declared %d", n, size)
		}
		out, err = snappy.Decode(make([]byte, n), data)
	case CompressorZlib:
		zr, zerr := zlib.NewReader(bytes.NewReader(data))
		if zerr != nil {
			return nil, zerr
		}
		out = make([]byte, size)
		if _, err = io.ReadFull(zr, out); err == nil {
			var one [1]byte
			if n, _ := zr.Read(one[:]); n != 0 {
				err = errors.New("zlib data is longer than the declared size")
			}
		}
	case CompressorZstd:
		initZstd()
		out, err = zstdDec.DecodeAll(data, make([]byte, 0, size))
	default:
		return nil, fmt.Errorf("unknown compressor id %d", id)
	}
	if err != nil {
		return nil, err
	}
	if len(out) != size {
		return nil, fmt.Errorf("decompressed %d bytes, the header declared %d", len(out), size)
	}
	return out, nil
}

// Compress wraps the whole message msg (header included) in OP_COMPRESSED
// using compressor id, appending to dst.
func Compress(dst []byte, msg []byte, id uint8) ([]byte, error) {
	if len(msg) < 16 {
		return nil, errors.New("message too short")
	}
	start := len(dst)
	dst = append(dst, make([]byte, 25)...)
	copy(dst[start+4:], msg[4:12]) // requestID, responseTo
	binary.LittleEndian.PutUint32(dst[start+12:], uint32(OpCompressed))
	copy(dst[start+16:], msg[12:16]) // original opcode
	binary.LittleEndian.PutUint32(dst[start+20:], uint32(len(msg)-16))
	dst[start+24] = id
	payload := msg[16:]
	switch id {
	case CompressorNoop:
		dst = append(dst, payload...)
	case CompressorSnappy:
		dst = append(dst, snappy.Encode(nil, payload)...)
	case CompressorZlib:
		var buf bytes.Buffer
		zw := zlibWriters.Get().(*zlib.Writer)
		zw.Reset(&buf)
		zw.Write(payload)
		zw.Close()
		zlibWriters.Put(zw)
		dst = append(dst, buf.Bytes()...)
	case CompressorZstd:
		initZstd()
		dst = zstdEnc.EncodeAll(payload, dst)
	default:
		return nil, fmt.Errorf("unknown compressor id %d", id)
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, nil
}

func appendHeader(dst []byte, requestID, responseTo, opcode int32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(requestID))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(responseTo))
	return binary.LittleEndian.AppendUint32(dst, uint32(opcode))
}

// AppendMsg appends an OP_MSG with one body section; with
// FlagChecksumPresent in flags it also appends the CRC-32C checksum.
func AppendMsg(dst []byte, requestID, responseTo int32, flags uint32, body []byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, requestID, responseTo, OpMsgCode)
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	dst = append(dst, 0)
	dst = append(dst, body...)
	if flags&FlagChecksumPresent != 0 {
		binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start+4))
		crc := crc32.Checksum(dst[start:], castagnoli)
		return binary.LittleEndian.AppendUint32(dst, crc)
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// AppendMsgWithSequence appends an OP_MSG with a body and one document
// sequence (used by tests and tools that build requests).
func AppendMsgWithSequence(dst []byte, requestID int32, flags uint32, body []byte, ident string, docs ...[]byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, requestID, 0, OpMsgCode)
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	dst = append(dst, 0)
	dst = append(dst, body...)
	dst = append(dst, 1)
	sstart := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = append(dst, ident...)
	dst = append(dst, 0)
	for _, d := range docs {
		dst = append(dst, d...)
	}
	binary.LittleEndian.PutUint32(dst[sstart:], uint32(len(dst)-sstart))
	if flags&FlagChecksumPresent != 0 {
		binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start+4))
		return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// AppendQuery appends a legacy OP_QUERY (for tests and handshakes).
func AppendQuery(dst []byte, requestID int32, ns string, query []byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, requestID, 0, OpQueryCode)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = append(dst, ns...)
	dst = append(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, 1)
	dst = append(dst, query...)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

// AppendReply appends a legacy OP_REPLY carrying docs.
func AppendReply(dst []byte, requestID, responseTo int32, responseFlags int32, cursorID int64, startingFrom int32, docs ...[]byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, requestID, responseTo, OpReply)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(responseFlags))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(cursorID))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(startingFrom))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(docs)))
	for _, d := range docs {
		dst = append(dst, d...)
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}
