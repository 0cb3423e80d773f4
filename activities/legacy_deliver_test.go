package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/internal/testenv"
)

// neverPost fails the test if an attempt reaches the network.
type neverPost struct{ t *testing.T }

func (p neverPost) Post(context.Context, egress.Request, func() time.Time) egress.Response {
	p.t.Error("an attempt was posted")
	return egress.Response{}
}

func runDeliver(t *testing.T, in activities.DeliverInput) (activities.AttemptResult, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activities.New(testDB.Stores.Deliveries, neverPost{t}, testenv.DiscardLogger()))
	val, err := env.ExecuteActivity("Deliver", in)
	var res activities.AttemptResult
	if err == nil {
		err = val.Get(&res)
	}
	return res, err
}

func TestAWebhookWithoutAUsableSecretRecordsAFailedAttempt(t *testing.T) {
	// A secret that no longer decodes, as a hand-edited row might hold.
	webhookID := seedWebhook(t)
	testenv.SpoilSecrets(t, testDB, webhookID.String())
	_, deliveryID := seedDelivery(t, webhookID, time.Minute, "pending", 0)
	next := 5 * time.Minute
	res, err := runDeliver(t, activities.DeliverInput{DeliveryID: deliveryID.String(), Kind: hookflow.ScheduledAttempt, NextDelay: &next})
	if err != nil {
		t.Fatalf("Deliver returned %v; want a recorded failure, not an activity error retried forever", err)
	}
	if res.Success || !strings.Contains(res.Error, "cannot sign") || res.NextRetryAt == nil || res.Number != 1 {
		t.Errorf("result = %+v", res)
	}
}

func TestAMissingDeliveryFailsWithoutRetrying(t *testing.T) {
	_, err := runDeliver(t, activities.DeliverInput{DeliveryID: uuid.NewString()})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() {
		t.Errorf("Deliver of an unknown delivery = %v, want a non-retryable error", err)
	}
}
