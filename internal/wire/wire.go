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
	"strings"
	"sync"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// Opcodes of the message header. Any other opcode read from a client
// (the legacy OP_INSERT, OP_GET_MORE, … removed in MongoDB 6.0) is
// rejected.
const (
	OpReply      int32 = 1    // OpReply is OP_REPLY, the answer to an OP_QUERY.
	OpQueryCode  int32 = 2004 // OpQueryCode is the legacy OP_QUERY, used by first handshakes.
	OpCompressed int32 = 2012 // OpCompressed is OP_COMPRESSED, wrapping another message.
	OpMsgCode    int32 = 2013 // OpMsgCode is OP_MSG, the message of every modern command.
)

// OP_MSG flag bits. Bits 0-15 are required (an unknown one set makes
// mongod close the connection), bits 16-31 are optional.
const (
	FlagChecksumPresent uint32 = 1 << 0  // FlagChecksumPresent: a CRC-32C of the message ends it.
	FlagMoreToCome      uint32 = 1 << 1  // FlagMoreToCome: no reply expected (or more replies follow).
	FlagExhaustAllowed  uint32 = 1 << 16 // FlagExhaustAllowed: the client accepts moreToCome replies.
)

// Limits, as mongod reports them in hello.
const (
	// MaxMessageSize is maxMessageSizeBytes: the longest frame accepted.
	MaxMessageSize = 48_000_000
	// MaxBSONObjectSize is maxBsonObjectSize, the largest user document.
	MaxBSONObjectSize = 16 * 1024 * 1024
	// BSONObjectSizeOverhead is the room mongod allows a command body
	// beyond MaxBSONObjectSize (BSONObjMaxInternalSize = 16 MiB + 16 KiB).
	BSONObjectSizeOverhead = 16 * 1024
)

