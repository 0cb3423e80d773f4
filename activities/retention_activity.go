package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
)

// PurgeStore deletes expired delivery logs in bounded batches.
type PurgeStore interface {
	PurgeDeliveries(ctx context.Context, cutoff time.Time, limit int) (deliveries, attempts int64, err error)
	PurgeEvents(ctx context.Context, cutoff time.Time, limit int) (int64, error)
}

// Retention purges delivery logs.
type Retention struct {
	store PurgeStore
}

// NewRetention builds the retention activities.
func NewRetention(store PurgeStore) *Retention { return &Retention{store: store} }

// PurgeInput bounds one purge run.
type PurgeInput struct {
	Cutoff    time.Time
	BatchSize int
	// Budget is how long one activity keeps deleting before handing back to
	// the workflow, which calls again until Done.
	Budget time.Duration
}

// PurgeProgress is heartbeated after every batch, so an activity retried on
// another worker resumes with its counts and phase.
type PurgeProgress struct {
	Deliveries int64
	Attempts   int64
	Events     int64
	// EventsPhase: deliveries are done, events without deliveries are next.
	EventsPhase bool
	Done        bool
}

// Purge deletes batches of expired deliveries (with their attempts), then of
// events left without deliveries, heartbeating its progress.
func (r *Retention) Purge(ctx context.Context, in PurgeInput) (PurgeProgress, error) {
	var p PurgeProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			return p, fmt.Errorf("read purge progress: %w", err)
		}
	}
	deadline := time.Now().Add(in.Budget)
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		if !p.EventsPhase {
			deliveries, attempts, err := r.store.PurgeDeliveries(ctx, in.Cutoff, in.BatchSize)
			if err != nil {
				return p, err
			}
			p.Deliveries, p.Attempts = p.Deliveries+deliveries, p.Attempts+attempts
			p.EventsPhase = deliveries < int64(in.BatchSize)
		} else {
			events, err := r.store.PurgeEvents(ctx, in.Cutoff, in.BatchSize)
			if err != nil {
				return p, err
			}
			p.Events += events
			if events < int64(in.BatchSize) {
				p.Done = true
				return p, nil
			}
		}
		activity.RecordHeartbeat(ctx, p)
	}
	return p, nil
}
