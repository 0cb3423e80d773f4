package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/storage"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

// TestRecordHistories records, into testdata/, real histories of every
// attempt shape the delivery workflows still replay (TestReplay reads them),
// run by the real worker against the Temporal dev server, PostgreSQL and a
// receiver on 127.0.0.1. It runs only when asked:
//
//	HOOKFLOW_RECORD_HISTORIES=1 HOOKFLOW_TEST_DATABASE_URL=... HOOKFLOW_TEST_TEMPORAL_ADDRESS=... \
//	  go test -count=1 -run TestRecordHistories ./workflows
//
// Record again only to add a shape or a case: the files stand for
// workflows started by the code of their time, which is what must keep
// replaying, so keep the old files. A workflow started without
// InlineAttempts still runs the legacy split shape. The one-step shape
// (legacy_deliver_*.json) cannot be started any more: it was recorded by
// this recorder run on the code from before attempts were split; see
// testdata/README.md for which commit recorded which files.
func TestRecordHistories(t *testing.T) {
	if os.Getenv("HOOKFLOW_RECORD_HISTORIES") != "1" {
		t.Skip("set HOOKFLOW_RECORD_HISTORIES=1 to record testdata/*.json")
	}
	r := newRecorder(t)

	t.Run("inline_retry_then_success", func(t *testing.T) {
		in := r.delivery(t, true, []time.Duration{time.Second, time.Second}, answer{status: 503}, answer{status: 200})
		r.finish(t, r.start(t, in))
	})
	t.Run("inline_retry_after_then_exhausted", func(t *testing.T) {
		in := r.delivery(t, true, []time.Duration{time.Second}, answer{status: 429, retryAfter: "2"}, answer{status: 500})
		r.finish(t, r.start(t, in))
		// A manual retry of the failed delivery, in a workflow of its own.
		r.answers(in.WebhookID, answer{status: 200})
		r.finish(t, r.startManual(t, in))
	})
	t.Run("inline_retry_now", func(t *testing.T) {
		in := r.delivery(t, true, []time.Duration{time.Hour}, answer{status: 500}, answer{status: 200})
		run := r.start(t, in)
		r.awaitStatus(t, in.DeliveryID, hookflow.StatusRetrying)
		r.retryNow(t, run)
		r.finish(t, run)
	})
	t.Run("inline_settled_signal", func(t *testing.T) {
		in := r.delivery(t, true, []time.Duration{time.Hour}, answer{status: 500})
		run := r.start(t, in)
		r.awaitStatus(t, in.DeliveryID, hookflow.StatusRetrying)
		r.signal(t, run, workflows.SettledSignal)
		r.finish(t, run)
	})
	t.Run("inline_webhook_removed", func(t *testing.T) {
		in := r.delivery(t, true, []time.Duration{time.Hour}, answer{status: 500})
		run := r.start(t, in)
		r.awaitStatus(t, in.DeliveryID, hookflow.StatusRetrying)
		if err := r.db.Stores.Webhooks.DeleteWebhook(context.Background(), in.WebhookID, "recorder"); err != nil {
			t.Fatal(err)
		}
		r.signal(t, run, workflows.WebhookRemovedSignal)
		r.finish(t, run)
	})
	t.Run("inline_unrecorded_then_completed", func(t *testing.T) {
		in := r.delivery(t, true, []time.Duration{time.Second}, answer{status: 200})
		r.store.failRecordOnce(in.DeliveryID)
		r.finish(t, r.start(t, in))
	})
	t.Run("legacy_split_retry_then_success", func(t *testing.T) {
		in := r.delivery(t, false, []time.Duration{time.Second}, answer{status: 503}, answer{status: 200})
		r.finish(t, r.start(t, in))
	})
	t.Run("legacy_split_retry_now_then_exhausted", func(t *testing.T) {
		in := r.delivery(t, false, []time.Duration{time.Hour}, answer{status: 500})
		run := r.start(t, in)
		r.awaitStatus(t, in.DeliveryID, hookflow.StatusRetrying)
		r.retryNow(t, run) // fails, and leaves the schedule as it was
		r.signal(t, run, workflows.WebhookRemovedSignal)
		r.finish(t, run)
		r.answers(in.WebhookID, answer{status: 200})
		r.finish(t, r.startManual(t, in))
	})
}

// answer is what the receiver answers one POST.
type answer struct {
	status     int
	retryAfter string
}

