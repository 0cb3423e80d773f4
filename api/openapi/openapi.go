// Package openapi holds Hookflow's OpenAPI 3.1 document and the page that
// renders it. The document is written by hand in YAML, one file per surface of
// the API beside the shared root (openapi.yaml), and merged here into the one
// document that GET /openapi.json and /openapi.yaml serve.
package openapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"

	"go.yaml.in/yaml/v3"
)

// rootFile holds what every surface shares; each other *.yaml adds paths
// and components.
const rootFile = "openapi.yaml"

//go:embed *.yaml
var sources embed.FS

//go:embed docs.html docs.js redoc.standalone.js
var assets embed.FS

// Document is the merged OpenAPI document in both encodings.
type Document struct {
	JSON []byte
	YAML []byte
}

// Load merges the embedded sources into one document.
func Load() (*Document, error) {
	return load(sources)
}

func load(fsys fs.FS) (*Document, error) {
	root, err := readYAML(fsys, rootFile)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list openapi sources: %w", err)
	}
	for _, name := range names {
		if name == rootFile {
			continue
		}
		part, err := readYAML(fsys, name)
		if err != nil {
			return nil, err
		}
		if err := merge(root, part, name); err != nil {
			return nil, err
		}
	}
	js, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("encode openapi document as JSON: %w", err)
	}
	ym, err := yaml.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("encode openapi document as YAML: %w", err)
	}
	return &Document{JSON: js, YAML: ym}, nil
}

func readYAML(fsys fs.FS, name string) (map[string]any, error) {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read openapi source %s: %w", name, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse openapi source %s: %w", name, err)
	}
	return doc, nil
}

// merge adds a surface's tags, paths and components to root. A surface may
// define nothing else, and nothing that root or an earlier surface defined:
// two surfaces never silently overwrite each other.
func merge(root, part map[string]any, name string) error {
	for key, value := range part {
		if key == "tags" {
			if err := addTags(root, value, name); err != nil {
				return err
			}
			continue
		}
		section, ok := value.(map[string]any)
		if !ok {
			return fmt.Errorf("openapi source %s: %s must be a mapping", name, key)
		}
		switch key {
		case "paths":
			if err := addAll(mapping(root, "paths"), section, name, "path"); err != nil {
				return err
			}
		case "components":
			components := mapping(root, "components")
			for kind, entries := range section {
				defs, ok := entries.(map[string]any)
				if !ok {
					return fmt.Errorf("openapi source %s: components.%s must be a mapping", name, kind)
				}
				if err := addAll(mapping(components, kind), defs, name, "components."+kind); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("openapi source %s: only tags, paths and components belong in a surface's file, not %s", name, key)
		}
	}
	return nil
}

func addAll(into, from map[string]any, source, what string) error {
	keys := make([]string, 0, len(from))
	for k := range from {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first duplicate reported is the same on every run
	for _, k := range keys {
		if _, dup := into[k]; dup {
			return fmt.Errorf("openapi source %s: %s %q is already defined", source, what, k)
		}
		into[k] = from[k]
	}
	return nil
}

// addTags appends a surface's tags (a list of {name, description}) to
// root's, which keep the order Redoc shows them in: root's, then each
// surface's by file name.
func addTags(root map[string]any, value any, source string) error {
	tags, ok := value.([]any)
	if !ok {
		return fmt.Errorf("openapi source %s: tags must be a list", source)
	}
	existing, _ := root["tags"].([]any)
	for _, tag := range tags {
		t, _ := tag.(map[string]any)
		name, _ := t["name"].(string)
		if name == "" {
			return fmt.Errorf("openapi source %s: every tag needs a name", source)
		}
		for _, e := range existing {
			if e.(map[string]any)["name"] == name {
				return fmt.Errorf("openapi source %s: tag %q is already defined", source, name)
			}
		}
		existing = append(existing, t)
	}
	root["tags"] = existing
	return nil
}

// mapping returns m[key] as a mapping, creating it when absent.
func mapping(m map[string]any, key string) map[string]any {
	if sub, ok := m[key].(map[string]any); ok {
		return sub
	}
	sub := map[string]any{}
	m[key] = sub
	return sub
}

// DocsPage is the HTML page that renders /openapi.json with Redoc.
func DocsPage() []byte { return mustAsset("docs.html") }

// DocsScript starts Redoc on the docs page.
func DocsScript() []byte { return mustAsset("docs.js") }

// DocsPolicy is the docs page's Content-Security-Policy: everything from
// this server only. Redoc's bundle points its attribution logo at
// cdn.redoc.ly; the browser then refuses it instead of reaching out, and Redoc
// hides the image. Redoc's styles are inline.
const DocsPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// RedocScript is Redoc's standalone bundle (npm redoc 3.0.1, MIT), served by
// Hookflow itself so that /docs needs no internet.
func RedocScript() []byte { return mustAsset("redoc.standalone.js") }

func mustAsset(name string) []byte {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("embedded asset %s: %v", name, err)) // embedded at build time: cannot happen
	}
	return b
}
