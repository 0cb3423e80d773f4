package api

import (
	"strconv"

	"github.com/hookflow/hookflow"
)

// Lists of the ECG module page by creation time with order_by, skip and
// take, and answer {"data": [...], "total": N} (listEnvelope).

const (
	defaultTake = 10
	maxTake     = 100
)

// listQuery is the ECG lists' parameters; list queries with filters embed it.
type listQuery struct {
	OrderBy string `json:"order_by" validate:"optional,oneof=ASC DESC"`
	Skip    string `json:"skip" validate:"optional,int,min_num=0"`
	Take    string `json:"take" validate:"optional,int,min_num=1,max_num=100"`
}

// page turns validated parameters into a hookflow.Page, with the defaults.
func (q listQuery) page() hookflow.Page {
	p := hookflow.Page{Descending: q.OrderBy == "DESC", Take: defaultTake}
	if n, err := strconv.Atoi(q.Skip); err == nil {
		p.Skip = n
	}
	if n, err := strconv.Atoi(q.Take); err == nil {
		p.Take = min(n, maxTake)
	}
	return p
}

// listOf renders items with view as a list answer.
func listOf[T, V any](items []T, total int, view func(T) V) listEnvelope {
	out := make([]V, 0, len(items))
	for _, item := range items {
		out = append(out, view(item))
	}
	return listEnvelope{Data: out, Total: total}
}
