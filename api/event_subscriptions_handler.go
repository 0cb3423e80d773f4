package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// subscriptionView is an organization subscription as seed 003 shows it.
// secretKey is shown only where seed 003's responses show it: the create,
// the get and the patch of one subscription (see toSubscriptionView).
type subscriptionView struct {
	ID             string   `json:"id"`
	OrganizationID string   `json:"organizationId"`
	PostURI        string   `json:"postUri"`
	Version        string   `json:"version"`
	SecretKey      *string  `json:"secretKey,omitempty"`
	Events         []string `json:"events"`
	IsDevelopment  bool     `json:"isDevelopment"`
	Filter         string   `json:"filter,omitempty"`
	// Headers are shown where the secret is (create, get, patch), when
	// there are some.
	Headers map[string]string `json:"headers,omitempty"`
	// RateLimit is shown when set: deliveries per second.
	RateLimit   int             `json:"rateLimit,omitempty"`
	AuditInfo   auditInfoView   `json:"auditInfo"`
	ActiveInfo  activeInfoView  `json:"activeInfo"`
	ArchiveInfo archiveInfoView `json:"archiveInfo"`
}

// toSubscriptionView shows a subscription without its secret: lists (seed
// 003's samples show none), the admin's event subscriptions and the
// subscription a secret history includes.
func toSubscriptionView(sub hookflow.Subscription) subscriptionView {
	events := sub.Events
	if events == nil {
		events = []string{}
	}
	return subscriptionView{ID: sub.ID, OrganizationID: sub.OrganizationID, PostURI: sub.PostURI, Version: sub.Version,
		Events: events, IsDevelopment: sub.IsDevelopment, Filter: sub.Filter, RateLimit: sub.RateLimit,
		AuditInfo: auditView(sub.Audit), ActiveInfo: activeView(sub.Lifecycle), ArchiveInfo: archiveView(sub.Lifecycle)}
}

// toSubscriptionViewWithSecret shows a subscription with its current secret,
// as seed 003's create, get and patch responses do.
func toSubscriptionViewWithSecret(sub hookflow.Subscription) subscriptionView {
	v := toSubscriptionView(sub)
	v.SecretKey = &sub.SecretKey
	v.Headers = shownHeaders(sub.Headers)
	return v
}

// listEventSubscriptions answers, as a bare array, the subscriptions of any
// organization to an event code or to all events.
func (h *subscriptionHandlers) listEventSubscriptions(c *gin.Context) {
	code := c.Param("eventCode")
	if !hookflow.IsText(code) {
		fail(c, hookflow.ErrCatalogEventNotFound) // no catalog code is such text
		return
	}
	subs, err := h.subscriptions.EventSubscriptions(c, code)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(subs, len(subs), toSubscriptionView).Data)
}
