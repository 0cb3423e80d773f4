package storage_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// TestEveryStoreMethodIsCalledInItsStoresTestFile keeps one test file per
// store (WebhookStore in webhook_store_test.go, SamplePayloadStore in
// sample_payload_store_test.go, ...) that calls every exported method of
// the store, so that a method added without a test fails here by name.
func TestEveryStoreMethodIsCalledInItsStoresTestFile(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string][]string{} // store type -> exported methods
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 || !fn.Name.IsExported() {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			recv, ok := star.X.(*ast.Ident)
			if !ok || !strings.HasSuffix(recv.Name, "Store") || recv.Name == "Store" {
				continue
			}
			methods[recv.Name] = append(methods[recv.Name], fn.Name.Name)
		}
	}
	if len(methods) == 0 {
		t.Fatal("found no store methods: is the parser looking at the storage package?")
	}
	stores := make([]string, 0, len(methods))
	for store := range methods {
		stores = append(stores, store)
	}
	sort.Strings(stores)
	for _, store := range stores {
		file := testFileOf(store)
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s has no test file %s: %v", store, file, err)
		}
		var missing []string
		for _, m := range methods[store] {
			if !regexp.MustCompile(`\.` + m + `\(`).Match(src) {
				missing = append(missing, m)
			}
		}
		sort.Strings(missing)
		for _, m := range missing {
			t.Errorf("%s never calls %s.%s", file, store, m)
		}
	}
}

// testFileOf names a store's test file: SamplePayloadStore is tested in
// sample_payload_store_test.go.
func testFileOf(store string) string {
	var b strings.Builder
	for i, r := range store {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String() + "_test.go"
}
