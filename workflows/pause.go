package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
)

// minPause keeps a wait whose end has passed by the workflow's clock a
// timer still, so that a clock apart from the activity's cannot spin.
const minPause = 10 * time.Millisecond

// pause waits as the endpoint asked (activities.Wait): until its circuit's
// probe is due, or until the rate-limit slot reserved for the delivery.
// Nothing is attempted and the schedule does not move. A circuit pause is
// one timer per probe period; a resume signal (the circuit closed) cuts it
// short and waits its delay instead, the webhook's removal and a settled
// signal end it, and a retry-now is accepted meanwhile (it attempts at
// once, as during a backoff). Only workflows given a Wait by their attempt
// reach this code, so histories from before it replay unchanged.
func (d *delivery) pause(ctx workflow.Context) error {
	w := *d.paused
	d.paused = nil
	if w.Slot {
		// A short wait for the reserved slot: no search attributes, no
		// resume; the next ask passes the slot.
		d.slot = &w.Until
		d.sleep(ctx, w.Until.Sub(workflow.Now(ctx)), "rate limit: slot at "+w.Until.UTC().Format(time.RFC3339Nano))
		return nil
	}
	if d.removed && !d.wokenByRemoval {
		// The next ask finds the webhook gone, or its endpoint disabled.
		// Once only: the flag stays set, and an endpoint still open must
		// not make the delivery ask in a loop.
		d.wokenByRemoval = true
		return nil
	}
	d.nextTry, d.onHold = &w.Until, true
	defer func() { d.nextTry, d.onHold = nil, false }()
	status := hookflow.StatusRetrying
	if d.attempts == 0 {
		status = hookflow.StatusPending
	}
	if err := d.upsert(ctx, status); err != nil {
		return err
	}
	d.describe(ctx)
	d.sleep(ctx, w.Until.Sub(workflow.Now(ctx)), fmt.Sprintf("%s: paused until %s", w.Reason, w.Until.UTC().Format(time.RFC3339)))
	d.wokenByRemoval = d.removed // this wake-up was the removal's
	if after := d.resumeIn; after != nil && !d.settled {
		d.onHold = false // a second resume changes nothing
		d.sleep(ctx, *after, fmt.Sprintf("endpoint recovered: resume in %s", *after))
	}
	d.resumeIn = nil
	return nil
}

// sleep waits on a timer that a retry-now may run during (as in a backoff)
// and that removal, a settled signal and a resume signal cancel.
func (d *delivery) sleep(ctx workflow.Context, delay time.Duration, summary string) {
	if d.settled {
		return
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	d.cancelWait, d.waiting = cancel, true
	_ = workflow.NewTimerWithOptions(timerCtx, max(delay, minPause), workflow.TimerOptions{Summary: summary}).Get(ctx, nil)
	d.waiting, d.cancelWait = false, nil
	cancel()
	// Let a manual attempt that started during the wait finish first.
	_ = workflow.Await(ctx, func() bool { return !d.inFlight })
}

// watchResume cuts a circuit pause short when the endpoint recovered: the
// delivery attempts after the signal's delay, which spreads an endpoint's
// deliveries out. A delivery not held by the circuit ignores it.
func (d *delivery) watchResume(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, EndpointResumeSignal)
	for {
		var r Resume
		ch.Receive(ctx, &r)
		if !d.onHold || d.resumeIn != nil {
			continue
		}
		after := time.Duration(r.After)
		d.resumeIn = &after
		if d.cancelWait != nil {
			d.cancelWait()
		}
	}
}
