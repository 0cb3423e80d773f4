package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow"
)

// unreachable is a Temporal client whose every start fails.
type unreachable struct{ client.Client }

func (unreachable) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, errors.New("temporal is unreachable")
}

// fakeStores records the events published and deleted; its one catalog
// event has schema (none when nil) at revision.
type fakeStores struct {
	deleted     []string
	published   int
	schema      json.RawMessage
	revision    int64
	schemaLoads int
}

func (f *fakeStores) EventCategory(context.Context, string) (string, error) { return "shift", nil }
func (f *fakeStores) LiveEventSchemaRef(ctx context.Context, _ string) (*hookflow.EventSchemaRef, error) {
	return f.EventSchemaRef(ctx, "event-1")
}
func (f *fakeStores) EventSchemaRef(_ context.Context, id string) (*hookflow.EventSchemaRef, error) {
	if f.schema == nil {
		return nil, nil
	}
	return &hookflow.EventSchemaRef{EventID: id, Revision: f.revision}, nil
}
func (f *fakeStores) EventSchemaDocument(context.Context, string) (json.RawMessage, int64, error) {
	f.schemaLoads++
	if f.schema == nil {
		return nil, 0, hookflow.ErrEventSchemaNotFound
	}
	return f.schema, f.revision, nil
}
func (f *fakeStores) PublishEvent(_ context.Context, ev *hookflow.Event, _ string) ([]hookflow.Delivery, bool, error) {
	f.published++
	return []hookflow.Delivery{{ID: "d-1", EventID: ev.ID}}, true, nil
}
func (f *fakeStores) PublishTestEvent(_ context.Context, ev *hookflow.Event, w hookflow.Webhook) (*hookflow.Delivery, error) {
	return &hookflow.Delivery{ID: "d-3", EventID: ev.ID, WebhookID: w.ID}, nil
}
func (f *fakeStores) DeleteEvent(_ context.Context, id string) error {
	f.deleted = append(f.deleted, id)
	return nil
}
func (f *fakeStores) AddActivityPost(_ context.Context, p hookflow.ActivityPost) (*hookflow.Delivery, error) {
	return &hookflow.Delivery{ID: "d-2", EventID: "post-event"}, nil
}

func newUnreachable(f *fakeStores) *Dispatcher {
	return New(Stores{Catalog: f, Events: f, Activity: f}, unreachable{}, Options{TaskQueue: "q"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// A publish or a post whose workflow cannot start leaves nothing behind
// and answers 503, so that a retry starts clean.
func TestPublishAndPostActivityUndoWhenNothingStarts(t *testing.T) {
	f := &fakeStores{}
	d := newUnreachable(f)
	if _, err := d.Publish(context.Background(), &hookflow.Event{ID: "ev-1", EventType: "shift.created"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Publish err = %v, want ErrUnavailable", err)
	}
	if _, err := d.PostActivity(context.Background(), hookflow.ActivityPost{}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("PostActivity err = %v, want ErrUnavailable", err)
	}
	ev := &hookflow.Event{EventType: "shift.created"}
	if _, err := d.SendTestEvent(context.Background(), ev, hookflow.Webhook{ID: "w-1"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("SendTestEvent err = %v, want ErrUnavailable", err)
	}
	if !strings.HasPrefix(ev.ID, TestEventPrefix) {
		t.Errorf("test event id %q lacks the %q prefix", ev.ID, TestEventPrefix)
	}
	if want := []string{"ev-1", "post-event", ev.ID}; !slices.Equal(f.deleted, want) {
		t.Errorf("deleted %v, want %v", f.deleted, want)
	}
}
