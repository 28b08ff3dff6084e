package mongoerr

// Codes of $group and the accumulators.
const (
	Location15952 Code = 15952 // unknown group operator
	Location40237 Code = 40237 // accumulator given an array (unary)
)
