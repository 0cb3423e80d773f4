// Package workflows holds the deterministic delivery logic: attempt, record,
// wait, again. Only activities touch the network or the database.
package workflows

import (
	"fmt"
	"hash/fnv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
)

// Names shared by the worker, the workflows and the API.
const (
	// DeliverActivity is activities.Activities.Deliver as registered.
	DeliverActivity = "Deliver"
	// RetryNowUpdate makes an attempt at once during a backoff.
	RetryNowUpdate = "retry-now"
	// WebhookRemovedSignal cuts a backoff short after the webhook was
	// deleted, so the next attempt finds it gone and ends the delivery.
	WebhookRemovedSignal = "webhook-removed"
	// JitterFraction spreads retries by up to ±20% so that a receiver that
	// comes back is not hit by every delivery at the same second.
	JitterFraction = 0.2
)

// DeliveryInput carries ids and the schedule, never payloads.
type DeliveryInput struct {
	DeliveryID     string
	EventID        string
	WebhookID      string
	EventType      string
	FacilityID     string
	ClientID       string
	OrganizationID string
	// RetrySchedule is the wait before each retry; its length is the number of retries.
	RetrySchedule []Duration
	// AttemptTimeout bounds one attempt: the HTTP timeout plus recording.
	AttemptTimeout Duration
}

// DeliveryResult is how a delivery ended.
type DeliveryResult struct {
	Status   hookflow.DeliveryStatus
	Attempts int
	Reason   string `json:",omitempty"`
}

// NotWaitingErrorType marks the rejection of a retry-now that arrives while
// no backoff is running (an attempt is under way, or the delivery is done).
const NotWaitingErrorType = "NotWaiting"

// delivery is the workflow's state, shared with the retry-now handler.
type delivery struct {
	in         DeliveryInput
	attempts   int
	settled    bool // succeeded, or ended because the webhook is gone
	result     DeliveryResult
	waiting    bool
	nextTry    *time.Time // when the running backoff ends
	inFlight   bool       // a manual attempt is running
	removed    bool       // the webhook was deleted: do not wait any more
	cancelWait workflow.CancelFunc
}

// DeliveryWorkflow delivers one event to one webhook: an attempt at once,
// then one after each wait of the schedule (jittered, stretched by a
// receiver's Retry-After) until one succeeds. Support can cut a wait short
// with the retry-now update.
func DeliveryWorkflow(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	d := &delivery{in: in}
	ctx = withAttemptOptions(ctx, in)
	if err := workflow.SetUpdateHandlerWithOptions(ctx, RetryNowUpdate, d.retryNow,
		workflow.UpdateHandlerOptions{Validator: d.validateRetryNow}); err != nil {
		return DeliveryResult{}, fmt.Errorf("register %s: %w", RetryNowUpdate, err)
	}
	workflow.Go(ctx, d.watchRemoval)

	for retry := 0; !d.settled; retry++ {
		var nextDelay *time.Duration
		if retry < len(in.RetrySchedule) {
			delay := Jittered(time.Duration(in.RetrySchedule[retry]), in.DeliveryID, retry)
			nextDelay = &delay
		}
		res, err := d.attempt(ctx, activities.AttemptInput{DeliveryID: in.DeliveryID, Kind: hookflow.ScheduledAttempt, NextDelay: nextDelay})
		if err != nil {
			return DeliveryResult{}, err
		}
		if d.settled {
			break
		}
		if res.NextRetryAt == nil { // the last scheduled attempt failed
			d.result = DeliveryResult{Status: hookflow.StatusFailed, Attempts: d.attempts, Reason: "retry schedule exhausted"}
			break
		}
		d.nextTry = res.NextRetryAt
		if err := d.upsert(ctx, hookflow.StatusRetrying); err != nil {
			return DeliveryResult{}, err
		}
		d.wait(ctx, res.NextRetryAt.Sub(workflow.Now(ctx)), retry+1)
		d.nextTry = nil
	}
	if err := d.upsert(ctx, d.result.Status); err != nil {
		return DeliveryResult{}, err
	}
	// A retry-now racing the end still gets its answer.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return DeliveryResult{}, err
	}
	return d.result, nil
}

