package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/signing"
)

// Payload hashes (ECG.md): the lowercase hex HMAC-SHA256 of
// "<createdAt>.<payload>" keyed with the subscription's secret.

var errNoSecret = &hookflow.Error{Code: hookflow.ECONFLICT, Message: "Webhook subscription has no secret"}

// hashView is a payload with its hash.
type hashView struct {
	Payload   string `json:"payload"`
	Hash      string `json:"hash"`
	CreatedAt int64  `json:"createdAt"`
}

// generatedView is a generated payload with its hash and its activity.
type generatedView struct {
	hashView
	Activity *activityView `json:"activity"` // null in a preview
}

// payloadModeQuery is the query of webhooks-payloads.
type payloadModeQuery struct {
	Mode               string `json:"mode" validate:"not_empty,oneof=preview send"`
	OriginalActivityID string `json:"originalActivityId" validate:"optional"`
}

// webhooksPayloadBody is the body of webhooks-payloads.
type webhooksPayloadBody struct {
	EventType string          `json:"eventType" validate:"not_empty,string,in"`
	Version   string          `json:"version" validate:"not_empty,string,oneof=v1 v2"`
	Data      json.RawMessage `json:"data" validate:"not_empty"`
}

// currentSecret is the secret a new hash is keyed with.
func currentSecret(w *hookflow.Webhook) (string, error) {
	if len(w.Secrets) == 0 {
		return "", errNoSecret
	}
	return w.Secrets[0], nil
}

func (h *activityHandlers) webhooksPayload(c *gin.Context) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		fail(c, err)
		return
	}
	q, err := bindQuery[payloadModeQuery](c, h.bind)
	if err == nil {
		if _, perr := uuid.Parse(q.OriginalActivityID); q.OriginalActivityID != "" && perr != nil {
			err = hookflow.Invalid("originalActivityId must be a UUID")
		}
	}
	if err != nil {
		fail(c, err)
		return
	}
	codes, err := h.catalog.AllEventCodes(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := bindJSON[webhooksPayloadBody](c, h.bind, allowing(fieldValues{"eventType": codes}))
	if err != nil {
		fail(c, err)
		return
	}
	secret, err := currentSecret(sub)
	if err != nil {
		fail(c, err)
		return
	}
	now := time.Now()
	ev := hookflow.Event{ID: uuid.NewString(), EventType: body.EventType, CreatedAt: now.Truncate(time.Microsecond), Data: body.Data}
	out := generatedView{hashView: hashView{CreatedAt: now.Unix()}}
	if q.Mode == "preview" {
		payload, err := ev.Envelope()
		if err != nil {
			fail(c, err)
			return
		}
		out.Payload = string(payload)
	} else {
		a, err := h.sendPayload(c, sub, ev, body.Version, q.OriginalActivityID)
		if err != nil {
			fail(c, err)
			return
		}
		// The body as stored is the one that will be posted, byte for byte.
		out.Payload = a.Payload
		v := fullActivityView(*a)
		out.Activity = &v
	}
	if out.Hash, err = signing.PayloadHash(secret, out.CreatedAt, out.Payload); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

// sendPayload posts the event to the subscription as an added activity,
// linked to originalID when given.
func (h *activityHandlers) sendPayload(c *gin.Context, sub *hookflow.Webhook, ev hookflow.Event, version, originalID string) (*hookflow.Activity, error) {
	ref, err := h.activity.ActivityEvent(c, ev.EventType, version, true)
	if err != nil {
		return nil, err
	}
	post := hookflow.ActivityPost{Subscription: *sub, Event: *ref, EventID: ev.ID, CreatedAt: ev.CreatedAt, Data: ev.Data,
		CreatedBy: principal(c).Subject}
	if originalID != "" {
		parent, err := h.activity.Activity(c, sub.ID, originalID)
		if err != nil {
			return nil, err
		}
		post.RetryingFromID = parent.ID
	}
	return h.addPost(c, post)
}

// validateHashBody is the body of validate-hash.
type validateHashBody struct {
	Payload   json.RawMessage `json:"payload" validate:"not_empty"`
	Hash      string          `json:"hash" validate:"not_empty,string,max_length=128"`
	CreatedAt json.Number     `json:"createdAt" validate:"not_empty,number,int"`
}

func (h *activityHandlers) validateHash(c *gin.Context) {
	sub, err := h.subscriptionWebhook(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, err := bindJSON[validateHashBody](c, h.bind)
	if err != nil {
		fail(c, err)
		return
	}
	createdAt, _ := strconv.ParseInt(body.CreatedAt.String(), 10, 64) // the int rule passed
	// Every secret that signs now: the current one and any in its overlap.
	ok := signing.ValidPayloadHash(sub.Secrets, createdAt, compactJSON(body.Payload), body.Hash)
	c.JSON(http.StatusOK, gin.H{"value": ok})
}

func (h *activityHandlers) getHash(c *gin.Context) {
	sub, a, err := h.pathActivity(c)
	if err != nil {
		fail(c, err)
		return
	}
	if !a.Posted() {
		fail(c, hookflow.ErrActivityNotPosted)
		return
	}
	secret, err := currentSecret(sub)
	if err != nil {
		fail(c, err)
		return
	}
	hash, err := signing.PayloadHash(secret, a.WebhookTimestamp, a.Payload)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, hashView{Payload: a.Payload, Hash: hash, CreatedAt: a.WebhookTimestamp})
}

// compactJSON is the compact form of a JSON value, or the string itself
// when the value is a string: what a payload hash covers.
func compactJSON(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return string(raw)
	}
	return out.String()
}
