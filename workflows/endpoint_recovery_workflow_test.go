package workflows

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

func TestEndpointRecoveryWorkflowRunsBatchesUntilDone(t *testing.T) {
	env, _ := newEnv(t)
	in := EndpointRecoveryInput{RecoveryID: "r-1", WebhookID: "w-1"}
	calls := 0
	env.RegisterActivityWithOptions(func(_ context.Context, got EndpointRecoveryInput) (RecoveryBatchResult, error) {
		calls++
		if got != in {
			t.Errorf("batch input = %+v, want %+v", got, in)
		}
		return RecoveryBatchResult{Handled: 20, Done: calls == 3}, nil
	}, activity.RegisterOptions{Name: RecoverEndpointBatchActivity})
	env.RegisterActivityWithOptions(func(context.Context, EndpointRecoveryInput, string) error {
		t.Error("a recover that went well was marked failed")
		return nil
	}, activity.RegisterOptions{Name: FailEndpointRecoveryActivity})
	env.ExecuteWorkflow(EndpointRecoveryWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Errorf("%d batches, want 3", calls)
	}
}

func TestEndpointRecoveryWorkflowMarksTheRecoverFailedWhenABatchGivesUp(t *testing.T) {
	env, _ := newEnv(t)
	env.RegisterActivityWithOptions(func(context.Context, EndpointRecoveryInput) (RecoveryBatchResult, error) {
		return RecoveryBatchResult{}, temporal.NewNonRetryableApplicationError("database gone", "Test", nil)
	}, activity.RegisterOptions{Name: RecoverEndpointBatchActivity})
	var reason string
	env.RegisterActivityWithOptions(func(_ context.Context, _ EndpointRecoveryInput, r string) error {
		reason = r
		return nil
	}, activity.RegisterOptions{Name: FailEndpointRecoveryActivity})
	env.ExecuteWorkflow(EndpointRecoveryWorkflow, EndpointRecoveryInput{RecoveryID: "r-2", WebhookID: "w-1"})
	if env.GetWorkflowError() == nil {
		t.Fatal("the workflow succeeded, want its batch's error")
	}
	if reason == "" {
		t.Error("the recover was not marked failed")
	}
}

func TestEndpointRecoveryWorkflowContinuesAsNewAfterItsBatchesPerRun(t *testing.T) {
	env, _ := newEnv(t)
	calls := 0
	env.RegisterActivityWithOptions(func(context.Context, EndpointRecoveryInput) (RecoveryBatchResult, error) {
		calls++
		return RecoveryBatchResult{Handled: 20}, nil
	}, activity.RegisterOptions{Name: RecoverEndpointBatchActivity})
	env.RegisterActivityWithOptions(func(context.Context, EndpointRecoveryInput, string) error { return nil },
		activity.RegisterOptions{Name: FailEndpointRecoveryActivity})
	env.ExecuteWorkflow(EndpointRecoveryWorkflow, EndpointRecoveryInput{RecoveryID: "r-3", WebhookID: "w-1"})
	var cont *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &cont) {
		t.Fatalf("err = %v, want continue-as-new", err)
	}
	if calls != batchesPerRun {
		t.Errorf("%d batches in one run, want %d", calls, batchesPerRun)
	}
}
