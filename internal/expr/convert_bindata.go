package expr

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/secantusdb/secantus/internal/mongoerr"
)

// binData conversions of $convert (new in MongoDB 8.0): string to binData
// and back under a 'format', and binData to binData of the same subtype.

func cvToBinData(in bson.RawValue, target cvTarget, format cvFormat) (bson.RawValue, error) {
	switch in.Type {
	case bson.TypeString:
		if format == cvFormatNone {
			return bson.RawValue{}, cvFormatMissing(in.Type, bson.TypeBinary)
		}
		subtype, err := cvBinDataSubtype(target.subtype)
		if err != nil {
			return bson.RawValue{}, err
		}
		s := in.StringValue()
		data, reason := cvDecodeString(s, format, subtype)
		if reason != "" {
			return bson.RawValue{}, cvFail("Failed to parse BinData '%s' in $convert with no onError value: %s", s, reason)
		}
		return bson.RawValue{Type: bson.TypeBinary, Value: bsoncore.AppendBinary(nil, subtype, data)}, nil
	case bson.TypeBinary:
		subtype, err := cvBinDataSubtype(target.subtype)
		if err != nil {
			return bson.RawValue{}, err
		}
		st, _, _ := in.BinaryOK()
		if st != subtype {
			return bson.RawValue{}, cvFail("Conversions between different BinData subtypes are not supported")
		}
		return in, nil
	}
	// Numbers to binData came in 8.1 ('byteOrder'); 8.0 refuses them.
	return bson.RawValue{}, cvUnsupported(in.Type, bson.TypeBinary)
}

// cvBinDataSubtype is mongod's computeBinDataType: a number naming a
// predefined subtype (0-8) or a user-defined one (128-255).
func cvBinDataSubtype(v bson.RawValue) (byte, error) {
	if !numeric(v) {
		return 0, mongoerr.Newf(cvSubtypeNotNumber, "For BinData, $convert's 'subtype' argument must be a number, but is %s", typeName(v))
	}
	n, ok := int32Exact(v)
	if !ok {
		return 0, mongoerr.New(cvSubtypeNotInteger, "In $convert, numeric 'subtype' argument is not an integer")
	}
	if !(n >= 0 && n <= 8 || n >= 128 && n <= 255) {
		return 0, mongoerr.Newf(cvSubtypeInvalid, "In $convert, numeric value for 'subtype' does not correspond to a BinData type: %d", n)
	}
	return byte(n), nil
}

// cvDecodeString decodes a string under a format; reason is the text
// mongod appends to its "Failed to parse BinData" message.
func cvDecodeString(s string, format cvFormat, subtype byte) ([]byte, string) {
	if (format == cvFormatUUID) != (subtype == cvSubtypeUUID) {
		return nil, "Only the 'uuid' format is allowed with the UUID subtype"
	}
	switch format {
	case cvFormatBase64:
		if len(s)%4 != 0 {
			return nil, "invalid base64"
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, "Invalid base64 character"
		}
		return b, ""
	case cvFormatBase64URL:
		// base64url needs no padding, but a last block of one character
		// cannot encode a byte.
		trimmed := strings.TrimRight(s, "=")
		if len(trimmed)%4 == 1 {
			return nil, "invalid base64"
		}
		b, err := base64.RawURLEncoding.DecodeString(trimmed)
		if err != nil {
			return nil, "Invalid base64 character"
		}
		return b, ""
	case cvFormatHex:
		if len(s)%2 != 0 {
			return nil, "Hex blob with odd digit count"
		}
		for i := 0; i < len(s); i++ {
			if !cvIsHexDigit(s[i]) {
				return nil, fmt.Sprintf(`The character \x%02x failed to parse from hex.`, s[i])
			}
		}
		b, _ := hex.DecodeString(s)
		return b, ""
	case cvFormatUTF8:
		if !utf8.ValidString(s) {
			return nil, "Invalid UTF-8: " + s
		}
		return []byte(s), ""
	case cvFormatUUID:
		b, ok := cvParseUUID(s)
		if !ok {
			return nil, "Invalid UUID string: " + s
		}
		return b, ""
	}
	return nil, "Invalid format '" + format.String() + "'"
}

// cvParseUUID reads the canonical 8-4-4-4-12 hex form, either case.
func cvParseUUID(s string) ([]byte, bool) {
	if len(s) != 36 {
		return nil, false
	}
	var digits []byte
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return nil, false
			}
			continue
		}
		if !cvIsHexDigit(s[i]) {
			return nil, false
		}
		digits = append(digits, s[i])
	}
	b, _ := hex.DecodeString(string(digits))
	return b, true
}

func cvFormatUUIDString(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// cvBinDataToString encodes binData under a format.
func cvBinDataToString(in bson.RawValue, format cvFormat) (string, error) {
	subtype, data, _ := in.BinaryOK()
	isUUID := subtype == cvSubtypeUUID && len(data) == 16
	fail := func(reason string) (string, error) {
		// mongod prints the value as Value::toString does: BinData(<subtype>, <HEX>).
		return "", cvFail("Failed to convert 'BinData(%d, %s)' to string in $convert with no onError value: %s",
			subtype, strings.ToUpper(hex.EncodeToString(data)), reason)
	}
	switch format {
	case cvFormatAuto:
		if isUUID {
			return cvFormatUUIDString(data), nil
		}
		return base64.StdEncoding.EncodeToString(data), nil
	case cvFormatBase64:
		return base64.StdEncoding.EncodeToString(data), nil
	case cvFormatBase64URL:
		return base64.RawURLEncoding.EncodeToString(data), nil
	case cvFormatHex:
		return strings.ToUpper(hex.EncodeToString(data)), nil
	case cvFormatUTF8:
		if !utf8.Valid(data) {
			return fail("BinData does not represent a valid UTF-8 string")
		}
		return string(data), nil
	case cvFormatUUID:
		if !isUUID {
			return fail("BinData does not represent a valid UUID")
		}
		return cvFormatUUIDString(data), nil
	}
	return fail("Invalid format '" + format.String() + "'")
}
