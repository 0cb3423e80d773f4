// Package workflows holds the deterministic delivery logic: attempt, wait
// as the retry rule says (package retry), again. An attempt is one local
// activity (attempt.go); the older shapes that running workflows may still
// replay are in legacy_attempt.go. Only activities touch the network or the
// database.
package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/retry"
)

// Names shared by the worker, the workflows and the API.
const (
	// RetryNowUpdate makes an attempt at once during a backoff.
	RetryNowUpdate = "retry-now"
	// WebhookRemovedSignal cuts a backoff short after the webhook was
	// deleted, so the next attempt finds it gone and ends the delivery.
	WebhookRemovedSignal = "webhook-removed"
	// SettledSignal says a receiver reported the delivery's success later
	// (an outcome): it counts as succeeded and its pending retries end.
	SettledSignal = "delivery-settled"
	// FailedErrorType is the error type of a delivery that failed for good:
	// its workflow ends as Failed with the reason.
	FailedErrorType = "DeliveryFailed"
	// SettledCounter counts ended deliveries by outcome (succeeded, failed).
	SettledCounter = "hookflow_deliveries_settled"
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
	// AttemptTimeout bounds one POST: the HTTP timeout plus overhead.
	AttemptTimeout Duration
	// RetriesDone is how much of the schedule earlier runs used, when the
	// recovery sweep restarts a delivery whose workflow died.
	RetriesDone int `json:",omitempty"`
	// NotBefore delays the first attempt of a post scheduled for later.
	NotBefore *time.Time `json:",omitempty"`
	// InlineAttempts is set on every delivery started since attempts run
	// as one local activity; without it, the workflow's version marker says
	// how it attempts (see newDelivery).
	InlineAttempts bool `json:",omitempty"`
}

// DeliveryResult is how a delivery ended; a failed delivery's workflow
// error carries it as details.
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
	shape      attemptShape
	seq        int // attempts begun by this run, naming their intents
	attempts   int
	last       *activities.AttemptResult
	settled    bool // succeeded, failed for good, or the webhook is gone
	duplicate  bool // a second run found the delivery already settled
	result     DeliveryResult
	waiting    bool
	nextTry    *time.Time // when the running backoff ends
	queued     bool       // a manual attempt waits for the attempt under way
	inFlight   bool       // a manual attempt is running
	removed    bool       // the webhook was deleted: do not wait any more
	cancelWait workflow.CancelFunc
	// Endpoint health (pause.go): the wait the last ask was given, the
	// rate-limit slot reserved for the next one, whether the circuit holds
	// the delivery now, and the delay a resume signal asked for.
	paused         *activities.Wait
	slot           *time.Time
	onHold         bool
	resumeIn       *time.Duration
	wokenByRemoval bool
}

// DeliveryWorkflow delivers one event to one webhook: an attempt at once,
// then one after each wait of the schedule (jittered, stretched by a
// receiver's Retry-After: see package retry) until one succeeds. Support
// can cut a wait short with the retry-now update. It ends Completed on success and Failed, with
// the reason, once the schedule is exhausted or the webhook is gone.
func DeliveryWorkflow(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	d := newDelivery(ctx, in)
	if err := workflow.SetUpdateHandlerWithOptions(ctx, RetryNowUpdate, d.retryNow,
		workflow.UpdateHandlerOptions{Validator: d.validateRetryNow}); err != nil {
		return DeliveryResult{}, fmt.Errorf("register %s: %w", RetryNowUpdate, err)
	}
	workflow.Go(ctx, d.watchRemoval)
	workflow.Go(ctx, d.watchSettled)
	workflow.Go(ctx, d.watchResume)
	d.describe(ctx)
	if in.NotBefore != nil && in.RetriesDone == 0 {
		if err := d.waitUntil(ctx, *in.NotBefore); err != nil {
			return DeliveryResult{}, err
		}
	}

	for n := min(in.RetriesDone, len(in.RetrySchedule)); !d.settled; n++ {
		var nextDelay *time.Duration
		if n < len(in.RetrySchedule) {
			delay := retry.Jitter(time.Duration(in.RetrySchedule[n]), in.DeliveryID, n)
			nextDelay = &delay
		}
		res, err := d.attempt(ctx, hookflow.ScheduledAttempt, nextDelay)
		// The endpoint cannot take the attempt yet: wait and ask again,
		// on the same step of the schedule.
		for err == nil && d.paused != nil && !d.settled {
			if err = d.pause(ctx); err == nil && !d.settled {
				res, err = d.attempt(ctx, hookflow.ScheduledAttempt, nextDelay)
			}
		}
		if err != nil {
			return DeliveryResult{}, err
		}
		if d.settled {
			break
		}
		if res.NextRetryAt == nil { // the last scheduled attempt failed (retry.NextAt)
			d.settled = true
			d.result = DeliveryResult{Status: hookflow.StatusFailed, Attempts: d.attempts,
				Reason: fmt.Sprintf("retry schedule exhausted after %d attempts; last: %s", d.attempts, res.Error)}
			break
		}
		d.nextTry = res.NextRetryAt
		if err := d.upsert(ctx, hookflow.StatusRetrying); err != nil {
			return DeliveryResult{}, err
		}
		d.describe(ctx)
		d.wait(ctx, res.NextRetryAt.Sub(workflow.Now(ctx)), n+1)
		d.nextTry = nil
	}
	if err := d.upsert(ctx, d.result.Status); err != nil {
		return DeliveryResult{}, err
	}
	d.describe(ctx)
	// A retry-now racing the end still gets its answer.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return DeliveryResult{}, err
	}
	return d.end(ctx)
}

