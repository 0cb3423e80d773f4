package activities

import (
	"testing"
	"time"
)

func TestRetryDelayHonoursRetryAfterWithinBounds(t *testing.T) {
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
		if got := retryDelay(tt.scheduled, tt.retryAfter); got != tt.want {
			t.Errorf("retryDelay(%v, %v) = %v, want %v", tt.scheduled, tt.retryAfter, got, tt.want)
		}
	}
}
