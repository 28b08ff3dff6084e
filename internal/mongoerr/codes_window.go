package mongoerr

// Codes of $setWindowFields, $densify and $fill: mongod raises them as
// uassert locations, whose codeName is "Location<code>".
const (
	Location5339900 Code = 5339900 // window lower bound above upper bound
	Location5339901 Code = 5339901 // document window without sortBy
	Location5339902 Code = 5339902 // range window without a one-field sortBy
	Location8947400 Code = 8947400 // range window over an expression sortBy
	Location8947401 Code = 8947401 // range window over a descending sortBy
	Location5371601 Code = 5371601 // $rank with other arguments
	Location5371602 Code = 5371602 // $rank without a one-field sortBy
	Location5371603 Code = 5371603 // $rank argument not {}
	Location605001  Code = 605001  // $linearFill without a one-field sortBy
	Location5490710 Code = 5490710 // $derivative / $integral unit above a week
	Location5429513 Code = 5429513 // time range over a non-date sort value
	Location5429413 Code = 5429413 // numeric range over a date sort value
	Location5429414 Code = 5429414 // numeric range over a non-numeric sort value
	Location5423900 Code = 5423900 // $integral input not numeric
	Location5423901 Code = 5423901 // $integral with unit over a non-date sortBy
	Location5423902 Code = 5423902 // $integral without unit over a non-numeric sortBy
	Location5624900 Code = 5624900 // $derivative with unit over a non-date sortBy
	Location5624901 Code = 5624901 // $derivative over a date sortBy without unit
	Location5624902 Code = 5624902 // $derivative over a non-numeric sortBy
	Location5624903 Code = 5624903 // $derivative input null or missing
	Location6307900 Code = 6307900 // conflicting $setWindowFields output paths
	Location5414201 Code = 5414201 // $setWindowFields over its memory limit
	Location6050106 Code = 6050106 // $linearFill over repeated sort values

	Location6050200 Code = 6050200 // $fill output spec not an object
	Location6050201 Code = 6050201 // $fill output with both method and value
	Location6050202 Code = 6050202 // $fill method not locf / linear
	Location6050203 Code = 6050203 // $fill output empty
	Location6050204 Code = 6050204 // $fill with partitionBy and partitionByFields

	Location5733401 Code = 5733401 // $densify step not positive
	Location5733402 Code = 5733402 // $densify bounds not ascending
	Location5733403 Code = 5733403 // $densify bounds not two elements
	Location5733404 Code = 5733404 // $densify bounds of a wrong type
	Location5733405 Code = 5733405 // $densify date bounds mixed with numbers
	Location5733406 Code = 5733406 // $densify numeric bounds mixed with dates
	Location5733408 Code = 5733408 // $densify partition bounds without partitions
	Location5733409 Code = 5733409 // $densify numeric bounds with a unit
	Location5733410 Code = 5733410 // $densify date bounds without a unit
	Location5946800 Code = 5946800 // $densify bounds neither numbers nor dates
	Location5946802 Code = 5946802 // $densify bounds string not full / partition
	Location6586400 Code = 6586400 // $densify date step not whole
	Location5876900 Code = 5876900 // $densify bounds and step of different types
	Location8993000 Code = 8993000 // $densify partition field contains the field
	Location9554500 Code = 9554500 // $densify field inside a partition field
	Location5733201 Code = 5733201 // $densify value of a wrong type
	Location6053600 Code = 6053600 // $densify date value without a unit
	Location6053601 Code = 6053601 // $densify numeric value with a unit
	Location5733307 Code = 5733307 // $densify through an array
	Location5733308 Code = 5733308 // $densify over a non-object prefix
	Location5897900 Code = 5897900 // $densify generated too many documents
)