// end counts the delivery by its outcome and returns it: a failure ends the
// workflow as Failed with its reason (red in the Temporal UI), a success as
// Completed. Workflows started before the split keep their old ending.
func (d *delivery) end(ctx workflow.Context) (DeliveryResult, error) {
	if !d.duplicate {
		// The SDK's workflow metrics handler records nothing during replay.
		workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"outcome": string(d.result.Status)}).
			Counter(SettledCounter).Inc(1)
	}
	if d.result.Status == hookflow.StatusFailed && d.shape != oneStep {
		return DeliveryResult{}, temporal.NewNonRetryableApplicationError(d.result.Reason, FailedErrorType, nil, d.result)
	}
	return d.result, nil
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

// watchSettled ends the delivery as succeeded when a receiver's outcome
// says so: a running backoff is cut short and no attempt follows.
func (d *delivery) watchSettled(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SettledSignal)
	for {
		ch.Receive(ctx, nil)
		if d.settled {
			continue
		}
		d.settled = true
		d.result = DeliveryResult{Status: hookflow.StatusSucceeded, Attempts: d.attempts}
		if d.cancelWait != nil {
			d.cancelWait()
		}
	}
}

// waitUntil holds the first attempt of a post scheduled for later, on a
// timer the Temporal UI shows; a removal or an outcome ends it early. A
// retry-now is refused meanwhile: nothing was posted yet.
func (d *delivery) waitUntil(ctx workflow.Context, at time.Time) error {
	delay := at.Sub(workflow.Now(ctx))
	if delay <= 0 || d.removed || d.settled {
		return nil
	}
	d.nextTry = &at
	if err := d.upsert(ctx, hookflow.StatusPending); err != nil {
		return err
	}
	d.describe(ctx)
	timerCtx, cancel := workflow.WithCancel(ctx)
	d.cancelWait = cancel
	summary := "scheduled post at " + at.UTC().Format(time.RFC3339)
	_ = workflow.NewTimerWithOptions(timerCtx, delay, workflow.TimerOptions{Summary: summary}).Get(ctx, nil)
	d.cancelWait, d.nextTry = nil, nil
	cancel()
	return nil
}

// wait sleeps until the next scheduled attempt, or until a manual retry
// settles the delivery or the webhook's removal cancels the timer.
func (d *delivery) wait(ctx workflow.Context, delay time.Duration, n int) {
	if d.removed {
		return
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	d.cancelWait, d.waiting = cancel, true
	timer := workflow.NewTimerWithOptions(timerCtx, delay, workflow.TimerOptions{Summary: fmt.Sprintf("backoff before retry %d", n)})
	_ = timer.Get(ctx, nil) // a cancellation means a manual retry settled it
	d.waiting, d.cancelWait = false, nil
	cancel()
	// Let a manual attempt that started during the wait finish first.
	_ = workflow.Await(ctx, func() bool { return !d.inFlight })
}

func (d *delivery) validateRetryNow(ctx workflow.Context) error {
	if d.inFlight || d.queued || d.settled {
		return notWaiting()
	}
	return nil
}

func notWaiting() error {
	return temporal.NewNonRetryableApplicationError("delivery is not waiting for a retry", NotWaitingErrorType, nil)
}

// retryNow is the retry-now update: one manual attempt, at once, or right
// after the scheduled attempt under way if it is followed by a backoff. A
// success ends the backoff; a failure leaves the schedule as it was.
func (d *delivery) retryNow(ctx workflow.Context) (activities.AttemptResult, error) {
	// Queued, not in flight: the main loop must not wait for an attempt
	// that itself waits for the next backoff.
	d.queued = true
	err := workflow.Await(ctx, func() bool { return d.waiting || d.settled })
	d.queued = false
	if err != nil {
		return activities.AttemptResult{}, err
	}
	if d.settled { // the attempt under way ended the delivery
		return activities.AttemptResult{}, notWaiting()
	}
	d.inFlight = true
	defer func() { d.inFlight = false }()
	res, err := d.attempt(ctx, hookflow.ManualAttempt, nil)
	if err != nil {
		return res, err
	}
	if d.settled && d.cancelWait != nil {
		d.cancelWait() // the timer would otherwise keep running
	}
	if err := d.upsert(ctx, hookflow.StatusRetrying); err != nil {
		return res, err
	}
	d.describe(ctx)
	return res, nil
}

// EndpointResumeSignal tells a delivery paused by its endpoint's open
// circuit that the circuit closed: it attempts after Resume.After, so that
// the paused deliveries of one endpoint come back spread out. A delivery
// that is not paused ignores it.
const EndpointResumeSignal = "endpoint-resume"

// Resume is EndpointResumeSignal's payload.
type Resume struct {
	After Duration
}
