package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/signing"
)

// WebhookStore keeps webhooks.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w *hookflow.Webhook) error
	Webhook(ctx context.Context, id string) (*hookflow.Webhook, error)
	Webhooks(ctx context.Context, f hookflow.WebhookFilter) ([]*hookflow.Webhook, int, error)
	UpdateWebhook(ctx context.Context, id string, u hookflow.WebhookUpdate, by string) (*hookflow.Webhook, error)
	DeleteWebhook(ctx context.Context, id, by string) error
}

// webhookBody is the body of seed 000 (facility webhooks).
type webhookBody struct {
	URL        any `json:"url" validate:"string,max_length=MaxURLLength,https_url,url_port"`
	Events     any `json:"events" validate:"array,min_items=1,max_allowed,each_in"`
	Facilities any `json:"facilities" validate:"optional,array,max_items=MaxFacilities,each_string,each_max_length=MaxIDLength"`
	Secrets    any `json:"secrets" validate:"optional,array,min_items=1,max_items=2,each_string,each_secret"`
}

// userWebhookBody is the body of seeds 001 and 002: no facilities.
type userWebhookBody struct {
	URL     any `json:"url" validate:"string,max_length=MaxURLLength,https_url,url_port"`
	Events  any `json:"events" validate:"array,min_items=1,max_allowed,each_in"`
	Secrets any `json:"secrets" validate:"optional,array,min_items=1,max_items=2,each_string,each_secret"`
}

type webhookResponse struct {
	ID         string    `json:"id"`
	URL        string    `json:"url"`
	Events     []string  `json:"events"`
	ClientID   string    `json:"clientId"`
	Facilities *[]string `json:"facilities,omitempty"`
	Secrets    []string  `json:"secrets"`
}

type dataEnvelope struct {
	Data any `json:"data"`
}

type listEnvelope struct {
	Data  any `json:"data"`
	Total int `json:"total"`
}

func toWebhookResponse(w *hookflow.Webhook) webhookResponse {
	r := webhookResponse{ID: w.ID, URL: w.URL, Events: w.Events, ClientID: w.ClientID, Secrets: w.Secrets}
	if w.Kind == hookflow.KindFacility {
		facilities := w.Facilities
		if facilities == nil {
			facilities = []string{}
		}
		r.Facilities = &facilities
	}
	if r.Secrets == nil {
		r.Secrets = []string{}
	}
	return r
}

// allowedEvents lists the events a kind accepts, from the catalog, with
// "all" where the seeds put it: last for facility webhooks, first for user ones.
func (s *Server) allowedEvents(ctx context.Context, kind hookflow.WebhookKind) ([]string, error) {
	codes, err := s.deps.Catalog.CatalogEventCodes(ctx, hookflow.CategoryForKind(kind))
	if err != nil {
		return nil, err
	}
	if kind == hookflow.KindUser {
		return append([]string{hookflow.AllEvents}, codes...), nil
	}
	return append(codes, hookflow.AllEvents), nil
}

// bindWebhook decodes and validates a webhook body of kind, reporting every
// failed rule at once. partial is PATCH.
func (s *Server) bindWebhook(c *gin.Context, kind hookflow.WebhookKind, partial bool) (webhookBody, error) {
	var body webhookBody
	var target any = &body
	var user userWebhookBody
	if kind == hookflow.KindUser {
		target = &user
	}
	unknown, err := bindBody(c, s.opts.MaxPayloadBytes, target)
	if err != nil {
		return body, err
	}
	allowed, err := s.allowedEvents(c, kind)
	if err != nil {
		return body, err
	}
	failures := append(s.validator.Check(c, target, allowed, partial), unknown...)
	if len(failures) > 0 {
		return body, hookflow.Invalid(failures...)
	}
	if kind == hookflow.KindUser {
		body = webhookBody{URL: user.URL, Events: user.Events, Secrets: user.Secrets}
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

func (s *Server) createWebhook(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		body, err := s.bindWebhook(c, kind, false)
		if err != nil {
			s.fail(c, err)
			return
		}
		w := &hookflow.Webhook{Kind: kind, ClientID: p.ClientID, URL: body.URL.(string), Events: stringsOf(body.Events)}
		if kind == hookflow.KindFacility {
			w.Facilities = p.Facilities
			if body.Facilities != nil {
				w.Facilities = stringsOf(body.Facilities)
			}
			if err := checkFacilities(p, w.Facilities); err != nil {
				s.fail(c, err)
				return
			}
		}
		if body.Secrets != nil {
			w.Secrets = stringsOf(body.Secrets)
		} else {
			secret, err := signing.GenerateSecret()
			if err != nil {
				s.fail(c, err)
				return
			}
			w.Secrets = []string{secret}
		}
		if err := s.deps.Webhooks.CreateWebhook(c, w); err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, dataEnvelope{Data: toWebhookResponse(w)})
	}
}

