package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hookflow/hookflow/workflows"
)

// Schedule ids are per deployment: the prefix plus the task queue, so two
// Hookflows sharing a namespace (each on its own task queue) keep their own
// schedules instead of pointing one shared schedule at each other's queue.
const (
	RetentionSchedulePrefix = "hookflow-log-retention"
	RecoverySchedulePrefix  = "hookflow-stranded-deliveries"
)

// RetentionScheduleID is the purge schedule of the deployment on taskQueue.
func RetentionScheduleID(taskQueue string) string { return RetentionSchedulePrefix + "-" + taskQueue }

// RecoveryScheduleID is the recovery sweep of the deployment on taskQueue.
func RecoveryScheduleID(taskQueue string) string { return RecoverySchedulePrefix + "-" + taskQueue }

// RetentionOptions configure the purge schedule.
type RetentionOptions struct {
	ScheduleID string // default RetentionScheduleID(TaskQueue)
	TaskQueue  string
	Retention  time.Duration
	Every      time.Duration // default hourly
	BatchSize  int
}

// EnsureRetentionSchedule creates the purge schedule, or brings an existing
// one to the configured spec; there is only ever one.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, o RetentionOptions, logger *slog.Logger) error {
	if o.ScheduleID == "" {
		o.ScheduleID = RetentionScheduleID(o.TaskQueue)
		retireLegacySchedule(ctx, c, RetentionSchedulePrefix, o.TaskQueue, logger)
	}
	return ensureSchedule(ctx, c, o.ScheduleID, cmp.Or(o.Every, time.Hour), &client.ScheduleWorkflowAction{
		ID:            o.ScheduleID + "-run",
		Workflow:      workflows.RetentionWorkflow,
		Args:          []any{workflows.RetentionInput{Retention: o.Retention, BatchSize: o.BatchSize}},
		TaskQueue:     o.TaskQueue,
		StaticSummary: fmt.Sprintf("purge delivery logs older than %s", o.Retention),
	}, logger)
}

// RecoveryOptions configure the sweep for deliveries whose workflow never
// started (a publish that failed half-way and was not retried).
type RecoveryOptions struct {
	ScheduleID    string // default RecoveryScheduleID(TaskQueue)
	TaskQueue     string
	Every         time.Duration // default 5 minutes
	StrandedAfter time.Duration // default 2 minutes
}

// EnsureRecoverySchedule creates or updates the stranded-delivery sweep.
func EnsureRecoverySchedule(ctx context.Context, c client.Client, o RecoveryOptions, logger *slog.Logger) error {
	if o.ScheduleID == "" {
		o.ScheduleID = RecoveryScheduleID(o.TaskQueue)
		retireLegacySchedule(ctx, c, RecoverySchedulePrefix, o.TaskQueue, logger)
	}
	return ensureSchedule(ctx, c, o.ScheduleID, cmp.Or(o.Every, 5*time.Minute), &client.ScheduleWorkflowAction{
		ID:            o.ScheduleID + "-run",
		Workflow:      workflows.RecoveryWorkflow,
		Args:          []any{workflows.RecoveryInput{StrandedAfter: cmp.Or(o.StrandedAfter, 2*time.Minute), Limit: 500}},
		TaskQueue:     o.TaskQueue,
		StaticSummary: "restart overdue deliveries whose workflow is not running",
	}, logger)
}

// retireLegacySchedule deletes a schedule under the id releases before per
// deployment ids used (the bare prefix) when it runs on this deployment's
// task queue: this deployment's own schedule replaces it. One that points at
// another task queue belongs to a deployment not upgraded yet; it is left
// alone. Failures only cost a duplicate, harmless run, so they are logged.
func retireLegacySchedule(ctx context.Context, c client.Client, legacyID, taskQueue string, logger *slog.Logger) {
	h := c.ScheduleClient().GetHandle(ctx, legacyID)
	desc, err := h.Describe(ctx)
	if err != nil {
		return // none, usually
	}
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || action.TaskQueue != taskQueue {
		return
	}
	if err := h.Delete(ctx); err != nil {
		logger.WarnContext(ctx, "delete legacy schedule", "schedule_id", legacyID, "error", err)
		return
	}
	logger.InfoContext(ctx, "legacy schedule replaced by this deployment's own", "schedule_id", legacyID, "task_queue", taskQueue)
}

// ensureSchedule creates a schedule, or brings an existing one to this spec
// and action: starting twice leaves one schedule.
func ensureSchedule(ctx context.Context, c client.Client, id string, every time.Duration, action *client.ScheduleWorkflowAction, logger *slog.Logger) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      id,
		Spec:    spec,
		Action:  action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "created by hookflow worker",
	})
	if err == nil {
		logger.InfoContext(ctx, "schedule created", "schedule_id", id, "every", every)
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	err = c.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", id, err)
	}
	logger.InfoContext(ctx, "schedule updated", "schedule_id", id, "every", every)
	return nil
}

// EnsureNamespaceRetention keeps closed workflow histories at least as long
// as the delivery logs, where the server lets us; a refusal is only logged.
func EnsureNamespaceRetention(ctx context.Context, c client.Client, namespace string, retention time.Duration, logger *slog.Logger) {
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		logger.WarnContext(ctx, "describe namespace", "namespace", namespace, "error", err)
		return
	}
	if current := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); current >= retention {
		return
	}
	_, err = c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: namespace,
		Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
	})
	if err != nil {
		logger.WarnContext(ctx, "set namespace retention; set it on the cluster instead", "namespace", namespace, "retention", retention, "error", err)
		return
	}
	logger.InfoContext(ctx, "namespace retention set", "namespace", namespace, "retention", retention)
}
