package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/storage"
)

func newSubscription(t *testing.T, db storage.Stores, org string, events ...string) *hookflow.Subscription {
	t.Helper()
	sub, err := db.Subscriptions.CreateSubscription(context.Background(), org,
		hookflow.SubscriptionInput{PostURI: "https://example.com/" + org, Events: events, Version: "v1"}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "user-1")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func ids(subs []hookflow.Subscription) []string {
	var out []string
	for _, s := range subs {
		out = append(out, s.ID)
	}
	return out
}

func TestSubscriptionsAreScopedToTheirOrganization(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	mine := newSubscription(t, db, "org-a", "shift.created")
	if mine.OrganizationID != "org-a" || mine.Version != "v1" || !mine.Lifecycle.Active || mine.Audit.CreatedBy != "user-1" || mine.SecretKey == "" {
		t.Fatalf("created %+v", mine)
	}
	for _, tt := range []struct{ org, id string }{{"org-b", mine.ID}, {"org-a", "not-a-uuid"}, {"org-a", "0b7e8c8e-9f3a-4a53-9a57-2b1f7c5d9e11"}} {
		if _, err := db.Subscriptions.Subscription(ctx, tt.org, tt.id); err != hookflow.ErrSubscriptionNotFound {
			t.Errorf("Subscription(%s, %s) = %v, want not found", tt.org, tt.id, err)
		}
		if err := db.Subscriptions.SubscriptionLifecycle(ctx, tt.org, tt.id, hookflow.ActionArchive, "x"); err != hookflow.ErrSubscriptionNotFound {
			t.Errorf("archive (%s, %s) = %v, want not found", tt.org, tt.id, err)
		}
	}
	// A public webhook is no subscription, whatever the organization.
	public := &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: "c1", URL: "https://example.com/p", Events: []string{"all"}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
	if err := db.Webhooks.CreateWebhook(ctx, public); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Subscriptions.Subscription(ctx, "", public.ID); err != hookflow.ErrSubscriptionNotFound {
		t.Errorf("a user webhook read as a subscription: %v", err)
	}
}

func TestSubscriptionsListFiltersByVersionAndEventIDOrCode(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	created := newSubscription(t, db, "org-a", "shift.created")
	all := newSubscription(t, db, "org-a", hookflow.AllEvents)
	other := newSubscription(t, db, "org-a", "facility.creation.accepted")
	archived := newSubscription(t, db, "org-a", "shift.created")
	newSubscription(t, db, "org-b", "shift.created")
	if err := db.Subscriptions.SubscriptionLifecycle(ctx, "org-a", archived.ID, hookflow.ActionArchive, "x"); err != nil {
		t.Fatal(err)
	}
	shiftCreatedID := catalogEventID(t, db, "shift.created")
	page := hookflow.Page{Take: 10}
	tests := []struct {
		name   string
		filter hookflow.SubscriptionFilter
		want   []string
	}{
		{"every visible one", hookflow.SubscriptionFilter{Page: page}, []string{created.ID, all.ID, other.ID}},
		{"newest first", hookflow.SubscriptionFilter{Page: hookflow.Page{Take: 2, Descending: true}}, []string{other.ID, all.ID}},
		{"skip", hookflow.SubscriptionFilter{Page: hookflow.Page{Take: 10, Skip: 2}}, []string{other.ID}},
		{"event by code", hookflow.SubscriptionFilter{EventID: "shift.created", Page: page}, []string{created.ID, all.ID}},
		{"event by id", hookflow.SubscriptionFilter{EventID: shiftCreatedID, Page: page}, []string{created.ID, all.ID}},
		{"version", hookflow.SubscriptionFilter{Version: "v1", Page: page}, []string{created.ID, all.ID, other.ID}},
		{"another version", hookflow.SubscriptionFilter{Version: "v2", Page: page}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs, total, err := db.Subscriptions.Subscriptions(ctx, "org-a", tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ids(subs)) != fmt.Sprint(tt.want) {
				t.Errorf("page = %v, want %v", ids(subs), tt.want)
			}
			if tt.filter.Page.Skip == 0 && tt.filter.Page.Take == 10 && total != len(tt.want) {
				t.Errorf("total = %d, want %d", total, len(tt.want))
			}
		})
	}
}

