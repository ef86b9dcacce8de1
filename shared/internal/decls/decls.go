// Package decls lists declarations of a Go source file, for tests that must cover every
// type a file declares (every typed error, for one).
package decls

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
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

// CheckErrorTypes fails t unless described holds exactly the error types the Go file path
// declares (see ErrorTypes): a test that describes every typed error of a package calls it
// with the names it covered, so an error type added later without a case fails the test.
func CheckErrorTypes(t testing.TB, path string, described map[string]bool) {
	t.Helper()
	types, err := ErrorTypes(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != len(described) {
		t.Errorf("%s declares %d error types %q, the cases describe %d", path, len(types), types, len(described))
	}
	for _, name := range types {
		if !described[name] {
			t.Errorf("%s declares %s, which no case describes", path, name)
		}
	}
}
