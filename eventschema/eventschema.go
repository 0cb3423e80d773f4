// Package eventschema compiles the JSON Schemas (draft 2020-12) of catalog
// events and checks event data against them. Nothing is ever loaded over
// the network or from files: a schema is one self-contained document.
package eventschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/hookflow/hookflow"
)

// location is the URL a schema is compiled under. Relative references
// resolve against it, and so reach the loader, which refuses them.
const location = "https://hookflow.invalid/event-schema.json"

// Schema is a compiled event schema; it is immutable and safe for
// concurrent use.
type Schema struct {
	compiled *jsonschema.Schema
}

// refuseLoader loads nothing: a schema may reference only itself.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, errRemoteRef
}

var errRemoteRef = errors.New("remote references are not allowed")

// boundedRegexp is Go's regexp (linear-time matching) with each pattern's
// length bounded, since matching costs the pattern's size times the data's.
func boundedRegexp(s string) (jsonschema.Regexp, error) {
	if len(s) > hookflow.MaxSchemaPatternLength {
		return nil, fmt.Errorf("pattern is longer than %d characters", hookflow.MaxSchemaPatternLength)
	}
	return regexp.Compile(s)
}

// Compile compiles a schema document. A document that is not a valid
// draft 2020-12 schema, is too large or references anything outside itself
// is a hookflow.EINVALID error naming the problem.
func Compile(doc json.RawMessage) (*Schema, error) {
	if len(doc) > hookflow.MaxEventSchemaBytes {
		return nil, ErrTooLarge
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, hookflow.Invalid("schema must be a JSON object")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, hookflow.Invalid("schema must be a JSON object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	c.UseRegexpEngine(boundedRegexp)
	if err := c.AddResource(location, v); err != nil {
		return nil, invalidSchema(err)
	}
	compiled, err := c.Compile(location)
	if err != nil {
		return nil, invalidSchema(err)
	}
	return &Schema{compiled: compiled}, nil
}

// ErrTooLarge is the 400 of a schema document past MaxEventSchemaBytes.
var ErrTooLarge = hookflow.Errorf(hookflow.EINVALID, "schema must be at most %d bytes", hookflow.MaxEventSchemaBytes)

var printer = message.NewPrinter(language.English)

// invalidSchema words a compile error as a 400, without the internal URL.
func invalidSchema(err error) error {
	var (
		load    *jsonschema.LoadURLError
		regex   *jsonschema.InvalidRegexError
		invalid *jsonschema.SchemaValidationError
	)
	switch {
	case errors.As(err, &load):
		return hookflow.Invalid(fmt.Sprintf("schema %s cannot be loaded: only references within the schema are allowed", clip(load.URL)))
	case errors.As(err, &regex):
		return hookflow.Invalid(clip(fmt.Sprintf("schema pattern %q is not a valid regular expression: %v", regex.Regex, regex.Err)))
	case errors.As(err, &invalid):
		var ve *jsonschema.ValidationError
		if errors.As(invalid.Err, &ve) {
			return hookflow.Invalid(failures(ve, "schema")...)
		}
	}
	return hookflow.Invalid(clip("schema is invalid: " + strings.ReplaceAll(err.Error(), location, "schema")))
}

// maxPathLength bounds the path of a failure; a longer one keeps its ends.
const maxPathLength = 120

// depth answers how deep JSON text nests, its strings skipped.
func depth(data []byte) int {
	deepest, level := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			level++
			deepest = max(deepest, level)
		case c == '}' || c == ']':
			level--
		}
	}
	return deepest
}

// maxLineLength bounds one failure line: a reason may quote the value it
// refuses, which may be long.
const maxLineLength = 300

// longQuote is a quoted value in a reason long enough to hide the rest.
var longQuote = regexp.MustCompile(`'([^']{40})[^']{4,}'`)

// clip shortens the quoted values of a failure line, then the line to
// maxLineLength bytes, on a rune boundary.
func clip(s string) string {
	s = longQuote.ReplaceAllString(s, "'$1...'")
	if len(s) <= maxLineLength {
		return s
	}
	cut := maxLineLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Check validates JSON data against the schema and answers its failures,
// each "<root>/<path>: <reason>", at most MaxSchemaFailures of them and a
// last line saying how many more; none when the data is valid.
func (s *Schema) Check(data json.RawMessage, root string) ([]string, error) {
	if depth(data) > hookflow.MaxSchemaDataDepth {
		return []string{fmt.Sprintf("%s must not nest deeper than %d levels", root, hookflow.MaxSchemaDataDepth)}, nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode data: %w", err)
	}
	err = s.compiled.Validate(v)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, fmt.Errorf("validate data: %w", err)
	}
	return failures(ve, root), nil
}

// failures flattens a validation error to its leaves, the failures that
// say what is wrong where, in instance order.
func failures(ve *jsonschema.ValidationError, root string) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, cause := range e.Causes {
				walk(cause)
			}
			return
		}
		at := root
		for _, tok := range e.InstanceLocation {
			at += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
		}
		if len(at) > maxPathLength {
			at = at[:maxPathLength/2] + "..." + at[len(at)-maxPathLength/2:]
		}
		line := clip(at + ": " + e.ErrorKind.LocalizedString(printer))
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return pathOf(out[i]) < pathOf(out[j]) })
	if len(out) > hookflow.MaxSchemaFailures {
		more := len(out) - hookflow.MaxSchemaFailures
		out = append(out[:hookflow.MaxSchemaFailures], fmt.Sprintf("and %d more", more))
	}
	return out
}

func pathOf(line string) string {
	path, _, _ := strings.Cut(line, ": ")
	return path
}
