package activities

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/signing"
)

// An attempt is three steps, so that a failure to record never repeats a
// POST: Begin writes the attempt's intent (no POST unless it is stored),
// Post signs and sends (its outcome goes back to the workflow, which keeps
// it), Complete records that outcome on the same row. Begin and Complete are
// idempotent and retried until PostgreSQL answers; Post runs again only when
// its own outcome was lost (the worker died during the request).

// BeginInput names the attempt about to be made.
type BeginInput struct {
	DeliveryID string
	Kind       hookflow.AttemptKind
	// Key names the workflow step (run id and sequence), so that the step
	// run twice reuses one intent.
	Key string
}

// BeginResult is the attempt's id, or why no attempt is to be made.
type BeginResult struct {
	AttemptID string
	// Ended is set when the webhook was deleted or deactivated, or when a
	// scheduled attempt finds its delivery already settled: no POST.
	Ended  bool
	Reason string
	// Status is the delivery's status when Ended.
	Status hookflow.DeliveryStatus
	// AlreadySettled is set when a scheduled attempt found its delivery
	// settled by an earlier run: this run ends without counting it again.
	AlreadySettled bool `json:",omitempty"`
}

// PostInput names the attempt to send; the activity loads the URL, body and
// secrets itself so that no secret enters the workflow's history.
type PostInput struct {
	DeliveryID string
	AttemptID  string
}

// PostOutcome is what the receiver answered, kept by the workflow until it is
// recorded. Body is at most egress.MaxResponseBody bytes.
type PostOutcome struct {
	URL        string
	StatusCode int    `json:",omitempty"`
	Body       string `json:",omitempty"`
	Error      string `json:",omitempty"`
	DurationMs int64
	RetryAfter time.Duration `json:",omitempty"`
	Success    bool
	FinishedAt time.Time
}

// CompleteInput records an outcome on the attempt begun as AttemptID.
type CompleteInput struct {
	DeliveryID string
	AttemptID  string
	Kind       hookflow.AttemptKind
	// NextDelay is the scheduled wait before the next attempt should this
	// one fail; nil on the last scheduled attempt and on manual ones.
	NextDelay *time.Duration
	Outcome   PostOutcome
}

// Begin checks the delivery can still be attempted and records the intent.
func (a *Activities) Begin(ctx context.Context, in BeginInput) (BeginResult, error) {
	t, reason, err := a.loadDeliverable(ctx, in.DeliveryID)
	if err != nil {
		return BeginResult{}, err
	}
	if ended := endedBefore(t, reason, in.Kind); ended != nil {
		return *ended, nil
	}
	id, _, err := a.store.BeginAttempt(ctx, hookflow.AttemptIntent{DeliveryID: in.DeliveryID, Key: in.Key, URL: t.Webhook.URL, Kind: in.Kind})
	if err != nil {
		return BeginResult{}, fmt.Errorf("begin attempt of %s: %w", in.DeliveryID, err)
	}
	return BeginResult{AttemptID: id}, nil
}

// endedBefore says why no attempt is to be made, if so: the delivery was
// ended as it loaded (reason), or a scheduled attempt finds it settled.
func endedBefore(t *hookflow.DeliveryTarget, reason string, kind hookflow.AttemptKind) *BeginResult {
	if reason != "" {
		return &BeginResult{Ended: true, Reason: reason, Status: hookflow.StatusFailed}
	}
	if s := t.Delivery.Status; kind == hookflow.ScheduledAttempt && (s == hookflow.StatusSucceeded || s == hookflow.StatusFailed) {
		// A second run of a settled delivery (a sweep racing its end): the
		// schedule has run its course already.
		return &BeginResult{Ended: true, Reason: "delivery already " + string(s), Status: s, AlreadySettled: true}
	}
	return nil
}

// Post signs the event for the webhook as it is now and sends it. The
// receiver's answer, whatever it is, is an outcome; only a failure to load
// the delivery (before anything is sent) is an error, retried.
func (a *Activities) Post(ctx context.Context, in PostInput) (PostOutcome, error) {
	t, err := a.loadTarget(ctx, in.DeliveryID)
	if err != nil {
		return PostOutcome{}, err
	}
	req, err := a.prepare(t)
	if err != nil {
		return PostOutcome{}, err
	}
	if req.Err == nil {
		// Kept before the POST, so the history shows what was sent even when
		// the answer never comes back.
		if err := a.store.RecordRequest(ctx, in.AttemptID, req.Body, sentHeaders(req.Headers), req.Timestamp); err != nil {
			return PostOutcome{}, fmt.Errorf("record request of %s: %w", in.DeliveryID, err)
		}
	}
	return a.send(ctx, t, in.AttemptID, req), nil
}

// send posts a prepared request and describes what came back.
func (a *Activities) send(ctx context.Context, t *hookflow.DeliveryTarget, attemptID string, req signedRequest) PostOutcome {
	resp := a.post(ctx, req)
	out := PostOutcome{
		URL: t.Webhook.URL, StatusCode: resp.StatusCode, Body: resp.Body, DurationMs: resp.Duration.Milliseconds(),
		RetryAfter: resp.RetryAfter, Success: resp.Success(), FinishedAt: a.now(),
	}
	out.Error = attemptError(resp)
	a.logger.InfoContext(ctx, "delivery attempt posted", "delivery_id", t.Delivery.ID, "webhook_id", t.Webhook.ID,
		"attempt_id", attemptID, "status", resp.StatusCode, "success", out.Success, "duration", resp.Duration)
	return out
}

// Complete records the outcome on the attempt's row and moves the delivery's
// status; completing it again returns the stored attempt unchanged.
func (a *Activities) Complete(ctx context.Context, in CompleteInput) (AttemptResult, error) {
	attempt := in.attempt()
	if err := a.store.CompleteAttempt(ctx, attempt, in.Kind); err != nil {
		return AttemptResult{}, completeError(in, err)
	}
	return resultOf(attempt), nil
}

