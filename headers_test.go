package hookflow_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
)

func TestCheckCustomHeadersNamesEachBrokenRule(t *testing.T) {
	many := map[string]string{}
	for i := range hookflow.MaxCustomHeaders + 1 {
		many[fmt.Sprintf("X-H%02d", i)] = "v"
	}
	atLimit := map[string]string{}
	for i := range hookflow.MaxCustomHeaders {
		atLimit[fmt.Sprintf("X-H%02d", i)] = strings.Repeat("v", hookflow.MaxHeaderValueLength)
	}
	tests := []struct {
		name    string
		headers map[string]string
		want    []string
	}{
		{"none", nil, nil},
		{"authorization is allowed", map[string]string{"Authorization": "Bearer t0k3n"}, nil},
		{"every token character", map[string]string{"!#$%&'*+-.^_`|~09AZaz": "v"}, nil},
		{"at the limits", atLimit, nil},
		{"name of 64", map[string]string{strings.Repeat("n", 64): "v"}, nil},
		{"too many", many, []string{"headers must contain no more than 10 entries"}},
		{"name of 65", map[string]string{strings.Repeat("n", 65): "v"}, []string{`headers."` + strings.Repeat("n", 64) + `…" must have a name shorter than or equal to 64 characters`}},
		{"value of 1025", map[string]string{"X-A": strings.Repeat("v", 1025)}, []string{"headers.X-A must be shorter than or equal to 1024 characters"}},
		{"CR in value", map[string]string{"X-A": "a\rb"}, []string{"headers.X-A must not contain CR or LF characters"}},
		{"LF in value", map[string]string{"X-A": "a\nb"}, []string{"headers.X-A must not contain CR or LF characters"}},
		{"NUL in value", map[string]string{"X-A": "a\x00b"}, []string{"headers.X-A must contain only visible ASCII characters and spaces"}},
		{"DEL in value", map[string]string{"X-A": "a\x7fb"}, []string{"headers.X-A must contain only visible ASCII characters and spaces"}},
		{"CRLF in name", map[string]string{"X-A\r\nX-B": "v"}, []string{`headers."X-A\r\nX-B" must not contain CR or LF characters`}},
		{"colon in name", map[string]string{"X-A:": "v"}, []string{`headers."X-A:" must have a name that is an HTTP token (letters, digits and !#$%&'*+-.^_` + "`" + `|~)`}},
		{"webhook-id", map[string]string{"webhook-id": "v"}, []string{"headers.webhook-id is reserved"}},
		{"WEBHOOK-TIMESTAMP", map[string]string{"WEBHOOK-TIMESTAMP": "v"}, []string{"headers.WEBHOOK-TIMESTAMP is reserved"}},
		{"Webhook-Anything", map[string]string{"Webhook-Anything": "v"}, []string{"headers.Webhook-Anything is reserved"}},
		{"Content-Type", map[string]string{"Content-Type": "v"}, []string{"headers.Content-Type is reserved"}},
		{"content-LENGTH", map[string]string{"content-LENGTH": "v"}, []string{"headers.content-LENGTH is reserved"}},
		{"Host", map[string]string{"Host": "v"}, []string{"headers.Host is reserved"}},
		{"User-Agent", map[string]string{"User-Agent": "v"}, []string{"headers.User-Agent is reserved"}},
		{"hop-by-hop", map[string]string{"Connection": "v", "TE": "v", "Upgrade": "v", "Trailer": "v", "Keep-Alive": "v", "Transfer-Encoding": "v"}, []string{
			"headers.Connection is reserved", "headers.Keep-Alive is reserved", "headers.TE is reserved", "headers.Trailer is reserved",
			"headers.Transfer-Encoding is reserved", "headers.Upgrade is reserved"}},
		{"Proxy-Connection", map[string]string{"Proxy-Connection": "v"}, []string{"headers.Proxy-Connection is reserved"}},
		{"same name twice", map[string]string{"X-A": "1", "x-a": "2"}, []string{"headers.x-a repeats headers.X-A: header names are case-insensitive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hookflow.CheckCustomHeaders(tt.headers); !slices.Equal(got, tt.want) {
				t.Errorf("CheckCustomHeaders = %q, want %q", got, tt.want)
			}
		})
	}
}
