package retry

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

// TestJitterIsExactlyAsBefore pins Jitter's output: workflows replay their
// waits from it, so a change here breaks every delivery in a backoff.
func TestJitterIsExactlyAsBefore(t *testing.T) {
	tests := []struct {
		delay      time.Duration
		deliveryID string
		retry      int
		want       time.Duration
	}{
		{time.Minute, "d-1", 0, 61551600000},
		{5 * time.Minute, "d-1", 1, 280026000000},
		{time.Hour, "d-1", 2, 2918592000000},
		{time.Hour, "0b7c5a4e-5f00-4c1e-9d0a-1a2b3c4d5e6f", 0, 3172680000000},
		{24 * time.Hour, "0b7c5a4e-5f00-4c1e-9d0a-1a2b3c4d5e6f", 7, 102719232000000},
		{0, "x", 3, 0},
	}
	for _, tt := range tests {
		if got := Jitter(tt.delay, tt.deliveryID, tt.retry); got != tt.want {
			t.Errorf("Jitter(%v, %q, %d) = %d, want %d", tt.delay, tt.deliveryID, tt.retry, got, tt.want)
		}
	}
}

func TestJitterStaysWithinTwentyPercentAndIsStable(t *testing.T) {
	spread := map[time.Duration]bool{}
	for i := range 500 {
		id := fmt.Sprintf("delivery-%d", i)
		d := Jitter(time.Hour, id, i%7)
		if d < 48*time.Minute || d > 72*time.Minute {
			t.Fatalf("Jitter = %v, outside ±20%% of 1h", d)
		}
		if d != Jitter(time.Hour, id, i%7) {
			t.Fatal("Jitter is not deterministic")
		}
		spread[d.Truncate(time.Minute)] = true
	}
	if len(spread) < 20 {
		t.Errorf("jitter takes only %d distinct minutes over 500 deliveries", len(spread))
	}
}

func TestStretchHonoursRetryAfterWithinBounds(t *testing.T) {
	tests := []struct {
		scheduled, retryAfter, want time.Duration
	}{
		{5 * time.Minute, 0, 5 * time.Minute},            // no header: the schedule
		{5 * time.Minute, time.Minute, 5 * time.Minute},  // never sooner than the schedule
		{5 * time.Minute, 2 * time.Hour, 2 * time.Hour},  // later when the receiver asks
		{5 * time.Minute, 72 * time.Hour, MaxRetryAfter}, // at most 24 h
		{30 * time.Hour, 72 * time.Hour, 30 * time.Hour}, // a longer schedule step stands
	}
	for _, tt := range tests {
		if got := Stretch(tt.scheduled, tt.retryAfter); got != tt.want {
			t.Errorf("Stretch(%v, %v) = %v, want %v", tt.scheduled, tt.retryAfter, got, tt.want)
		}
	}
}

func TestNextAtIsTheStretchedWaitAfterAFailedScheduledAttempt(t *testing.T) {
	finished := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	fiveMinutes := 5 * time.Minute
	tests := []struct {
		name string
		o    Outcome
		want *time.Time
	}{
		{"a failure waits the schedule's step", Outcome{FinishedAt: finished, NextDelay: &fiveMinutes}, at(finished.Add(5 * time.Minute))},
		{"stretched by Retry-After", Outcome{FinishedAt: finished, NextDelay: &fiveMinutes, RetryAfter: time.Hour}, at(finished.Add(time.Hour))},
		{"Retry-After capped", Outcome{FinishedAt: finished, NextDelay: &fiveMinutes, RetryAfter: 48 * time.Hour}, at(finished.Add(MaxRetryAfter))},
		{"the last scheduled attempt has none", Outcome{FinishedAt: finished}, nil},
		{"a success has none", Outcome{Success: true, FinishedAt: finished, NextDelay: &fiveMinutes}, nil},
		{"a manual attempt leaves the schedule", Outcome{Kind: hookflow.ManualAttempt, FinishedAt: finished, NextDelay: &fiveMinutes}, nil},
	}
	for _, tt := range tests {
		got := NextAt(tt.o)
		if (got == nil) != (tt.want == nil) || got != nil && !got.Equal(*tt.want) {
			t.Errorf("%s: NextAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStatusIsWhereTheOutcomeLeavesTheDelivery(t *testing.T) {
	step := time.Minute
	var (
		success       = Outcome{Success: true}
		failure       = Outcome{NextDelay: &step}
		lastFailure   = Outcome{}
		manualSuccess = Outcome{Kind: hookflow.ManualAttempt, Success: true}
		manualFailure = Outcome{Kind: hookflow.ManualAttempt}
	)
	const (
		pending   = hookflow.StatusPending
		retrying  = hookflow.StatusRetrying
		succeeded = hookflow.StatusSucceeded
		failed    = hookflow.StatusFailed
	)
	tests := []struct {
		name    string
		current hookflow.DeliveryStatus
		o       Outcome
		want    hookflow.DeliveryStatus
	}{
		{"a first success settles", pending, success, succeeded},
		{"a later success settles", retrying, success, succeeded},
		{"a failure with a retry left is retrying", pending, failure, retrying},
		{"and stays retrying", retrying, failure, retrying},
		{"the last failure fails", retrying, lastFailure, failed},
		{"a failure never undoes a success", succeeded, failure, succeeded},
		{"nor does a last failure", succeeded, lastFailure, succeeded},
		{"a manual success settles a failed delivery", failed, manualSuccess, succeeded},
		{"a manual success settles a retrying one", retrying, manualSuccess, succeeded},
		{"a manual failure keeps the schedule's status", retrying, manualFailure, retrying},
		{"and a failed delivery failed", failed, manualFailure, failed},
		{"and a succeeded one succeeded", succeeded, manualFailure, succeeded},
		{"a manual failure of a pending delivery is retrying", pending, manualFailure, retrying},
	}
	for _, tt := range tests {
		if got := Status(tt.current, tt.o); got != tt.want {
			t.Errorf("%s: Status(%s, %+v) = %s, want %s", tt.name, tt.current, tt.o, got, tt.want)
		}
	}
}

func at(t time.Time) *time.Time { return &t }
