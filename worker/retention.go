package worker

import (
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

// RetentionScheduleID names the hourly purge schedule.
const RetentionScheduleID = "hookflow-log-retention"

// RetentionOptions configure the purge schedule.
type RetentionOptions struct {
	ScheduleID string // default RetentionScheduleID
	TaskQueue  string
	Retention  time.Duration
	Every      time.Duration // default hourly
	BatchSize  int
}

func retentionSchedule(o RetentionOptions) (client.ScheduleSpec, *client.ScheduleWorkflowAction) {
	every := o.Every
	if every <= 0 {
		every = time.Hour
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID:            RetentionScheduleID + "-run",
		Workflow:      workflows.RetentionWorkflow,
		Args:          []any{workflows.RetentionInput{Retention: o.Retention, BatchSize: o.BatchSize}},
		TaskQueue:     o.TaskQueue,
		StaticSummary: fmt.Sprintf("purge delivery logs older than %s", o.Retention),
	}
	return spec, action
}

// EnsureRetentionSchedule creates the purge schedule, or brings an existing
// one to the configured spec; there is only ever one.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, o RetentionOptions, logger *slog.Logger) error {
	if o.ScheduleID == "" {
		o.ScheduleID = RetentionScheduleID
	}
	spec, action := retentionSchedule(o)
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      o.ScheduleID,
		Spec:    spec,
		Action:  action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "created by hookflow worker",
	})
	if err == nil {
		logger.InfoContext(ctx, "retention schedule created", "schedule_id", o.ScheduleID, "retention", o.Retention)
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create schedule %s: %w", o.ScheduleID, err)
	}
	err = c.ScheduleClient().GetHandle(ctx, o.ScheduleID).Update(ctx, client.ScheduleUpdateOptions{
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
		return fmt.Errorf("update schedule %s: %w", o.ScheduleID, err)
	}
	logger.InfoContext(ctx, "retention schedule updated", "schedule_id", o.ScheduleID, "retention", o.Retention)
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
