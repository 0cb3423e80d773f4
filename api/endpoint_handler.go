package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// An endpoint (a public webhook, or an organization's subscription) shows
// its health and stats, is disabled and re-enabled by hand, and recovers
// its deliveries of a window in bulk. Both surfaces serve the same
// handlers; they differ in how the path names the endpoint (endpointFinder)
// and in their envelope (the public {"data": ...}, the ECG bare object).

// endpointHandlers serve endpoints' health, enable/disable and recover.
type endpointHandlers struct {
	webhooks      WebhookReader
	subscriptions SubscriptionReader
	endpoints     EndpointStore
	recoveries    RecoveryReader
	catalog       EventCodes
	dispatch      endpointDispatcher
	bind          *binder
}

func newEndpointHandlers(webhooks WebhookReader, subscriptions SubscriptionReader, endpoints EndpointStore, recoveries RecoveryReader,
	catalog EventCodes, dispatch endpointDispatcher, bind *binder) *endpointHandlers {
	return &endpointHandlers{webhooks: webhooks, subscriptions: subscriptions, endpoints: endpoints, recoveries: recoveries,
		catalog: catalog, dispatch: dispatch, bind: bind}
}

// endpointFinder returns the id of the path's endpoint that the caller may
// act on, or the surface's 404.
type endpointFinder func(c *gin.Context) (string, error)

// envelope wraps an answer as its surface does.
type envelope func(v any) any

func publicEnvelope(v any) any { return dataEnvelope{Data: v} }
func ecgEnvelope(v any) any    { return v }

// publicEndpoint finds a webhook of kind: its integrator's, or any for
// support, as the logs are read. Any other is "Webhook not found".
func (h *endpointHandlers) publicEndpoint(kind hookflow.WebhookKind) endpointFinder {
	return func(c *gin.Context) (string, error) {
		w, err := h.webhooks.Webhook(c, c.Param("webhookId"))
		if err != nil {
			return "", err
		}
		p := principal(c)
		if w.Kind != kind || (!p.HasAny(auth.RoleSupport) && w.ClientID != p.ClientID) {
			return "", hookflow.ErrWebhookNotFound
		}
		return w.ID, nil
	}
}

// subscriptionEndpoint finds the path's subscription of the organization
// (orgScoped checked the caller).
func (h *endpointHandlers) subscriptionEndpoint(c *gin.Context) (string, error) {
	sub, err := pathSubscription(c, h.subscriptions)
	if err != nil {
		return "", err
	}
	return sub.ID, nil
}

// Bodies.

// disableBody is the body of POST .../disable; it may be left out.
type disableBody struct {
	Reason *string `json:"reason" validate:"optional,string,text,max_length=500"`
}

// recoverBody is the body of POST .../recover and enable's "recover".
type recoverBody struct {
	Since     string  `json:"since" validate:"string,rfc3339"`
	Until     *string `json:"until" validate:"optional,string,rfc3339"`
	EventType *string `json:"eventType" validate:"optional,string,in"`
	Status    *string `json:"status" validate:"optional,string,oneof=failed retrying"`
}

type enableBody struct {
	Recover *recoverBody `json:"recover" validate:"optional,object"`
}

// recoverHeaders are the headers a recover reads: its key becomes part of
// a Temporal workflow id, and of each attempt's update id.
type recoverHeaders = retryHeaders

// recoveryClockSkew is how far past the server's now a window may end:
// a caller's clock a little ahead is not an error.
const recoveryClockSkew = 5 * time.Minute

// windowRule checks the window of a recover body at path ("" or
// "recover."): since before until, until not in the future, at most the
// log retention long.
func windowRule(path string, now time.Time) extraRule {
	return func(obj map[string]any) []string {
		if path != "" {
			inner, ok := obj["recover"].(map[string]any)
			if !ok {
				return nil
			}
			obj = inner
		}
		since, ok := parseDate(obj["since"])
		if !ok {
			return nil // the field's own rules said why
		}
		until := now
		if obj["until"] != nil {
			u, ok := parseDate(obj["until"])
			if !ok {
				return nil
			}
			until = *u
		}
		switch {
		case !since.Before(until):
			return []string{path + "since must be a date before until"}
		case until.After(now.Add(recoveryClockSkew)):
			return []string{path + "until must not be in the future"}
		case until.Sub(*since) > hookflow.MaxRecoveryWindow:
			return []string{fmt.Sprintf("%suntil must be at most %d days after since (the log retention)", path, int(hookflow.MaxRecoveryWindow.Hours()/24))}
		}
		return nil
	}
}

// readOptionalObject reads a JSON object body, or an empty one when the
// request has none: the bodies of disable and enable may be left out.
func (h *endpointHandlers) readOptionalObject(c *gin.Context) (map[string]any, error) {
	if c.Request.ContentLength == 0 && c.GetHeader("Content-Type") == "" {
		return map[string]any{}, nil
	}
	return h.bind.readObject(c)
}

// recoveryRequest turns a checked recover body into a request of endpoint id.
func recoveryRequest(c *gin.Context, id, key string, body recoverBody, now time.Time) hookflow.RecoveryRequest {
	since, _ := parseDate(body.Since)
	req := hookflow.RecoveryRequest{WebhookID: id, IdempotencyKey: key, Since: *since, Until: now, CreatedBy: principal(c).Subject}
	if body.Until != nil {
		until, _ := parseDate(*body.Until)
		req.Until = *until
	}
	if body.EventType != nil {
		req.EventType = *body.EventType
	}
	if body.Status != nil {
		req.Status = hookflow.DeliveryStatus(*body.Status)
	}
	return req
}

