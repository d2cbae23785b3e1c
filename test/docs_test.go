package test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryPropsFieldIsDocumented: a forker changing a tier reads its Props first,
// so every field of every exported *Props struct under infra/ says what it is
// (its unit, default or allowed values where they matter).
func TestEveryPropsFieldIsDocumented(t *testing.T) {
	files, _ := filepath.Glob("../infra/*/*.go")
	fset := token.NewFileSet()
	checked := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.TypeSpec)
			if !ok || !spec.Name.IsExported() || !strings.HasSuffix(spec.Name.Name, "Props") {
				return true
			}
			st, ok := spec.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				checked++
				if field.Doc == nil && field.Comment == nil {
					t.Errorf("%s: %s.%s has no comment", fset.Position(field.Pos()), spec.Name.Name, field.Names[0].Name)
				}
			}
			return true
		})
	}
	if checked < 100 {
		t.Errorf("checked %d Props fields, want every one under infra/", checked)
	}
}
