package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/hookflow/hookflow/auth"
)

const shiftEvents = "shift.request.created, shift.request.cancelled, shift.report.created, shift.scheduled.cancelled, shift.scheduled, shift.created, shift.report.accepted-automatically, shift.report.accepted, shift.report.rejected, shift.cancelled, all"

func TestLogSearchValidationMessagesMatchSeed004(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	tn := newTenant(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"eventType=shift.exploded", []string{"eventType must be one of the following values: " + shiftEvents}},
		{"startDate=yesterday", []string{"startDate must be RFC 3339 date", "startDate must be a valid ISO 8601 date string"}},
		{"endDate=2026-13-45", []string{"endDate must be RFC 3339 date", "endDate must be a valid ISO 8601 date string"}},
		{"startDate=2026-11-24", []string{"startDate must be RFC 3339 date"}},
		{"startDate=2026-11-24T10:00:00Z&endDate=2026-11-23T10:00:00Z", []string{"startDate must be a date before endDate"}},
		{"limit=-1", []string{"limit must not be less than 0"}},
		{"limit=101", []string{"limit must not be greater than 100"}},
		{"limit=ten", []string{"limit must be a number conforming to the specified constraints"}},
		{"offset=many", []string{"offset must be a number conforming to the specified constraints"}},
		{"offset=-3", []string{"offset must not be less than 0"}},
		{"sortDirection=sideways", []string{"sortDirection must be one of the following values: ASC, DESC"}},
		{"page=2", []string{"property page should not exist"}},
		{"limit=500&offset=-1&sortDirection=UP", []string{"limit must not be greater than 100", "offset must not be less than 0", "sortDirection must be one of the following values: ASC, DESC"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := s.do(http.MethodGet, "/api/v2/public/webhooks/logs?"+tt.query, tn.token, nil)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			got := fmt.Sprint(r.body["message"])
			if want := fmt.Sprint(toAny(tt.want)); got != want || r.body["error"] != "Bad Request" || r.body["statusCode"] != float64(400) {
				t.Errorf("body = %s, want messages %v", r.raw, tt.want)
			}
		})
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestLogSearchFiltersPagesAndKeepsTenantsApart(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn, other := newTenant(t), newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	s.createWebhook(other, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	before := time.Now().UTC()
	for i := range 3 {
		s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{"n": i}})
	}
	s.publish(tn, map[string]any{"eventType": "shift.cancelled", "facilityId": tn.facilities[1], "data": map[string]any{}})
	s.publish(other, map[string]any{"eventType": "shift.created", "facilityId": other.facilities[0], "data": map[string]any{}})
	eventually(t, 10*time.Second, "every delivery", func() bool { return rcv.count() == 5 })

	count := func(tok, q string) int { return len(s.logs(tok, q)) }
	if n := count(tn.token, ""); n != 4 {
		t.Errorf("own logs = %d, want 4", n)
	}
	if n := count(tn.token, "eventType=shift.created"); n != 3 {
		t.Errorf("by event type = %d, want 3", n)
	}
	if n := count(tn.token, "eventType=all"); n != 4 {
		t.Errorf("eventType=all = %d, want 4", n)
	}
	if n := count(tn.token, "facilitiesIds="+tn.facilities[1]); n != 1 {
		t.Errorf("by facility = %d, want 1", n)
	}
	if n := count(tn.token, "facilitiesIds[]="+tn.facilities[0]+"&facilitiesIds[]="+tn.facilities[1]); n != 4 {
		t.Errorf("by both facilities = %d, want 4", n)
	}
	if n := count(tn.token, "startDate="+url.QueryEscape(time.Now().Add(time.Minute).UTC().Format(time.RFC3339))); n != 0 {
		t.Errorf("from the future = %d, want 0", n)
	}
	if n := count(tn.token, "startDate="+url.QueryEscape(before.Add(-time.Second).Format(time.RFC3339))+"&endDate="+url.QueryEscape(time.Now().Add(time.Minute).UTC().Format(time.RFC3339))); n != 4 {
		t.Errorf("within the window = %d, want 4", n)
	}

	r := s.do(http.MethodGet, "/api/v2/public/webhooks/logs?limit=2&offset=1&sortDirection=ASC", tn.token, nil)
	page := r.body["data"].([]any)
	if len(page) != 2 || r.body["total"] != float64(4) {
		t.Fatalf("page = %d entries of total %v, want 2 of 4", len(page), r.body["total"])
	}
	asc := s.logs(tn.token, "sortDirection=asc")
	desc := s.logs(tn.token, "")
	if asc[0]["id"] != desc[3]["id"] || page[0].(map[string]any)["id"] != asc[1]["id"] {
		t.Error("sorting or offset is wrong")
	}

	forbidden := s.do(http.MethodGet, "/api/v2/public/webhooks/logs?facilitiesIds="+other.facilities[0], tn.token, nil)
	if forbidden.status != http.StatusForbidden || forbidden.raw != `{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}` {
		t.Errorf("foreign facility: %d %s", forbidden.status, forbidden.raw)
	}
	support := token(t, auth.Principal{ClientID: "desk", Roles: []auth.Role{auth.RoleSupport}})
	if n := count(support, "facilitiesIds="+other.facilities[0]); n != 1 {
		t.Errorf("support sees %d of another tenant's logs, want 1", n)
	}
	publisherOnly := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	if r := s.do(http.MethodGet, "/api/v2/public/webhooks/logs", publisherOnly, nil); r.status != http.StatusForbidden {
		t.Errorf("publisher reads logs: %d", r.status)
	}
}

func TestOperatorsFindDeliveriesBySearchAttributes(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	w := s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	eventID, ids := s.publish(tn, map[string]any{"eventType": "shift.scheduled", "facilityId": tn.facilities[0], "data": map[string]any{}})
	query := fmt.Sprintf(`WebhookId = %q AND EventId = %q AND FacilityId = %q AND ClientId = %q AND DeliveryStatus = "succeeded" AND AttemptCount = 1`,
		w["id"], eventID, tn.facilities[0], tn.clientID)
	eventually(t, 20*time.Second, "the delivery to show in visibility", func() bool {
		resp, err := testTemporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		return err == nil && len(resp.Executions) == 1 && resp.Executions[0].Execution.WorkflowId == "delivery-"+ids[0]
	})
	desc, err := testTemporal.DescribeWorkflow(context.Background(), "delivery-"+ids[0], "")
	if err != nil {
		t.Fatal(err)
	}
	summary, err := desc.GetStaticSummary()
	if err != nil || !strings.Contains(summary, "shift.scheduled -> "+rcv.URL) {
		t.Errorf("static summary = %q", summary)
	}
}
