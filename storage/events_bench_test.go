package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

// benchmarkPublish publishes events to a client with 10 user webhooks, each
// with filter (empty: none), and reports the deliveries per publish.
func benchmarkPublish(b *testing.B, filter string, data string) {
	ctx := context.Background()
	s := testDB.Stores
	id := testenv.RandomID(6)
	client := "client-bench-" + id
	for range 10 {
		testenv.NewWebhook(b, s, &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client, Filter: filter})
	}
	deliveries, n := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		ev := &hookflow.Event{ID: fmt.Sprintf("evt-bench-%s-%d", id, n), EventType: "facility.creation.accepted", ClientID: client, Data: json.RawMessage(data)}
		ds, _, err := s.Events.PublishEvent(ctx, ev, "facility")
		if err != nil {
			b.Fatal(err)
		}
		deliveries += len(ds)
	}
	b.ReportMetric(float64(deliveries)/float64(n), "deliveries/op")
}

const benchPayload = `{"shiftId": "s-1", "amount": 150, "tags": ["a", "vip"], "note": "a payload of a usual size for a shift event"}`

// BenchmarkPublishWithoutFilter is the baseline of BenchmarkPublishWithFilter.
func BenchmarkPublishWithoutFilter(b *testing.B) {
	benchmarkPublish(b, "", benchPayload)
}

// BenchmarkPublishWithFilter evaluates ten (cached) filters per publish,
// all matching, so the deliveries are the baseline's.
func BenchmarkPublishWithFilter(b *testing.B) {
	benchmarkPublish(b, `eventType == "facility.creation.accepted" && data.amount > 100 && data.tags.exists(t, t == "vip")`, benchPayload)
}
