package api

import (
	"maps"
	"slices"

	"github.com/hookflow/hookflow"
)

// customHeaders is the `headers` object of a webhook or subscription body:
// header name → value. Its rules need the names, which tags cannot reach,
// so the rule runner checks it as a whole (checkCustomHeaders) after the
// field's own rules (`optional,object`).
type customHeaders map[string]string

// checkCustomHeaders words every problem of a raw headers object: a value
// that is not a string, then hookflow.CheckCustomHeaders's rules (count,
// names, reserved names, values), each naming its header.
func checkCustomHeaders(raw any) []string {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil // the object rule reports it
	}
	var failures []string
	strs := make(map[string]string, len(obj))
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		s, isString := obj[name].(string)
		if !isString {
			failures = append(failures, hookflow.HeaderField(name)+" must be a string")
			continue
		}
		strs[name] = s
	}
	if len(obj) > hookflow.MaxCustomHeaders && len(strs) <= hookflow.MaxCustomHeaders {
		failures = append([]string{hookflow.ErrTooManyHeaders}, failures...)
	}
	return append(failures, hookflow.CheckCustomHeaders(strs)...)
}

// headersView is how an answer shows custom headers: {} for none.
func headersView(h map[string]string) map[string]string {
	if h == nil {
		return map[string]string{}
	}
	return h
}

// shownHeaders is what an answer that shows headers holds: the headers, or
// nothing when there are none, so an answer without headers keeps the
// seeds' shape exactly.
func shownHeaders(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	return h
}
