package expr

// operators maps each expression operator to its parser. Each family of
// operators registers its entries from an init function in its own file
// (the core families below, here); it is filled in init because parsers
// recurse into Parse.
var operators map[string]parseFunc

// register adds a family's operators to the table; a name registered
// twice is a programming error.
func register(family map[string]parseFunc) {
	if operators == nil {
		operators = map[string]parseFunc{}
	}
	for name, p := range family {
		if _, dup := operators[name]; dup {
			panic("expr: operator registered twice: " + name)
		}
		operators[name] = p
	}
}

func init() {
	register(map[string]parseFunc{
		// vars.go
		"$literal": parseLiteral,
		"$let":     parseLet,

		// compare.go
		"$eq":  comparison(func(c int) bool { return c == 0 }),
		"$ne":  comparison(func(c int) bool { return c != 0 }),
		"$gt":  comparison(func(c int) bool { return c > 0 }),
		"$gte": comparison(func(c int) bool { return c >= 0 }),
		"$lt":  comparison(func(c int) bool { return c < 0 }),
		"$lte": comparison(func(c int) bool { return c <= 0 }),
		"$cmp": fixed(2, evalCmp),

		// array.go
		"$in": fixed(2, evalIn),

		// object.go
		"$getField":   parseFieldOp,
		"$setField":   parseFieldOp,
		"$unsetField": parseFieldOp,

		// boolean.go
		"$and": parseAnd,
		"$or":  parseOr,
		"$not": fixed(1, evalNot),

		// cond.go
		"$cond":   parseCond,
		"$ifNull": parseIfNull,
		"$switch": parseSwitch,

		// arith.go
		"$add":      variadic(evalAdd),
		"$subtract": fixed(2, evalSubtract),
		"$multiply": variadic(evalMultiply),
		"$divide":   fixed(2, evalDivide),
		"$mod":      fixed(2, evalMod),

		// math.go
		"$abs":   unaryNumeric(evalAbs),
		"$ceil":  unaryNumeric(evalCeil),
		"$floor": unaryNumeric(evalFloor),
		"$sqrt":  unaryNumeric(evalSqrt),
		"$exp":   unaryNumeric(evalExp),
		"$ln":    unaryNumeric(evalLn),
		"$log10": unaryNumeric(evalLog10),
		"$log":   fixed(2, evalLog),
		"$pow":   fixed(2, evalPow),
		"$round": roundOrTrunc(roundHalfEven),
		"$trunc": roundOrTrunc(roundDown),
	})
}
