package filter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
)

func newEnv(t testing.TB) *Env {
	t.Helper()
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestCompileRefusesWhatIsNotABoundedBoolExpression(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		name, expr string
		wantErr    string // a part of the message; "" compiles
	}{
		{"event type", `eventType == "shift.created"`, ""},
		{"payload field", `data.shiftId == "s-1"`, ""},
		{"payload number", `data.amount > 100`, ""},
		{"presence", `has(data.amount) && data.amount >= 10.5`, ""},
		{"every variable", `facilityId == "P-1" && clientId != "" && organizationId.startsWith("o")`, ""},
		{"one pass over a payload list", `data.items.exists(i, i.sku == "x")`, ""},
		{"in a list", `eventType in ["a.b", "c.d"]`, ""},
		{"undeclared", `foo == 1`, "ERROR: <input>:1:1: undeclared reference to 'foo'"},
		{"syntax", `data.shiftId ==`, "ERROR: <input>:1:16: Syntax error"},
		{"type error", `eventType > 1`, "found no matching overload for '_>_' applied to '(string, int)'"},
		{"not a bool", `eventType + "x"`, "it must be a bool, not string"},
		{"dyn is not a bool", `data.flag`, "it must be a bool, not dyn"},
		{"empty", ``, "Syntax error"},
		{"too long", `eventType == "` + strings.Repeat("a", hookflow.MaxFilterLength) + `"`, fmt.Sprintf("longer than %d characters", hookflow.MaxFilterLength)},
		{"deep parentheses", strings.Repeat("(", 100) + "true" + strings.Repeat(")", 100), "recursion"},
		{"deep list nesting", "size(" + strings.Repeat("[", 40) + strings.Repeat("]", 40) + ") == 1", "recursion limit exceeded"},
		{"long field chain", "data" + strings.Repeat(".a", 40) + " == 1", "recursion depth exceeded"},
		{"long chain of ors", strings.TrimSuffix(strings.Repeat(`eventType == "a" || `, 50), " || "), ""},
		{"huge literal list within the length", "size([" + strings.TrimSuffix(strings.Repeat("1,", 500), ",") + "]) > 0", ""},
		{"loop inside a loop over the payload", `data.items.all(a, data.items.all(b, a == b))`, "estimated cost is above"},
		{"a loop inside a loop over literal lists", `[` + strings.TrimSuffix(strings.Repeat("1,", 200), ",") + `].all(a, [` + strings.TrimSuffix(strings.Repeat("1,", 200), ",") + `].all(b, a == b))`, ""},
		{"a pass with a larger body", `data.items.exists(i, i.sku == "x" && i.qty > 2 && i.name.startsWith("a"))`, ""},
		{"a regular expression on the payload", `data.name.matches("^a.*z$")`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := env.Compile(c.expr)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("Compile(%.60q) = %v, want no error", c.expr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Compile(%.60q) = %v, want an error containing %q", c.expr, err, c.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "filter is not a valid expression: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line naming the filter", err)
			}
		})
	}
}

func event(t testing.TB, data string) *Event {
	t.Helper()
	return NewEvent(&hookflow.Event{ID: "e-1", EventType: "shift.created", FacilityID: "P-1", ClientID: "c-1", OrganizationID: "o-1", Data: json.RawMessage(data)})
}

func TestMatchEvaluatesOnTheEvent(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		expr, data string
		want       bool
		wantErr    bool
	}{
		{`eventType == "shift.created"`, `{}`, true, false},
		{`facilityId == "P-2"`, `{}`, false, false},
		{`data.shiftId == "s-1"`, `{"shiftId": "s-1"}`, true, false},
		{`data.amount > 100`, `{"amount": 150}`, true, false},
		{`data.amount > 100`, `{"amount": 50}`, false, false},
		{`data.amount == 3`, `{"amount": 3}`, true, false},
		{`data.tags.exists(t, t == "vip")`, `{"tags": ["a", "vip"]}`, true, false},
		{`data.amount > 100`, `{}`, false, true},                          // a missing key
		{`data.amount > 100`, `{"amount": "lots"}`, false, true},          // a wrong type
		{`has(data.amount) && data.amount > 100`, `{}`, false, false},     // guarded
		{`data.shiftId == "s-1"`, `[1, 2]`, false, true},                  // not an object: data is empty
		{`data.nested.id == "n"`, `{"nested": {"id": "n"}}`, true, false}, // nested objects
	}
	for _, c := range cases {
		prg, err := env.Compile(c.expr)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.expr, err)
		}
		got, err := prg.Match(event(t, c.data))
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("Match(%q on %s) = %v, %v; want %v, error %v", c.expr, c.data, got, err, c.want, c.wantErr)
		}
	}
}

