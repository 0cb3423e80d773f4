package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/signing"
)

// ProcessorStore finds the webhooks that deliver an event to a test
// receiver, with their signing secrets (storage.DeliveryStore).
type ProcessorStore interface {
	ProcessorTargets(ctx context.Context, eventID, path string) ([]*hookflow.Webhook, error)
}

// envelopeOverhead is what a delivery's body adds around the event's data,
// which HOOKFLOW_MAX_PAYLOAD_BYTES bounds.
const envelopeOverhead = 64 << 10

// processorHandlers are the built-in test receivers (seed 003's
// WebhookProcessors). Seed 003 gives them bearer security, yet their use is
// as the target of Hookflow's own deliveries, which carry no token: so they
// answer a valid token of any role, or a request signed the Standard
// Webhooks way with the current secrets of a webhook that delivers the
// event named by webhook-id to this receiver. Anything else is a 401.
type processorHandlers struct {
	verifier *auth.Verifier
	targets  ProcessorStore
	maxBytes int64
	now      func() time.Time
}

func newProcessorHandlers(verifier *auth.Verifier, targets ProcessorStore, maxPayloadBytes int64) *processorHandlers {
	return &processorHandlers{verifier: verifier, targets: targets, maxBytes: maxPayloadBytes + envelopeOverhead, now: time.Now}
}

// answer is a receiver that answers status once the caller is let in.
func (h *processorHandlers) answer(status int) gin.HandlerFunc {
	return func(c *gin.Context) {
		ok, err := h.admitted(c)
		if err != nil {
			fail(c, err)
			return
		}
		if !ok {
			fail(c, errUnauthorized)
			return
		}
		c.JSON(status, gin.H{"value": status < 300})
	}
}

// admitted reports whether the caller holds a valid token or the request is
// one of Hookflow's own signed deliveries to this receiver.
func (h *processorHandlers) admitted(c *gin.Context) (bool, error) {
	if scheme, token, ok := strings.Cut(c.GetHeader("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		_, err := h.verifier.Verify(strings.TrimSpace(token))
		return err == nil, nil
	}
	eventID := c.GetHeader(signing.HeaderID)
	if eventID == "" || c.GetHeader(signing.HeaderSignature) == "" || c.GetHeader(signing.HeaderTimestamp) == "" {
		return false, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, h.maxBytes))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return false, errTooLarge
		}
		return false, nil
	}
	webhooks, err := h.targets.ProcessorTargets(c, eventID, c.FullPath())
	if err != nil {
		return false, err
	}
	now := h.now()
	for _, w := range webhooks {
		decode := signing.DecodeSecret
		if w.Kind == hookflow.KindOrganization {
			decode = signing.DecodeSubscriptionSecret
		}
		for _, secret := range w.Secrets {
			if signing.VerifyWith(decode, body, c.Request.Header, secret, now, signing.DefaultTolerance) == nil {
				return true, nil
			}
		}
	}
	return false, nil
}
