package storage_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

// insertChange records a change as the engine does; ago backdates it.
func insertChange(t *testing.T, webhookID string, kind hookflow.EndpointChangeKind, threshold int, reason string, ago time.Duration) string {
	t.Helper()
	var id string
	err := testDB.DB.Pool().QueryRow(context.Background(), `INSERT INTO endpoint_state_changes (webhook_id, kind, threshold, reason, created_at)
		VALUES ($1, $2, nullif($3, 0), nullif($4, ''), now() - $5::interval) RETURNING id::text`,
		webhookID, kind, threshold, reason, ago.String()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// An operational event goes only to its endpoint's tenant, and only to the
// webhooks that name it: "all" does not include it.
func TestOperationalEventsGoOnlyToTheirTenantsWebhooksThatNameThem(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	id := testenv.RandomID(4)
	client, other, org, otherOrg := "client-"+id, "other-"+id, "org-"+id, "org2-"+id
	mk := func(w hookflow.Webhook) *hookflow.Webhook { return testenv.NewWebhook(t, s, &w) }
	facilityOps := mk(hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{"F-" + id}, Events: []string{hookflow.EventDisabled, "shift.created"}})
	userOps := mk(hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client, Events: []string{hookflow.EventDisabled}})
	mk(hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client})                                          // all
	mk(hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{"F-" + id}})     // all
	mk(hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client, Events: []string{hookflow.EventFailing}}) // another operational event
	mk(hookflow.Webhook{Kind: hookflow.KindUser, ClientID: other, Events: []string{hookflow.EventDisabled}}) // another client
	orgOps := mk(hookflow.Webhook{Kind: hookflow.KindOrganization, OrganizationID: org, Events: []string{hookflow.EventDisabled}})
	mk(hookflow.Webhook{Kind: hookflow.KindOrganization, OrganizationID: org})                                                // all
	mk(hookflow.Webhook{Kind: hookflow.KindOrganization, OrganizationID: otherOrg, Events: []string{hookflow.EventDisabled}}) // another organization

	data := json.RawMessage(`{"webhookId":"w"}`)
	ds, created, err := s.Events.PublishEvent(ctx, &hookflow.Event{ID: "op-client-" + id, EventType: hookflow.EventDisabled, ClientID: client, Data: data}, hookflow.OperationalCategory)
	if err != nil || !created {
		t.Fatalf("publish = %v, created %v", err, created)
	}
	if got, want := deliveryWebhooks(ds), sorted(facilityOps.ID, userOps.ID); !slices.Equal(got, want) {
		t.Errorf("the client's operational event went to %v, want its two webhooks that name it %v", got, want)
	}
	ds, _, err = s.Events.PublishEvent(ctx, &hookflow.Event{ID: "op-org-" + id, EventType: hookflow.EventDisabled, OrganizationID: org, Data: data}, hookflow.OperationalCategory)
	if err != nil {
		t.Fatal(err)
	}
	if got := deliveryWebhooks(ds); !slices.Equal(got, []string{orgOps.ID}) {
		t.Errorf("the organization's operational event went to %v, want its subscription that names it %s", got, orgOps.ID)
	}
	// The usual routing is unchanged for a webhook that also names one.
	ds, _, err = s.Events.PublishEvent(ctx, &hookflow.Event{ID: "shift-" + id, EventType: "shift.created", FacilityID: "F-" + id, ClientID: client, Data: data}, "shift")
	if err != nil || !slices.Contains(deliveryWebhooks(ds), facilityOps.ID) || slices.Contains(deliveryWebhooks(ds), userOps.ID) {
		t.Errorf("shift event went to %v (%v), want the facility webhook and not the user one", deliveryWebhooks(ds), err)
	}
}

