// Package worker wires the Temporal worker: registrations, options and the
// namespace's search attributes.
package worker

import (
	"context"
	"fmt"
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/workflows"
)

// Options tune the worker.
type Options struct {
	TaskQueue string
	// Concurrency bounds deliveries in flight in this process (1000 when
	// zero); each holds an HTTP request open for up to the delivery timeout.
	Concurrency int
}

// Activities are the implementations the worker registers.
type Activities struct {
	Delivery  *activities.Activities
	Retention *activities.Retention
	// Recover starts stranded deliveries (dispatch.Dispatcher.RecoverStranded).
	Recover func(ctx context.Context, req workflows.RecoverRequest) (int, error)
	// RecoverEndpointBatch and FailEndpointRecovery run an endpoint's bulk
	// recover (dispatch.Dispatcher's methods of the same names).
	RecoverEndpointBatch func(ctx context.Context, in workflows.EndpointRecoveryInput) (workflows.RecoveryBatchResult, error)
	FailEndpointRecovery func(ctx context.Context, in workflows.EndpointRecoveryInput, reason string) error
}

// New builds a worker that runs deliveries, log purges, the stranded
// delivery sweep and endpoints' bulk recovers.
func New(c client.Client, opts Options, acts Activities) sdkworker.Worker {
	w := sdkworker.New(c, opts.TaskQueue, SDKOptions(opts))
	w.RegisterWorkflow(workflows.DeliveryWorkflow)
	w.RegisterWorkflow(workflows.ManualRetryWorkflow)
	// The live attempt, and Complete, which records what it could not.
	w.RegisterActivityWithOptions(acts.Delivery.Attempt, activity.RegisterOptions{Name: workflows.AttemptActivity})
	w.RegisterActivityWithOptions(acts.Delivery.Complete, activity.RegisterOptions{Name: workflows.CompleteActivity})
	// Legacy shapes that older workflows replay (workflows/legacy_attempt.go
	// says when they can go): the split attempt's Begin and Post, and the
	// one-step Deliver of workflows started before attempts were split.
	w.RegisterActivityWithOptions(acts.Delivery.Begin, activity.RegisterOptions{Name: workflows.BeginActivity})
	w.RegisterActivityWithOptions(acts.Delivery.Post, activity.RegisterOptions{Name: workflows.PostActivity})
	w.RegisterActivityWithOptions(acts.Delivery.Deliver, activity.RegisterOptions{Name: workflows.DeliverActivity})
	w.RegisterWorkflow(workflows.RetentionWorkflow)
	w.RegisterActivityWithOptions(acts.Retention.Purge, activity.RegisterOptions{Name: workflows.PurgeActivity})
	w.RegisterWorkflow(workflows.RecoveryWorkflow)
	w.RegisterActivityWithOptions(acts.Recover, activity.RegisterOptions{Name: workflows.RecoverActivity})
	w.RegisterWorkflow(workflows.EndpointRecoveryWorkflow)
	w.RegisterActivityWithOptions(acts.RecoverEndpointBatch, activity.RegisterOptions{Name: workflows.RecoverEndpointBatchActivity})
	w.RegisterActivityWithOptions(acts.FailEndpointRecovery, activity.RegisterOptions{Name: workflows.FailEndpointRecoveryActivity})
	return w
}

// SDKOptions are the Temporal worker settings of a delivery worker; the
// benchmark's engine floor runs on the same.
func SDKOptions(opts Options) sdkworker.Options {
	// An attempt's workflow task keeps its slot for as long as its POST (a
	// local activity) runs, up to the delivery timeout. With 256 slots, a
	// receiver holding requests at 100 events/s took enough of them for
	// healthy deliveries to wait for its timeout; a held slot costs a
	// goroutine, so the SDK's default of 1000 is the floor here.
	concurrency := opts.Concurrency
	if concurrency <= 0 {
		concurrency = 1000
	}
	return sdkworker.Options{
		MaxConcurrentLocalActivityExecutionSize: concurrency,
		MaxConcurrentActivityExecutionSize:      concurrency,
		MaxConcurrentWorkflowTaskExecutionSize:  concurrency,
		MaxConcurrentWorkflowTaskPollers:        8,
		// POSTs are local activities; activity tasks are the purge, the
		// sweep and the POSTs of workflows started with split attempts.
		MaxConcurrentActivityTaskPollers: 2,
	}
}

// EnsureSearchAttributes registers on the namespace every delivery search
// attribute that is missing, so operators can filter by them.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, logger *slog.Logger) error {
	ops := c.OperatorService()
	existing, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, key := range workflows.SearchAttributeTypes() {
		if _, ok := existing.GetCustomAttributes()[name]; ok {
			continue
		}
		missing[name] = key.GetValueType()
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	logger.InfoContext(ctx, "search attributes registered", "count", len(missing))
	return nil
}
