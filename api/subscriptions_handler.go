package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/signing"
)

// subscriptionBody is the create body of a subscription and what a patch
// must leave.
type subscriptionBody struct {
	PostURI       string   `json:"postUri" validate:"not_empty,string,text,max_length=MaxURLLength,url_address"`
	Events        []string `json:"events" validate:"array,min_items=1,max_allowed,each_in"`
	Version       *string  `json:"version" validate:"optional,string,in"`
	IsDevelopment bool     `json:"isDevelopment" validate:"boolean"`
}

func (b subscriptionBody) input() hookflow.SubscriptionInput {
	version := "v1"
	if b.Version != nil {
		version = *b.Version
	}
	return hookflow.SubscriptionInput{PostURI: b.PostURI, Events: dedupe(b.Events), Version: version, IsDevelopment: b.IsDevelopment}
}

var subscriptionEditable = []string{"/postUri", "/events", "/version", "/isDevelopment"}

// subscriptionListQuery is the list's parameters: the list ones and filters.
type subscriptionListQuery struct {
	listQuery
	Version string `json:"version" validate:"optional,string,text,max_length=20"`
	EventID string `json:"eventId" validate:"optional,string,text,max_length=255"`
}

// subscriptionValues are the values events and version may take: the live
// catalog's codes, of any category, or all; the catalog's versions.
func (s *Server) subscriptionValues(c *gin.Context) (fieldValues, error) {
	codes, err := s.deps.Catalog.AllEventCodes(c)
	if err != nil {
		return nil, err
	}
	versions, err := s.deps.Subscriptions.CatalogVersions(c)
	if err != nil {
		return nil, err
	}
	return fieldValues{"events": append(codes, hookflow.AllEvents), "version": versions}, nil
}

// secureUnlessDevelopment is the rule that needs two fields: a postUri is
// HTTPS unless isDevelopment is true (or the server allows insecure URLs).
// The SSRF guard applies at delivery either way.
func (s *Server) secureUnlessDevelopment(obj map[string]any) []string {
	uri, _ := obj["postUri"].(string)
	dev, _ := obj["isDevelopment"].(bool)
	if dev || s.opts.AllowInsecureURLs || !isURLAddress(uri) {
		return nil
	}
	if u, _ := url.Parse(uri); u.Scheme != "https" {
		return []string{"postUri must be a secure URL with HTTPS unless isDevelopment is true"}
	}
	return nil
}

func (s *Server) createSubscription(c *gin.Context) {
	values, err := s.subscriptionValues(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	body, err := bindJSON[subscriptionBody](s, c, values, s.secureUnlessDevelopment)
	if err != nil {
		s.fail(c, err)
		return
	}
	secret, err := signing.GenerateSecret()
	if err != nil {
		s.fail(c, err)
		return
	}
	created, err := s.deps.Subscriptions.CreateSubscription(c, organizationID(c), body.input(), secret, principal(c).Subject)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toSubscriptionView(*created))
}

func (s *Server) listSubscriptions(c *gin.Context) {
	q, err := bindQueryInto[subscriptionListQuery](s, c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := hookflow.SubscriptionFilter{Version: q.Version, EventID: q.EventID, Page: q.page()}
	items, total, err := s.deps.Subscriptions.Subscriptions(c, organizationID(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, total, toSubscriptionView))
}

// pathSubscription loads the subscription the path names, in its organization.
func (s *Server) pathSubscription(c *gin.Context) (*hookflow.Subscription, error) {
	return s.deps.Subscriptions.Subscription(c, organizationID(c), c.Param("subscriptionId"))
}

func (s *Server) getSubscription(c *gin.Context) {
	sub, err := s.pathSubscription(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSubscriptionView(*sub))
}

func (s *Server) patchSubscription(c *gin.Context) {
	sub, err := s.pathSubscription(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	values, err := s.subscriptionValues(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc := map[string]any{"postUri": sub.PostURI, "events": sub.Events, "version": sub.Version, "isDevelopment": sub.IsDevelopment}
	body, err := patchAs[subscriptionBody](s, c, doc, subscriptionEditable, values, s.secureUnlessDevelopment)
	if err != nil {
		s.fail(c, err)
		return
	}
	updated, err := s.deps.Subscriptions.UpdateSubscription(c, sub.OrganizationID, sub.ID, body.input(), principal(c).Subject)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toSubscriptionView(*updated))
}

// subscriptionLifecycle moves a subscription's lifecycle; deactivating,
// archiving or deleting it also ends its deliveries' pending retries.
func (s *Server) subscriptionLifecycle(c *gin.Context, action hookflow.LifecycleAction) error {
	id := c.Param("subscriptionId")
	if err := s.deps.Subscriptions.SubscriptionLifecycle(c, organizationID(c), id, action, principal(c).Subject); err != nil {
		return err
	}
	switch action {
	case hookflow.ActionDeactivate, hookflow.ActionArchive, hookflow.ActionDelete:
		// Best effort: a delivery the signal misses finds the subscription
		// out of use at its next attempt anyway.
		if err := s.deps.Dispatcher.WebhookRemoved(c, id); err != nil {
			s.deps.Logger.WarnContext(c, "end pending deliveries", "webhook_id", id, "error", err)
		}
	}
	return nil
}

func (s *Server) removeSubscriptionEvent(c *gin.Context) {
	event := c.Param("eventId")
	if !hookflow.IsText(event) {
		s.fail(c, hookflow.ErrCatalogEventNotFound) // no catalog id or code is such text
		return
	}
	err := s.deps.Subscriptions.RemoveSubscriptionEvent(c, organizationID(c), c.Param("subscriptionId"), event, principal(c).Subject)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, valueTrue)
}

// dedupe drops repeated values, keeping the first place of each.
func dedupe(values []string) []string {
	out := make([]string, 0, len(values))
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
