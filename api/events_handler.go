package api

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/dispatch"
)

// eventHandlers publish events.
type eventHandlers struct {
	catalog  EventCodes
	dispatch Publisher
	bind     *binder
}

func newEventHandlers(catalog EventCodes, dispatch Publisher, bind *binder) *eventHandlers {
	return &eventHandlers{catalog: catalog, dispatch: dispatch, bind: bind}
}

// publishBody is the body of POST /api/v2/events.
type publishBody struct {
	ID             string          `json:"id" validate:"optional,string,max_length=MaxIDLength,header_safe"`
	EventType      string          `json:"eventType" validate:"string,in"`
	FacilityID     string          `json:"facilityId" validate:"optional,string,max_length=MaxIDLength"`
	ClientID       string          `json:"clientId" validate:"optional,string,max_length=MaxIDLength"`
	OrganizationID string          `json:"organizationId" validate:"optional,string,max_length=MaxIDLength"`
	Data           json.RawMessage `json:"data" validate:"object"`
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

func (h *eventHandlers) publish(c *gin.Context) {
	obj, err := h.bind.readObject(c)
	if err != nil {
		fail(c, err)
		return
	}
	allowed, err := h.catalog.AllEventCodes(c)
	if err != nil {
		requestLogger(c).ErrorContext(c, "load event catalog", "error", err)
		fail(c, dispatch.ErrUnavailable) // the database is down: the publisher should retry
		return
	}
	// Operational events are Hookflow's own: a publisher cannot forge one.
	allowed = slices.DeleteFunc(allowed, hookflow.IsOperationalEvent)
	body, err := decode[publishBody](c, h.bind, obj, allowing(fieldValues{"eventType": allowed}))
	if err != nil {
		fail(c, err)
		return
	}
	ev := &hookflow.Event{
		ID:             body.ID,
		EventType:      body.EventType,
		FacilityID:     body.FacilityID,
		ClientID:       body.ClientID,
		OrganizationID: body.OrganizationID,
		Data:           body.Data,
	}
	published, err := h.dispatch.Publish(c, ev)
	if err != nil {
		fail(c, err)
		return
	}
	out := publishedEvent{EventID: published.EventID, Deliveries: make([]publishedDelivery, 0, len(published.Deliveries))}
	for _, d := range published.Deliveries {
		out.Deliveries = append(out.Deliveries, publishedDelivery{ID: d.ID, WebhookID: d.WebhookID, WorkflowID: dispatch.WorkflowID(d.ID)})
	}
	c.JSON(http.StatusAccepted, dataEnvelope{Data: out})
}