// attempt is the row the outcome records.
func (in CompleteInput) attempt() *hookflow.Attempt {
	o := in.Outcome
	attempt := &hookflow.Attempt{
		ID: in.AttemptID, DeliveryID: in.DeliveryID, URL: o.URL, ResponseStatus: o.StatusCode, ResponseBody: o.Body,
		Error: o.Error, Duration: time.Duration(o.DurationMs) * time.Millisecond, Success: o.Success,
	}
	if !o.Success && in.Kind == hookflow.ScheduledAttempt && in.NextDelay != nil {
		next := o.FinishedAt.Add(retryDelay(*in.NextDelay, o.RetryAfter))
		attempt.NextRetryAt = &next
	}
	return attempt
}

// completeError is a failure to record an outcome: retried, unless the
// delivery is gone (purged), which no retry brings back.
func completeError(in CompleteInput, err error) error {
	if hookflow.ErrorCodeOf(err) == hookflow.ENOTFOUND {
		return temporal.NewNonRetryableApplicationError("delivery "+in.DeliveryID+" not found", "DeliveryNotFound", err)
	}
	return fmt.Errorf("complete attempt %s of %s: %w", in.AttemptID, in.DeliveryID, err)
}

// loadTarget loads the delivery, its event and its webhook; a delivery that
// is gone (purged) cannot come back, so that error is not retried.
func (a *Activities) loadTarget(ctx context.Context, deliveryID string) (*hookflow.DeliveryTarget, error) {
	t, err := a.store.DeliveryTarget(ctx, deliveryID)
	if hookflow.ErrorCodeOf(err) == hookflow.ENOTFOUND {
		return nil, temporal.NewNonRetryableApplicationError("delivery "+deliveryID+" not found", "DeliveryNotFound", err)
	}
	if err != nil {
		return nil, fmt.Errorf("load delivery %s: %w", deliveryID, err)
	}
	return t, nil
}

// loadDeliverable loads the delivery's target; when it takes no more
// attempts (its webhook deleted, archived or deactivated, or its event type
// out of use in the catalog) it ends the delivery and says why.
func (a *Activities) loadDeliverable(ctx context.Context, deliveryID string) (*hookflow.DeliveryTarget, string, error) {
	t, err := a.loadTarget(ctx, deliveryID)
	if err != nil {
		return nil, "", err
	}
	reason := ""
	switch {
	case t.Webhook.DeletedAt != nil:
		reason = "webhook deleted"
	case t.Webhook.ArchivedAt != nil:
		reason = "webhook archived"
	case !t.Webhook.Active:
		reason = "webhook deactivated"
	case t.EventTypeRetired:
		reason = "event type no longer in use in the catalog: delivered to nobody"
	default:
		return t, "", nil
	}
	if err := a.store.FailDelivery(ctx, deliveryID, reason); err != nil {
		return nil, "", err
	}
	return t, reason, nil
}

// signedRequest is an attempt's request, or why it cannot be signed.
type signedRequest struct {
	egress.Request
	Timestamp int64
	Err       error
}

// prepare renders the event and signs it with every current secret.
func (a *Activities) prepare(t *hookflow.DeliveryTarget) (signedRequest, error) {
	body, err := t.Event.Envelope()
	if err != nil {
		return signedRequest{}, fmt.Errorf("render event %s: %w", t.Event.ID, err)
	}
	decode := signing.DecodeSecret
	if t.Webhook.Kind == hookflow.KindOrganization {
		decode = signing.DecodeSubscriptionSecret // any string of 8 to 256 characters
	}
	now := a.now()
	headers, err := signing.HeadersWith(decode, t.Event.ID, now, body, t.Webhook.Secrets)
	if err != nil {
		// A webhook without a usable secret cannot be fixed by retrying the
		// activity; a failed attempt lets the schedule run its course.
		return signedRequest{Err: fmt.Errorf("cannot sign: %w", err)}, nil
	}
	return signedRequest{Request: egress.Request{URL: t.Webhook.URL, Body: body, Headers: headers}, Timestamp: now.Unix()}, nil
}

// post sends a prepared request; one that could not be signed is a failed
// attempt.
func (a *Activities) post(ctx context.Context, req signedRequest) egress.Response {
	if req.Err != nil {
		return egress.Response{Err: req.Err}
	}
	return a.poster.Post(ctx, req.Request, a.now)
}

// signAndPost signs the event with every current secret and posts it.
func (a *Activities) signAndPost(ctx context.Context, t *hookflow.DeliveryTarget) (egress.Response, error) {
	req, err := a.prepare(t)
	if err != nil {
		return egress.Response{}, err
	}
	return a.post(ctx, req), nil
}

// sentHeaders are the headers an attempt records: the signed ones and the
// content type, one value each (the secrets themselves never leave).
func sentHeaders(h http.Header) map[string]string {
	out := map[string]string{"content-type": "application/json"}
	for name := range h {
		out[strings.ToLower(name)] = h.Get(name)
	}
	return out
}

// attemptError is the error an attempt's row shows.
func attemptError(resp egress.Response) string {
	switch {
	case resp.Err != nil:
		return resp.Err.Error()
	case !resp.Success():
		return fmt.Sprintf("receiver answered %d", resp.StatusCode)
	}
	return ""
}

func resultOf(a *hookflow.Attempt) AttemptResult {
	return AttemptResult{
		AttemptID: a.ID, Number: a.Number, Success: a.Success, StatusCode: a.ResponseStatus, Error: a.Error,
		DurationMs: a.Duration.Milliseconds(), NextRetryAt: a.NextRetryAt,
	}
}
