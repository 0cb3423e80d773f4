package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/dispatch"
)

// Dispatcher publishes events and retries deliveries.
type Dispatcher interface {
	Publish(ctx context.Context, ev *hookflow.Event) (dispatch.Published, error)
	RetryNow(ctx context.Context, d *hookflow.Delivery, idempotencyKey string) (*hookflow.Attempt, error)
	WebhookRemoved(ctx context.Context, webhookID string) error
	Start(ctx context.Context, d hookflow.Delivery) error
	Settle(ctx context.Context, deliveryID string) error
}

// publishBody is the body of POST /api/v2/events.
type publishBody struct {
	ID             any `json:"id" validate:"optional,string,max_length=MaxIDLength,header_safe"`
	EventType      any `json:"eventType" validate:"string,in"`
	FacilityID     any `json:"facilityId" validate:"optional,string,max_length=MaxIDLength"`
	ClientID       any `json:"clientId" validate:"optional,string,max_length=MaxIDLength"`
	OrganizationID any `json:"organizationId" validate:"optional,string,max_length=MaxIDLength"`
	Data           any `json:"data" validate:"object"`
}

type publishedDelivery struct {
	ID         string `json:"id"`
	WebhookID  string `json:"webhookId"`
	WorkflowID string `json:"workflowId"`
}

type publishedEvent struct {
	EventID    string              `json:"eventId"`
	Deliveries []publishedDelivery `json:"deliveries"`
}

func (s *Server) publishEvent(c *gin.Context) {
	var body publishBody
	unknown, err := bindBody(c, s.opts.MaxPayloadBytes, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	allowed, err := s.deps.Catalog.AllEventCodes(c)
	if err != nil {
		s.deps.Logger.ErrorContext(c, "load event catalog", "error", err)
		s.fail(c, dispatch.ErrUnavailable) // the database is down: the publisher should retry
		return
	}
	if failures := append(s.validator.Check(c, &body, allowed, false), unknown...); len(failures) > 0 {
		s.fail(c, hookflow.Invalid(failures...))
		return
	}
	data, err := json.Marshal(body.Data)
	if err != nil {
		s.fail(c, err)
		return
	}
	ev := &hookflow.Event{
		ID:             stringOf(body.ID),
		EventType:      body.EventType.(string),
		FacilityID:     stringOf(body.FacilityID),
		ClientID:       stringOf(body.ClientID),
		OrganizationID: stringOf(body.OrganizationID),
		Data:           data,
	}
	published, err := s.deps.Dispatcher.Publish(c, ev)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := publishedEvent{EventID: published.EventID, Deliveries: make([]publishedDelivery, 0, len(published.Deliveries))}
	for _, d := range published.Deliveries {
		out.Deliveries = append(out.Deliveries, publishedDelivery{ID: d.ID, WebhookID: d.WebhookID, WorkflowID: dispatch.WorkflowID(d.ID)})
	}
	c.JSON(http.StatusAccepted, dataEnvelope{Data: out})
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// testProcessor answers like a receiver would, for trying a webhook out.
func testProcessor(status int) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.JSON(status, gin.H{"value": status < 300})
	}
}
