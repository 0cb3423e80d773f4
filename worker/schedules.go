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

// Schedule ids.
const (
	RetentionScheduleID = "hookflow-log-retention"
	RecoveryScheduleID  = "hookflow-stranded-deliveries"
)

// RetentionOptions configure the purge schedule.
type RetentionOptions struct {
	ScheduleID string // default RetentionScheduleID
	TaskQueue  string
	Retention  time.Duration
	Every      time.Duration // default hourly
	BatchSize  int
}

// EnsureRetentionSchedule creates the purge schedule, or brings an existing
// one to the configured spec; there is only ever one.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, o RetentionOptions, logger *slog.Logger) error {
	if o.ScheduleID == "" {
		o.ScheduleID = RetentionScheduleID
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
	ScheduleID    string // default RecoveryScheduleID
	TaskQueue     string
	Every         time.Duration // default 5 minutes
	StrandedAfter time.Duration // default 2 minutes
}

// EnsureRecoverySchedule creates or updates the stranded-delivery sweep.
func EnsureRecoverySchedule(ctx context.Context, c client.Client, o RecoveryOptions, logger *slog.Logger) error {
	if o.ScheduleID == "" {
		o.ScheduleID = RecoveryScheduleID
	}
	return ensureSchedule(ctx, c, o.ScheduleID, cmp.Or(o.Every, 5*time.Minute), &client.ScheduleWorkflowAction{
		ID:            o.ScheduleID + "-run",
		Workflow:      workflows.RecoveryWorkflow,
		Args:          []any{workflows.RecoveryInput{StrandedAfter: cmp.Or(o.StrandedAfter, 2*time.Minute), Limit: 500}},
		TaskQueue:     o.TaskQueue,
		StaticSummary: "start deliveries whose workflow never started",
	}, logger)
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
