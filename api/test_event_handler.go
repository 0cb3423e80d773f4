package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// testEventHandlers send an integrator's test event: one event of a type
// its webhook subscribes to, delivered to that webhook alone through the
// normal engine (signed, retried, logged), so the endpoint can be tried
// without publishing.
type testEventHandlers struct {
	webhooks WebhookReader
	samples  SamplePayloadStore
	catalog  EventCodes
	dispatch TestEventSender
	bind     *binder
}

func newTestEventHandlers(webhooks WebhookReader, samples SamplePayloadStore, catalog EventCodes, dispatch TestEventSender, bind *binder) *testEventHandlers {
	return &testEventHandlers{webhooks: webhooks, samples: samples, catalog: catalog, dispatch: dispatch, bind: bind}
}

// testEventBody is the body of POST .../:webhookId/test; the body may be
// left out altogether.
type testEventBody struct {
	EventType string `json:"eventType" validate:"optional,string,not_empty,text,max_length=MaxIDLength"`
}

type testEventView struct {
	EventID string `json:"eventId"`
	LogID   string `json:"logId"`
}

// send answers 202 with the test event's id and its delivery's log id.
func (h *testEventHandlers) send(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		var body testEventBody
		if c.Request.ContentLength != 0 {
			var err error
			if body, err = bindJSON[testEventBody](c, h.bind); err != nil {
				fail(c, err)
				return
			}
		}
		p := principal(c)
		w, err := h.webhooks.Webhook(c, c.Param("webhookId"))
		if err != nil {
			fail(c, err)
			return
		}
		if w.Kind != kind || w.ClientID != p.ClientID {
			fail(c, hookflow.ErrWebhookNotFound)
			return
		}
		eventType, err := h.eventType(c, w, body.EventType)
		if err != nil {
			fail(c, err)
			return
		}
		ev := &hookflow.Event{EventType: eventType, ClientID: w.ClientID, Data: json.RawMessage(`{}`)}
		if kind == hookflow.KindFacility {
			// The first of the webhook's facilities the token may use, so
			// that the delivery shows in this caller's log.
			i := slices.IndexFunc(w.Facilities, p.MayUseFacility)
			if i < 0 {
				fail(c, hookflow.Invalid("This webhook has none of your token's facilities: a test event needs one"))
				return
			}
			ev.FacilityID = w.Facilities[i]
		}
		sample, err := h.samples.SampleData(c, eventType)
		if err != nil {
			fail(c, err)
			return
		}
		if sample != nil {
			ev.Data = sample
		}
		del, err := h.dispatch.SendTestEvent(c, ev, *w)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusAccepted, dataEnvelope{Data: testEventView{EventID: ev.ID, LogID: del.ID}})
	}
}

// eventType is the test event's type: the one asked for, which the webhook
// must subscribe to, else the first it subscribes to; "all" stands for
// every live event of the webhook's category.
func (h *testEventHandlers) eventType(c *gin.Context, w *hookflow.Webhook, asked string) (string, error) {
	subscribed := slices.DeleteFunc(slices.Clone(w.Events), func(e string) bool { return e == hookflow.AllEvents })
	if len(subscribed) < len(w.Events) {
		codes, err := h.catalog.CatalogEventCodes(c, hookflow.CategoryForKind(w.Kind))
		if err != nil {
			return "", err
		}
		for _, code := range codes {
			if !slices.Contains(subscribed, code) {
				subscribed = append(subscribed, code)
			}
		}
	}
	if len(subscribed) == 0 {
		return "", hookflow.Invalid("This webhook subscribes to no event type the catalog has now: there is nothing to test")
	}
	if asked == "" {
		return subscribed[0], nil
	}
	if !slices.Contains(subscribed, asked) {
		return "", hookflow.Invalid("eventType must be one this webhook subscribes to: " + strings.Join(subscribed, ", "))
	}
	return asked, nil
}
