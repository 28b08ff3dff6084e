package expr

import "github.com/secantusdb/secantus/internal/mongoerr"

// Error codes of the date operators, named for what mongod asserts. They
// live here rather than in mongoerr's table so that the date family can
// grow without touching a file other families edit; each is a numbered
// assertion (codeName Location<N>) except where a named code is used.
const (
	codeDateCoerce         mongoerr.Code = 16006   // can't convert from BSON type X to Date
	codeDateUnknownTZ      mongoerr.Code = 40485   // unrecognized time zone identifier
	codeDateTZNotString    mongoerr.Code = 40517   // timezone must evaluate to a string
	codeDateFormatPercent  mongoerr.Code = 18535   // Unmatched '%' at end of format string
	codeDateFormatChar     mongoerr.Code = 18536   // Invalid format character
	codeDateFormatRange    mongoerr.Code = 18537   // date component outside 0-9999
	codeDateOptionUnknown  mongoerr.Code = 40535   // unrecognized option to $year...
	codeDateArrayArity     mongoerr.Code = 40536   // accepts exactly one argument if given an array
	codeDateMissingDate    mongoerr.Code = 40539   // missing 'date' argument
	codeToStringFormatType mongoerr.Code = 18533   // $dateToString format must be a string
	codeToStringUnknownArg mongoerr.Code = 18534   // Unrecognized argument to $dateToString
	codeToStringMissing    mongoerr.Code = 18628   // Missing 'date' parameter to $dateToString
	codeToStringNotObject  mongoerr.Code = 18629   // $dateToString only supports an object
	codeFromPartsInteger   mongoerr.Code = 40515   // 'x' must evaluate to an integer
	codeFromPartsNeedYear  mongoerr.Code = 40516   // requires either 'year' or 'isoWeekYear'
	codeFromPartsUnknown   mongoerr.Code = 40518   // Unrecognized argument to $dateFromParts
	codeFromPartsNotObject mongoerr.Code = 40519   // $dateFromParts only supports an object
	codeFromPartsMixNat    mongoerr.Code = 40489   // does not allow mixing natural dates with ISO dates
	codeFromPartsMixISO    mongoerr.Code = 40525   // does not allow mixing ISO dates with natural dates
	codeFromPartsYear      mongoerr.Code = 40523   // 'year' out of 1-9999
	codeFromPartsISOYear   mongoerr.Code = 31095   // 'isoWeekYear' out of 1-9999
	codeFromPartsRange     mongoerr.Code = 31034   // part outside [-32768, 32767]
	codeToPartsUnknown     mongoerr.Code = 40520   // Unrecognized argument to $dateToParts
	codeToPartsISOFlag     mongoerr.Code = 40521   // iso8601 must evaluate to a bool
	codeToPartsMissing     mongoerr.Code = 40522   // Missing 'date' parameter to $dateToParts
	codeToPartsNotObject   mongoerr.Code = 40524   // $dateToParts only supports an object
	codeFromStrNotObject   mongoerr.Code = 40540   // $dateFromString only supports an object
	codeFromStrUnknown     mongoerr.Code = 40541   // Unrecognized argument to $dateFromString
	codeFromStrMissing     mongoerr.Code = 40542   // Missing 'dateString' parameter
	codeFromStrFormatType  mongoerr.Code = 40684   // $dateFromString format must be a string
	codeDiffNotObject      mongoerr.Code = 5166301 // $dateDiff only supports an object
	codeDiffUnknown        mongoerr.Code = 5166302 // Unrecognized argument to $dateDiff
	codeDiffMissingStart   mongoerr.Code = 5166303 // Missing 'startDate' parameter
	codeDiffMissingEnd     mongoerr.Code = 5166304 // Missing 'endDate' parameter
	codeDiffMissingUnit    mongoerr.Code = 5166305 // Missing 'unit' parameter
	codeDiffNotDate        mongoerr.Code = 5166307 // $dateDiff requires 'x' to be a date
	codeDiffOverflow       mongoerr.Code = 5166308 // dateDiff overflowed
	codeAddNotObject       mongoerr.Code = 5166400 // $dateAdd expects an object
	codeAddUnknown         mongoerr.Code = 5166401 // Unrecognized argument to $dateAdd
	codeAddMissing         mongoerr.Code = 5166402 // requires startDate, unit, and amount
	codeAddNotDate         mongoerr.Code = 5166403 // requires startDate to be convertible to a date
	codeAddAmount          mongoerr.Code = 5166405 // expects integer amount of time units
	codeAddOverflow        mongoerr.Code = 5166406 // dateAdd overflowed
	codeAddAmountRange     mongoerr.Code = 5976500 // invalid dateAdd 'amount' parameter value
	codeSubtractMinLong    mongoerr.Code = 6045000 // invalid $dateSubtract 'amount' parameter value
	codeTruncOverflowShift mongoerr.Code = 5439000 // dateTrunc overflowed
	codeTruncOverflowSub   mongoerr.Code = 5439001 // dateTrunc overflowed
	codeTruncOverflowBin   mongoerr.Code = 5439002 // dateTrunc overflowed
	codeTruncOverflowUnit  mongoerr.Code = 5439004 // dateTrunc overflowed
	codeTruncBinSizeLimit  mongoerr.Code = 5439006 // dateTrunc unsupported binSize value
	codeTruncNotObject     mongoerr.Code = 5439007 // $dateTrunc only supports an object
	codeTruncUnknown       mongoerr.Code = 5439008 // Unrecognized argument to $dateTrunc
	codeTruncMissingDate   mongoerr.Code = 5439009 // Missing 'date' parameter to $dateTrunc
	codeTruncMissingUnit   mongoerr.Code = 5439010 // Missing 'unit' parameter to $dateTrunc
	codeTruncNotDate       mongoerr.Code = 5439012 // $dateTrunc requires 'date' to be a date
	codeUnitNotString      mongoerr.Code = 5439013 // requires 'unit' to be a string
	codeStartOfWeekType    mongoerr.Code = 5439015 // requires 'startOfWeek' to be a string
	codeStartOfWeekValue   mongoerr.Code = 5439016 // cannot be recognized as a day of a week
	codeTruncBinSizeType   mongoerr.Code = 5439017 // requires 'binSize' to be a 64-bit integer
	codeTruncBinSizeValue  mongoerr.Code = 5439018 // requires 'binSize' to be greater than 0
	codeTsSecondType       mongoerr.Code = 5687301 // Argument to $tsSecond must be a timestamp
	codeTsIncrementType    mongoerr.Code = 5687302 // Argument to $tsIncrement must be a timestamp
)
