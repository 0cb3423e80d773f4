package api

import (
	"strconv"
	"strings"

	"github.com/hookflow/hookflow"
)

// Every list pages with hookflow.Page and answers {"data": [...], "total": N}
// (listEnvelope). The two surfaces name a page differently, as their seeds
// do: the public v2 lists with limit and offset (offsetPage), the ECG lists
// with order_by, skip and take (skipTakePage). A list query embeds one of them
// to share its rules, defaults and messages.

// offsetPage is the limit/offset pagination of seed 004. A limit of 0
// answers only the total.
type offsetPage struct {
	Limit  string `json:"limit" validate:"optional,number,min_num=0,max_num=MaxLogLimit"`
	Offset string `json:"offset" validate:"optional,number,min_num=0,max_num=MaxLogOffset"`
}

const defaultPageLimit = 10

// page is the validated page, with its defaults: Take is the limit, Skip
// the offset.
func (p offsetPage) page() hookflow.Page {
	return hookflow.Page{Take: wholeOf(p.Limit, defaultPageLimit), Skip: wholeOf(p.Offset, 0)}
}

// wholeOf reads a validated number parameter ("5", "5.0", "1e1"), or def
// when it is absent.
func wholeOf(s string, def int) int {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return def
	}
	return int(f)
}

const (
	defaultTake = 10
	maxTake     = 100
)

// skipTakePage is the order_by/skip/take pagination of seed 003 (the ECG
// lists).
type skipTakePage struct {
	OrderBy string `json:"order_by" validate:"optional,oneof=ASC DESC"`
	Skip    string `json:"skip" validate:"optional,int,min_num=0"`
	Take    string `json:"take" validate:"optional,int,min_num=1,max_num=100"`
}

// page is the validated page, with its defaults.
func (q skipTakePage) page() hookflow.Page {
	p := hookflow.Page{Descending: q.OrderBy == "DESC", Take: defaultTake}
	if n, err := strconv.Atoi(q.Skip); err == nil {
		p.Skip = n
	}
	if n, err := strconv.Atoi(q.Take); err == nil {
		p.Take = min(n, maxTake)
	}
	return p
}

type dataEnvelope struct {
	Data any `json:"data"`
}

type listEnvelope struct {
	Data  any `json:"data"`
	Total int `json:"total"`
}

// listOf renders items with view as a list answer.
func listOf[T, V any](items []T, total int, view func(T) V) listEnvelope {
	out := make([]V, 0, len(items))
	for _, item := range items {
		out = append(out, view(item))
	}
	return listEnvelope{Data: out, Total: total}
}
