package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/signing"
)

// subscriptionHandlers serve organization subscriptions and the list of
// every organization's subscriptions to an event.
type subscriptionHandlers struct {
	subscriptions SubscriptionStore
	catalog       SubscriptionCatalog
	dispatch      WebhookRemover
	bind          *binder
	allowInsecure bool // http:// postUri pass without isDevelopment
}

func newSubscriptionHandlers(subscriptions SubscriptionStore, catalog SubscriptionCatalog, dispatch WebhookRemover, bind *binder, allowInsecure bool) *subscriptionHandlers {
	return &subscriptionHandlers{subscriptions: subscriptions, catalog: catalog, dispatch: dispatch, bind: bind, allowInsecure: allowInsecure}
}

// subscriptionBody is the create body of a subscription and what a patch
// must leave.
type subscriptionBody struct {
	PostURI       string   `json:"postUri" validate:"not_empty,string,text,max_length=MaxURLLength,url_address,target_port"`
	Events        []string `json:"events" validate:"array,min_items=1,max_allowed,each_in"`
	Version       *string  `json:"version" validate:"optional,string,in"`
	IsDevelopment bool     `json:"isDevelopment" validate:"boolean"`
	Filter        *string  `json:"filter" validate:"optional,string,text,max_length=MaxFilterLength"` // checkFilter compiles it
	// Headers are sent on every attempt (docs/api.md, "Custom headers").
	Headers customHeaders `json:"headers" validate:"optional,object"`
	// RateLimit is deliveries per second; none (null or absent) is unlimited.
	RateLimit *int `json:"rateLimit" validate:"optional,int,min_num=1,max_num=MaxRateLimit"`
}

func (b subscriptionBody) input() hookflow.SubscriptionInput {
	version := "v1"
	if b.Version != nil {
		version = *b.Version
	}
	in := hookflow.SubscriptionInput{PostURI: b.PostURI, Events: dedupe(b.Events), Version: version, IsDevelopment: b.IsDevelopment,
		Headers: headersView(b.Headers)}
	if b.Filter != nil {
		in.Filter = *b.Filter
	}
	if b.RateLimit != nil {
		in.RateLimit = *b.RateLimit
	}
	return in
}

var subscriptionEditable = []string{"/postUri", "/events", "/version", "/isDevelopment", "/filter", "/headers", "/rateLimit"}

// subscriptionListQuery is the list's parameters: the list ones and filters.
type subscriptionListQuery struct {
	skipTakePage
	Version string `json:"version" validate:"optional,string,text,max_length=20"`
	EventID string `json:"eventId" validate:"optional,string,text,max_length=255"`
}

// subscriptionValues are the values events and version may take: the live
// catalog's codes, of any category, or all; the catalog's versions.
func (h *subscriptionHandlers) subscriptionValues(c *gin.Context) (fieldValues, error) {
	codes, err := h.catalog.AllEventCodes(c)
	if err != nil {
		return nil, err
	}
	versions, err := h.catalog.CatalogVersions(c)
	if err != nil {
		return nil, err
	}
	return fieldValues{"events": append(codes, hookflow.AllEvents), "version": versions}, nil
}

// secureUnlessDevelopment is the rule that needs two fields: a postUri is
// HTTPS unless isDevelopment is true (or the server allows insecure URLs).
// The SSRF guard applies at delivery either way.
func (h *subscriptionHandlers) secureUnlessDevelopment(obj map[string]any) []string {
	uri, _ := obj["postUri"].(string)
	dev, _ := obj["isDevelopment"].(bool)
	if dev || h.allowInsecure || !isURLAddress(uri) {
		return nil
	}
	if u, _ := url.Parse(uri); u.Scheme != "https" {
		return []string{"postUri must be a secure URL with HTTPS unless isDevelopment is true"}
	}
	return nil
}

func (h *subscriptionHandlers) createSubscription(c *gin.Context) {
	values, err := h.subscriptionValues(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := bindJSON[subscriptionBody](c, h.bind, allowing(values), alsoChecking(h.secureUnlessDevelopment, checkFilter))
	if err != nil {
		fail(c, err)
		return
	}
	secret, err := signing.GenerateSecret()
	if err != nil {
		fail(c, err)
		return
	}
	created, err := h.subscriptions.CreateSubscription(c, organizationID(c), body.input(), secret, principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toSubscriptionViewWithSecret(*created))
}

func (h *subscriptionHandlers) listSubscriptions(c *gin.Context) {
	q, err := bindQuery[subscriptionListQuery](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	f := hookflow.SubscriptionFilter{Version: q.Version, EventID: q.EventID, Page: q.page()}
	items, total, err := h.subscriptions.Subscriptions(c, organizationID(c), f)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, total, toSubscriptionView))
}

// pathSubscription loads the subscription the path names, in its organization.
func pathSubscription(c *gin.Context, subscriptions SubscriptionReader) (*hookflow.Subscription, error) {
	return subscriptions.Subscription(c, organizationID(c), c.Param("subscriptionId"))
}

func (h *subscriptionHandlers) getSubscription(c *gin.Context) {
	sub, err := pathSubscription(c, h.subscriptions)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSubscriptionViewWithSecret(*sub))
}

func (h *subscriptionHandlers) patchSubscription(c *gin.Context) {
	sub, err := pathSubscription(c, h.subscriptions)
	if err != nil {
		fail(c, err)
		return
	}
	values, err := h.subscriptionValues(c)
	if err != nil {
		fail(c, err)
		return
	}
	doc := map[string]any{"postUri": sub.PostURI, "events": sub.Events, "version": sub.Version, "isDevelopment": sub.IsDevelopment,
		"headers": headersView(sub.Headers)}
	if sub.Filter != "" {
		doc["filter"] = sub.Filter // absent when none, so "add" sets one and "remove" takes it off
	}
	if sub.RateLimit != 0 {
		doc["rateLimit"] = sub.RateLimit // likewise
	}
	body, err := patchAs[subscriptionBody](c, h.bind, doc, subscriptionEditable, allowing(values), alsoChecking(h.secureUnlessDevelopment, checkFilter))
	if err != nil {
		fail(c, err)
		return
	}
	updated, err := h.subscriptions.UpdateSubscription(c, sub.OrganizationID, sub.ID, body.input(), principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSubscriptionViewWithSecret(*updated))
}

// subscriptionLifecycle moves a subscription's lifecycle; deactivating,
// archiving or deleting it also ends its deliveries' pending retries.
func (h *subscriptionHandlers) subscriptionLifecycle(c *gin.Context, action hookflow.LifecycleAction) error {
	id := c.Param("subscriptionId")
	if err := h.subscriptions.SubscriptionLifecycle(c, organizationID(c), id, action, principal(c).Subject); err != nil {
		return err
	}
	switch action {
	case hookflow.ActionDeactivate, hookflow.ActionArchive, hookflow.ActionDelete:
		// Best effort: a delivery the signal misses finds the subscription
		// out of use at its next attempt anyway.
		if err := h.dispatch.WebhookRemoved(c, id); err != nil {
			requestLogger(c).WarnContext(c, "end pending deliveries", "webhook_id", id, "error", err)
		}
	}
	return nil
}

func (h *subscriptionHandlers) removeSubscriptionEvent(c *gin.Context) {
	event := c.Param("eventId")
	if !hookflow.IsText(event) {
		fail(c, hookflow.ErrCatalogEventNotFound) // no catalog id or code is such text
		return
	}
	err := h.subscriptions.RemoveSubscriptionEvent(c, organizationID(c), c.Param("subscriptionId"), event, principal(c).Subject)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, valueTrue)
}
