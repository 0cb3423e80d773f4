// Package filter compiles and evaluates webhook filters: CEL expressions
// (https://cel.dev) over a published event that decide whether a webhook
// receives it. An expression is type-checked and bounded when a webhook is
// created or patched, and evaluated at publish time with a runtime cost
// limit, so that no filter can make a publish do unbounded work.
package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"

	"github.com/hookflow/hookflow"
)

// Bounds of a filter besides its length (hookflow.MaxFilterLength).
// docs/api.md lists them.
const (
	// MaxNesting bounds how deeply an expression nests (parentheses,
	// operators, calls): the parser's recursion limit.
	MaxNesting = 32
	// MaxEstimatedCost bounds the worst-case cost the type-checker
	// estimates, assuming any list, map or string of the payload is as
	// large as the default payload limit allows: one pass over a payload
	// list fits, a pass inside a pass (some 10^12) does not. It refuses
	// what is unbounded by its shape; MaxRuntimeCost bounds the CPU.
	MaxEstimatedCost = 10_000_000
	// MaxRuntimeCost bounds the cost of one evaluation on one event (CEL
	// cost units, about one per operation): past it the evaluation stops
	// and the event does not match.
	MaxRuntimeCost = 10_000
	// payloadSizeBound is the size the estimate assumes for any list, map
	// or string of the payload: the default payload limit, in bytes, is
	// above any of their lengths.
	payloadSizeBound = 256 << 10
)

// The variables a filter reads.
const (
	varEventType      = "eventType"
	varFacilityID     = "facilityId"
	varClientID       = "clientId"
	varOrganizationID = "organizationId"
	varData           = "data"
)

// Env compiles filters. It is safe for concurrent use.
type Env struct {
	env *cel.Env
}

// NewEnv builds the environment every filter is compiled in: the CEL
// standard library, numbers compared across int and double (a JSON
// payload's numbers are doubles), and the event's variables.
func NewEnv() (*Env, error) {
	env, err := cel.NewEnv(
		cel.Variable(varEventType, cel.StringType),
		cel.Variable(varFacilityID, cel.StringType),
		cel.Variable(varClientID, cel.StringType),
		cel.Variable(varOrganizationID, cel.StringType),
		cel.Variable(varData, cel.MapType(cel.StringType, cel.DynType)),
		cel.CrossTypeNumericComparisons(true),
		cel.ParserRecursionLimit(MaxNesting),
		cel.ParserExpressionSizeLimit(hookflow.MaxFilterLength),
	)
	if err != nil {
		return nil, fmt.Errorf("build filter environment: %w", err)
	}
	return &Env{env: env}, nil
}

// Compile compiles expr in a fresh environment (a few microseconds to
// build): the check of a webhook's filter when it is created or patched.
func Compile(expr string) (*Program, error) {
	env, err := NewEnv()
	if err != nil {
		return nil, err
	}
	return env.Compile(expr)
}

// Program is a compiled filter.
type Program struct {
	prg cel.Program
}

// Compile parses, type-checks and bounds expr. The error, an
// *InvalidError, names what is wrong and where.
func (e *Env) Compile(expr string) (*Program, error) {
	if n := len([]rune(expr)); n > hookflow.MaxFilterLength {
		return nil, &InvalidError{Reason: fmt.Sprintf("longer than %d characters", hookflow.MaxFilterLength)}
	}
	ast, iss := e.env.Compile(expr)
	if iss.Err() != nil {
		return nil, &InvalidError{Reason: oneLine(iss.Err())}
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		return nil, &InvalidError{Reason: fmt.Sprintf("it must be a bool, not %s", ast.OutputType())}
	}
	est, err := e.env.EstimateCost(ast, sizes{})
	if err != nil {
		return nil, &InvalidError{Reason: oneLine(err)}
	}
	if est.Max > MaxEstimatedCost {
		return nil, &InvalidError{Reason: fmt.Sprintf("its estimated cost is above %d (a loop inside a loop over the payload?)", MaxEstimatedCost)}
	}
	prg, err := e.env.Program(ast, cel.CostLimit(MaxRuntimeCost), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, &InvalidError{Reason: oneLine(err)}
	}
	return &Program{prg: prg}, nil
}

// InvalidError is a filter that cannot be compiled.
type InvalidError struct {
	Reason string
}

func (e *InvalidError) Error() string { return "filter is not a valid expression: " + e.Reason }

// oneLine keeps the first line of each CEL error ("ERROR: <input>:1:5:
// undeclared reference to 'foo'"), dropping the source excerpt under it,
// the empty container CEL names and the position of an error that has none
// (a recursion limit's "<input>:-1:0").
func oneLine(err error) string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.HasPrefix(line, " |") || strings.TrimSpace(line) == "" {
			continue
		}
		line = strings.ReplaceAll(line, " (in container '')", "")
		out = append(out, strings.ReplaceAll(line, "<input>:-1:0: ", ""))
	}
	return strings.Join(out, "; ")
}

// Event is what a filter sees of a published event. Its payload is decoded
// once, on the first match, and shared by every filter of the publish.
type Event struct {
	vars    map[string]any
	decoded bool
	data    json.RawMessage
}

// NewEvent wraps a published event for matching.
func NewEvent(ev *hookflow.Event) *Event {
	return &Event{data: ev.Data, vars: map[string]any{
		varEventType: ev.EventType, varFacilityID: ev.FacilityID,
		varClientID: ev.ClientID, varOrganizationID: ev.OrganizationID,
	}}
}

// activation returns the variables, decoding the payload the first time. A
// payload that is not a JSON object leaves data empty.
func (ev *Event) activation() map[string]any {
	if !ev.decoded {
		ev.decoded = true
		var data map[string]any
		if err := json.Unmarshal(ev.data, &data); err != nil || data == nil {
			data = map[string]any{}
		}
		ev.vars[varData] = data
	}
	return ev.vars
}

// ErrNotBool is an evaluation that did not end in a bool (a dyn value).
var ErrNotBool = errors.New("filter did not evaluate to a bool")

// Match evaluates the filter on ev. An error (the runtime cost limit, a
// missing key, a wrong type) is the caller's to treat as not matching.
func (p *Program) Match(ev *Event) (bool, error) {
	out, _, err := p.prg.Eval(ev.activation())
	if err != nil {
		return false, fmt.Errorf("evaluate filter: %w", err)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, ErrNotBool
	}
	return b, nil
}

// sizes tells the cost estimate how large the event's values may be.
type sizes struct{}

func (sizes) EstimateSize(node cost.AstNode) *cost.SizeEstimate {
	path := node.Path()
	if len(path) == 0 {
		return nil
	}
	switch path[0] {
	case varData:
		s := cost.RangedSizeEstimate(0, payloadSizeBound)
		return &s
	case varEventType, varFacilityID, varClientID, varOrganizationID:
		s := cost.RangedSizeEstimate(0, hookflow.MaxIDLength)
		return &s
	}
	return nil
}

func (sizes) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}
