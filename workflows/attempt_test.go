package workflows

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/retry"
)

func TestARecordingFailureIsRetriedWithoutPostingAgain(t *testing.T) {
	env, r := newEnv(t, ok)
	// Completing fails for a while, as it does while PostgreSQL is down.
	r.completeFailures = 6
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute))
	res := result(t, env)
	if res.Status != hookflow.StatusSucceeded || res.Attempts != 1 {
		t.Fatalf("result = %+v, want succeeded on the first attempt once recorded", res)
	}
	if r.completions != 7 {
		t.Errorf("%d completions, want 6 failures then 1 success", r.completions)
	}
	if len(r.posts) != 1 || r.posts["1"] != 1 {
		t.Errorf("POSTs by attempt = %v, want exactly one: the outcome is kept, not sent again", r.posts)
	}
}

func TestEachAttemptBeginsItsOwnIntent(t *testing.T) {
	env, r := newEnv(t, failed, failed, ok)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Second, time.Second))
	result(t, env)
	if len(r.keys) != 3 {
		t.Fatalf("%d intents, want 3", len(r.keys))
	}
	seen := map[string]bool{}
	for _, k := range r.keys {
		if seen[k] || !strings.HasSuffix(k, "/"+string(rune('0'+len(seen)+1))) {
			t.Errorf("intent keys %v: want one per attempt, numbered in order", r.keys)
		}
		seen[k] = true
	}
	for id, n := range r.posts {
		if n != 1 {
			t.Errorf("attempt %s posted %d times", id, n)
		}
	}
}

func TestAnExhaustedScheduleEndsTheWorkflowAsFailedWithTheReason(t *testing.T) {
	env, _ := newEnv(t, failed)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Second))
	res, appErr := failure(t, env)
	if res.Status != hookflow.StatusFailed || res.Attempts != 2 {
		t.Errorf("details = %+v, want failed after 2 attempts", res)
	}
	if !strings.Contains(appErr.Message(), "retry schedule exhausted after 2 attempts") {
		t.Errorf("reason = %q", appErr.Message())
	}
}

// currentDetails reads what the Temporal UI shows on the delivery's page.
func currentDetails(t *testing.T, env interface {
	QueryWorkflow(string, ...any) (converter.EncodedValue, error)
}) string {
	t.Helper()
	v, err := env.QueryWorkflow("__temporal_workflow_metadata") // the UI's own query
	if err != nil {
		t.Fatalf("query metadata: %v", err)
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		t.Fatal(err)
	}
	return md.GetCurrentDetails()
}

func TestTheCurrentDetailsSayWhereTheDeliveryStands(t *testing.T) {
	env, _ := newEnv(t, limited, ok)
	var during string
	// The first attempt got a 429 with a 3h Retry-After: waiting.
	env.RegisterDelayedCallback(func() { during = currentDetails(t, env) }, time.Hour)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute, time.Minute))
	result(t, env)
	for _, want := range []string{"Retrying", "1 attempt(s) so far", "next retry at", "HTTP 429", "receiver answered 429", "e-1"} {
		if !strings.Contains(during, want) {
			t.Errorf("details during the backoff = %q, want %q in it", during, want)
		}
	}
	after := currentDetails(t, env)
	if !strings.Contains(after, "Succeeded") || !strings.Contains(after, "after 2 attempt(s)") || !strings.Contains(after, "HTTP 200") {
		t.Errorf("details at the end = %q", after)
	}
}

func TestASettledDeliveryIsCountedOnceByOutcome(t *testing.T) {
	for _, tc := range []struct {
		outcomes string
		want     string
	}{{"ok", "succeeded"}, {"failed", "failed"}} {
		m := &countingHandler{counts: map[string]int64{}}
		env, _ := newEnvWithMetrics(t, m, map[string]activities.AttemptResult{"ok": ok, "failed": failed}[tc.outcomes])
		env.ExecuteWorkflow(DeliveryWorkflow, input(time.Second))
		if got := m.get(SettledCounter, "outcome="+tc.want); got != 1 {
			t.Errorf("%s with outcome=%s counted %d times, want once (all: %v)", SettledCounter, tc.want, got, m.counts)
		}
	}
}

