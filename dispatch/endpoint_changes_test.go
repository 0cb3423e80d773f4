package dispatch

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

func TestResumeDelaysSpreadAtTheRateLimitOrTwentyPerSecond(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		n, rateLimit int
		want         []time.Duration
	}{
		{0, 0, []time.Duration{}},
		{4, 0, []time.Duration{0, 50 * ms, 100 * ms, 150 * ms}}, // 20 per second
		{3, 4, []time.Duration{0, 250 * ms, 500 * ms}},
		{3, 1, []time.Duration{0, time.Second, 2 * time.Second}},
		{2, 1000, []time.Duration{0, ms}},
	}
	for _, tt := range tests {
		if got := resumeDelays(tt.n, tt.rateLimit); !slices.Equal(got, tt.want) {
			t.Errorf("resumeDelays(%d, %d) = %v, want %v", tt.n, tt.rateLimit, got, tt.want)
		}
	}
	// 1,000 deliveries without a limit come back over 50 s, never more than 20 in a second.
	d := resumeDelays(1000, 0)
	if last := d[len(d)-1]; last != 49950*ms {
		t.Errorf("last of 1000 resumes after %v, want 49.95s", last)
	}
}

func TestAnOperationalEventIsAddressedToTheEndpointsTenant(t *testing.T) {
	since := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	at := since.Add(time.Hour)
	change := func(kind hookflow.WebhookKind, c hookflow.EndpointChangeKind) hookflow.PendingEndpointChange {
		return hookflow.PendingEndpointChange{
			EndpointChange: hookflow.EndpointChange{ID: "c1", WebhookID: "w1", Kind: c, Threshold: 70, CreatedAt: at},
			Kind:           kind, ClientID: "client-1", OrganizationID: "org-1", URL: "https://example.com/h", State: hookflow.EndpointOpen, FailingSince: &since,
		}
	}
	ev, err := operationalEvent(change(hookflow.KindUser, hookflow.ChangeFailing))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "endpoint-change-c1" || ev.EventType != hookflow.EventFailing || ev.ClientID != "client-1" || ev.OrganizationID != "" || ev.FacilityID != "" {
		t.Errorf("event = %+v", ev)
	}
	want := `{"webhookId":"w1","kind":"user","url":"https://example.com/h","state":"open","change":"failing","threshold":70,"reason":"","failingSince":"2026-12-01T08:00:00Z","occurredAt":"2026-12-01T09:00:00Z"}`
	if string(ev.Data) != want {
		t.Errorf("data = %s\nwant   %s", ev.Data, want)
	}
	ev, _ = operationalEvent(change(hookflow.KindOrganization, hookflow.ChangeCircuitClosed))
	var data hookflow.EndpointEventData
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		t.Fatal(err)
	}
	if ev.EventType != hookflow.EventRecovered || ev.OrganizationID != "org-1" || ev.ClientID != "" || data.State != hookflow.EndpointClosed {
		t.Errorf("subscription's event = %+v, data %+v", ev, data)
	}
}
