package worker_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

func TestDeploymentsSharingANamespaceKeepTheirOwnSchedules(t *testing.T) {
	ctx := context.Background()
	shared, err := testenv.NewTemporalClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(shared.Close)
	// A namespace of its own: the legacy ids below are real ids elsewhere.
	ns, err := testenv.NewNamespace(ctx, shared, "hookflow-schedules")
	if err != nil {
		t.Fatal(err)
	}
	addr, err := testenv.TemporalAddress()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: addr, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	logger := testenv.DiscardLogger()
	sc := c.ScheduleClient()

	// Schedules an older release left under the bare ids: one on queue a,
	// one on a queue whose deployment is not upgraded.
	legacy := func(id, queue string) {
		_, err := sc.Create(ctx, client.ScheduleOptions{ID: id, Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
			Action: &client.ScheduleWorkflowAction{ID: id + "-run", Workflow: workflows.RecoveryWorkflow, TaskQueue: queue,
				Args: []any{workflows.RecoveryInput{StrandedAfter: time.Minute, Limit: 1}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	legacy(worker.RecoverySchedulePrefix, "queue-a")
	legacy(worker.RetentionSchedulePrefix, "queue-old")

	for _, q := range []string{"queue-a", "queue-b"} {
		if err := worker.EnsureRetentionSchedule(ctx, c, worker.RetentionOptions{TaskQueue: q, Retention: time.Hour}, logger); err != nil {
			t.Fatal(err)
		}
		if err := worker.EnsureRecoverySchedule(ctx, c, worker.RecoveryOptions{TaskQueue: q}, logger); err != nil {
			t.Fatal(err)
		}
	}
	queueOf := func(id string) string {
		desc, err := sc.GetHandle(ctx, id).Describe(ctx)
		if err != nil {
			return ""
		}
		return desc.Schedule.Action.(*client.ScheduleWorkflowAction).TaskQueue
	}
	for _, q := range []string{"queue-a", "queue-b"} {
		for _, id := range []string{worker.RetentionScheduleID(q), worker.RecoveryScheduleID(q)} {
			if got := queueOf(id); got != q {
				t.Errorf("schedule %s runs on %q, want %q", id, got, q)
			}
		}
	}
	if got := queueOf(worker.RecoverySchedulePrefix); got != "" {
		t.Errorf("the legacy schedule of queue-a is still there (on %q); its deployment replaced it", got)
	}
	if got := queueOf(worker.RetentionSchedulePrefix); got != "queue-old" {
		t.Errorf("the legacy schedule of another deployment = %q, want it left on queue-old", got)
	}
}
