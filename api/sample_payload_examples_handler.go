package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hookflow/hookflow"
)

// exampleTypeQuery is the query of sample payload examples; `type`
// defaults to ack.
type exampleTypeQuery struct {
	Type string `json:"type" validate:"optional,oneof=ack nack phone-log vitals-observation"`
}

// exampleData is the built-in data of each example type, used when the
// event has no sample payload of its version.
var exampleData = map[string]string{
	"ack":                `{"status":"ack","message":"Received and processed","processedAt":"2026-01-01T10:00:00Z"}`,
	"nack":               `{"status":"nack","message":"Rejected: unknown patient","reason":"UNKNOWN_PATIENT","retryable":false}`,
	"phone-log":          `{"phoneLogId":"4b8f0a52-2c1e-4c1d-9a55-3f0f5c1e7a10","direction":"inbound","from":"+15555550100","to":"+15555550199","startedAt":"2026-01-01T10:00:00Z","durationSeconds":184,"outcome":"answered"}`,
	"vitals-observation": `{"observationId":"9d1c6f3e-7a4b-4e0f-8f61-2a9c5b7d3e21","patientId":"P-1001","observedAt":"2026-01-01T10:00:00Z","vitals":{"heartRate":72,"respiratoryRate":16,"bloodPressure":{"systolic":120,"diastolic":80},"temperatureC":36.8,"spo2":98}}`,
}

type exampleView struct {
	Type      string          `json:"type"`
	EventType string          `json:"eventType"`
	Payload   json.RawMessage `json:"payload"`
}

// deliveryBody makes the body a receiver would get for event e now: its
// sample payload of its version as data when it has one, else fallback.
func (h *samplePayloadHandlers) deliveryBody(c *gin.Context, e *hookflow.CatalogEvent, fallback string) (json.RawMessage, error) {
	data := json.RawMessage(fallback)
	sample, err := h.payloads.SamplePayload(c, e.ID, e.Version)
	switch {
	case err == nil:
		data = sample.Payload
	case hookflow.ErrorCodeOf(err) != hookflow.ENOTFOUND:
		return nil, err
	}
	ev := hookflow.Event{ID: uuid.NewString(), EventType: e.Code, CreatedAt: time.Now(), Data: data}
	body, err := ev.Envelope()
	if err != nil {
		return nil, fmt.Errorf("render example delivery of %s: %w", e.Code, err)
	}
	return body, nil
}

func (h *samplePayloadHandlers) getSamplePayloadExample(c *gin.Context) {
	e, err := pathEvent(c, h.catalog)
	if err != nil {
		fail(c, err)
		return
	}
	q, err := bindQuery[exampleTypeQuery](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	if q.Type == "" {
		q.Type = "ack"
	}
	body, err := h.deliveryBody(c, e, exampleData[q.Type])
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, exampleView{Type: q.Type, EventType: e.Code, Payload: body})
}

// randomDeliveryPayload answers a freshly made delivery body of a random
// live event.
func (h *samplePayloadHandlers) randomDeliveryPayload(c *gin.Context) {
	e, err := h.catalog.RandomLiveEvent(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := h.deliveryBody(c, e, `{}`)
	if err != nil {
		fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}
