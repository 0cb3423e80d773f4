package api

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
)

func TestIsFiniteFloatRefusesWhatJSONBCannotStore(t *testing.T) {
	tests := map[string]bool{
		"0": true, "-0": true, "0.000": true, "0e10": true, "-0.0E-5": true,
		"1": true, "-1.5": true, "1.7e308": true, "1e-300": true, "123456789012345678901234567890": true,
		"1e400": false, "-1e309": false, "1e-400": false, "1e-20000": false, "1e131073": false,
	}
	for in, want := range tests {
		if got := isFiniteFloat(in); got != want {
			t.Errorf("isFiniteFloat(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestCheckStorableFindsNULAndHugeNumbersAtAnyDepth(t *testing.T) {
	tests := []struct {
		body string
		want error
	}{
		{`{"a":"b","c":[1,2.5,{"d":null,"e":true}]}`, nil},
		{`{"a":"b\u0000"}`, errNUL},
		{`{"a\u0000":1}`, errNUL},
		{`{"a":[[[{"b":{"c\u0000":1}}]]]}`, errNUL},
		{`{"a":[1,[2,["x\u0000"]]]}`, errNUL},
		{`{"a":{"b":1e999}}`, errNumberOutside},
		{`{"a":[1e-999]}`, errNumberOutside},
	}
	for _, tt := range tests {
		dec := json.NewDecoder(strings.NewReader(tt.body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if got := checkStorable(v); got != tt.want {
			t.Errorf("checkStorable(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

func TestValidPortAcceptsOnlyOneTo65535(t *testing.T) {
	tests := map[string]bool{
		"https://example.com/hook": true, "https://example.com:1/": true, "https://example.com:65535/": true,
		"https://[::1]:8443/": true, "https://example.com:/": true, "not a url at all": true, // https_url reports those
		"https://example.com:0/": false, "https://example.com:65536/": false, "https://example.com:99999/": false,
		"https://example.com:00000000/": false,
	}
	for in, want := range tests {
		if got := validPort(in); got != want {
			t.Errorf("validPort(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestResolveParamNamesTheLimitsConstants(t *testing.T) {
	tests := map[string]int{
		"MaxIDLength": hookflow.MaxIDLength, "MaxIdempotencyKeyLength": hookflow.MaxIdempotencyKeyLength,
		"MaxURLLength": hookflow.MaxURLLength, "MaxFacilities": hookflow.MaxFacilities,
		"MaxLogLimit": hookflow.MaxLogLimit, "MaxLogOffset": hookflow.MaxLogOffset,
	}
	for name, want := range tests {
		if got := resolveParam(name); got != strconv.Itoa(want) {
			t.Errorf("resolveParam(%s) = %s, want %d", name, got, want)
		}
	}
	if got := resolveParam("2"); got != "2" {
		t.Errorf("a literal parameter changed: %s", got)
	}
}

type boundedBody struct {
	ID     string   `json:"id" validate:"optional,string,max_length=MaxIDLength,header_safe"`
	Name   string   `json:"name" validate:"string,text,max_length=3"`
	Tags   []string `json:"tags" validate:"optional,array,max_items=2,each_string,each_text,each_max_length=3"`
	URL    string   `json:"url" validate:"optional,string,url_port"`
	Events []string `json:"events" validate:"optional,array,max_allowed"`
}

func TestBoundRulesReportTheirMessages(t *testing.T) {
	r := newRules(false, hookflow.TargetPorts{})
	allowed := fieldValues{"events": {"a", "b"}}
	tests := []struct {
		name string
		body map[string]any
		want []string
	}{
		{"within every bound", map[string]any{"id": "evt:1", "name": "ééé", "tags": []any{"x", "yyy"}, "url": "https://h:443/", "events": []any{"a", "b"}}, nil},
		{"lengths count characters, not bytes", map[string]any{"name": "日本語"}, nil},
		{"missing value: only its type rule", map[string]any{}, []string{"name must be a string"}},
		{"id too long", map[string]any{"id": strings.Repeat("a", hookflow.MaxIDLength+1), "name": "n"}, []string{"id must be shorter than or equal to 255 characters"}},
		{"id not header-safe", map[string]any{"id": "a\r\nb", "name": "n"}, []string{"id must contain only the characters A-Z a-z 0-9 . _ : ~ -"}},
		{"NUL and length", map[string]any{"name": "ab\x00c"}, []string{"name must be valid UTF-8 without NUL characters", "name must be shorter than or equal to 3 characters"}},
		{"invalid UTF-8", map[string]any{"name": "\xff"}, []string{"name must be valid UTF-8 without NUL characters"}},
		{"tags", map[string]any{"name": "n", "tags": []any{"\x00", "long", "x"}}, []string{
			"tags must contain no more than 2 elements",
			"each value in tags must be valid UTF-8 without NUL characters",
			"each value in tags must be shorter than or equal to 3 characters"}},
		{"port", map[string]any{"name": "n", "url": "https://h:70000/"}, []string{"url must have a port between 1 and 65535"}},
		{"more events than allowed", map[string]any{"name": "n", "events": []any{"a", "b", "a"}}, []string{"events must contain no more than 2 elements"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.check(context.Background(), reflect.TypeFor[boundedBody](), tt.body, checkMode{values: allowed}, "")
			if !slices.Equal(got, tt.want) {
				t.Errorf("check = %q\nwant    %q", got, tt.want)
			}
		})
	}
}

func TestDedupeDropsRepeatsKeepingFirstPlaces(t *testing.T) {
	got := dedupe([]string{"b", "a", "b", "c", "a"})
	if !slices.Equal(got, []string{"b", "a", "c"}) {
		t.Errorf("dedupe = %v, want [b a c]", got)
	}
}

// TestEveryNumericRuleParameterResolves catches a tag naming a limit that
// limits.go does not have: it would silently bound the field to 0.
func TestEveryNumericRuleParameterResolves(t *testing.T) {
	numeric := map[string]bool{"max_length": true, "each_max_length": true, "max_items": true, "min_items": true, "max_num": true, "min_num": true}
	for _, req := range []any{webhookBody{}, userWebhookBody{}, publishBody{}, logsQuery{}, retryHeaders{}} {
		for _, f := range fieldsOf(reflect.TypeOf(req)) {
			for _, rule := range f.rules {
				name, param, ok := strings.Cut(rule, "=")
				if !ok || !numeric[name] {
					continue
				}
				if _, err := strconv.Atoi(resolveParam(param)); err != nil {
					t.Errorf("%T.%s: rule %s has a parameter that is neither a number nor a limit", req, f.name, rule)
				}
			}
		}
	}
}

func TestTargetPortAcceptsHTTPSAndHTTPPortsPlusTheConfiguredOnes(t *testing.T) {
	type target struct {
		URL string `json:"url" validate:"string,url_port,target_port"`
	}
	strict := newRules(false, hookflow.TargetPorts{})
	extra := newRules(false, hookflow.TargetPorts{Extra: []int{8443}})
	lifted := newRules(false, hookflow.TargetPorts{Any: true})
	tests := []struct {
		url                   string
		strict, extra, lifted []string
	}{
		{"https://h/", nil, nil, nil},
		{"http://h/", nil, nil, nil},
		{"https://h:443/", nil, nil, nil},
		{"https://h:80/", nil, nil, nil},
		{"https://h:8443/", []string{"url must use port 443 or 80"}, nil, nil},
		{"http://10.0.0.5:22/", []string{"url must use port 443 or 80"}, []string{"url must use port 443, 80 or 8443"}, nil},
		// Out of range stays the url_port rule's message alone.
		{"https://h:70000/", []string{"url must have a port between 1 and 65535"}, []string{"url must have a port between 1 and 65535"}, []string{"url must have a port between 1 and 65535"}},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			r    *rules
			want []string
		}{{strict, tt.strict}, {extra, tt.extra}, {lifted, tt.lifted}} {
			got := c.r.check(context.Background(), reflect.TypeFor[target](), map[string]any{"url": tt.url}, checkMode{}, "")
			if !slices.Equal(got, c.want) {
				t.Errorf("%s with ports %v: %q, want %q", tt.url, c.r.ports, got, c.want)
			}
		}
	}
}
