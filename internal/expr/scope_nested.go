package expr

// EndScope ends the scope of the n variables defined last in pc (with
// Define): expressions parsed afterwards no longer see them, and an outer
// variable they shadowed is visible again. A stage that defines
// variables for a nested pipeline only ($lookup's let) defines them,
// parses the pipeline, then ends their scope. Their ids stay reserved,
// so values set with EvalContext.SetVar never collide with later
// variables.
func (pc *ParseContext) EndScope(n int) {
	if n > len(pc.scope) {
		n = len(pc.scope)
	}
	pc.unbind(n)
}