func TestARestartedRunContinuesTheSchedule(t *testing.T) {
	env, r := newEnv(t, failed)
	in := input(time.Second, time.Minute, time.Hour)
	in.RetriesDone = 2 // two attempts made by a run that died
	env.ExecuteWorkflow(DeliveryWorkflow, in)
	failure(t, env)
	if len(r.calls) != 2 {
		t.Fatalf("%d attempts, want the 3rd and the last (4th) only", len(r.calls))
	}
	if gap := r.times[1].Sub(r.times[0]); gap != retry.Jitter(time.Hour, in.DeliveryID, 2) {
		t.Errorf("wait %v, want the schedule's third (1h, jittered)", gap)
	}
}

// countingHandler is a metrics handler that counts by name and tags.
type countingHandler struct {
	mu     *sync.Mutex
	tags   string
	counts map[string]int64
}

func (h *countingHandler) lock() *sync.Mutex {
	if h.mu == nil {
		h.mu = &sync.Mutex{}
	}
	return h.mu
}

func (h *countingHandler) get(name, tags string) int64 {
	h.lock().Lock()
	defer h.lock().Unlock()
	return h.counts[name+"|"+tags]
}

func (h *countingHandler) WithTags(tags map[string]string) client.MetricsHandler {
	out := *h
	out.mu = h.lock()
	for k, v := range tags {
		if k == "outcome" {
			out.tags = k + "=" + v
		}
	}
	return &out
}

func (h *countingHandler) Counter(name string) client.MetricsCounter {
	return counterFunc(func(n int64) {
		h.lock().Lock()
		defer h.lock().Unlock()
		h.counts[name+"|"+h.tags] += n
	})
}

func (h *countingHandler) Gauge(string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge("")
}
func (h *countingHandler) Timer(string) client.MetricsTimer {
	return client.MetricsNopHandler.Timer("")
}

type counterFunc func(int64)

func (f counterFunc) Inc(n int64) { f(n) }

// stepsOf lists, in order, the local activities and the activities a
// workflow runs.
func stepsOf(env *testsuite.TestWorkflowEnvironment) (local, regular *[]string) {
	local, regular = &[]string{}, &[]string{}
	env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		*local = append(*local, info.ActivityType.Name)
	})
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		*regular = append(*regular, info.ActivityType.Name)
	})
	return local, regular
}

func TestADeliveryAttemptsInOneLocalActivity(t *testing.T) {
	env, r := newEnv(t, failed, ok)
	local, regular := stepsOf(env)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Second))
	if res := result(t, env); res.Status != hookflow.StatusSucceeded || res.Attempts != 2 {
		t.Fatalf("result = %+v, want succeeded on the second attempt", res)
	}
	if want := []string{AttemptActivity, AttemptActivity}; !slices.Equal(*local, want) || len(*regular) != 0 {
		t.Errorf("local activities %v and activities %v, want %v and none", *local, *regular, want)
	}
	if r.posts["1"] != 1 || r.posts["2"] != 1 {
		t.Errorf("POSTs by attempt = %v, want one each", r.posts)
	}
}

func TestAnInlineAttemptFailingBeforeItsPostIsRetried(t *testing.T) {
	env, r := newEnv(t, ok)
	// Beginning fails three times, as while PostgreSQL is down.
	r.inlineFailures = 3
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute))
	if res := result(t, env); res.Status != hookflow.StatusSucceeded || res.Attempts != 1 {
		t.Fatalf("result = %+v, want succeeded on the first attempt", res)
	}
	if r.inlineCalls != 4 || len(r.posts) != 1 || r.posts["1"] != 1 {
		t.Errorf("%d inline runs and POSTs %v, want 4 runs and one POST", r.inlineCalls, r.posts)
	}
}

func TestAWorkflowStartedWithSplitAttemptsKeepsItsSteps(t *testing.T) {
	env, r := newEnv(t, ok)
	local, regular := stepsOf(env)
	in := input(time.Minute)
	in.InlineAttempts = false // started before attempts ran inline
	r.completeFailures = 2
	env.ExecuteWorkflow(DeliveryWorkflow, in)
	if res := result(t, env); res.Status != hookflow.StatusSucceeded {
		t.Fatalf("result = %+v, want succeeded", res)
	}
	wantLocal := []string{BeginActivity, CompleteActivity, CompleteActivity, CompleteActivity}
	if !slices.Equal(*local, wantLocal) || !slices.Equal(*regular, []string{PostActivity}) || r.inlineCalls != 0 {
		t.Errorf("local activities %v, activities %v, %d inline: want %v and one %s", *local, *regular, r.inlineCalls, wantLocal, PostActivity)
	}
}
