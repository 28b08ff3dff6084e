package query

// Paths returns the dotted paths the filter places conditions on, each
// once, in the order they first appear (through $and, $or, $nor and
// $not). Pathless conditions ($expr, $jsonSchema, $sampleRate) add none.
// An empty filter constrains no path.
func (f *Filter) Paths() []string {
	if f == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	walkNodes(f.root, func(n node) {
		var p string
		switch n := n.(type) {
		case *pathNode:
			p = n.path.full
		case *multiPathNode:
			p = n.path.full
		default:
			return
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	})
	return out
}

// Constrains reports whether the filter has a condition on path or on a
// path below or above it ("a" and "a.b" constrain each other).
func (f *Filter) Constrains(path string) bool {
	for _, p := range f.Paths() {
		if p == path || isPathPrefix(p, path) || isPathPrefix(path, p) {
			return true
		}
	}
	return false
}

func isPathPrefix(prefix, path string) bool {
	return len(prefix) < len(path) && path[:len(prefix)] == prefix && path[len(prefix)] == '.'
}

// specialFeature names the first $expr or $jsonSchema in the filter:
// mongod refuses them in the filter of a positional projection.
func (f *Filter) specialFeature() string {
	if f == nil {
		return ""
	}
	found := ""
	walkNodes(f.root, func(n node) {
		if found != "" {
			return
		}
		switch n.(type) {
		case *exprNode:
			found = "$expr"
		case *schemaNode:
			found = "$jsonSchema"
		}
	})
	return found
}

// walkNodes calls fn with every node of a filter tree, parents first.
func walkNodes(n node, fn func(node)) {
	if n == nil {
		return
	}
	fn(n)
	switch n := n.(type) {
	case andNode:
		for _, c := range n {
			walkNodes(c, fn)
		}
	case orNode:
		for _, c := range n {
			walkNodes(c, fn)
		}
	case norNode:
		for _, c := range n {
			walkNodes(c, fn)
		}
	case notNode:
		walkNodes(n.n, fn)
	}
}
