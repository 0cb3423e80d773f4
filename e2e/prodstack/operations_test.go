package prodstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

// The stack's task queue: Hookflow's default.
const taskQueue = "hookflow-deliveries"

// A worker process SIGKILLed in the middle of a burst loses nothing: the
// other worker takes over the killed one's workflows (its sticky queue times
// out, its unfinished workflow tasks time out) and every event arrives, at
// least once, with its event id as webhook-id. Not parallel: it runs alone,
// then starts the killed worker again for the tests after it.
func TestWorkerKilledMidBurstLosesNoDelivery(t *testing.T) {
	const burst = 300
	rcv := newReceiver(t)
	tn := newTenant(t)
	webhookID := createWebhook(t, tn, rcv.URL)

	pid := workerPid(t, 0)
	t.Cleanup(func() { restartWorkers(t) })
	events := make(chan string, burst)
	errs := make(chan error, burst)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range burst / 8 {
				id, err := publishEvent(tn)
				if err != nil {
					errs <- err
					return
				}
				events <- id
			}
		}()
	}
	// Kill one worker once deliveries flow, with most of the burst to come.
	eventually(t, 30*time.Second, "the burst to reach the receiver", func() bool { return rcv.count() >= 20 })
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill worker %d: %v", pid, err)
	}
	killedAt := rcv.count()
	wg.Wait()
	close(events)
	close(errs)
	for err := range errs {
		t.Fatalf("publish during the burst: %v", err)
	}
	published := map[string]bool{}
	for id := range events {
		published[id] = true
	}
	want := burst / 8 * 8
	eventually(t, 2*time.Minute, "every delivery to succeed", func() bool {
		var n int
		err := prod.db.QueryRow(context.Background(),
			`SELECT count(*) FROM deliveries WHERE webhook_id = $1 AND status = 'succeeded'`, webhookID).Scan(&n)
		return err == nil && n == want
	})
	seen := map[string]int{}
	for _, r := range rcv.all() {
		seen[r.headers.Get("webhook-id")]++
	}
	dup := 0
	for id := range published {
		switch n := seen[id]; {
		case n == 0:
			t.Errorf("event %s never reached the receiver", id)
		case n > 1:
			dup += n - 1
		}
	}
	if len(seen) != len(published) {
		t.Errorf("receiver saw %d distinct events, %d were published", len(seen), len(published))
	}
	t.Logf("%d events, worker killed after %d requests; %d redelivered (at least once)", want, killedAt, dup)
}

