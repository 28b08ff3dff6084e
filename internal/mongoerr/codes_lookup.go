package mongoerr

// Codes of the stages that read other collections or run sub-pipelines:
// $lookup, $graphLookup, $unionWith and $facet.
const (
	Location4568    Code = 4568    // $lookup results for one document over the size limit
	Location40099   Code = 40099   // $graphLookup over its memory limit
	Location40100   Code = 40100   // $graphLookup maxDepth not a number
	Location40101   Code = 40101   // $graphLookup maxDepth negative
	Location40102   Code = 40102   // $graphLookup maxDepth not integral
	Location40103   Code = 40103   // $graphLookup option not a string
	Location40104   Code = 40104   // $graphLookup unknown option
	Location40105   Code = 40105   // $graphLookup required option missing
	Location40185   Code = 40185   // $graphLookup restrictSearchWithMatch not an object
	Location40271   Code = 40271   // $graphLookup found a document without _id
	Location40169   Code = 40169   // $facet argument not a non-empty object
	Location40170   Code = 40170   // $facet field not an array
	Location40171   Code = 40171   // $facet pipeline element not an object
	Location31441   Code = 31441   // stage not allowed in a $unionWith sub-pipeline
	Location4031700 Code = 4031700 // $facet output over its size limit
)
