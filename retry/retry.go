// Package retry is the delivery's retry rule in one place, pure (time and
// arithmetic only, so the workflow may call it and replays stay
// deterministic): how long to wait before the next attempt (the schedule's
// step, jittered and stretched by a receiver's Retry-After), when that is,
// and the status an attempt's outcome leaves its delivery in.
package retry

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/hookflow/hookflow"
)

const (
	// JitterFraction spreads retries by up to ±20% so that a receiver that
	// comes back is not hit by every delivery at the same second.
	JitterFraction = 0.2
	// MaxRetryAfter caps how long a receiver's Retry-After may delay a retry.
	MaxRetryAfter = 24 * time.Hour
)

// Jitter spreads a scheduled delay by up to ±JitterFraction, the same way
// every time for a delivery and retry: workflow replays depend on it, so its
// output for given inputs must never change.
func Jitter(delay time.Duration, deliveryID string, retry int) time.Duration {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s/%d", deliveryID, retry)
	unit := float64(h.Sum64()%20001)/10000 - 1 // in [-1, 1]
	return time.Duration(float64(delay) * (1 + JitterFraction*unit))
}

// Stretch honours a receiver's Retry-After: the wait is never shorter than
// the schedule's, and never longer than MaxRetryAfter unless the schedule's
// own step is.
func Stretch(scheduled, retryAfter time.Duration) time.Duration {
	return max(scheduled, min(retryAfter, MaxRetryAfter))
}

// Outcome is what an attempt came to, as far as the rule cares.
type Outcome struct {
	Kind    hookflow.AttemptKind
	Success bool
	// FinishedAt is when the receiver's answer (or the failure) came.
	FinishedAt time.Time
	// RetryAfter is what the receiver asked for, zero when it did not.
	RetryAfter time.Duration
	// NextDelay is the schedule's (jittered) wait before the next attempt;
	// nil on the last scheduled attempt and on manual ones.
	NextDelay *time.Duration
}

// NextAt is when a failed scheduled attempt is retried: its schedule's next
// wait, stretched by Retry-After, from when it finished. Nil when there is no
// retry: the attempt succeeded, was manual (it leaves the schedule as it
// was), or was the schedule's last.
func NextAt(o Outcome) *time.Time {
	if o.Success || o.Kind != hookflow.ScheduledAttempt || o.NextDelay == nil {
		return nil
	}
	next := o.FinishedAt.Add(Stretch(*o.NextDelay, o.RetryAfter))
	return &next
}

// Status is the status an attempt's outcome leaves its delivery in, given the
// status it had: a delivery that succeeded stays succeeded, a success
// settles it; a scheduled failure is retrying while the schedule has a retry
// left (see NextAt) and failed once it has none; a manual failure leaves the
// status as it was, except that a delivery still pending counts as retrying
// from its first attempt on.
func Status(current hookflow.DeliveryStatus, o Outcome) hookflow.DeliveryStatus {
	switch {
	case o.Success || current == hookflow.StatusSucceeded:
		return hookflow.StatusSucceeded
	case o.Kind == hookflow.ManualAttempt:
		if current == hookflow.StatusPending {
			return hookflow.StatusRetrying
		}
		return current
	case NextAt(o) != nil:
		return hookflow.StatusRetrying
	}
	return hookflow.StatusFailed
}
