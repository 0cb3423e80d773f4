package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"

	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

// The floor's activities as registered, and its results' names.
const (
	floorName      = "floor: engine only, one local activity"
	splitFloorName = "floor: engine only, a split attempt's shape"

	floorMarkActivity = "FloorMark"
	floorIdleActivity = "FloorIdle"
)

// floorWorkflow is a delivery with nothing to deliver: the same input and
// start, one local activity that does nothing, the final search attribute
// upsert a delivery makes, and done. Its rate is the most the engine allows
// with one workflow per delivery. With split, it has the shape of a split
// attempt instead: a local activity, a regular one (the POST), a local one.
func floorWorkflow(ctx workflow.Context, in workflows.DeliveryInput, upsert, split bool) error {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Duration(in.AttemptTimeout)})
	if !split {
		if err := workflow.ExecuteLocalActivity(ctx, floorMarkActivity).Get(ctx, nil); err != nil {
			return fmt.Errorf("floor activity: %w", err)
		}
	} else {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Duration(in.AttemptTimeout)})
		for _, f := range []workflow.Future{
			workflow.ExecuteLocalActivity(ctx, floorIdleActivity),
			workflow.ExecuteActivity(actx, floorMarkActivity),
			workflow.ExecuteLocalActivity(ctx, floorIdleActivity),
		} {
			if err := f.Get(ctx, nil); err != nil {
				return fmt.Errorf("floor activity: %w", err)
			}
		}
	}
	if !upsert {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, workflows.DeliveryStatusKey.ValueSet("succeeded"),
		workflows.AttemptCountKey.ValueSet(1), workflows.NextRetryAtKey.ValueUnset())
}

// floorActivity does nothing but note, in memory, that it ran: the moment
// a delivery would have reached its receiver.
type floorActivity struct {
	ran  atomic.Int64
	last atomic.Int64 // unix nanoseconds
}

func (a *floorActivity) Mark(context.Context) error {
	a.ran.Add(1)
	a.last.Store(time.Now().UnixNano())
	return nil
}

func (a *floorActivity) Idle(context.Context) error { return nil }

