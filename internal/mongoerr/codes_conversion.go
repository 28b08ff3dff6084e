package mongoerr

// ConversionFailure is mongod's error for a value that cannot be
// converted: $convert and its aliases without onError, and date strings
// $dateFromString and $toDate cannot parse.
const ConversionFailure Code = 241

func init() { codeNames[ConversionFailure] = "ConversionFailure" }
