package dispatch

import (
	"context"

	"github.com/google/uuid"

	"github.com/hookflow/hookflow"
)

// TestEventPrefix starts the id of every test event, so that a receiver
// (and the log) can tell a test from a real event.
const TestEventPrefix = "test-"

// SendTestEvent stores a test event of ev's type and data for webhook w
// with exactly one delivery, to w alone, and starts it: signed, retried and
// logged as any delivery. Its data is not checked against the event's
// schema: it is the catalog's own sample (or {}), and a test should reach
// the endpoint. When the start fails nothing stays behind and the answer is
// ErrUnavailable, as for a publish.
func (d *Dispatcher) SendTestEvent(ctx context.Context, ev *hookflow.Event, w hookflow.Webhook) (*hookflow.Delivery, error) {
	ev.ID = TestEventPrefix + uuid.NewString()
	del, err := d.stores.Events.PublishTestEvent(ctx, ev, w)
	if err != nil {
		if code := hookflow.ErrorCodeOf(err); code == hookflow.EINVALID || code == hookflow.ENOTFOUND {
			return nil, err
		}
		return nil, d.unavailable(ctx, "store test event", err)
	}
	if err := d.start(ctx, *del); err != nil {
		d.logger.ErrorContext(ctx, "start test event", "delivery_id", del.ID, "error", err)
		d.forget(ctx, ev.ID)
		return nil, ErrUnavailable
	}
	return del, nil
}