// floor starts n floor workflows from `concurrency` starters on a worker of
// the benchmark's own, with a delivery worker's settings, eager start and a
// delivery's search attributes, and measures like the burst: from the first
// start to the last activity.
func (r *runner) floor(ctx context.Context, split bool) (*result, error) {
	queue := fmt.Sprintf("bench-floor-%d", time.Now().UnixNano())
	acts := &floorActivity{}
	w := sdkworker.New(r.temporal, queue, worker.SDKOptions(worker.Options{}))
	w.RegisterWorkflowWithOptions(floorWorkflow, workflow.RegisterOptions{Name: "FloorWorkflow"})
	w.RegisterActivityWithOptions(acts.Mark, activity.RegisterOptions{Name: floorMarkActivity})
	w.RegisterActivityWithOptions(acts.Idle, activity.RegisterOptions{Name: floorIdleActivity})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start the floor's worker: %w", err)
	}
	defer w.Stop()

	n := r.cfg.events
	prof := r.startProfiles(ctx, nil, fileName(map[bool]string{false: "floor", true: "floor-split"}[split]))
	defer prof.wait()
	cpu0 := r.cpu(nil)
	start := time.Now()
	var next, sampled atomic.Int64
	ids := make(chan string, 50)
	g, gctx := errgroup.WithContext(ctx)
	for range r.cfg.concurrency {
		g.Go(func() error {
			for {
				if next.Add(1) > int64(n) {
					return nil
				}
				id, err := r.startFloorWorkflow(gctx, queue, split)
				if err != nil {
					return err
				}
				if sampled.Add(1) <= 50 {
					ids <- id
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	started := time.Since(start)
	deadline := time.Now().Add(5 * time.Minute)
	for acts.ran.Load() < int64(n) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ran := int(acts.ran.Load())
	elapsed := time.Unix(0, acts.last.Load()).Sub(start).Seconds()
	closed, err := r.waitClosed(ctx, queue, time.Minute)
	name := floorName
	if split {
		name = splitFloorName
	}
	res := &result{Name: name, Deliveries: ran, Seconds: round2(elapsed), DeliveriesPerSec: perSecond(ran, elapsed),
		PublishesPerSec: perSecond(n, started.Seconds()), CPUSecPer1000: cpuPer1000(r.cpu(nil).since(cpu0), ran), Lost: n - ran,
		Notes: fmt.Sprintf("workflows with %s, %s; %s",
			floorShapeNote(split), floorAttributesNote(r.cfg.floorAttrs, r.cfg.floorUpsert), closedNote(closed, err))}
	close(ids)
	var sample []string
	for id := range ids {
		sample = append(sample, id)
	}
	res.HistoryEvents = r.historyLength(ctx, sample)
	return res, nil
}

func (r *runner) startFloorWorkflow(ctx context.Context, queue string, split bool) (string, error) {
	id := uuid.NewString()
	in := workflows.DeliveryInput{
		DeliveryID: id, EventID: "floor-" + id, WebhookID: uuid.NewString(), EventType: "shift.created", FacilityID: "F-0", ClientID: "bench-client",
		RetrySchedule:  workflows.Durations([]time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}),
		AttemptTimeout: workflows.Duration(25 * time.Second), InlineAttempts: true,
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The options of dispatch.Dispatcher's start, on the floor's queue.
	_, err := r.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       "floor-" + id,
		TaskQueue:                queue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		EnableEagerStart:         true,
		WorkflowTaskTimeout:      time.Duration(in.AttemptTimeout),
		TypedSearchAttributes:    floorAttributes(in, r.cfg.floorAttrs),
		StaticSummary:            in.EventType + " -> http://127.0.0.1:18100/w/0",
		StaticDetails:            fmt.Sprintf("event %s to webhook %s (client %s)", in.EventID, in.WebhookID, in.ClientID),
	}, "FloorWorkflow", in, r.cfg.floorUpsert, split)
	if err != nil {
		return "", fmt.Errorf("start floor workflow: %w", err)
	}
	return "floor-" + id, nil
}

// floorAttributes are a delivery's start attributes, or only the first k of
// them (k < 0: all), to measure what each costs the engine.
func floorAttributes(in workflows.DeliveryInput, k int) temporal.SearchAttributes {
	if k < 0 {
		return workflows.StartAttributes(in)
	}
	updates := []temporal.SearchAttributeUpdate{
		workflows.WebhookIDKey.ValueSet(in.WebhookID),
		workflows.EventIDKey.ValueSet(in.EventID),
		workflows.EventTypeKey.ValueSet(in.EventType),
		workflows.ClientIDKey.ValueSet(in.ClientID),
		workflows.DeliveryStatusKey.ValueSet("pending"),
		workflows.AttemptCountKey.ValueSet(0),
		workflows.FacilityIDKey.ValueSet(in.FacilityID),
	}
	return temporal.NewSearchAttributes(updates[:min(k, len(updates))]...)
}

func floorShapeNote(split bool) string {
	if split {
		return "a split attempt's shape (no-op local, regular and local activities)"
	}
	return "one no-op local activity"
}

func floorAttributesNote(k int, upsert bool) string {
	s := "a delivery's start attributes"
	if k >= 0 {
		s = fmt.Sprintf("%d start attributes", k)
	}
	if upsert {
		return s + " and its final upsert"
	}
	return s + ", no upsert"
}

func closedNote(closed bool, err error) string {
	switch {
	case err != nil:
		return "could not count completions: " + err.Error()
	case closed:
		return "all completed"
	default:
		return "some still running a minute after their activity"
	}
}

// waitClosed waits until no workflow of queue runs.
func (r *runner) waitClosed(ctx context.Context, queue string, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := r.temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Query: fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running'", queue)})
		if err != nil {
			return false, err
		}
		if resp.GetCount() == 0 {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}
