package workflows

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/hookflow/hookflow/activities"
)

func TestRetentionWorkflowRunsBatchesUntilDoneWithOneCutoff(t *testing.T) {
	env, _ := newEnv(t)
	var calls []activities.PurgeInput
	steps := []activities.PurgeProgress{
		{Deliveries: 1000, Attempts: 2500},
		{Deliveries: 400, Attempts: 900, EventsPhase: true, Events: 200},
		{Events: 50, EventsPhase: true, Done: true},
	}
	env.RegisterActivityWithOptions(func(_ context.Context, in activities.PurgeInput) (activities.PurgeProgress, error) {
		calls = append(calls, in)
		return steps[len(calls)-1], nil
	}, activity.RegisterOptions{Name: PurgeActivity})
	start := env.Now()
	env.ExecuteWorkflow(RetentionWorkflow, RetentionInput{Retention: 336 * time.Hour, BatchSize: 1000})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var total activities.PurgeProgress
	if err := env.GetWorkflowResult(&total); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 {
		t.Fatalf("%d purge runs, want 3", len(calls))
	}
	if total.Deliveries != 1400 || total.Attempts != 3400 || total.Events != 250 || !total.Done {
		t.Errorf("total = %+v", total)
	}
	want := start.Add(-336 * time.Hour)
	for i, c := range calls {
		if !c.Cutoff.Equal(calls[0].Cutoff) || c.BatchSize != 1000 {
			t.Errorf("run %d: %+v, want the first run's cutoff and batch size", i, c)
		}
	}
	if d := calls[0].Cutoff.Sub(want); d < -time.Second || d > time.Second {
		t.Errorf("cutoff = %v, want 14 days before %v", calls[0].Cutoff, start)
	}
}

func TestRecoveryWorkflowSweepsDeliveriesOlderThanTheGrace(t *testing.T) {
	env, _ := newEnv(t)
	var req RecoverRequest
	env.RegisterActivityWithOptions(func(_ context.Context, r RecoverRequest) (int, error) {
		req = r
		return 3, nil
	}, activity.RegisterOptions{Name: RecoverActivity})
	start := env.Now()
	env.ExecuteWorkflow(RecoveryWorkflow, RecoveryInput{StrandedAfter: 2 * time.Minute, Limit: 500})
	var n int
	if err := env.GetWorkflowResult(&n); err != nil || n != 3 {
		t.Fatalf("result = %d, %v", n, err)
	}
	if d := start.Add(-2 * time.Minute).Sub(req.DueBefore); d < -time.Second || d > time.Second || req.Limit != 500 {
		t.Errorf("request = %+v, want deliveries older than 2 minutes, 500 at most", req)
	}
}