type recorder struct {
	db       *testenv.Database
	store    *flakyStore
	temporal client.Client
	queue    string
	receiver *httptest.Server

	mu      sync.Mutex
	scripts map[string][]answer // by client: the answers still to give
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "record")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	base, err := testenv.NewTemporalClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(base.Close)
	ns, err := testenv.NewNamespace(ctx, base, "record")
	if err != nil {
		t.Fatal(err)
	}
	logger := testenv.DiscardLogger()
	if err := worker.EnsureSearchAttributes(ctx, base, ns, logger); err != nil {
		t.Fatal(err)
	}
	c, err := client.NewClientFromExisting(base, client.Options{Namespace: ns, Logger: sdklog.NewStructuredLogger(logger)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	r := &recorder{db: db, store: &flakyStore{DeliveryStore: db.Stores.Deliveries, failing: map[string]bool{}}, temporal: c, queue: "record", scripts: map[string][]answer{}}
	r.receiver = httptest.NewServer(http.HandlerFunc(r.answer))
	t.Cleanup(r.receiver.Close)
	w := worker.New(c, worker.Options{TaskQueue: r.queue}, worker.Activities{
		Delivery:  activities.New(r.store, egress.NewClient(egress.Guard{AllowPrivate: true}, 5*time.Second, "Hookflow/record", logger), logger),
		Retention: activities.NewRetention(db.Stores.Retention),
		Recover:   func(context.Context, workflows.RecoverRequest) (int, error) { return 0, nil },
	})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return r
}

// answer plays the script of the webhook the request is for; the last
// answer repeats.
func (r *recorder) answer(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	id := strings.TrimPrefix(req.URL.Path, "/")
	script := r.scripts[id]
	a := answer{status: 200}
	if len(script) > 0 {
		a = script[0]
	}
	if len(script) > 1 {
		r.scripts[id] = script[1:]
	}
	r.mu.Unlock()
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
}

func (r *recorder) answers(client string, script ...answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scripts[client] = script
}

// delivery seeds a webhook (with a secret, posting to the receiver), an
// event and a pending delivery, and returns the delivery's workflow input.
func (r *recorder) delivery(t *testing.T, inline bool, schedule []time.Duration, script ...answer) workflows.DeliveryInput {
	t.Helper()
	// The receiver tells the webhooks apart by their client, which the
	// webhook's URL carries.
	client := "c-record-" + testenv.RandomID(6)
	secret, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	w := testenv.NewWebhook(t, r.db.Stores, &hookflow.Webhook{ClientID: client, URL: r.receiver.URL + "/" + client, Secrets: []string{secret}})
	ev := &hookflow.Event{ID: "evt-" + uuid.NewString(), EventType: "shift.created", ClientID: client, Data: json.RawMessage(`{"n":1}`)}
	ds := testenv.PublishEvent(t, r.db.Stores, ev, "facility")
	if len(ds) != 1 {
		t.Fatalf("deliveries = %+v, want one", ds)
	}
	r.answers(client, script...)
	return workflows.DeliveryInput{
		DeliveryID: ds[0].ID, EventID: ev.ID, WebhookID: w.ID, EventType: ev.EventType, ClientID: client,
		RetrySchedule: workflows.Durations(schedule), AttemptTimeout: workflows.Duration(10 * time.Second), InlineAttempts: inline,
	}
}

func (r *recorder) start(t *testing.T, in workflows.DeliveryInput) client.WorkflowRun {
	t.Helper()
	run, err := r.temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: "delivery-" + in.DeliveryID, TaskQueue: r.queue, TypedSearchAttributes: workflows.StartAttributes(in),
	}, workflows.DeliveryWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func (r *recorder) startManual(t *testing.T, in workflows.DeliveryInput) client.WorkflowRun {
	t.Helper()
	run, err := r.temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: "delivery-" + in.DeliveryID + "-retry-1", TaskQueue: r.queue, TypedSearchAttributes: workflows.StartAttributes(in),
	}, workflows.ManualRetryWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func (r *recorder) awaitStatus(t *testing.T, deliveryID string, want hookflow.DeliveryStatus) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := r.db.Stores.Deliveries.Delivery(context.Background(), deliveryID)
		if err != nil {
			t.Fatal(err)
		}
		status := d.Status
		if status == want {
			// Let the workflow task that recorded it start its timer.
			time.Sleep(500 * time.Millisecond)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s is %s, never %s", deliveryID, status, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *recorder) retryNow(t *testing.T, run client.WorkflowRun) {
	t.Helper()
	handle, err := r.temporal.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), RunID: run.GetRunID(), UpdateName: workflows.RetryNowUpdate, UpdateID: "retry-now-1",
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.AttemptResult
	if err := handle.Get(context.Background(), &res); err != nil {
		t.Fatal(err)
	}
}

func (r *recorder) signal(t *testing.T, run client.WorkflowRun, name string) {
	t.Helper()
	if err := r.temporal.SignalWorkflow(context.Background(), run.GetID(), run.GetRunID(), name, nil); err != nil {
		t.Fatal(err)
	}
}

// finish waits for the workflow to end (a failed delivery ends it as
// Failed, which is fine) and writes its history to testdata/<name>.json,
// named after the subtest, with a suffix for a second workflow.
func (r *recorder) finish(t *testing.T, run client.WorkflowRun) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var appErr *temporal.ApplicationError
	if err := run.Get(ctx, nil); err != nil && !errors.As(err, &appErr) {
		t.Fatal(err)
	}
	history := &historypb.History{}
	iter := r.temporal.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		history.Events = append(history.Events, event)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(history)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(t.Name(), "TestRecordHistories/")
	if strings.HasSuffix(run.GetID(), "-retry-1") {
		name += "_manual_retry"
	}
	path := filepath.Join("testdata", name+".json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s (%d events)", path, len(history.Events))
}

// flakyStore fails the first RecordAttempt of the deliveries it is told
// to, as PostgreSQL going down during a POST does, so that an inline
// attempt hands its outcome back for Complete to record.
type flakyStore struct {
	*storage.DeliveryStore
	mu      sync.Mutex
	failing map[string]bool
}

func (s *flakyStore) failRecordOnce(deliveryID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing[deliveryID] = true
}

func (s *flakyStore) RecordAttempt(ctx context.Context, a *hookflow.Attempt, kind hookflow.AttemptKind) error {
	s.mu.Lock()
	fail := s.failing[a.DeliveryID]
	delete(s.failing, a.DeliveryID)
	s.mu.Unlock()
	if fail {
		return fmt.Errorf("connect: connection refused")
	}
	return s.DeliveryStore.RecordAttempt(ctx, a, kind)
}