// Handlers.

func (h *endpointHandlers) health(find endpointFinder, wrap envelope) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := find(c)
		if err != nil {
			fail(c, err)
			return
		}
		view, err := h.healthView(c, id)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, wrap(view))
	}
}

func (h *endpointHandlers) healthView(c *gin.Context, id string) (*endpointHealthView, error) {
	report, err := h.endpoints.EndpointReport(c, id, time.Now())
	if err != nil {
		return nil, err
	}
	view := toEndpointHealthView(report)
	return &view, nil
}

func (h *endpointHandlers) disable(find endpointFinder, wrap envelope) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := find(c)
		if err != nil {
			fail(c, err)
			return
		}
		obj, err := h.readOptionalObject(c)
		if err != nil {
			fail(c, err)
			return
		}
		body, err := decode[disableBody](c, h.bind, obj)
		if err != nil {
			fail(c, err)
			return
		}
		reason := "disabled through the API"
		if body.Reason != nil && *body.Reason != "" {
			reason = *body.Reason
		}
		if err := h.endpoints.DisableEndpoint(c, id, reason, principal(c).Subject); err != nil {
			fail(c, err)
			return
		}
		h.changed(c, id)
		view, err := h.healthView(c, id)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, wrap(view))
	}
}

func (h *endpointHandlers) enable(find endpointFinder, wrap envelope) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := find(c)
		if err != nil {
			fail(c, err)
			return
		}
		headers, err := bindHeaders[recoverHeaders](c, h.bind)
		if err != nil {
			fail(c, err)
			return
		}
		obj, err := h.readOptionalObject(c)
		if err != nil {
			fail(c, err)
			return
		}
		codes, err := h.catalog.AllEventCodes(c)
		if err != nil {
			fail(c, err)
			return
		}
		now := time.Now()
		body, err := decode[enableBody](c, h.bind, obj, allowing(fieldValues{"recover.eventType": codes}), alsoChecking(windowRule("recover.", now)))
		if err != nil {
			fail(c, err)
			return
		}
		if err := h.endpoints.EnableEndpoint(c, id, principal(c).Subject); err != nil {
			fail(c, err)
			return
		}
		h.changed(c, id)
		view, err := h.healthView(c, id)
		if err != nil {
			fail(c, err)
			return
		}
		if body.Recover != nil {
			rec, _, err := h.dispatch.StartRecovery(c, recoveryRequest(c, id, headers.IdempotencyKey, *body.Recover, now))
			if err != nil {
				fail(c, err)
				return
			}
			rv := toRecoveryView(rec)
			view.Recovery = &rv
		}
		c.JSON(http.StatusOK, wrap(view))
	}
}

func (h *endpointHandlers) recover(find endpointFinder, wrap envelope) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := find(c)
		if err != nil {
			fail(c, err)
			return
		}
		headers, err := bindHeaders[recoverHeaders](c, h.bind)
		if err != nil {
			fail(c, err)
			return
		}
		codes, err := h.catalog.AllEventCodes(c)
		if err != nil {
			fail(c, err)
			return
		}
		now := time.Now()
		body, err := bindJSON[recoverBody](c, h.bind, allowing(fieldValues{"eventType": codes}), alsoChecking(windowRule("", now)))
		if err != nil {
			fail(c, err)
			return
		}
		rec, created, err := h.dispatch.StartRecovery(c, recoveryRequest(c, id, headers.IdempotencyKey, body, now))
		if err != nil {
			fail(c, err)
			return
		}
		status := http.StatusAccepted
		if !created {
			status = http.StatusOK // the same key again: that recover, nothing started anew
		}
		c.JSON(status, wrap(toRecoveryView(rec)))
	}
}

func (h *endpointHandlers) recovery(find endpointFinder, wrap envelope) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := find(c)
		if err != nil {
			fail(c, err)
			return
		}
		rec, err := h.recoveries.Recovery(c, id, c.Param("recoveryId"))
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, wrap(toRecoveryView(rec)))
	}
}

// endpointRoutes are the five routes of an endpoint at base on a surface.
func (h *endpointHandlers) endpointRoutes(base string, find endpointFinder, wrap envelope, roles []auth.Role) []route {
	return []route{
		{http.MethodGet, base + "/health", h.health(find, wrap), roles},
		{http.MethodPost, base + "/disable", h.disable(find, wrap), roles},
		{http.MethodPost, base + "/enable", h.enable(find, wrap), roles},
		{http.MethodPost, base + "/recover", h.recover(find, wrap), roles},
		{http.MethodGet, base + "/recoveries/:recoveryId", h.recovery(find, wrap), roles},
	}
}

// changed publishes the change just recorded and acts on it now (a disable
// ends the waiting deliveries, an enable resumes the paused ones). Best
// effort, as a deletion's wake-up: what it misses, the recovery sweep
// publishes, and a delivery finds its endpoint's state at its next attempt.
func (h *endpointHandlers) changed(c *gin.Context, webhookID string) {
	if err := h.dispatch.EndpointChanged(c, webhookID); err != nil {
		requestLogger(c).WarnContext(c, "act on an endpoint's change", "webhook_id", webhookID, "error", err)
	}
}
