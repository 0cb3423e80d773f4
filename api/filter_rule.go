package api

import (
	"unicode/utf8"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/filter"
)

// checkFilter compiles a body's filter, so an expression that could never
// match is refused before anything is stored; its message names the error
// and its position. A filter that is not a string, not text or too long is
// its field rules' to report, and an empty one means none.
func checkFilter(obj map[string]any) []string {
	expr, ok := obj["filter"].(string)
	if !ok || expr == "" || !hookflow.IsText(expr) || utf8.RuneCountInString(expr) > hookflow.MaxFilterLength {
		return nil
	}
	if _, err := filter.Compile(expr); err != nil {
		return []string{err.Error()}
	}
	return nil
}