func TestEndpointChangeStoreListsUnpublishedChangesOldestFirstAndMarksThem(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	client := "client-" + testenv.RandomID(4)
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client, RateLimit: 5, URL: "https://example.com/dead"})
	quiet := testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client})
	since := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	if _, err := testDB.DB.Pool().Exec(ctx, `INSERT INTO endpoint_health (webhook_id, state, failing_since) VALUES ($1, 'open', $2)`, w.ID, since); err != nil {
		t.Fatal(err)
	}
	published := insertChange(t, w.ID, hookflow.ChangeCircuitOpened, 0, "", 3*time.Minute)
	if err := s.EndpointChanges.MarkEndpointChangePublished(ctx, published); err != nil {
		t.Fatal(err)
	}
	opened := insertChange(t, w.ID, hookflow.ChangeCircuitOpened, 0, "5 failures in a row", 2*time.Minute)
	failing := insertChange(t, w.ID, hookflow.ChangeFailing, 50, "", time.Minute)
	fresh := insertChange(t, quiet.ID, hookflow.ChangeCircuitOpened, 0, "", 0)

	got, err := s.EndpointChanges.UnpublishedEndpointChanges(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != opened || got[1].ID != failing {
		t.Fatalf("unpublished = %+v, want %s then %s", got, opened, failing)
	}
	first, second := got[0], got[1]
	if first.EndpointChange.Kind != hookflow.ChangeCircuitOpened || first.Reason != "5 failures in a row" || first.Actor != hookflow.EngineActor ||
		first.WebhookID != w.ID || first.Kind != hookflow.KindUser || first.ClientID != client || first.URL != "https://example.com/dead" ||
		first.RateLimit != 5 || first.State != hookflow.EndpointOpen || first.FailingSince == nil || !first.FailingSince.Equal(since) {
		t.Errorf("first = %+v", first)
	}
	if second.EndpointChange.Kind != hookflow.ChangeFailing || second.Threshold != 50 {
		t.Errorf("second = %+v", second)
	}
	// Only changes older than the cutoff are stale: the fresh one is not.
	stale, err := s.EndpointChanges.StaleEndpointChanges(ctx, time.Now().Add(-30*time.Second), 1000)
	if err != nil || !slices.Contains(stale, w.ID) || slices.Contains(stale, quiet.ID) {
		t.Errorf("stale = %v, %v; want %s and not %s", stale, err, w.ID, quiet.ID)
	}
	for range 2 { // marking again is harmless
		if err := s.EndpointChanges.MarkEndpointChangePublished(ctx, opened); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.EndpointChanges.UnpublishedEndpointChanges(ctx, w.ID); len(got) != 1 || got[0].ID != failing {
		t.Errorf("after marking = %+v, want only %s", got, failing)
	}
	if got, _ := s.EndpointChanges.UnpublishedEndpointChanges(ctx, quiet.ID); len(got) != 1 || got[0].ID != fresh || got[0].State != hookflow.EndpointClosed || got[0].RateLimit != 0 {
		t.Errorf("a webhook with no health row = %+v, want its change and a closed state", got)
	}
}

func TestResumableDeliveriesAreTheUnsettledOnesOldestFirst(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	client := "client-" + testenv.RandomID(4)
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client})
	var want []string
	for i := range 3 {
		ds, _, err := s.Events.PublishEvent(ctx, &hookflow.Event{ID: "resume-" + client + "-" + string(rune('a'+i)), EventType: "facility.creation.accepted", ClientID: client, Data: json.RawMessage(`{}`)}, "facility")
		if err != nil || len(ds) != 1 {
			t.Fatalf("publish = %v, %v", ds, err)
		}
		want = append(want, ds[0].ID)
	}
	if _, err := testDB.DB.Pool().Exec(ctx, `UPDATE deliveries SET status = 'succeeded' WHERE id = $1`, want[1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.EndpointChanges.ResumableDeliveries(ctx, w.ID)
	if err != nil || !slices.Equal(got, []string{want[0], want[2]}) {
		t.Errorf("resumable = %v, %v; want %v", got, err, []string{want[0], want[2]})
	}
}
