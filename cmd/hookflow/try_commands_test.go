package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEventsListShowsEachEventTypeWithItsKind(t *testing.T) {
	s := startRole(t, "api", "/healthcheck", nil)
	out, err := execute(t, "events", "list", "--server", s.url)
	if err != nil {
		t.Fatalf("events list: %v\n%s", err, out)
	}
	kinds := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.Contains(f[0], ".") {
			kinds[f[0]] = f[1]
		}
	}
	for code, kind := range map[string]string{
		"shift.created":              "facility",
		"facility.creation.accepted": "user",
		"endpoint.disabled":          "any-by-name",
	} {
		if kinds[code] != kind {
			t.Errorf("%s listed with kind %q, want %q:\n%s", code, kinds[code], kind, out)
		}
	}
	if len(kinds) != 18 {
		t.Errorf("%d event types listed, want the 14 of the seeded catalog and the 4 operational ones:\n%s", len(kinds), out)
	}
}

func TestWebhooksDeleteRemovesTheWebhook(t *testing.T) {
	s := startRole(t, "api", "/healthcheck", nil)
	out, err := execute(t, "webhooks", "create", "--server", s.url, "--kind", "user", "--url", s.url+"/api/webhook-processors/success-response")
	if err != nil {
		t.Fatalf("webhooks create: %v\n%s", err, out)
	}
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Data.ID == "" {
		t.Fatalf("create printed %q (%v)", out, err)
	}
	if out, err := execute(t, "webhooks", "delete", created.Data.ID, "--server", s.url, "--kind", "user"); err != nil {
		t.Fatalf("webhooks delete: %v\n%s", err, out)
	}
	out, err = execute(t, "webhooks", "list", "--server", s.url, "--kind", "user")
	if err != nil || strings.Contains(out, created.Data.ID) {
		t.Errorf("list after delete (%v):\n%s", err, out)
	}
	out, err = execute(t, "webhooks", "delete", created.Data.ID, "--server", s.url, "--kind", "user")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(out, "Webhook not found") {
		t.Errorf("second delete: %v\n%s", err, out)
	}
	if _, err := execute(t, "webhooks", "delete", "--server", s.url); err == nil {
		t.Error("delete without a webhook id ran")
	}
}

func TestWebhooksCreateSendsTheFilter(t *testing.T) {
	s := startRole(t, "api", "/healthcheck", nil)
	out, err := execute(t, "webhooks", "create", "--server", s.url, "--kind", "user", "--url", s.url+"/api/webhook-processors/success-response",
		"--filter", "data.amount > 100")
	if err != nil {
		t.Fatalf("webhooks create: %v\n%s", err, out)
	}
	var created struct {
		Data struct {
			Filter string `json:"filter"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Data.Filter != "data.amount > 100" {
		t.Fatalf("create printed %q (%v), want the filter", out, err)
	}
	out, err = execute(t, "webhooks", "create", "--server", s.url, "--kind", "user", "--url", s.url+"/api/webhook-processors/success-response",
		"--filter", "foo == 1")
	if err == nil || !strings.Contains(out, "undeclared reference to 'foo'") {
		t.Errorf("a bad filter: %v\n%s", err, out)
	}
}

func TestWebhooksCreateSendsRepeatedHeaderFlags(t *testing.T) {
	s := startRole(t, "api", "/healthcheck", nil)
	out, err := execute(t, "webhooks", "create", "--server", s.url, "--kind", "user", "--url", s.url+"/api/webhook-processors/success-response",
		"--header", "Authorization=Bearer a=b,c", "--header", "X-Tenant=acme")
	if err != nil {
		t.Fatalf("webhooks create: %v\n%s", err, out)
	}
	var created struct {
		Data struct {
			Headers map[string]string `json:"headers"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Data.Headers["Authorization"] != "Bearer a=b,c" || created.Data.Headers["X-Tenant"] != "acme" {
		t.Fatalf("create printed %q (%v), want both headers", out, err)
	}
	out, err = execute(t, "webhooks", "create", "--server", s.url, "--kind", "user", "--url", s.url+"/x", "--header", "webhook-id=forged")
	if err == nil || !strings.Contains(out, "headers.webhook-id is reserved") {
		t.Errorf("a reserved header: %v\n%s", err, out)
	}
	if _, err := execute(t, "webhooks", "create", "--server", s.url, "--url", s.url+"/x", "--header", "no-equals-sign"); err == nil || !strings.Contains(err.Error(), "NAME=VALUE") {
		t.Errorf("a header without '=': %v", err)
	}
}
