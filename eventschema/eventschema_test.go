package eventschema_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/eventschema"
)

func compile(t *testing.T, doc string) *eventschema.Schema {
	t.Helper()
	s, err := eventschema.Compile(json.RawMessage(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func details(t *testing.T, err error) []string {
	t.Helper()
	var herr *hookflow.Error
	if !errors.As(err, &herr) || herr.Code != hookflow.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	return herr.Details
}

func TestFailuresNameThePathAndReasonInOrder(t *testing.T) {
	s := compile(t, `{"type":"object","properties":{"shiftId":{"type":"string"},"a/b":{"const":1},"list":{"items":{"type":"integer"}}},"required":["shiftId"]}`)
	got, err := s.Check(json.RawMessage(`{"shiftId":7,"a/b":2,"list":[1,"x"]}`), "data")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"data/a~1b: value must be 1", "data/list/1: got string, want integer", "data/shiftId: got number, want string"}
	if !slices.Equal(got, want) {
		t.Errorf("failures = %q, want %q", got, want)
	}
	if got, err := s.Check(json.RawMessage(`{"shiftId":"s"}`), "data"); err != nil || got != nil {
		t.Errorf("valid data: %q %v", got, err)
	}
}

func TestFailuresAreBounded(t *testing.T) {
	s := compile(t, `{"additionalProperties":{"type":"string"}}`)
	var b strings.Builder
	b.WriteString("{")
	for i := range 50 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%02d":%d`, i, i)
	}
	b.WriteString("}")
	got, err := s.Check(json.RawMessage(b.String()), "data")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != hookflow.MaxSchemaFailures+1 || got[0] != "data/k00: got number, want string" || got[len(got)-1] != "and 30 more" {
		t.Errorf("failures = %q", got)
	}
}

// Data nested deeper than MaxSchemaDataDepth is refused without walking
// it (validation's cost grows with the square of the depth); up to it,
// recursive schemas follow it to the end.
func TestDeeplyNestedDataIsBounded(t *testing.T) {
	s := compile(t, `{"$defs":{"node":{"type":"object","properties":{"n":{"$ref":"#/$defs/node"}},"additionalProperties":false}},"$ref":"#/$defs/node"}`)
	nested := func(depth int) json.RawMessage {
		return json.RawMessage(strings.Repeat(`{"n":`, depth-1) + `{"x":"{[\"{"}` + strings.Repeat(`}`, depth-1))
	}
	got, err := s.Check(nested(hookflow.MaxSchemaDataDepth), "data")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "data/n/n/n/") || !strings.HasSuffix(got[0], "/n/n: additional properties 'x' not allowed") {
		t.Errorf("failures = %q", got)
	}
	for _, depth := range []int{hookflow.MaxSchemaDataDepth + 1, 9000} {
		start := time.Now()
		got, err := s.Check(nested(depth), "data")
		if err != nil || !slices.Equal(got, []string{"data must not nest deeper than 64 levels"}) {
			t.Errorf("depth %d: %q %v", depth, got, err)
		}
		if took := time.Since(start); took > 100*time.Millisecond {
			t.Errorf("depth %d took %v", depth, took)
		}
	}
}

func TestCompileRefusals(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"array", `[]`, "schema must be a JSON object"},
		{"remote ref", `{"$ref":"http://example.com/s.json"}`, "schema http://example.com/s.json cannot be loaded: only references within the schema are allowed"},
		{"long pattern", `{"pattern":"` + strings.Repeat("a", hookflow.MaxSchemaPatternLength+1) + `"}`,
			"schema/pattern: '" + strings.Repeat("a", 40) + "...' is not valid regex: pattern is longer than 1000 characters"},
		{"long pattern property", `{"patternProperties":{"` + strings.Repeat("(a|b)*", 200) + `":{}}}`,
			"schema: '" + strings.Repeat("(a|b)*", 7)[:40] + "...' is not valid regex: pattern is longer than 1000 characters"},
		{"huge repeat", `{"pattern":"((a{1000}){1000}){1000}"}`, "schema/pattern: '((a{1000}){1000}){1000}' is not valid regex: error parsing regexp: invalid repeat count: `{1000}`"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eventschema.Compile(json.RawMessage(tt.doc))
			if got := details(t, err); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("details = %q\nwant %q", got, tt.want)
			}
		})
	}
	_, err := eventschema.Compile(json.RawMessage(`{"description":"` + strings.Repeat("x", hookflow.MaxEventSchemaBytes) + `"}`))
	if !errors.Is(err, eventschema.ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
}

func TestCacheIsBoundedAndKeyedByRevision(t *testing.T) {
	c := eventschema.NewCache(2)
	s := compile(t, `{}`)
	c.Put("a", 1, s)
	if c.Get("a", 1) != s || c.Get("a", 2) != nil {
		t.Error("lookup by revision")
	}
	c.Put("a", 2, s)
	c.Put("b", 1, s)
	c.Put("c", 1, s)
	if c.Len() != 2 || c.Get("c", 1) != s {
		t.Errorf("len = %d", c.Len())
	}
}
