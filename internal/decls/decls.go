// Package decls lists declarations of a Go source file, for tests that must cover every
// type a file declares (every typed error, for one).
package decls

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
)

// ErrorTypes returns the names of the struct types declared in the Go file path whose
// names end in "Error", in the order of the file.
func ErrorTypes(path string) ([]string, error) {
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			if _, isStruct := ts.Type.(*ast.StructType); isStruct && strings.HasSuffix(ts.Name.Name, "Error") {
				names = append(names, ts.Name.Name)
			}
		}
	}
	return names, nil
}
