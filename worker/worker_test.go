package worker_test

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/worker"
)

func TestRetentionScheduleIsCreatedOnceAndUpdatedOnTheNextStart(t *testing.T) {
	ctx := context.Background()
	c, err := testenv.NewTemporalClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close) // after the schedule's deletion below: cleanups run last-in first-out
	id := "hookflow-log-retention-test-" + testenv.RandomID(4)
	t.Cleanup(func() { _ = c.ScheduleClient().GetHandle(ctx, id).Delete(ctx) })
	logger := testenv.DiscardLogger()

	first := worker.RetentionOptions{ScheduleID: id, TaskQueue: "q1", Retention: 336 * time.Hour}
	if err := worker.EnsureRetentionSchedule(ctx, c, first, logger); err != nil {
		t.Fatalf("first start: %v", err)
	}
	second := first
	second.Retention, second.Every = 48*time.Hour, 30*time.Minute
	if err := worker.EnsureRetentionSchedule(ctx, c, second, logger); err != nil {
		t.Fatalf("second start: %v", err)
	}

	desc, err := c.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if iv := desc.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != 30*time.Minute {
		t.Errorf("intervals = %+v, want the second start's 30m", iv)
	}
	if desc.Schedule.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP {
		t.Errorf("overlap = %v, want skip", desc.Schedule.Policy.Overlap)
	}
	if action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction); !ok || action.TaskQueue != "q1" {
		t.Errorf("action = %#v", desc.Schedule.Action)
	}

	count := 0
	iter, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for iter.HasNext() {
		entry, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if entry.ID == id {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d schedules named %s, want 1", count, id)
	}
}

func TestWorkerRegistersTheSearchAttributesIdempotently(t *testing.T) {
	ctx := context.Background()
	c, err := testenv.NewTemporalClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A namespace of its own starts with none of Hookflow's attributes.
	ns, err := testenv.NewNamespace(ctx, c, "hookflow-sa")
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.EnsureSearchAttributes(ctx, c, ns, testenv.DiscardLogger()); err != nil {
		t.Fatal(err)
	}
	// A second start finds them all and changes nothing.
	if err := worker.EnsureSearchAttributes(ctx, c, ns, testenv.DiscardLogger()); err != nil {
		t.Fatal(err)
	}
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]enumspb.IndexedValueType{
		"WebhookId": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "EventId": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"EventType": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "FacilityId": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"ClientId": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "OrganizationId": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"DeliveryStatus": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "AttemptCount": enumspb.INDEXED_VALUE_TYPE_INT,
		"NextRetryAt": enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
	for name, typ := range want {
		if got, ok := resp.GetCustomAttributes()[name]; !ok || got != typ {
			t.Errorf("search attribute %s = %v (present %v), want %v", name, got, ok, typ)
		}
	}
}

func TestRecoveryScheduleRunsTheSweep(t *testing.T) {
	ctx := context.Background()
	c, err := testenv.NewTemporalClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	id := "hookflow-stranded-test-" + testenv.RandomID(4)
	t.Cleanup(func() { _ = c.ScheduleClient().GetHandle(ctx, id).Delete(ctx) })
	o := worker.RecoveryOptions{ScheduleID: id, TaskQueue: "q1"}
	for range 2 {
		if err := worker.EnsureRecoverySchedule(ctx, c, o, testenv.DiscardLogger()); err != nil {
			t.Fatal(err)
		}
	}
	desc, err := c.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || action.Workflow != "RecoveryWorkflow" || desc.Schedule.Spec.Intervals[0].Every != 5*time.Minute {
		t.Errorf("schedule = %+v / %#v", desc.Schedule.Spec, desc.Schedule.Action)
	}
}
