package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow"
)

// countingUpdates is a Temporal client that counts the updates sent to it
// and answers each as if the delivery's workflow had ended.
type countingUpdates struct {
	unreachable
	updates *int
}

func (c countingUpdates) UpdateWorkflow(context.Context, client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	*c.updates++
	return nil, errors.New("temporal is unreachable")
}

// TestRetryNowRefusesADeliveryAtItsAttemptBound: the log detail answers
// every attempt, so manual retries stop at MaxAttemptsPerDelivery with a 400
// naming the bound, before anything is sent to Temporal.
func TestRetryNowRefusesADeliveryAtItsAttemptBound(t *testing.T) {
	var updates int
	d := New(Stores{}, countingUpdates{updates: &updates}, Options{TaskQueue: "q"}, slog.New(slog.DiscardHandler))
	for _, tc := range []struct {
		attempts  int
		refused   bool
		wantCalls int
	}{
		{hookflow.MaxAttemptsPerDelivery - 1, false, 1},
		{hookflow.MaxAttemptsPerDelivery, true, 1},
		{hookflow.MaxAttemptsPerDelivery + 5, true, 1},
	} {
		_, err := d.RetryNow(context.Background(), &hookflow.Delivery{ID: "d-1", AttemptCount: tc.attempts}, "key")
		var herr *hookflow.Error
		refused := errors.As(err, &herr) && herr.Code == hookflow.EINVALID &&
			len(herr.Details) == 1 && herr.Details[0] == "a delivery may have at most 100 attempts"
		if refused != tc.refused || updates != tc.wantCalls {
			t.Errorf("%d attempts: err = %v (refused %v), %d updates sent; want refused %v, %d sent", tc.attempts, err, refused, updates, tc.refused, tc.wantCalls)
		}
	}
}