// Compressor ids of OP_COMPRESSED, as the compression spec numbers them.
const (
	CompressorNoop   uint8 = 0 // CompressorNoop sends the message unchanged.
	CompressorSnappy uint8 = 1 // CompressorSnappy is snappy (block format).
	CompressorZlib   uint8 = 2 // CompressorZlib is zlib (RFC 1950).
	CompressorZstd   uint8 = 3 // CompressorZstd is Zstandard.
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

// Header is the standard message header. For a frame that arrived as
// OP_COMPRESSED, Message.Header describes the decompressed message
// (original opcode, uncompressed length).
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

// FrameError is a bad frame, with mongod's code and message for it.
//
// When Fatal is false the frame was read whole and only its content is
// bad: the caller answers RequestID with an error reply built from Code
// and Msg, and keeps the connection.
//
// When Fatal is true the caller closes the connection without replying.
// That covers a stream that can no longer be trusted (bad length, short
// read), and also frames that were read whole but for which mongod closes
// the connection: its ConnectionFatalMessageParseError codes
// (IllegalOpMsgFlag, TooManyDocumentSequences, ChecksumMismatch) and every
// OP_COMPRESSED that cannot be decompressed. RequestID is then set when
// known, for logging.
type FrameError struct {
	Fatal     bool
	Code      mongoerr.Code
	Msg       string
	RequestID int32
}

// Error returns the message, as mongod words it.
func (e *FrameError) Error() string { return e.Msg }

func fatal(format string, args ...any) error {
	return &FrameError{Fatal: true, Code: mongoerr.ProtocolError, Msg: fmt.Sprintf(format, args...)}
}

// closing is a frame that was read whole but for which mongod closes the
// connection instead of answering: its ConnectionFatalMessageParseError
// codes (IllegalOpMsgFlag, TooManyDocumentSequences, ChecksumMismatch) and
// any failure to decompress.
func closing(id int32, code mongoerr.Code, msg string) error {
	return &FrameError{Fatal: true, Code: code, Msg: msg, RequestID: id}
}

func invalid(id int32, code mongoerr.Code, msg string) error {
	return &FrameError{Code: code, Msg: msg, RequestID: id}
}

// ReadMessage reads one frame from r (an OP_MSG, an OP_QUERY, or an
// OP_COMPRESSED wrapping one of them, which it decompresses) and checks
// it fully, every BSON document included. Frames longer than maxSize, or
// declaring an uncompressed size beyond it, are rejected before anything
// of that size is allocated. At a clean end of stream it returns io.EOF,
// after a partial header io.ErrUnexpectedEOF; every other failure is a
// *FrameError. The returned documents alias a buffer owned by the Message.
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
	if h.MessageLength < 16 || int64(h.MessageLength) > int64(maxSize) {
		return nil, fatal("recv(): message msgLen %d is invalid. Min 16 Max: %d", h.MessageLength, maxSize)
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
		// mongod ends the session when a compressed frame cannot be
		// unpacked (message_compressor_manager.cpp), so all of these are
		// fatal even though the frame itself was read whole.
		if len(body) < 9 {
			return nil, closing(h.RequestID, mongoerr.BadValue, "Invalid compressed message header")
		}
		orig := int32(binary.LittleEndian.Uint32(body[0:]))
		size := int32(binary.LittleEndian.Uint32(body[4:]))
		id := body[8]
		if id > CompressorZstd {
			return nil, closing(h.RequestID, mongoerr.InternalError, "Compression algorithm specified in message is not available")
		}
		if size < 0 || int64(size)+16 > int64(maxSize) {
			return nil, closing(h.RequestID, mongoerr.BadValue, "Decompressed message would be larger than maximum message size")
		}
		if orig == OpCompressed {
			return nil, closing(h.RequestID, mongoerr.BadValue, "OP_COMPRESSED cannot wrap another OP_COMPRESSED message")
		}
		data, err := decompress(id, body[9:], int(size))
		if err != nil {
			return nil, closing(h.RequestID, mongoerr.BadValue, err.Error())
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
		return nil, invalid(h.RequestID, mongoerr.ProtocolError, fmt.Sprintf("Unsupported opcode %d", h.OpCode))
	}
	return m, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func parseMsg(h Header, hdr, body []byte) (*OpMsg, error) {
	id := h.RequestID
	if len(body) < 4 {
		return nil, invalid(id, mongoerr.ProtocolError, "Invalid OP_MSG: message is too short to hold its flags")
	}
	flags := binary.LittleEndian.Uint32(body)
	// Bits 0-15 are required: a peer setting one we do not know expects
	// behaviour we cannot give. Bits 16-31 are optional and ignored.
	if flags&0xFFFF&^(FlagChecksumPresent|FlagMoreToCome) != 0 {
		return nil, closing(id, mongoerr.IllegalOpMsgFlag, fmt.Sprintf("Message contains illegal flags value: Ob%032b", flags))
	}
	sections := body[4:]
	if flags&FlagChecksumPresent != 0 {
		if len(sections) < 4 {
			return nil, closing(id, mongoerr.ChecksumMismatch, "OP_MSG checksum does not match contents")
		}
		want := binary.LittleEndian.Uint32(sections[len(sections)-4:])
		crc := crc32.Update(0, castagnoli, hdr)
		crc = crc32.Update(crc, castagnoli, body[:len(body)-4])
		if crc != want {
			return nil, closing(id, mongoerr.ChecksumMismatch, "OP_MSG checksum does not match contents")
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
				return nil, invalid(id, mongoerr.Location40430, "Multiple body sections in message")
			}
			doc, rest, err := readDoc(sections, MaxBSONObjectSize+BSONObjectSizeOverhead)
			if err != nil {
				return nil, invalid(id, codeOf(err), err.Error())
			}
			msg.Body, sections = doc, rest
		case 1:
			// mongod accepts at most two sequences (bulkWrite's ops and
			// nsInfo) and closes the connection beyond that.
			if len(msg.Sequences) >= 2 {
				return nil, closing(id, mongoerr.TooManyDocumentSequences, "Too many document sequences in OP_MSG")
			}
			if len(sections) < 4 {
				return nil, invalid(id, mongoerr.ProtocolError, "Invalid OP_MSG: document sequence size overruns the message")
			}
			size := int64(int32(binary.LittleEndian.Uint32(sections)))
			if size < 5 || size > int64(len(sections)) {
				return nil, invalid(id, mongoerr.ProtocolError, fmt.Sprintf("Invalid OP_MSG: document sequence size %d does not fit the message", size))
			}
			seq := sections[4:size]
			sections = sections[size:]
			nul := bytes.IndexByte(seq, 0)
			if nul < 0 {
				return nil, invalid(id, mongoerr.ProtocolError, "Invalid OP_MSG: document sequence identifier is not null-terminated")
			}
			s := Sequence{Identifier: string(seq[:nul])}
			for _, other := range msg.Sequences {
				if other.Identifier == s.Identifier {
					return nil, invalid(id, mongoerr.Location40431, "Duplicate document sequence: "+s.Identifier)
				}
			}
			seq = seq[nul+1:]
			for len(seq) > 0 {
				doc, rest, err := readDoc(seq, MaxBSONObjectSize+BSONObjectSizeOverhead)
				if err != nil {
					return nil, invalid(id, codeOf(err), err.Error())
				}
				s.Documents = append(s.Documents, doc)
				seq = rest
			}
			msg.Sequences = append(msg.Sequences, s)
		default:
			return nil, invalid(id, mongoerr.Location40432, fmt.Sprintf("Unknown section kind %d", kind))
		}
	}
	if msg.Body == nil {
		return nil, invalid(id, mongoerr.Location40587, "OP_MSG messages must have a body")
	}
	for _, s := range msg.Sequences {
		if inBody(msg.Body, s.Identifier) {
			return nil, invalid(id, mongoerr.Location40433, "Duplicate field between body and document sequence "+s.Identifier)
		}
	}
	return msg, nil
}

// inBody reports whether the dotted path ident names a field of body,
// following the path through embedded documents and arrays as mongod does.
func inBody(body bson.Raw, ident string) bool {
	if ident == "" {
		_, err := body.LookupErr("")
		return err == nil
	}
	_, err := body.LookupErr(strings.Split(ident, ".")...)
	return err == nil
}

type sizeError struct{ size int }

func (e sizeError) Error() string {
	return fmt.Sprintf("BSONObj size: %d (0x%X) is invalid. Size must be between 0 and 16793600(16MB)", e.size, uint32(int32(e.size)))
}

func codeOf(err error) mongoerr.Code {
	var se sizeError
	if errors.As(err, &se) {
		return mongoerr.BSONObjectTooLarge
	}
	var me *mongoerr.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return mongoerr.InvalidBSON
}

// readDoc reads and validates one BSON document from the start of b.
func readDoc(b []byte, max int) (bson.Raw, []byte, error) {
	if len(b) < 5 {
		return nil, nil, mongoerr.New(mongoerr.InvalidBSON, "BSON data has to be at least 5 bytes")
	}
	size := int(int32(binary.LittleEndian.Uint32(b)))
	if size < 5 || size > max {
		return nil, nil, sizeError{size}
	}
	if size > len(b) {
		return nil, nil, mongoerr.New(mongoerr.InvalidBSON, "Incorrect BSON length")
	}
	if err := ValidateDocument(b[:size], MaxNestingDepth); err != nil {
		return nil, nil, err
	}
	return bson.Raw(b[:size]), b[size:], nil
}

func parseQuery(h Header, body []byte) (*OpQuery, error) {
	id := h.RequestID
	short := invalid(id, mongoerr.ProtocolError, "Invalid OP_QUERY: message is too short")
	if len(body) < 4 {
		return nil, short
	}
	q := &OpQuery{Flags: int32(binary.LittleEndian.Uint32(body))}
	body = body[4:]
	nul := bytes.IndexByte(body, 0)
	if nul < 0 {
		return nil, invalid(id, mongoerr.ProtocolError, "Invalid OP_QUERY: collection name is not null-terminated")
	}
	q.FullCollectionName = string(body[:nul])
	body = body[nul+1:]
	if len(body) < 8 {
		return nil, short
	}
	q.NumberToSkip = int32(binary.LittleEndian.Uint32(body))
	q.NumberToReturn = int32(binary.LittleEndian.Uint32(body[4:]))
	doc, rest, err := readDoc(body[8:], MaxBSONObjectSize+BSONObjectSizeOverhead)
	if err != nil {
		return nil, invalid(id, codeOf(err), err.Error())
	}
	q.Query = doc
	if len(rest) > 0 {
		sel, rest2, err := readDoc(rest, MaxBSONObjectSize)
		if err != nil {
			return nil, invalid(id, codeOf(err), err.Error())
		}
		if len(rest2) != 0 {
			return nil, invalid(id, mongoerr.ProtocolError, "Invalid OP_QUERY: trailing bytes after the field selector")
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
			return nil, errShortDecompression
		}
		out, err = snappy.Decode(make([]byte, n), data)
	case CompressorZlib:
		out = make([]byte, size)
		err = inflate(data, out)
	case CompressorZstd:
		// Refuse early when the frame header announces another size, so a
		// small frame cannot make the decoder allocate a large window.
		var fh zstd.Header
		if herr := fh.Decode(data); herr != nil {
			return nil, herr
		}
		if fh.HasFCS && fh.FrameContentSize != uint64(size) {
			return nil, errShortDecompression
		}
		initZstd()
		out, err = zstdDec.DecodeAll(data, make([]byte, 0, size))
	default:
		return nil, fmt.Errorf("unknown compressor id %d", id)
	}
	if err != nil {
		return nil, err
	}
	if len(out) != size {
		return nil, errShortDecompression
	}
	return out, nil
}

var errShortDecompression = errors.New("Decompressing message returned less data than expected")

var zlibReaders sync.Pool

// inflate decompresses the zlib stream data into out, which must be
// filled exactly. Readers are pooled: each holds a 32 KiB window.
func inflate(data, out []byte) error {
	src := bytes.NewReader(data)
	var zr io.ReadCloser
	if r, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := r.(zlib.Resetter).Reset(src, nil); err != nil {
			return err
		}
		zr = r
	} else {
		r, err := zlib.NewReader(src)
		if err != nil {
			return err
		}
		zr = r
	}
	defer zlibReaders.Put(zr)
	if _, err := io.ReadFull(zr, out); err != nil {
		return errShortDecompression
	}
	var one [1]byte
	if n, _ := zr.Read(one[:]); n != 0 {
		return errors.New("Decompressing message returned more data than expected")
	}
	return nil
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

// AppendOpMsg appends m as a complete OP_MSG: its document sequences
// first, then its body (the order mongod writes them), and a CRC-32C
// checksum when m.Flags has FlagChecksumPresent.
func AppendOpMsg(dst []byte, requestID, responseTo int32, m *OpMsg) []byte {
	start := len(dst)
	dst = appendHeader(dst, requestID, responseTo, OpMsgCode)
	dst = binary.LittleEndian.AppendUint32(dst, m.Flags)
	for _, s := range m.Sequences {
		dst = append(dst, 1)
		sstart := len(dst)
		dst = binary.LittleEndian.AppendUint32(dst, 0)
		dst = append(dst, s.Identifier...)
		dst = append(dst, 0)
		for _, d := range s.Documents {
			dst = append(dst, d...)
		}
		binary.LittleEndian.PutUint32(dst[sstart:], uint32(len(dst)-sstart))
	}
	dst = append(dst, 0)
	dst = append(dst, m.Body...)
	return finishMsg(dst, start, m.Flags)
}

// finishMsg sets the length of the OP_MSG starting at dst[start] and
// appends its checksum when flags ask for one.
func finishMsg(dst []byte, start int, flags uint32) []byte {
	if flags&FlagChecksumPresent != 0 {
		binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start+4))
		return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
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
