package api

import (
	"context"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/signing"
)

// webhookHandlers serve the webhooks of seeds 000, 001 and 002.
type webhookHandlers struct {
	webhooks WebhookStore
	catalog  EventCodes
	dispatch WebhookRemover
	bind     *binder
}

func newWebhookHandlers(webhooks WebhookStore, catalog EventCodes, dispatch WebhookRemover, bind *binder) *webhookHandlers {
	return &webhookHandlers{webhooks: webhooks, catalog: catalog, dispatch: dispatch, bind: bind}
}

// webhookBody is the body of seed 000 (facility webhooks).
type webhookBody struct {
	URL        *string  `json:"url" validate:"string,max_length=MaxURLLength,https_url,url_port,target_port"`
	Events     []string `json:"events" validate:"array,min_items=1,max_allowed,each_in"`
	Facilities []string `json:"facilities" validate:"optional,array,max_items=MaxFacilities,each_string,each_max_length=MaxIDLength"`
	Secrets    []string `json:"secrets" validate:"optional,array,min_items=1,max_items=2,each_string,each_secret"`
	Filter     *string  `json:"filter" validate:"optional,string,text,max_length=MaxFilterLength"` // checkFilter compiles it
	// Headers are sent on every attempt; a PATCH replaces the whole set.
	Headers customHeaders `json:"headers" validate:"optional,object"`
	// RateLimit is deliveries per second; null in a PATCH removes it.
	RateLimit *int `json:"rateLimit" validate:"optional,int,min_num=1,max_num=MaxRateLimit"`
}

// userWebhookBody is the body of seeds 001 and 002: no facilities.
type userWebhookBody struct {
	URL       *string       `json:"url" validate:"string,max_length=MaxURLLength,https_url,url_port,target_port"`
	Events    []string      `json:"events" validate:"array,min_items=1,max_allowed,each_in"`
	Secrets   []string      `json:"secrets" validate:"optional,array,min_items=1,max_items=2,each_string,each_secret"`
	Filter    *string       `json:"filter" validate:"optional,string,text,max_length=MaxFilterLength"`
	Headers   customHeaders `json:"headers" validate:"optional,object"`
	RateLimit *int          `json:"rateLimit" validate:"optional,int,min_num=1,max_num=MaxRateLimit"`
}

type webhookResponse struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	Events     []string  `json:"events"`
	ClientID   string    `json:"clientId"`
	Facilities *[]string `json:"facilities,omitempty"`
	Secrets    *[]string `json:"secrets,omitempty"`
	Filter     string    `json:"filter,omitempty"`
	// Headers are shown where secrets are, when there are some: they often
	// hold a credential.
	Headers map[string]string `json:"headers,omitempty"`
	// RateLimit is shown when set: deliveries per second.
	RateLimit int `json:"rateLimit,omitempty"`
}

// Secrets are shown in the answers to a create and an update (seeds 000,
// 001 and 002) and to a get of the one webhook, where its owner fetches its
// signing key (the contract's shape; seed 003 shows a subscription's secret
// on its get likewise). A list or a delete leaves them out, so listing
// cannot harvest every key at once.
const (
	withSecrets    = true
	withoutSecrets = false
)

func toWebhookResponse(w *hookflow.Webhook, showSecrets bool) webhookResponse {
	r := webhookResponse{ID: w.ID, URL: w.URL, Events: w.Events, ClientID: w.ClientID, Filter: w.Filter, RateLimit: w.RateLimit}
	if w.Kind == hookflow.KindFacility {
		facilities := w.Facilities
		if facilities == nil {
			facilities = []string{}
		}
		r.Facilities = &facilities
	}
	if showSecrets {
		secrets := w.Secrets
		if secrets == nil {
			secrets = []string{}
		}
		r.Secrets = &secrets
		r.Headers = shownHeaders(w.Headers)
	}
	return r
}

// allowedEvents lists the events a kind accepts, from the catalog, with
// "all" where the seeds put it: last for facility webhooks, first for user ones.
func allowedEvents(ctx context.Context, catalog EventCodes, kind hookflow.WebhookKind) ([]string, error) {
	codes, err := catalog.CatalogEventCodes(ctx, hookflow.CategoryForKind(kind))
	if err != nil {
		return nil, err
	}
	if kind == hookflow.KindUser {
		return append([]string{hookflow.AllEvents}, codes...), nil
	}
	return append(codes, hookflow.AllEvents), nil
}

// bindWebhook decodes and validates a webhook body of kind, reporting every
// failed rule at once. partial is PATCH. Repeated events, facilities and
// secrets count once. A rateLimit given as null comes back as 0, which
// removes it; absent, it is nil.
func (h *webhookHandlers) bindWebhook(c *gin.Context, kind hookflow.WebhookKind, partial bool) (webhookBody, error) {
	var body webhookBody
	obj, err := h.bind.readObject(c)
	if err != nil {
		return body, err
	}
	v, present := obj["rateLimit"]
	clearRateLimit := present && v == nil
	allowed, err := allowedEvents(c, h.catalog, kind)
	if err != nil {
		return body, err
	}
	operational, err := h.catalog.CatalogEventCodes(c, hookflow.OperationalCategory)
	if err != nil {
		return body, err
	}
	// The operational events are accepted but not listed: the seeds word
	// the allowed events without them.
	opts := []bindOption{allowing(fieldValues{"events": allowed}), alsoAllowing(fieldValues{"events": operational}), alsoChecking(checkFilter)}
	if partial {
		opts = append(opts, partially())
	}
	if kind == hookflow.KindUser {
		user, err := decode[userWebhookBody](c, h.bind, obj, opts...)
		if err != nil {
			return body, err
		}
		body = webhookBody{URL: user.URL, Events: user.Events, Secrets: user.Secrets, Filter: user.Filter, Headers: user.Headers, RateLimit: user.RateLimit}
	} else if body, err = decode[webhookBody](c, h.bind, obj, opts...); err != nil {
		return body, err
	}
	if clearRateLimit {
		body.RateLimit = new(int)
	}
	for _, list := range []*[]string{&body.Events, &body.Facilities, &body.Secrets} {
		if *list != nil {
			*list = dedupe(*list)
		}
	}
	return body, nil
}

