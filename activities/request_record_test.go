package activities_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/signing"
)

// sentPoster answers 200 and keeps the request it was given.
type sentPoster struct{ got *egress.Request }

func (p sentPoster) Post(_ context.Context, r egress.Request, _ func() time.Time) egress.Response {
	*p.got = r
	return egress.Response{StatusCode: 200, Body: "ok"}
}

func TestAnAttemptKeepsTheExactBodyHeadersAndTimestampItSent(t *testing.T) {
	ctx := context.Background()
	secret, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	webhookID := seedWebhook(t, secret)
	_, deliveryID := seedDelivery(t, webhookID, 0, "pending", 0)

	var sent egress.Request
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activities.New(testDB.Stores.Deliveries, sentPoster{&sent}, testenv.DiscardLogger()))
	run := func(name string, in, out any) {
		t.Helper()
		val, err := env.ExecuteActivity(name, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := val.Get(out); err != nil {
			t.Fatal(err)
		}
	}
	var begun activities.BeginResult
	run("Begin", activities.BeginInput{DeliveryID: deliveryID.String(), Kind: hookflow.ScheduledAttempt, Key: "rec-" + testenv.RandomID(4)}, &begun)
	if begun.AttemptID != deliveryID.String() {
		t.Errorf("first attempt id = %s, want the delivery's id %s", begun.AttemptID, deliveryID)
	}
	var outcome activities.PostOutcome
	run("Post", activities.PostInput{DeliveryID: deliveryID.String(), AttemptID: begun.AttemptID}, &outcome)
	var res activities.AttemptResult
	run("Complete", activities.CompleteInput{DeliveryID: deliveryID.String(), AttemptID: begun.AttemptID, Kind: hookflow.ScheduledAttempt, Outcome: outcome}, &res)

	var body string
	var headers map[string]string
	var ts int64
	err = testDB.DB.Pool().QueryRow(ctx, `SELECT request_body, request_headers, webhook_timestamp FROM attempts WHERE id = $1`, begun.AttemptID).
		Scan(&body, &headers, &ts)
	if err != nil {
		t.Fatal(err)
	}
	if body != string(sent.Body) {
		t.Errorf("recorded body %s, sent %s", body, sent.Body)
	}
	if headers["webhook-signature"] != sent.Headers.Get("webhook-signature") || headers["webhook-id"] != sent.Headers.Get("webhook-id") ||
		headers["content-type"] != "application/json" || strconv.FormatInt(ts, 10) != sent.Headers.Get("webhook-timestamp") {
		t.Errorf("recorded headers %v at %d, sent %v", headers, ts, sent.Headers)
	}
	raw, _ := json.Marshal(headers)
	if strings.Contains(string(raw), secret) {
		t.Error("the recorded headers hold the secret")
	}
}