func withAttemptOptions(ctx workflow.Context, in DeliveryInput) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: time.Duration(in.AttemptTimeout),
		// Only infrastructure errors (database down) fail the activity; the
		// receiver's answers are outcomes. Keep trying those.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:     "sign, POST and record",
	})
}

// attempt runs one attempt and folds its outcome into the state.
func (d *delivery) attempt(ctx workflow.Context, in activities.AttemptInput) (activities.AttemptResult, error) {
	var res activities.AttemptResult
	if err := workflow.ExecuteLocalActivity(ctx, DeliverActivity, in).Get(ctx, &res); err != nil {
		return res, fmt.Errorf("attempt delivery %s: %w", in.DeliveryID, err)
	}
	switch {
	case res.Ended:
		d.settled = true
		d.result = DeliveryResult{Status: hookflow.StatusFailed, Attempts: d.attempts, Reason: res.Reason}
	case res.Success:
		d.attempts = max(d.attempts, res.Number)
		d.settled = true
		d.result = DeliveryResult{Status: hookflow.StatusSucceeded, Attempts: d.attempts}
	default:
		d.attempts = max(d.attempts, res.Number)
	}
	return res, nil
}

// watchRemoval ends the current and any later backoff once the webhook is
// deleted.
func (d *delivery) watchRemoval(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, WebhookRemovedSignal)
	for {
		ch.Receive(ctx, nil)
		d.removed = true
		if d.cancelWait != nil {
			d.cancelWait()
		}
	}
}

// wait sleeps until the next scheduled attempt, or until a manual retry
// settles the delivery or the webhook's removal cancels the timer.
func (d *delivery) wait(ctx workflow.Context, delay time.Duration, retry int) {
	if d.removed {
		return
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	d.cancelWait, d.waiting = cancel, true
	timer := workflow.NewTimerWithOptions(timerCtx, delay, workflow.TimerOptions{Summary: fmt.Sprintf("backoff before retry %d", retry)})
	_ = timer.Get(ctx, nil) // a cancellation means a manual retry settled it
	d.waiting, d.cancelWait = false, nil
	cancel()
	// Let a manual attempt that started during the wait finish first.
	_ = workflow.Await(ctx, func() bool { return !d.inFlight })
}

func (d *delivery) validateRetryNow(ctx workflow.Context) error {
	if !d.waiting || d.inFlight || d.settled {
		return temporal.NewNonRetryableApplicationError("delivery is not waiting for a retry", NotWaitingErrorType, nil)
	}
	return nil
}

// retryNow is the retry-now update: one manual attempt, at once. A success
// ends the backoff; a failure leaves the schedule as it was.
func (d *delivery) retryNow(ctx workflow.Context) (activities.AttemptResult, error) {
	ctx = withAttemptOptions(ctx, d.in) // handlers get the root context, without the options
	d.inFlight = true
	defer func() { d.inFlight = false }()
	res, err := d.attempt(ctx, activities.AttemptInput{DeliveryID: d.in.DeliveryID, Kind: hookflow.ManualAttempt})
	if err != nil {
		return res, err
	}
	if d.settled && d.cancelWait != nil {
		d.cancelWait() // the timer would otherwise keep running
	}
	if err := d.upsert(ctx, hookflow.StatusRetrying); err != nil {
		return res, err
	}
	return res, nil
}

// upsert keeps the operator-facing search attributes current.
func (d *delivery) upsert(ctx workflow.Context, status hookflow.DeliveryStatus) error {
	next := d.nextTry
	if d.settled {
		status, next = d.result.Status, nil
	}
	updates := []temporal.SearchAttributeUpdate{
		DeliveryStatusKey.ValueSet(string(status)),
		AttemptCountKey.ValueSet(int64(d.attempts)),
	}
	if next != nil {
		updates = append(updates, NextRetryAtKey.ValueSet(*next))
	} else {
		updates = append(updates, NextRetryAtKey.ValueUnset())
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		return fmt.Errorf("upsert search attributes: %w", err)
	}
	return nil
}

// Jittered spreads a scheduled delay by up to ±JitterFraction, the same way
// every time for a delivery and retry, so replays stay deterministic.
func Jittered(delay time.Duration, deliveryID string, retry int) time.Duration {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s/%d", deliveryID, retry)
	unit := float64(h.Sum64()%20001)/10000 - 1 // in [-1, 1]
	return time.Duration(float64(delay) * (1 + JitterFraction*unit))
}