// checkFacilities refuses facilities outside the caller's claim.
func checkFacilities(p auth.Principal, facilities []string) error {
	for _, f := range facilities {
		if !p.MayUseFacility(f) {
			return errForbidden
		}
	}
	return nil
}

// withinClaim re-checks a webhook's stored facilities against the caller's
// current claim on a PATCH that leaves them out: those revoked since are
// dropped, so a patch cannot carry them forward. Nil when none is, leaving
// the facilities as they are.
func withinClaim(p auth.Principal, stored []string) []string {
	kept := slices.DeleteFunc(slices.Clone(stored), func(f string) bool { return !p.MayUseFacility(f) })
	if len(kept) == len(stored) {
		return nil
	}
	return kept
}

func (h *webhookHandlers) create(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		body, err := h.bindWebhook(c, kind, false)
		if err != nil {
			fail(c, err)
			return
		}
		w := &hookflow.Webhook{Kind: kind, ClientID: p.ClientID, URL: *body.URL, Events: body.Events, Headers: body.Headers}
		if body.RateLimit != nil {
			w.RateLimit = *body.RateLimit
		}
		if body.Filter != nil {
			w.Filter = *body.Filter
		}
		if kind == hookflow.KindFacility {
			w.Facilities = p.Facilities
			if body.Facilities != nil {
				w.Facilities = body.Facilities
			}
			if err := checkFacilities(p, w.Facilities); err != nil {
				fail(c, err)
				return
			}
		}
		if body.Secrets != nil {
			w.Secrets = body.Secrets
		} else {
			secret, err := signing.GenerateSecret()
			if err != nil {
				fail(c, err)
				return
			}
			w.Secrets = []string{secret}
		}
		if err := h.webhooks.CreateWebhook(c, w); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, dataEnvelope{Data: toWebhookResponse(w, withSecrets)})
	}
}

// visible loads a webhook of kind that the caller may see; any other is
// "Webhook not found", so ids of other tenants leak nothing.
func (h *webhookHandlers) visible(c *gin.Context, kind hookflow.WebhookKind) (*hookflow.Webhook, error) {
	w, err := h.webhooks.Webhook(c, c.Param("webhookId"))
	if err != nil {
		return nil, err
	}
	p := principal(c)
	if w.Kind != kind || (!p.Has(auth.RoleAdmin) && w.ClientID != p.ClientID) {
		return nil, hookflow.ErrWebhookNotFound
	}
	return w, nil
}

func (h *webhookHandlers) list(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		q, err := bindQuery[offsetPage](c, h.bind, withBrackets())
		if err != nil {
			fail(c, err)
			return
		}
		p := principal(c)
		page := q.page()
		filter := hookflow.WebhookFilter{Kind: kind, ClientID: p.ClientID, Limit: page.Take, Offset: page.Skip}
		if p.Has(auth.RoleAdmin) {
			filter.ClientID = ""
		}
		hooks, total, err := h.webhooks.Webhooks(c, filter)
		if err != nil {
			fail(c, err)
			return
		}
		out := make([]webhookResponse, 0, len(hooks))
		for _, w := range hooks {
			out = append(out, toWebhookResponse(w, withoutSecrets))
		}
		c.JSON(http.StatusOK, listEnvelope{Data: out, Total: total})
	}
}

func (h *webhookHandlers) get(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		w, err := h.visible(c, kind)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, dataEnvelope{Data: toWebhookResponse(w, withSecrets)})
	}
}

func (h *webhookHandlers) update(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		w, err := h.visible(c, kind)
		if err != nil {
			fail(c, err)
			return
		}
		body, err := h.bindWebhook(c, kind, true)
		if err != nil {
			fail(c, err)
			return
		}
		u := hookflow.WebhookUpdate{URL: body.URL, Events: body.Events, Facilities: body.Facilities, Secrets: body.Secrets, Filter: body.Filter, Headers: body.Headers,
			RateLimit: body.RateLimit}
		if u.Facilities == nil && kind == hookflow.KindFacility {
			u.Facilities = withinClaim(p, w.Facilities)
		}
		if err := checkFacilities(p, u.Facilities); err != nil {
			fail(c, err)
			return
		}
		updated, err := h.webhooks.UpdateWebhook(c, w.ID, u, p.Subject)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, dataEnvelope{Data: toWebhookResponse(updated, withSecrets)})
	}
}

func (h *webhookHandlers) delete(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		w, err := h.visible(c, kind)
		if err != nil {
			fail(c, err)
			return
		}
		if err := h.webhooks.DeleteWebhook(c, w.ID, principal(c).Subject); err != nil {
			fail(c, err)
			return
		}
		// Best effort: a delivery the signal misses finds the webhook gone at
		// its next attempt anyway.
		if err := h.dispatch.WebhookRemoved(c, w.ID); err != nil {
			requestLogger(c).WarnContext(c, "end pending deliveries", "webhook_id", w.ID, "error", err)
		}
		c.JSON(http.StatusOK, dataEnvelope{Data: toWebhookResponse(w, withoutSecrets)})
	}
}
