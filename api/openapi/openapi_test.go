package openapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

func TestDocumentIsAValidOpenAPI31Document(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := openapi3.NewLoader().LoadFromData(doc.JSON)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !spec.IsOpenAPI31OrLater() || spec.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", spec.OpenAPI)
	}
	// Validate switches to JSON Schema 2020-12 for a 3.1 document; every
	// example (the seeds') must also match its schema.
	if err := spec.Validate(context.Background(), openapi3.EnableExamplesValidation(), openapi3.EnableSchemaFormatValidation(), openapi3.EnableSchemaDefaultsValidation()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	if spec.Paths.Len() < 10 {
		t.Errorf("only %d paths: the surfaces' files were not merged", spec.Paths.Len())
	}
}

func TestDocumentIsTheSameInJSONAndYAML(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(doc.JSON, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(doc.YAML, &fromYAML); err != nil {
		t.Fatal(err)
	}
	// Through JSON once more, so that both sides have JSON's number types.
	y, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	if string(y) != string(doc.JSON) {
		t.Error("the YAML and JSON documents differ")
	}
}

func TestMergeRefusesASurfaceThatRedefinesANameOrAddsOtherSections(t *testing.T) {
	root := "openapi: 3.1.0\ninfo: {title: t, version: '1'}\ntags: [{name: Root}]\npaths: {}\ncomponents: {schemas: {Error: {type: object}}}\n"
	tests := []struct {
		name, part, want string
	}{
		{"a path twice", "paths: {/a: {}}\n", `path "/a" is already defined`},
		{"a root schema again", "components: {schemas: {Error: {type: string}}}\n", `components.schemas "Error" is already defined`},
		{"info in a surface", "info: {title: other}\n", "only tags, paths and components"},
		{"a tag twice", "tags: [{name: Root}]\n", `tag "Root" is already defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"openapi.yaml": {Data: []byte(root)},
				"a.yaml":       {Data: []byte("paths: {/a: {}}\n")},
				"b.yaml":       {Data: []byte(tt.part)},
			}
			_, err := load(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "b.yaml") {
				t.Fatalf("err = %v, want one naming b.yaml and %q", err, tt.want)
			}
		})
	}
}

func TestMergeAddsEverySurface(t *testing.T) {
	fsys := fstest.MapFS{
		"openapi.yaml": {Data: []byte("openapi: 3.1.0\ntags: [{name: Root}]\npaths: {}\n")},
		"a.yaml":       {Data: []byte("tags: [{name: A}]\npaths: {/a: {}}\ncomponents: {schemas: {A: {type: object}}}\n")},
		"b.yaml":       {Data: []byte("paths: {/b: {}}\ncomponents: {schemas: {B: {type: object}}}\ntags: [{name: B}]\n")},
	}
	doc, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"components":{"schemas":{"A":{"type":"object"},"B":{"type":"object"}}},"openapi":"3.1.0","paths":{"/a":{},"/b":{}},"tags":[{"name":"Root"},{"name":"A"},{"name":"B"}]}`
	if string(doc.JSON) != want {
		t.Errorf("merged = %s, want %s", doc.JSON, want)
	}
}
