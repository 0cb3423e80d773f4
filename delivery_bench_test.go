package hookflow_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

func BenchmarkEventEnvelope(b *testing.B) {
	ev := &hookflow.Event{ID: "evt_1", EventType: "shift.created", CreatedAt: time.Now(),
		Data: json.RawMessage(`{"shiftId":"s-1","role":"RN","facilityId":"P-1","startsAt":"2026-11-24T08:00:00Z"}`)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ev.Envelope(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEventEnvelopeCarriesTheDocumentedFields(t *testing.T) {
	ev := &hookflow.Event{ID: "evt_1", EventType: "shift.created", CreatedAt: time.Date(2026, 11, 24, 8, 0, 0, 0, time.FixedZone("x", 3600)),
		Data: json.RawMessage(`{"shiftId":"s-1"}`)}
	got, err := ev.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"evt_1","eventType":"shift.created","createdAt":"2026-11-24T07:00:00Z","data":{"shiftId":"s-1"}}`; string(got) != want {
		t.Errorf("envelope = %s, want %s", got, want)
	}
}
