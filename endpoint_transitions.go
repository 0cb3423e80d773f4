package hookflow

import (
	"fmt"
	"time"
)

// FailingThresholds are the shares (percent) of the auto-disable window an
// endpoint failing all along is announced at; at 100 it is disabled.
var FailingThresholds = [...]int{50, 70, 90}

// GoneReason is why a 410 disables an endpoint (the Standard Webhooks rule).
const GoneReason = "receiver answered 410 Gone"

// NextHealth is the endpoint's health after an attempt's outcome, with the
// changes of its state to record. It is the whole breaker and auto-disable
// rule, kept pure so that the store applies it on the locked row.
func NextHealth(h EndpointHealth, o EndpointOutcome) (EndpointHealth, []EndpointChange) {
	now, p := o.At, o.Policy
	if h.State == "" {
		h.State = EndpointClosed
	}
	if h.State == EndpointDisabled {
		// Only a person re-enables it; a manual attempt's outcome is kept.
		if o.Success {
			h.LastSuccessAt = &now
		} else {
			h.LastFailureAt = &now
		}
		return h, nil
	}
	if o.Success {
		was := h.State
		h = EndpointHealth{WebhookID: h.WebhookID, State: EndpointClosed, LastSuccessAt: &now, LastFailureAt: h.LastFailureAt}
		if was == EndpointOpen || was == EndpointHalfOpen {
			return h, []EndpointChange{{Kind: ChangeCircuitClosed, Reason: "an attempt succeeded"}}
		}
		return h, nil
	}

	h.LastFailureAt = &now
	if h.FailingSince == nil {
		h.FailingSince = &now
	}
	if o.StatusCode == 410 {
		return disable(h, now, GoneReason, 0)
	}
	var changes []EndpointChange
	if breaker := o.BreakerFailure() && p.FailureThreshold > 0; breaker {
		h.ConsecutiveFailures++
		retryAfter := min(o.RetryAfter, p.MaxCooldown)
		switch h.State {
		case EndpointHalfOpen:
			// The probe failed: open again for twice as long.
			h.Cooldown = min(max(2*h.Cooldown, p.Cooldown), p.MaxCooldown)
			h = reopen(h, now, max(h.Cooldown, retryAfter))
		case EndpointClosed:
			throttled := retryAfter > 0 && (o.StatusCode == 429 || o.StatusCode == 503)
			if h.ConsecutiveFailures >= p.FailureThreshold || throttled {
				h.Cooldown = p.Cooldown
				wait := max(h.Cooldown, retryAfter)
				reason := fmt.Sprintf("%d failures in a row; last: %s", h.ConsecutiveFailures, answer(o.StatusCode))
				if throttled {
					// The receiver said when to come back: that, not our cooldown.
					wait = retryAfter
					reason = fmt.Sprintf("receiver answered %d with Retry-After %s", o.StatusCode, retryAfter)
				}
				h.OpenedAt = &now
				h = reopen(h, now, wait)
				changes = append(changes, EndpointChange{Kind: ChangeCircuitOpened, Reason: reason})
			}
		}
	}
	if p.DisableAfter > 0 {
		failing := now.Sub(*h.FailingSince)
		if failing >= p.DisableAfter {
			next, disabled := disable(h, now, fmt.Sprintf("failing since %s (%s)", h.FailingSince.UTC().Format(time.RFC3339), p.DisableAfter), 100)
			return next, append(changes, disabled...)
		}
		reached := 0
		for _, t := range FailingThresholds {
			if failing >= p.DisableAfter*time.Duration(t)/100 {
				reached = t
			}
		}
		if reached > h.ThresholdNotified {
			h.ThresholdNotified = reached
			changes = append(changes, EndpointChange{Kind: ChangeFailing, Threshold: reached,
				Reason: fmt.Sprintf("failing since %s: %d%% of %s", h.FailingSince.UTC().Format(time.RFC3339), reached, p.DisableAfter)})
		}
	}
	return h, changes
}

// reopen opens the circuit until now+wait, dropping any probe's lease.
func reopen(h EndpointHealth, now time.Time, wait time.Duration) EndpointHealth {
	at := now.Add(wait)
	h.State, h.ProbeAt, h.ProbeDeliveryID, h.ProbeLeaseUntil = EndpointOpen, &at, "", nil
	return h
}

func disable(h EndpointHealth, now time.Time, reason string, threshold int) (EndpointHealth, []EndpointChange) {
	h.State, h.DisabledAt, h.DisabledReason = EndpointDisabled, &now, reason
	h.ProbeAt, h.ProbeDeliveryID, h.ProbeLeaseUntil = nil, "", nil
	if threshold > 0 {
		h.ThresholdNotified = threshold
	}
	return h, []EndpointChange{{Kind: ChangeDisabled, Threshold: threshold, Reason: reason}}
}

func answer(code int) string {
	if code == 0 {
		return "no answer"
	}
	return fmt.Sprintf("HTTP %d", code)
}
