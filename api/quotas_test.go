package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/dispatch"
	"github.com/hookflow/hookflow/internal/testenv"
)

// withQuotas serves the API with the stores' quotas set to q.
func withQuotas(q hookflow.Quotas) func(*api.Deps, *api.Options) {
	return func(d *api.Deps, _ *api.Options) {
		s := testDB.Stores.WithQuotas(q)
		d.Stores.Webhooks, d.Stores.Subscriptions, d.Stores.Activity = s.Webhooks, s.Subscriptions, s.Activity
		d.Dispatcher = dispatch.New(dispatch.Stores{Catalog: s.Catalog, Events: s.Events, Deliveries: s.Deliveries, Activity: s.Activity},
			testTemporal, dispatch.Options{TaskQueue: "api-quota-tests-" + testenv.RandomID(4)}, testenv.DiscardLogger())
	}
}

// Each quota: at the limit accepted, one past refused with the seeds' 400
// naming the limit, and nothing stored by the refusal.
func TestEveryQuotaRefusesOnePastItsLimitWithA400NamingIt(t *testing.T) {
	h := newHarness(t, withQuotas(hookflow.Quotas{WebhooksPerClient: 2, SubscriptionsPerOrganization: 2, PendingPostsPerSubscription: 2, FanoutPerPublish: 2}))
	ctx := context.Background()
	facility := "F-" + testenv.RandomID(4)
	tok, client := integrator(t, facility)
	org := newOrg()
	orgTok := orgToken(t, org)
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)

	webhooks := func() int {
		n := 0
		for _, kind := range []hookflow.WebhookKind{hookflow.KindFacility, hookflow.KindUser} {
			_, total, err := testDB.Stores.Webhooks.Webhooks(ctx, hookflow.WebhookFilter{Kind: kind, ClientID: client})
			if err != nil {
				t.Fatal(err)
			}
			n += total
		}
		return n
	}
	subscriptions := func() int {
		_, total, err := testDB.Stores.Subscriptions.Subscriptions(ctx, org, hookflow.SubscriptionFilter{Page: hookflow.Page{Take: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	sub := newSubscription(t, h, orgTok, org, "shift.created")
	t.Cleanup(func() { forget(t, org, client) })
	eventID := shiftEventID(t, h, orgTok, "shift.created")
	activityURL := subscriptionURL(org, sub) + "/activity"
	posts := func() int {
		_, total, err := testDB.Stores.Activity.Activities(ctx, hookflow.ActivityFilter{SubscriptionID: sub["id"].(string), Page: hookflow.Page{Take: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	events := func() int {
		// The facility's deliveries: a refused publish adds none.
		_, total, err := testDB.Stores.Logs.SearchLogs(ctx, hookflow.LogFilter{FacilityIDs: []string{facility}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	facilityHook := map[string]any{"url": "https://example.com/q", "events": []string{"all"}}
	post := map[string]any{"type": 2, "payload": map[string]any{}, "rawMessage": map[string]any{}, "eventId": eventID, "postedAt": later}
	publish := map[string]any{"eventType": "shift.created", "facilityId": facility, "data": map[string]any{}}

	createHook := func(tok string) response {
		return h.do(http.MethodPost, "/api/v2/public/webhooks/facility", tok, facilityHook)
	}
	createSub := func() response {
		return h.do(http.MethodPost, subscriptionsURL(org), orgTok, map[string]any{"postUri": "https://example.com/q", "events": []string{"shift.created"}, "isDevelopment": false})
	}
	addPost := func() response { return h.do(http.MethodPost, activityURL, orgTok, post) }
	doPublish := func() response { return h.do(http.MethodPost, "/api/v2/events", publisher, publish) }

	quotas := []struct {
		name    string
		fill    func(t *testing.T) // up to the limit, each accepted
		past    func() response
		stored  func() int
		message string
	}{
		{"webhooks per client", func(t *testing.T) {
			mustStatus(t, createHook(tok), http.StatusCreated)
			mustStatus(t, createHook(tok), http.StatusCreated)
		}, func() response { return createHook(tok) }, webhooks, "a client may have at most 2 webhooks"},
		{"subscriptions per organization", func(t *testing.T) { // the one above and one more
			mustStatus(t, createSub(), http.StatusCreated)
		}, createSub, subscriptions, "an organization may have at most 2 subscriptions"},
		{"pending scheduled posts per subscription", func(t *testing.T) {
			mustStatus(t, addPost(), http.StatusCreated)
			mustStatus(t, addPost(), http.StatusCreated)
		}, addPost, posts, "a subscription may have at most 2 scheduled posts pending"},
		{"deliveries per publish", func(t *testing.T) {
			// The client's two facility webhooks: a publish to both passes;
			// another client's third makes one too many.
			if d := mustStatus(t, doPublish(), http.StatusAccepted)["data"].(map[string]any); len(d["deliveries"].([]any)) != 2 {
				t.Fatalf("a publish at the limit = %v, want 2 deliveries", d)
			}
			other, otherClient := integrator(t, facility)
			t.Cleanup(func() { forget(t, "", otherClient) })
			mustStatus(t, createHook(other), http.StatusCreated)
		}, doPublish, events, "an event may be delivered to at most 2 webhooks at once"},
	}
	for _, q := range quotas {
		t.Run(q.name, func(t *testing.T) {
			q.fill(t)
			before := q.stored()
			expectJSON(t, q.past(), http.StatusBadRequest, badRequest(q.message))
			if after := q.stored(); after != before {
				t.Errorf("%d stored after a refusal, want %d: nothing stored", after, before)
			}
		})
	}
}

// forget deletes what a quota test created in the package's shared
// database, so other tests' lists do not see it: org's subscriptions and
// client's webhooks.
func forget(t *testing.T, org, client string) {
	ctx := context.Background()
	for _, kind := range []hookflow.WebhookKind{hookflow.KindFacility, hookflow.KindUser} {
		hooks, _, err := testDB.Stores.Webhooks.Webhooks(ctx, hookflow.WebhookFilter{Kind: kind, ClientID: client, Limit: 100})
		if err != nil {
			t.Error(err)
		}
		for _, w := range hooks {
			if err := testDB.Stores.Webhooks.DeleteWebhook(ctx, w.ID, "cleanup"); err != nil {
				t.Error(err)
			}
		}
	}
	if org == "" {
		return
	}
	subs, _, err := testDB.Stores.Subscriptions.Subscriptions(ctx, org, hookflow.SubscriptionFilter{Page: hookflow.Page{Take: 100}})
	if err != nil {
		t.Error(err)
	}
	for _, s := range subs {
		if err := testDB.Stores.Subscriptions.SubscriptionLifecycle(ctx, org, s.ID, hookflow.ActionDelete, "cleanup"); err != nil {
			t.Error(err)
		}
	}
}
