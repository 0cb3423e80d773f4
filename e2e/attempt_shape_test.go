package e2e_test

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hookflow/hookflow/dispatch"
)

// A delivery that succeeds at once costs the engine one workflow task: its
// history holds one local activity marker and no activity task. Its
// workflow task timeout covers a whole attempt (the harness's 20 s), so a
// receiver holding the POST never makes the SDK heartbeat the task.
func TestADeliveryIsOneWorkflowTaskWithATimeoutCoveringItsAttempt(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	eventually(t, 10*time.Second, "the delivery's workflow to complete", func() bool {
		return workflowStatus(t, ids[0]) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	desc, err := testTemporal.DescribeWorkflowExecution(ctx, dispatch.WorkflowID(ids[0]), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.GetExecutionConfig().GetDefaultWorkflowTaskTimeout().AsDuration(); got != 20*time.Second {
		t.Errorf("workflow task timeout %v, want the attempt timeout 20s", got)
	}
	counts := map[enumspb.EventType]int{}
	events := testTemporal.GetWorkflowHistory(ctx, dispatch.WorkflowID(ids[0]), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for events.HasNext() {
		e, err := events.Next()
		if err != nil {
			t.Fatal(err)
		}
		counts[e.GetEventType()]++
	}
	if counts[enumspb.EVENT_TYPE_MARKER_RECORDED] != 1 || counts[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] != 0 ||
		counts[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] != 1 {
		t.Errorf("history events by type %v: want one marker, one workflow task and no activity task", counts)
	}
	if rcv.count() != 1 {
		t.Errorf("receiver got %d requests, want 1", rcv.count())
	}
}
