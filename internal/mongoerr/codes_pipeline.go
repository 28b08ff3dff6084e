package mongoerr

// Codes of aggregation stages: mongod raises most of them as uassert
// locations, whose codeName is "Location<code>".
const (
	MaxSubPipelineDepthExceeded Code = 232
	ViewDepthLimitExceeded      Code = 165

	Location40323   Code = 40323   // stage object must have exactly one field
	Location40600   Code = 40600   // stage not allowed in $facet
	Location40601   Code = 40601   // stage must be the last one
	Location40602   Code = 40602   // stage must be the first one
	Location51047   Code = 51047   // stage not allowed in $lookup
	Location40272   Code = 40272   // $addFields / $set argument not an object
	Location31119   Code = 31119   // $unset with an empty array
	Location31120   Code = 31120   // $unset argument not a string or strings
	Location40228   Code = 40228   // $replaceRoot argument / result not an object
	Location40231   Code = 40231   // $replaceRoot without newRoot
	Location40232   Code = 40232   // $replaceRoot unknown field
	Location40147   Code = 40147   // $sortByCount argument not an expression
	Location28745   Code = 28745   // $sample argument not an object
	Location28746   Code = 28746   // $sample size not a number
	Location28747   Code = 28747   // $sample size negative
	Location28748   Code = 28748   // $sample unknown field
	Location28749   Code = 28749   // $sample without size
	Location17053   Code = 17053   // $redact result not $$DESCEND/$$PRUNE/$$KEEP
	Location28810   Code = 28810   // $unwind includeArrayIndex not a string
	Location28809   Code = 28809   // $unwind preserveNullAndEmptyArrays not a bool
	Location28812   Code = 28812   // $unwind without path
	Location28808   Code = 28808   // $unwind path not a string
	Location28822   Code = 28822   // $unwind includeArrayIndex starts with $
	Location28819   Code = 28819   // $unwind without path
	Location40157   Code = 40157   // $count field not a string / empty
	Location40158   Code = 40158   // $count field starts with $
	Location40160   Code = 40160   // $count field contains a .
	Location15976   Code = 15976   // $sort needs at least one key
	Location40176   Code = 40176   // conflicting paths in a projection
	Location40415   Code = 40415   // unknown field in a stage specification
	Location5107200 Code = 5107200 // bad $skip argument
	Location5107201 Code = 5107201 // bad $limit argument
	Location40148   Code = 40148   // $sortByCount string not a $-path
	Location40149   Code = 40149   // $sortByCount not a string or object
	Location40159   Code = 40159   // $count field with a null byte
	Location9039800 Code = 9039800 // $count field _id
)

func init() {
	codeNames[MaxSubPipelineDepthExceeded] = "MaxSubPipelineDepthExceeded"
	codeNames[ViewDepthLimitExceeded] = "ViewDepthLimitExceeded"
}
