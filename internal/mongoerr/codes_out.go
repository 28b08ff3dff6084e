package mongoerr

// Codes of the writing stages ($out, $merge) and of the source stages
// ($documents, $collStats, $indexStats, $currentOp, $listLocalSessions).
const (
	// MergeStageNoMatchingDocument: $merge with whenNotMatched: fail
	// found no target document for a result.
	MergeStageNoMatchingDocument Code = 13113

	Location16990   Code = 16990   // $out argument not a string or object
	Location17385   Code = 17385   // $out to a system collection
	Location31321   Code = 31321   // $out to admin, config or local
	Location17152   Code = 17152   // $out to a capped collection
	Location51178   Code = 51178   // $merge into not a string or object
	Location5786800 Code = 5786800 // $merge into an empty string
	Location5786801 Code = 5786801 // $merge into without coll
	Location51186   Code = 51186   // $merge on not a string or array
	Location51134   Code = 51134   // $merge on array element not a string
	Location51187   Code = 51187   // $merge on an empty array
	Location31465   Code = 31465   // $merge on names a field twice
	Location51191   Code = 51191   // $merge whenMatched not a string or array
	Location51181   Code = 51181   // unsupported whenMatched/whenNotMatched pair
	Location51199   Code = 51199   // $merge let without a pipeline
	Location51273   Code = 51273   // $merge let redefines new
	Location31319   Code = 31319   // $merge to a system collection
	Location31320   Code = 31320   // $merge to admin, config or local
	Location51183   Code = 51183   // $merge on fields without a unique index
	Location51132   Code = 51132   // $merge on field null or missing
	Location51185   Code = 51185   // $merge on field an array
	Location5858203 Code = 5858203 // $documents not an array
	Location40166   Code = 40166   // $collStats argument not an object
	Location28803   Code = 28803   // $indexStats argument not an empty object

	// UnsupportedFormat: $listLocalSessions options malformed.
	UnsupportedFormat Code = 115
)

func init() {
	codeNames[MergeStageNoMatchingDocument] = "MergeStageNoMatchingDocument"
	codeNames[UnsupportedFormat] = "UnsupportedFormat"
}