// publishEvent publishes an event to the tenant's facility from any
// goroutine and returns its id.
func publishEvent(tn tenant) (string, error) {
	body, _ := json.Marshal(map[string]any{"eventType": "shift.created", "facilityId": tn.facility, "data": map[string]any{}})
	req, err := http.NewRequest(http.MethodPost, prod.apiURL+"/api/v2/events", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+tn.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			EventID string `json:"eventId"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("publish: %d %v", resp.StatusCode, err)
	}
	return out.Data.EventID, nil
}

func workerPid(t *testing.T, i int) int {
	t.Helper()
	b, err := os.ReadFile(prod.workerPidFiles[i])
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", prod.workerPidFiles[i], err)
	}
	return pid
}

// restartWorkers starts the Hookflow processes that are not running, with
// the stack's own script.
func restartWorkers(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "prod-stack.sh"), "hookflow-up")
	cmd.Env = append(os.Environ(), "HOOKFLOW_PROD_DATA_DIR="+prod.dataDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restart the killed worker: %v\n%s", err, out)
	}
}

// Both schedules exist on the server, and a triggered retention run purges
// logs older than the stack's retention (HOOKFLOW_LOG_RETENTION, 336h).
func TestRetentionAndRecoverySchedulesRunOnTheServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc := prod.temporal.ScheduleClient()
	for id, every := range map[string]time.Duration{
		worker.RetentionScheduleID(taskQueue): time.Hour,
		worker.RecoveryScheduleID(taskQueue):  5 * time.Minute,
	} {
		desc, err := sc.GetHandle(ctx, id).Describe(ctx)
		if err != nil {
			t.Fatalf("schedule %s: %v", id, err)
		}
		if iv := desc.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != every {
			t.Errorf("schedule %s intervals %+v, want every %v", id, iv, every)
		}
		if a, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction); !ok || a.TaskQueue != taskQueue {
			t.Errorf("schedule %s action %+v, want a workflow on %s", id, desc.Schedule.Action, taskQueue)
		}
	}

	// An event delivered, then dated 15 days back.
	rcv := newReceiver(t)
	tn := newTenant(t)
	createWebhook(t, tn, rcv.URL)
	eventID, _ := publish(t, tn, map[string]any{})
	eventually(t, 20*time.Second, "the delivery", func() bool {
		e := logEntry(t, tn)
		return e != nil && e["deliveryStatus"] == "succeeded"
	})
	backdate(t, eventID, time.Now().Add(-15*24*time.Hour))

	h := sc.GetHandle(ctx, worker.RetentionScheduleID(taskQueue))
	before, err := h.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range before.Info.RecentActions {
		seen[a.StartWorkflowResult.WorkflowID] = true
	}
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		t.Fatalf("trigger retention: %v", err)
	}
	var run *client.ScheduleWorkflowExecution
	eventually(t, 20*time.Second, "the triggered run to start", func() bool {
		d, err := h.Describe(ctx)
		if err != nil {
			return false
		}
		for _, a := range d.Info.RecentActions {
			if !seen[a.StartWorkflowResult.WorkflowID] {
				run = a.StartWorkflowResult
				return true
			}
		}
		return false
	})
	var got activities.PurgeProgress
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := prod.temporal.GetWorkflow(wctx, run.WorkflowID, run.FirstExecutionRunID).Get(wctx, &got); err != nil {
		t.Fatalf("retention run %s: %v", run.WorkflowID, err)
	}
	if !got.Done || got.Events < 1 {
		t.Errorf("purge = %+v, want at least the backdated event", got)
	}
	var left int
	if err := prod.db.QueryRow(ctx, `SELECT count(*) FROM events WHERE id = $1`, eventID).Scan(&left); err != nil || left != 0 {
		t.Errorf("backdated event left: %d (%v)", left, err)
	}
}

// backdate dates an event, its deliveries and their attempts at at, as
// testenv.Backdate does on a test database.
func backdate(t *testing.T, eventID string, at time.Time) {
	t.Helper()
	_, err := prod.db.Exec(context.Background(), `
	WITH e AS (UPDATE events SET created_at = $2 WHERE id = $1),
	     d AS (UPDATE deliveries SET created_at = $2 WHERE event_id = $1 RETURNING id)
	UPDATE attempts SET created_at = $2 WHERE delivery_id IN (SELECT id FROM d)`, eventID, at)
	if err != nil {
		t.Fatalf("backdate %s: %v", eventID, err)
	}
}

// A subscription's secret rotated through the api process signs the next
// delivery, made by a worker process that reads it sealed from PostgreSQL,
// beside the old one (the rotation overlap, 24h by default).
func TestRotatedSecretSignsTheNextDeliveryBesideTheOld(t *testing.T) {
	t.Parallel()
	org := "org-" + testenv.RandomID(5)
	orgToken := testenv.Token(t, devKeys, auth.Principal{Subject: "member-" + org, OrgID: org})
	rcv := newReceiver(t)
	r := do(t, http.MethodPost, "/api/organizations/"+org+"/webhook-subscriptions", orgToken,
		map[string]any{"postUri": rcv.URL, "events": []string{"all"}, "isDevelopment": true})
	if r.status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", r.status, r.raw)
	}
	sub, old := r.body["id"].(string), r.body["secretKey"].(string)
	const handSet = "prod-stack-secret-key-set-by-hand"
	if r := do(t, http.MethodPost, "/api/organizations/"+org+"/webhook-subscriptions/"+sub+"/webhook-secret-histories", orgToken,
		map[string]any{"secretKey": handSet}); r.status != http.StatusCreated {
		t.Fatalf("rotate: %d %s", r.status, r.raw)
	}
	tn := newTenant(t)
	if r := do(t, http.MethodPost, "/api/v2/events", tn.token,
		map[string]any{"eventType": "shift.created", "organizationId": org, "data": map[string]any{"n": 1}}); r.status != http.StatusAccepted {
		t.Fatalf("publish: %d %s", r.status, r.raw)
	}
	eventually(t, 20*time.Second, "the delivery", func() bool { return rcv.count() == 1 })
	got := rcv.all()[0]
	if n := len(strings.Fields(got.headers.Get("webhook-signature"))); n != 2 {
		t.Errorf("%d signatures, want the new and the old", n)
	}
	newKey, err := standardwebhooks.NewWebhookRaw([]byte(handSet))
	if err != nil {
		t.Fatal(err)
	}
	oldKey, err := standardwebhooks.NewWebhook(old)
	if err != nil {
		t.Fatal(err)
	}
	if e1, e2 := newKey.Verify(got.body, got.headers), oldKey.Verify(got.body, got.headers); e1 != nil || e2 != nil {
		t.Errorf("new key: %v, old key: %v; want both to verify", e1, e2)
	}
}

// The server refuses nothing Hookflow asks at start: both workers registered
// their search attributes (already there), schedules and namespace
// retention, and the namespace keeps the 336h it was created with.
func TestNamespaceKeepsHistoriesAsLongAsTheLogs(t *testing.T) {
	t.Parallel()
	desc, err := prod.temporal.WorkflowService().DescribeNamespace(context.Background(),
		&workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if got := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got < 336*time.Hour {
		t.Errorf("namespace retention %v, want at least the logs' 336h", got)
	}
	attrs, err := prod.temporal.OperatorService().ListSearchAttributes(context.Background(),
		&operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range workflows.SearchAttributeTypes() {
		if got, ok := attrs.GetCustomAttributes()[name]; !ok || got != key.GetValueType() {
			t.Errorf("search attribute %s: %v on the server, want %v", name, got, key.GetValueType())
		}
	}
}
