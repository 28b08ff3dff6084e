package expr

// IsOperator reports whether name is an expression operator the
// evaluator implements.
func IsOperator(name string) bool {
	_, ok := operators[name]
	return ok
}
