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
	"github.com/hookflow/hookflow/retry"
	"github.com/hookflow/hookflow/signing"
)

// The JSON of every type below is in workflow histories (inputs and results
// of local activities): a field's name, type and tag must not change.

// AttemptInput names the attempt to make.
type AttemptInput struct {
	DeliveryID string
	Kind       hookflow.AttemptKind
	// Key names the workflow step (run id and sequence), so that the step
	// run twice reuses one intent.
	Key string
	// NextDelay is the scheduled wait before the next attempt should this
	// one fail; nil on the last scheduled attempt and on manual ones.
	NextDelay *time.Duration `json:",omitempty"`
	// Slot is the rate-limit slot a Wait reserved for this attempt.
	Slot *time.Time `json:",omitempty"`
}

// AttemptOutput is exactly one of: why no attempt was made, the recorded
// attempt, an outcome still to record (with Complete), or a wait before
// asking again (the endpoint's circuit is open, or its rate limit).
type AttemptOutput struct {
	Ended      *Ending        `json:",omitempty"`
	Recorded   *AttemptResult `json:",omitempty"`
	Unrecorded *CompleteInput `json:",omitempty"`
	Wait       *Wait          `json:",omitempty"`
}

// Ending says why no attempt is made: the webhook was deleted, archived or
// deactivated, its event type retired, or a scheduled attempt found its
// delivery settled already.
//
// It is also the legacy split attempt's BeginResult (an alias, see
// legacy_steps.go), whose JSON inline attempts have carried from the start:
// AttemptID is only ever set by Begin, and Ended is always true here.
type Ending struct {
	AttemptID string
	Ended     bool
	Reason    string
	// Status is the delivery's status as it ends.
	Status hookflow.DeliveryStatus
	// AlreadySettled is set when a scheduled attempt found its delivery
	// settled by an earlier run: this run ends without counting it again.
	AlreadySettled bool `json:",omitempty"`
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

// Attempt is the whole attempt in one local activity: load the webhook as it
// is now, record the intent with the signed request, POST, and record the
// outcome, in one workflow task.
//
// Nothing is sent before the intent is stored, so an error returned (and
// retried) is always one from before the POST. Once the POST is made the
// activity never fails: when recording the outcome fails, it returns the
// outcome as Unrecorded and the workflow completes it with the Complete
// activity, retried until PostgreSQL answers, without posting again.
//
// A local activity's result is saved when its workflow task completes. When
// that is lost (the worker died, or Temporal dropped the task), the
// activity runs again with the same key: it finds the attempt recorded and
// returns it, and only an attempt that never reached its record (the worker
// died during the request) is posted again.
func (a *Activities) Attempt(ctx context.Context, in AttemptInput) (AttemptOutput, error) {
	t, reason, err := a.loadDeliverable(ctx, in.DeliveryID)
	if err != nil {
		return AttemptOutput{}, err
	}
	if ended := endedBefore(t, reason, in.Kind); ended != nil {
		if ended.AlreadySettled {
			// Perhaps by this very step, run before with its result lost.
			return a.recordedOr(ctx, in.Key, AttemptOutput{Ended: ended})
		}
		return AttemptOutput{Ended: ended}, nil
	}
	if out, err := a.gate(ctx, t, in); out != nil || err != nil {
		return orEmpty(out), err
	}
	req, err := a.prepare(t)
	if err != nil {
		return AttemptOutput{}, err
	}
	// Last before the intent and the POST, so that the slot holds at the
	// receiver.
	if out, err := a.rateGate(ctx, t, in); out != nil || err != nil {
		return orEmpty(out), err
	}
	intent := hookflow.AttemptIntent{DeliveryID: in.DeliveryID, Key: in.Key, URL: t.Webhook.URL, Kind: in.Kind}
	if req.Err == nil {
		// Kept with the intent, so the history shows what was sent even
		// when the answer never comes back.
		intent.Request = req.sent()
	}
	id, reused, err := a.store.BeginAttempt(ctx, intent)
	if err != nil {
		return AttemptOutput{}, fmt.Errorf("begin attempt of %s: %w", in.DeliveryID, err)
	}
	if reused {
		if out, err := a.recordedOr(ctx, in.Key, AttemptOutput{}); err != nil || out.Recorded != nil {
			return out, err
		}
	}

	outcome := a.send(ctx, t, id, req)
	complete := CompleteInput{DeliveryID: in.DeliveryID, AttemptID: id, Kind: in.Kind, NextDelay: in.NextDelay, Outcome: outcome}
	attempt := complete.attempt(t.Delivery.Status)
	attempt.Endpoint = a.outcome(t, outcome)
	// A fresh intent has no attempt row yet, so the outcome is inserted
	// directly; Complete, which retries, checks for one first.
	if err := a.store.RecordAttempt(ctx, attempt, in.Kind); err != nil {
		a.logger.WarnContext(ctx, "attempt posted but not recorded yet; the workflow completes it",
			"delivery_id", in.DeliveryID, "attempt_id", id, "error", err)
		return AttemptOutput{Unrecorded: &complete}, nil
	}
	a.endpointChanged(ctx, attempt.Endpoint)
	res := resultOf(attempt)
	return AttemptOutput{Recorded: &res}, nil
}

// Complete records the outcome on the attempt's row and moves the delivery's
// status; completing it again returns the stored attempt unchanged. It
// records what Attempt could not, and is the last of the legacy split
// attempt's three steps.
func (a *Activities) Complete(ctx context.Context, in CompleteInput) (AttemptResult, error) {
	// The status the outcome leads to depends on the delivery's (see
	// retry.Status), read anew: the outcome may have waited for PostgreSQL.
	t, err := a.loadTarget(ctx, in.DeliveryID)
	if err != nil {
		return AttemptResult{}, err
	}
	attempt := in.attempt(t.Delivery.Status)
	outcome := a.outcome(t, in.Outcome)
	attempt.Endpoint = outcome
	if err := a.store.CompleteAttempt(ctx, attempt, in.Kind); err != nil {
		return AttemptResult{}, completeError(in, err)
	}
	a.endpointChanged(ctx, outcome)
	return resultOf(attempt), nil
}

func orEmpty(out *AttemptOutput) AttemptOutput {
	if out == nil {
		return AttemptOutput{}
	}
	return *out
}

// recordedOr returns the attempt recorded for the intent key, if there is
// one, and otherwise the output given.
func (a *Activities) recordedOr(ctx context.Context, key string, otherwise AttemptOutput) (AttemptOutput, error) {
	stored, err := a.store.AttemptOfIntent(ctx, key)
	switch {
	case err == nil:
		res := resultOf(stored)
		return AttemptOutput{Recorded: &res}, nil
	case hookflow.ErrorCodeOf(err) == hookflow.ENOTFOUND:
		return otherwise, nil
	}
	return AttemptOutput{}, fmt.Errorf("find the attempt of %s: %w", key, err)
}

// endedBefore says why no attempt is to be made, if so: the delivery was
// ended as it loaded (reason), or a scheduled attempt finds it settled.
func endedBefore(t *hookflow.DeliveryTarget, reason string, kind hookflow.AttemptKind) *Ending {
	if reason != "" {
		return &Ending{Ended: true, Reason: reason, Status: hookflow.StatusFailed}
	}
	if s := t.Delivery.Status; kind == hookflow.ScheduledAttempt && (s == hookflow.StatusSucceeded || s == hookflow.StatusFailed) {
		// A second run of a settled delivery (a sweep racing its end): the
		// schedule has run its course already.
		return &Ending{Ended: true, Reason: "delivery already " + string(s), Status: s, AlreadySettled: true}
	}
	return nil
}

// attempt is the row the outcome records, with the next retry and the
// delivery's status the retry rule gives it from the delivery's status now.
func (in CompleteInput) attempt(current hookflow.DeliveryStatus) *hookflow.Attempt {
	o := in.Outcome
	rule := retry.Outcome{Kind: in.Kind, Success: o.Success, FinishedAt: o.FinishedAt, RetryAfter: o.RetryAfter, NextDelay: in.NextDelay}
	return &hookflow.Attempt{
		ID: in.AttemptID, DeliveryID: in.DeliveryID, URL: o.URL, ResponseStatus: o.StatusCode, ResponseBody: o.Body,
		Error: o.Error, Duration: time.Duration(o.DurationMs) * time.Millisecond, Success: o.Success,
		NextRetryAt: retry.NextAt(rule), DeliveryStatus: retry.Status(current, rule),
	}
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
	egress.Request // the signed headers and the custom ones
	Timestamp      int64
	Err            error
	// signed are Hookflow's own headers, custom the webhook's custom ones,
	// which the attempt records apart (sealed).
	signed http.Header
	custom map[string]string
	// Tenant is whose delivery it is: the guard opens that tenant's own
	// networks to it (egress.WithTenant).
	Tenant egress.Tenant
}

// tenantOf is the tenant of w's deliveries: an organization for an ECG
// subscription, else the public webhook's client.
func tenantOf(w hookflow.Webhook) egress.Tenant {
	if w.Kind == hookflow.KindOrganization {
		return egress.OrganizationTenant(w.OrganizationID)
	}
	return egress.ClientTenant(w.ClientID)
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
	sent, custom := withCustomHeaders(headers, t.Webhook.Headers)
	return signedRequest{Request: egress.Request{URL: t.Webhook.URL, Body: body, Headers: sent}, Timestamp: now.Unix(), Tenant: tenantOf(t.Webhook),
		signed: headers, custom: custom}, nil
}

// withCustomHeaders adds a webhook's custom headers to the signed ones
// and returns them with the custom ones sent, keyed in lower case as the
// record keeps them. Hookflow's own always win: a reserved name (refused
// when the webhook was saved) is skipped, and the signed headers are set
// last; egress sets content-type and user-agent after these.
func withCustomHeaders(signed http.Header, custom map[string]string) (http.Header, map[string]string) {
	if len(custom) == 0 {
		return signed, nil
	}
	out := make(http.Header, len(signed)+len(custom))
	sent := make(map[string]string, len(custom))
	for name, value := range custom {
		if hookflow.IsReservedHeader(name) {
			continue
		}
		out.Set(name, value)
		sent[strings.ToLower(name)] = value
	}
	for name, values := range signed {
		out[name] = values
	}
	return out, sent
}

// sent is what the attempt records of the request.
func (r signedRequest) sent() *hookflow.SentRequest {
	return &hookflow.SentRequest{Body: r.Body, Headers: sentHeaders(r.signed), Timestamp: r.Timestamp, CustomHeaders: r.custom}
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

// post sends a prepared request; one that could not be signed is a failed
// attempt.
func (a *Activities) post(ctx context.Context, req signedRequest) egress.Response {
	if req.Err != nil {
		return egress.Response{Err: req.Err}
	}
	return a.poster.Post(egress.WithTenant(ctx, req.Tenant), req.Request, a.now)
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
