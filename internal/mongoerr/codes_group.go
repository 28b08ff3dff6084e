package mongoerr

// Codes of $group, $bucket, $bucketAuto and the accumulators: mongod
// raises them as uassert locations, whose codeName is "Location<code>".
const (
	Location15948 Code = 15948 // $group _id given twice
	Location15952 Code = 15952 // unknown group operator
	Location17390 Code = 17390 // inclusion-style _id object
	Location40235 Code = 40235 // accumulator field name with '.'
	Location40236 Code = 40236 // accumulator field name starting with '$'
	Location40237 Code = 40237 // accumulator given an array (unary)

	Location40191 Code = 40191 // $bucket boundary not a constant
	Location40192 Code = 40192 // $bucket with fewer than 2 boundaries
	Location40193 Code = 40193 // $bucket boundaries of different types
	Location40194 Code = 40194 // $bucket boundaries not ascending
	Location40195 Code = 40195 // $bucket default not a constant
	Location40196 Code = 40196 // $bucket output not an object
	Location40197 Code = 40197 // unknown $bucket option
	Location40198 Code = 40198 // $bucket without groupBy or boundaries
	Location40199 Code = 40199 // $bucket default inside the boundaries
	Location40200 Code = 40200 // $bucket boundaries not an array
	Location40201 Code = 40201 // $bucket argument not an object
	Location40202 Code = 40202 // $bucket groupBy not a path or expression

	Location40239   Code = 40239   // $bucketAuto groupBy not a path or expression
	Location40240   Code = 40240   // $bucketAuto argument not an object
	Location40241   Code = 40241   // $bucketAuto buckets not a number
	Location40242   Code = 40242   // $bucketAuto buckets not a 32-bit integer
	Location40243   Code = 40243   // $bucketAuto buckets not positive
	Location40244   Code = 40244   // $bucketAuto output not an object
	Location40245   Code = 40245   // unknown $bucketAuto option
	Location40246   Code = 40246   // $bucketAuto without groupBy or buckets
	Location40257   Code = 40257   // unknown granularity
	Location40258   Code = 40258   // granularity over a non-number
	Location40259   Code = 40259   // granularity over NaN
	Location40260   Code = 40260   // granularity over a negative number
	Location40261   Code = 40261   // granularity not a string
	Location4544714 Code = 4544714 // $bucketAuto accumulator n reading the group key
)
