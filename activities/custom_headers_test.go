package activities_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/signing"
)

// TestAnAttemptSendsTheCustomHeadersAndRecordsThemSealed: the POST carries
// the webhook's custom headers beside Hookflow's signed ones, the attempt
// records them sealed (never in the clear) apart from its own, and no log
// line holds a value.
func TestAnAttemptSendsTheCustomHeadersAndRecordsThemSealed(t *testing.T) {
	ctx := context.Background()
	secret, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	token := "Bearer custom-" + testenv.RandomID(8)
	webhookID := newClientWebhook(t, &hookflow.Webhook{URL: "https://example.com/hook", Secrets: []string{secret},
		// A reserved name cannot be saved through the API; stored anyway, it is not sent.
		Headers: map[string]string{"Authorization": token, "x-tenant": "acme", "Webhook-Id": "forged", "user-agent": "forged"}})
	_, deliveryID := seedDelivery(t, webhookID, 0, "pending", 0)

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var sent egress.Request
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activities.New(testDB.Stores.Deliveries, sentPoster{&sent}, logger))
	if _, err := env.ExecuteActivity("Attempt", activities.AttemptInput{DeliveryID: deliveryID.String(), Kind: hookflow.ScheduledAttempt, Key: "hdr-" + testenv.RandomID(4)}); err != nil {
		t.Fatal(err)
	}

	if sent.Headers.Get("Authorization") != token || sent.Headers.Get("X-Tenant") != "acme" {
		t.Errorf("sent headers %v, want the custom ones", sent.Headers)
	}
	if id := sent.Headers.Values("webhook-id"); len(id) != 1 || id[0] == "forged" || sent.Headers.Get("webhook-signature") == "" {
		t.Errorf("sent headers %v, want Hookflow's own, and only them, under their names", sent.Headers)
	}
	if ua := sent.Headers.Values("User-Agent"); len(ua) != 0 {
		t.Errorf("sent User-Agent %v; the client sets its own", ua)
	}
	var headers map[string]string
	var sealed *string
	if err := testDB.DB.Pool().QueryRow(ctx, `SELECT request_headers, sealed_custom_headers FROM attempts WHERE delivery_id = $1`, deliveryID).Scan(&headers, &sealed); err != nil {
		t.Fatal(err)
	}
	if _, has := headers["authorization"]; has {
		t.Errorf("the plain recorded headers %v hold a custom one", headers)
	}
	if sealed == nil || strings.Contains(*sealed, "custom-") || strings.Contains(*sealed, "forged") {
		t.Errorf("recorded custom headers %v, want them sealed", sealed)
	}
	if strings.Contains(logs.String(), "custom-") || strings.Contains(logs.String(), "acme") {
		t.Errorf("a log line holds a custom header value:\n%s", logs.String())
	}
}
