package e2e_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Three webhooks with different filters and one without get a mixed burst
// of events: each receiver gets exactly the events its filter matches, and
// a filtered-out webhook gets no delivery at all (so no workflow). A filter
// that fails on an event (a missing key) does not match it.
func TestFiltersDeliverExactlyTheMatchingEvents(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	tn := newTenant(t)
	filters := []string{
		`eventType == "shift.created"`,
		`data.shiftId == "s-1"`,
		`eventType == "shift.cancelled" && data.amount > 100`, // fails where amount is missing
		"", // no filter: every event
	}
	receivers := make([]*receiver, len(filters))
	webhookIDs := map[string]int{}
	for i, f := range filters {
		receivers[i] = newReceiver(t)
		body := map[string]any{"url": receivers[i].URL, "events": []string{"all"}, "facilities": []string{tn.facilities[0]}}
		if f != "" {
			body["filter"] = f
		}
		webhookIDs[s.createWebhook(tn, "facility", body)["id"].(string)] = i
	}

	const events = 30
	want := make([]int, len(filters))
	gotDeliveries := make([]int, len(filters))
	for n := range events {
		eventType := []string{"shift.created", "shift.cancelled"}[n%2]
		data := map[string]any{"shiftId": fmt.Sprintf("s-%d", n%3)}
		if n%5 != 0 {
			data["amount"] = n * 10
		}
		amount, hasAmount := data["amount"].(int)
		matches := []bool{
			eventType == "shift.created",
			data["shiftId"] == "s-1",
			eventType == "shift.cancelled" && hasAmount && amount > 100,
			true,
		}
		for i, m := range matches {
			if m {
				want[i]++
			}
		}
		r := s.do(http.MethodPost, "/api/v2/events", tn.token, map[string]any{
			"id": fmt.Sprintf("evt-%s-%d", tn.clientID, n), "eventType": eventType, "facilityId": tn.facilities[0], "data": data})
		if r.status != http.StatusAccepted {
			t.Fatalf("publish %d: %d %s", n, r.status, r.raw)
		}
		for _, d := range r.data()["deliveries"].([]any) {
			i := webhookIDs[d.(map[string]any)["webhookId"].(string)]
			if !matches[i] {
				t.Errorf("event %d (%s, %v) got a delivery to webhook %d, whose filter %q does not match", n, eventType, data, i, filters[i])
			}
			gotDeliveries[i]++
		}
	}
	for i := range filters {
		if gotDeliveries[i] != want[i] {
			t.Errorf("webhook %d (%q): %d deliveries, want %d", i, filters[i], gotDeliveries[i], want[i])
		}
	}
	// Every delivery there is has been counted above, and the receivers
	// answer 200 (no retries): once each count is reached, no more come.
	for i, rcv := range receivers {
		eventually(t, 30*time.Second, fmt.Sprintf("receiver %d to get %d events", i, want[i]), func() bool { return rcv.count() >= want[i] })
		if rcv.count() != want[i] {
			t.Errorf("receiver %d (%q) got %d events, want exactly %d", i, filters[i], rcv.count(), want[i])
		}
	}
	if want[0] == 0 || want[1] == 0 || want[2] == 0 || want[2] == want[3] {
		t.Fatalf("the burst does not tell the filters apart: %v", want)
	}
}
