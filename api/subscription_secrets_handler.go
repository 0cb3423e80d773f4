package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/signing"
)

// A subscription's secret signs its deliveries. Rotating it (PUT .../secrets
// with a generated secret, POST .../webhook-secret-histories with a given
// one) keeps the previous secret signing for the rotation overlap, so that
// receivers can switch keys without losing a delivery.

// secretHandlers serve a subscription's secret and its history.
type secretHandlers struct {
	secrets       SecretStore
	subscriptions SubscriptionReader
	bind          *binder
	overlap       time.Duration // how long a rotated-out secret keeps signing
}

func newSecretHandlers(secrets SecretStore, subscriptions SubscriptionReader, bind *binder, overlap time.Duration) *secretHandlers {
	return &secretHandlers{secrets: secrets, subscriptions: subscriptions, bind: bind, overlap: overlap}
}

// secretQuery asks for the secret current at an instant.
type secretQuery struct {
	CreatedAt string `json:"createdAt" validate:"optional,string,rfc3339"`
}

// secretBody is a secret set by hand: any string of 24 to 256 characters
// (24 bytes being the shortest key Standard Webhooks accepts).
type secretBody struct {
	SecretKey string `json:"secretKey" validate:"not_empty,string,text,min_length=24,max_length=256"`
}

// standardSecret is the rule on a whsec_ key: it must decode as Standard
// Webhooks keys do, since receivers' libraries will decode it so.
func standardSecret(obj map[string]any) []string {
	key, _ := obj["secretKey"].(string)
	if _, err := signing.DecodeSecret(key); strings.HasPrefix(key, signing.SecretPrefix) && err != nil {
		return []string{"secretKey must be base64 of 24 to 64 bytes after its whsec_ prefix"}
	}
	return nil
}

// secretHistoryQuery is the history list's parameters.
type secretHistoryQuery struct {
	skipTakePage
	Include string `json:"include" validate:"optional,string,oneof=subscription"`
}

type secretKeyView struct {
	SecretKey string `json:"secretKey"`
}

type secretHistoryView struct {
	ID           string            `json:"id"`
	SecretKey    string            `json:"secretKey"`
	CreatedAt    time.Time         `json:"createdAt"`
	ExpiresAt    *time.Time        `json:"expiresAt"`
	Subscription *subscriptionView `json:"subscription,omitempty"`
}

func toSecretHistoryView(e hookflow.SecretHistoryEntry) secretHistoryView {
	return secretHistoryView{ID: e.ID, SecretKey: e.SecretKey, CreatedAt: e.CreatedAt.UTC(), ExpiresAt: utc(e.ExpiresAt)}
}

func (h *secretHandlers) getSubscriptionSecret(c *gin.Context) {
	q, err := bindQuery[secretQuery](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	var at *time.Time
	if q.CreatedAt != "" {
		t, _ := time.Parse(time.RFC3339Nano, q.CreatedAt) // validated
		at = &t
	}
	secret, err := h.secrets.SubscriptionSecret(c, organizationID(c), c.Param("subscriptionId"), at)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, secretKeyView{SecretKey: secret})
}

func (h *secretHandlers) rotateSubscriptionSecret(c *gin.Context) {
	secret, err := signing.GenerateSecret()
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := h.rotate(c, secret); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, valueTrue)
}

func (h *secretHandlers) addSubscriptionSecret(c *gin.Context) {
	// An unknown subscription is a 404 before its body is looked at.
	if _, err := pathSubscription(c, h.subscriptions); err != nil {
		fail(c, err)
		return
	}
	body, err := bindJSON[secretBody](c, h.bind, alsoChecking(standardSecret))
	if err != nil {
		fail(c, err)
		return
	}
	entry, err := h.rotate(c, body.SecretKey)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, toSecretHistoryView(*entry))
}

func (h *secretHandlers) rotate(c *gin.Context, secret string) (*hookflow.SecretHistoryEntry, error) {
	return h.secrets.RotateSubscriptionSecret(c, organizationID(c), c.Param("subscriptionId"), secret, h.overlap)
}

func (h *secretHandlers) listSubscriptionSecrets(c *gin.Context) {
	q, err := bindQuery[secretHistoryQuery](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	items, total, err := h.secrets.SubscriptionSecretHistory(c, organizationID(c), c.Param("subscriptionId"), q.page())
	if err != nil {
		fail(c, err)
		return
	}
	var sub *subscriptionView
	if q.Include == "subscription" {
		found, err := pathSubscription(c, h.subscriptions)
		if err != nil {
			fail(c, err)
			return
		}
		view := toSubscriptionView(*found)
		sub = &view
	}
	c.JSON(http.StatusOK, listOf(items, total, func(e hookflow.SecretHistoryEntry) secretHistoryView {
		v := toSecretHistoryView(e)
		v.Subscription = sub
		return v
	}))
}