func TestMatchStopsAtTheRuntimeCostLimit(t *testing.T) {
	env := newEnv(t)
	// One pass over a payload list compiles (its estimate assumes a list
	// the payload limit allows) but a long enough list passes the runtime
	// limit.
	prg, err := env.Compile(`data.items.all(i, i != "x" && i.size() < 100)`)
	if err != nil {
		t.Fatal(err)
	}
	small := `{"items": ["a", "b"]}`
	if ok, err := prg.Match(event(t, small)); !ok || err != nil {
		t.Fatalf("small list: %v, %v", ok, err)
	}
	items, _ := json.Marshal(map[string]any{"items": strings.Split(strings.Repeat("a,", MaxRuntimeCost), ",")})
	ok, err := prg.Match(event(t, string(items)))
	if ok || err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("large list: %v, %v; want the cost limit", ok, err)
	}
	// A loop inside a loop over literal lists is within the estimate and
	// stopped at run time whatever the event.
	prg, err = env.Compile(expensive)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := prg.Match(event(t, small)); ok || err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("nested literal loops: %v, %v; want the cost limit", ok, err)
	}
}

// expensive is the costliest kind of filter the bounds let through: it
// runs to the runtime cost limit on every event.
var expensive = `[` + strings.TrimSuffix(strings.Repeat("1,", 200), ",") + `].all(a, [` + strings.TrimSuffix(strings.Repeat("1,", 200), ",") + `].all(b, a == b))`

func TestMatcherCountsAFailedEvaluationAsNoMatchAndLogsIt(t *testing.T) {
	var logs bytes.Buffer
	m := NewMatcher(2, slog.New(slog.NewTextHandler(&logs, nil)))
	ev := event(t, `{"amount": 150}`)
	ctx := context.Background()
	if !m.Match(ctx, "", ev, "w-1", "e-1") {
		t.Error("no filter must match")
	}
	if !m.Match(ctx, `data.amount > 100`, ev, "w-1", "e-1") {
		t.Error("a matching filter must match")
	}
	if m.Match(ctx, `data.missing > 100`, ev, "w-2", "e-1") {
		t.Error("a failing filter must not match")
	}
	if !strings.Contains(logs.String(), "webhook_id=w-2") || !strings.Contains(logs.String(), "no such key: missing") {
		t.Errorf("log %q does not name the webhook and the failure", logs.String())
	}
	if m.Match(ctx, `nonsense(`, ev, "w-3", "e-1") {
		t.Error("a filter that does not compile must not match")
	}
}

func TestMatcherCompilesEachExpressionOnce(t *testing.T) {
	m := NewMatcher(2, slog.New(slog.DiscardHandler))
	first, _ := m.Program(`data.a == 1`)
	again, _ := m.Program(`data.a == 1`)
	if first == nil || first != again {
		t.Fatal("the second lookup compiled again")
	}
	// Past its size the cache forgets the least recently used.
	_, _ = m.Program(`data.b == 1`)
	_, _ = m.Program(`data.c == 1`)
	if later, _ := m.Program(`data.a == 1`); later == first {
		t.Fatal("the cache kept more than its size")
	}
}

func BenchmarkFilterMatch(b *testing.B) {
	m := NewMatcher(0, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	ev := &hookflow.Event{ID: "e-1", EventType: "shift.created", FacilityID: "P-1", Data: json.RawMessage(`{"shiftId": "s-1", "amount": 150, "tags": ["a", "vip"]}`)}
	const expr = `eventType == "shift.created" && data.amount > 100 && data.tags.exists(t, t == "vip")`
	for b.Loop() {
		// A fresh event each time: the payload is decoded once per publish.
		if !m.Match(ctx, expr, NewEvent(ev), "w-1", ev.ID) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkFilterMatchAtTheCostLimit is the worst case one filter adds to a publish.
func BenchmarkFilterMatchAtTheCostLimit(b *testing.B) {
	m := NewMatcher(0, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	ev := &hookflow.Event{ID: "e-1", EventType: "shift.created", Data: json.RawMessage(`{}`)}
	for b.Loop() {
		if m.Match(ctx, expensive, NewEvent(ev), "w-1", ev.ID) {
			b.Fatal("match")
		}
	}
}

func BenchmarkNewEnv(b *testing.B) {
	for b.Loop() {
		if _, err := NewEnv(); err != nil {
			b.Fatal(err)
		}
	}
}