// visibleWebhook loads a webhook of kind that the caller may see; any other
// is "Webhook not found", so ids of other tenants leak nothing.
func (s *Server) visibleWebhook(c *gin.Context, kind hookflow.WebhookKind) (*hookflow.Webhook, error) {
	w, err := s.deps.Webhooks.Webhook(c, c.Param("webhookId"))
	if err != nil {
		return nil, err
	}
	p := principal(c)
	if w.Kind != kind || (!p.Has(auth.RoleAdmin) && w.ClientID != p.ClientID) {
		return nil, hookflow.ErrWebhookNotFound
	}
	return w, nil
}

func (s *Server) listWebhooks(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		var page pageQuery
		unknown := bindQuery(c, &page)
		if failures := append(s.validator.Check(c, &page, nil, false), unknown...); len(failures) > 0 {
			s.fail(c, hookflow.Invalid(failures...))
			return
		}
		p := principal(c)
		filter := hookflow.WebhookFilter{Kind: kind, ClientID: p.ClientID, Limit: page.limit(), Offset: page.offset()}
		if p.Has(auth.RoleAdmin) {
			filter.ClientID = ""
		}
		hooks, total, err := s.deps.Webhooks.Webhooks(c, filter)
		if err != nil {
			s.fail(c, err)
			return
		}
		out := make([]webhookResponse, 0, len(hooks))
		for _, w := range hooks {
			out = append(out, toWebhookResponse(w))
		}
		c.JSON(http.StatusOK, listEnvelope{Data: out, Total: total})
	}
}

func (s *Server) getWebhook(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		w, err := s.visibleWebhook(c, kind)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, dataEnvelope{Data: toWebhookResponse(w)})
	}
}

func (s *Server) updateWebhook(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		w, err := s.visibleWebhook(c, kind)
		if err != nil {
			s.fail(c, err)
			return
		}
		body, err := s.bindWebhook(c, kind, true)
		if err != nil {
			s.fail(c, err)
			return
		}
		var u hookflow.WebhookUpdate
		if body.URL != nil {
			url := body.URL.(string)
			u.URL = &url
		}
		if body.Events != nil {
			u.Events = stringsOf(body.Events)
		}
		if body.Facilities != nil {
			u.Facilities = stringsOf(body.Facilities)
			if err := checkFacilities(p, u.Facilities); err != nil {
				s.fail(c, err)
				return
			}
		}
		if body.Secrets != nil {
			u.Secrets = stringsOf(body.Secrets)
		}
		updated, err := s.deps.Webhooks.UpdateWebhook(c, w.ID, u, p.Subject)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusCreated, dataEnvelope{Data: toWebhookResponse(updated)})
	}
}

func (s *Server) deleteWebhook(kind hookflow.WebhookKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		w, err := s.visibleWebhook(c, kind)
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := s.deps.Webhooks.DeleteWebhook(c, w.ID, principal(c).Subject); err != nil {
			s.fail(c, err)
			return
		}
		// Best effort: a delivery the signal misses finds the webhook gone at
		// its next attempt anyway.
		if err := s.deps.Dispatcher.WebhookRemoved(c, w.ID); err != nil {
			s.deps.Logger.WarnContext(c, "end pending deliveries", "webhook_id", w.ID, "error", err)
		}
		c.JSON(http.StatusOK, dataEnvelope{Data: toWebhookResponse(w)})
	}
}