func TestRemovingSubscriptionEventsByIDOrCodeDownToNone(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	sub := newSubscription(t, db, "org-a", "shift.created", "shift.cancelled")
	cancelledID := catalogEventID(t, db, "shift.cancelled")
	if err := db.Subscriptions.RemoveSubscriptionEvent(ctx, "org-a", sub.ID, cancelledID, "u"); err != nil {
		t.Fatalf("by id: %v", err)
	}
	if err := db.Subscriptions.RemoveSubscriptionEvent(ctx, "org-a", sub.ID, cancelledID, "u"); err != hookflow.ErrCatalogEventNotFound {
		t.Errorf("again = %v, want event not found", err)
	}
	if err := db.Subscriptions.RemoveSubscriptionEvent(ctx, "org-b", sub.ID, "shift.created", "u"); err != hookflow.ErrSubscriptionNotFound {
		t.Errorf("another organization's = %v, want subscription not found", err)
	}
	if err := db.Subscriptions.RemoveSubscriptionEvent(ctx, "org-a", sub.ID, "shift.created", "u"); err != nil {
		t.Fatalf("by code: %v", err)
	}
	got, err := db.Subscriptions.Subscription(ctx, "org-a", sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 0 || got.Audit.UpdatedBy != "u" {
		t.Errorf("after removing both: events %v, updatedBy %q", got.Events, got.Audit.UpdatedBy)
	}
}

// Archived subscriptions get no new deliveries; a delivery whose event type
// left the catalog after publishing is marked retired.
func TestPublishSkipsArchivedSubscriptionsAndTargetsSeeRetiredEventTypes(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	live := newSubscription(t, db, "org-a", "shift.created")
	archived := newSubscription(t, db, "org-a", "shift.created")
	inactive := newSubscription(t, db, "org-a", "shift.created")
	newSubscription(t, db, "org-b", "shift.created")
	if err := db.Subscriptions.SubscriptionLifecycle(ctx, "org-a", archived.ID, hookflow.ActionArchive, "x"); err != nil {
		t.Fatal(err)
	}
	if err := db.Subscriptions.SubscriptionLifecycle(ctx, "org-a", inactive.ID, hookflow.ActionDeactivate, "x"); err != nil {
		t.Fatal(err)
	}
	ev := &hookflow.Event{ID: "evt-" + live.ID, EventType: "shift.created", OrganizationID: "org-a", Data: json.RawMessage(`{}`)}
	deliveries, _, err := db.Events.PublishEvent(ctx, ev, "shift")
	if err != nil {
		t.Fatal(err)
	}
	if len(deliveries) != 1 || deliveries[0].WebhookID != live.ID || deliveries[0].OrganizationID != "org-a" {
		t.Fatalf("deliveries = %+v, want one to the live subscription", deliveries)
	}
	archiveCategory(t, db, "shift")
	target, err := db.Deliveries.DeliveryTarget(ctx, deliveries[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !target.EventTypeRetired {
		t.Error("an event type of an archived category is not retired")
	}
	if err := db.Subscriptions.SubscriptionLifecycle(ctx, "org-a", live.ID, hookflow.ActionArchive, "x"); err != nil {
		t.Fatal(err)
	}
	w, err := db.Webhooks.Webhook(ctx, live.ID)
	if err != nil {
		t.Fatal(err)
	}
	// An archive time is what takes a webhook out of delivery.
	if w.ArchivedAt == nil {
		t.Errorf("an archived subscription has no archive time: %+v", w)
	}
}

func TestEventSubscriptionsListOrganizationWebhooksOfTheCode(t *testing.T) {
	ctx := context.Background()
	org := "org-" + testenv.RandomID(4)
	mk := func(events []string) *hookflow.Webhook {
		w := &hookflow.Webhook{Kind: hookflow.KindOrganization, ClientID: "c", OrganizationID: org, URL: "https://example.com", Events: events, Secrets: []string{"whsec_x"}}
		if err := testDB.Stores.Webhooks.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	direct, all, other := mk([]string{"shift.created"}), mk([]string{"all"}), mk([]string{"shift.cancelled"})
	facility := &hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: "c", URL: "https://example.com", Events: []string{"shift.created"}}
	if err := testDB.Stores.Webhooks.CreateWebhook(ctx, facility); err != nil {
		t.Fatal(err)
	}
	subs, err := testDB.Stores.Subscriptions.EventSubscriptions(ctx, "shift.created")
	if err != nil {
		t.Fatal(err)
	}
	// Other tests' organizations may subscribe to the code too: look at ours only.
	var mine []hookflow.Subscription
	var ids []string
	for _, s := range subs {
		if s.OrganizationID == org {
			mine, ids = append(mine, s), append(ids, s.ID)
		}
	}
	if !slices.Equal(ids, []string{direct.ID, all.ID}) {
		t.Fatalf("subscriptions = %v, want %s and %s, not %s", ids, direct.ID, all.ID, other.ID)
	}
	if mine[0].SecretKey != "whsec_x" || mine[0].Version != "v1" || !mine[0].Lifecycle.Active {
		t.Errorf("subscription = %+v", mine[0])
	}
	_, err = testDB.Stores.Subscriptions.EventSubscriptions(ctx, "no.such-event")
	wantCode(t, err, hookflow.ENOTFOUND, "unknown code")
}

func TestUpdateSubscriptionReplacesItsFieldsInItsOrganizationOnly(t *testing.T) {
	ctx := context.Background()
	org := "org-" + testenv.RandomID(4)
	sub := newSubscription(t, testDB.Stores, org, "shift.created")
	in := hookflow.SubscriptionInput{PostURI: "https://example.com/new", Events: []string{"shift.cancelled"}, Version: "v1", IsDevelopment: true}
	got, err := testDB.Stores.Subscriptions.UpdateSubscription(ctx, org, sub.ID, in, "user-2")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != sub.ID || got.PostURI != in.PostURI || !slices.Equal(got.Events, in.Events) || !got.IsDevelopment || got.Audit.UpdatedBy != "user-2" ||
		got.SecretKey != sub.SecretKey {
		t.Errorf("updated = %+v", got)
	}
	if again, err := testDB.Stores.Subscriptions.Subscription(ctx, org, sub.ID); err != nil || again.PostURI != in.PostURI {
		t.Errorf("read after update = %+v, %v", again, err)
	}
	// No events at all is an update too: the subscription keeps an empty list.
	none, err := testDB.Stores.Subscriptions.UpdateSubscription(ctx, org, sub.ID, hookflow.SubscriptionInput{PostURI: in.PostURI, Version: "v1"}, "user-2")
	if err != nil || len(none.Events) != 0 || none.Events == nil || none.IsDevelopment {
		t.Errorf("update without events = %+v, %v", none, err)
	}
	for _, tt := range []struct{ org, id string }{{"org-other", sub.ID}, {org, "not-a-uuid"}, {org, "0b7e8c8e-9f3a-4a53-9a57-2b1f7c5d9e11"}} {
		if _, err := testDB.Stores.Subscriptions.UpdateSubscription(ctx, tt.org, tt.id, in, "x"); err != hookflow.ErrSubscriptionNotFound {
			t.Errorf("UpdateSubscription(%s, %s) = %v, want not found", tt.org, tt.id, err)
		}
	}
}

// archiveCategory archives the catalog category with the given code.
func archiveCategory(t *testing.T, db storage.Stores, code string) {
	t.Helper()
	ctx := context.Background()
	cats, _, err := db.Catalog.Categories(ctx, hookflow.Page{Take: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cats {
		if c.Code == code {
			if err := db.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionArchive, "admin-1"); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no category %s", code)
}

// catalogEventID is the id of the live v1 catalog event with the given code.
func catalogEventID(t *testing.T, db storage.Stores, code string) string {
	t.Helper()
	ev, err := db.Activity.ActivityEvent(context.Background(), code, "v1", true)
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

func TestAnOrganizationsSubscriptionsAreBoundedByItsQuotaArchivedIncluded(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores.WithQuotas(hookflow.Quotas{SubscriptionsPerOrganization: 2})
	org := "org-quota-" + testenv.RandomID(4)
	create := func(org string) error {
		_, err := s.Subscriptions.CreateSubscription(ctx, org, hookflow.SubscriptionInput{PostURI: "https://example.com/q", Events: []string{"all"}, Version: "v1"},
			"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "user-1")
		return err
	}
	stored := func(org string) int { // archived ones too
		var n int
		if err := testDB.DB.Pool().QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE organization_id = $1 AND deleted_at IS NULL`, org).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := create(org); err != nil {
		t.Fatal(err)
	}
	first, _, err := s.Subscriptions.Subscriptions(ctx, org, hookflow.SubscriptionFilter{Page: hookflow.Page{Take: 10}})
	if err != nil || len(first) != 1 {
		t.Fatalf("subscriptions = %v, %v", first, err)
	}
	if err := s.Subscriptions.SubscriptionLifecycle(ctx, org, first[0].ID, hookflow.ActionArchive, "user-1"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		org     string
		refused bool
	}{
		{"second, with the first archived: at the limit", org, false},
		{"one past", org, true},
		{"another organization is counted apart", org + "-other", false},
	}
	for _, st := range steps {
		before := stored(st.org)
		err := create(st.org)
		if !st.refused {
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		if appErr := (*hookflow.Error)(nil); !errors.As(err, &appErr) || appErr.Code != hookflow.EINVALID ||
			!slices.Equal(appErr.Details, []string{"an organization may have at most 2 subscriptions"}) {
			t.Errorf("%s: err = %v, want the quota's 400", st.name, err)
		}
		if after := stored(st.org); after != before {
			t.Errorf("%s: %d subscriptions after a refusal, want %d", st.name, after, before)
		}
	}
	if err := s.Subscriptions.SubscriptionLifecycle(ctx, org, first[0].ID, hookflow.ActionDelete, "user-1"); err != nil {
		t.Fatal(err)
	}
	if err := create(org); err != nil {
		t.Errorf("create after a delete: %v", err)
	}
}

func TestSubscriptionFilterIsStoredReplacedAndCleared(t *testing.T) {
	ctx := context.Background()
	org := "org-" + testenv.RandomID(4)
	in := hookflow.SubscriptionInput{PostURI: "https://example.com/f", Events: []string{"all"}, Version: "v1", Filter: `data.a == 1`}
	sub, err := testDB.Stores.Subscriptions.CreateSubscription(ctx, org, in, testenv.TestSecret, "user-1")
	if err != nil || sub.Filter != in.Filter {
		t.Fatalf("created = %+v, %v", sub, err)
	}
	in.Filter = `data.a == 2`
	if got, err := testDB.Stores.Subscriptions.UpdateSubscription(ctx, org, sub.ID, in, "user-2"); err != nil || got.Filter != in.Filter {
		t.Errorf("replaced = %q, %v", got.Filter, err)
	}
	in.Filter = ""
	if got, err := testDB.Stores.Subscriptions.UpdateSubscription(ctx, org, sub.ID, in, "user-2"); err != nil || got.Filter != "" {
		t.Errorf("cleared = %q, %v", got.Filter, err)
	}
	if got, err := testDB.Stores.Subscriptions.Subscription(ctx, org, sub.ID); err != nil || got.Filter != "" {
		t.Errorf("read = %q, %v", got.Filter, err)
	}
}
