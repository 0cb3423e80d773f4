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

func deliveryWebhooks(ds []hookflow.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.WebhookID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// PublishEvent fans an event out to the live webhooks that subscribe to it:
// facility webhooks of the facility get shift events, user webhooks of the
// client facility events, organization webhooks of the organization any.
func TestPublishEventFansOutToMatchingLiveWebhooksOnly(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	id := testenv.RandomID(4)
	client, facility, org := "client-"+id, "F-"+id, "org-"+id
	mk := func(w hookflow.Webhook) *hookflow.Webhook { return testenv.NewWebhook(t, s, &w) }
	facilityHook := mk(hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{facility}, Events: []string{"shift.created"}})
	facilityAll := mk(hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{facility, "F-other"}})
	mk(hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{"F-other"}})                                     // another facility
	mk(hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{facility}, Events: []string{"shift.cancelled"}}) // another event
	deleted := mk(hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{facility}})
	if err := s.Webhooks.DeleteWebhook(ctx, deleted.ID, client); err != nil {
		t.Fatal(err)
	}
	userHook := mk(hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client})
	orgHook := mk(hookflow.Webhook{Kind: hookflow.KindOrganization, ClientID: client, OrganizationID: org})

	shift := &hookflow.Event{ID: "evt-shift-" + id, EventType: "shift.created", FacilityID: facility, ClientID: client, OrganizationID: org, Data: json.RawMessage(`{"s":1}`)}
	ds, created, err := s.Events.PublishEvent(ctx, shift, "shift")
	if err != nil || !created {
		t.Fatalf("publish = %v, created %v", err, created)
	}
	if got, want := deliveryWebhooks(ds), sorted(facilityHook.ID, facilityAll.ID, orgHook.ID); !slices.Equal(got, want) {
		t.Errorf("shift event delivered to %v, want the facility's two and the organization's %v", got, want)
	}
	for _, d := range ds {
		if d.EventID != shift.ID || d.Status != hookflow.StatusPending || d.EventType != "shift.created" || d.FacilityID != facility ||
			d.ClientID != client || !d.CreatedAt.Equal(shift.CreatedAt) || shift.CreatedAt.IsZero() {
			t.Errorf("delivery = %+v", d)
		}
		if d.WebhookID == orgHook.ID && d.OrganizationID != org {
			t.Errorf("the organization's delivery has organization %q", d.OrganizationID)
		}
	}

	fac := &hookflow.Event{ID: "evt-facility-" + id, EventType: "facility.creation.accepted", ClientID: client, Data: json.RawMessage(`{}`)}
	ds, _, err = s.Events.PublishEvent(ctx, fac, "facility")
	if err != nil {
		t.Fatal(err)
	}
	if got := deliveryWebhooks(ds); !slices.Equal(got, []string{userHook.ID}) {
		t.Errorf("facility event delivered to %v, want the user webhook %s", got, userHook.ID)
	}

	nobody := &hookflow.Event{ID: "evt-nobody-" + id, EventType: "shift.created", FacilityID: "F-nobody", Data: json.RawMessage(`{}`)}
	ds, created, err = s.Events.PublishEvent(ctx, nobody, "shift")
	if err != nil || !created || len(ds) != 0 || nobody.CreatedAt.IsZero() {
		t.Errorf("an event nobody subscribes to = %v, created %v, at %v, %v; want it stored with no deliveries", ds, created, nobody.CreatedAt, err)
	}
}

func TestPublishingAnEventAgainStoresNothingAndAnswersTheFirstDeliveries(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	client := "client-" + testenv.RandomID(4)
	testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: client})
	testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: client})
	first := &hookflow.Event{ID: "evt-" + testenv.RandomID(6), EventType: "facility.creation.accepted", ClientID: client, Data: json.RawMessage(`{"n":1}`)}
	ds, created, err := s.Events.PublishEvent(ctx, first, "facility")
	if err != nil || !created || len(ds) != 2 {
		t.Fatalf("first publish = %d deliveries, created %v, %v", len(ds), created, err)
	}
	again := &hookflow.Event{ID: first.ID, EventType: "facility.creation.rejected", ClientID: client, Data: json.RawMessage(`{"n":2}`)}
	replay, created, err := s.Events.PublishEvent(ctx, again, "facility")
	if err != nil || created {
		t.Fatalf("publish again = created %v, %v; want not created", created, err)
	}
	got, want := []string{}, []string{}
	for i := range ds {
		want = append(want, ds[i].ID)
	}
	for _, d := range replay {
		got = append(got, d.ID)
		if d.Status != hookflow.StatusPending || d.EventID != first.ID {
			t.Errorf("replayed delivery = %+v", d)
		}
	}
	if slices.Sort(got); !slices.Equal(got, sorted(want...)) {
		t.Errorf("replayed deliveries = %v, want the first %v", got, want)
	}
	// The event answered is the one stored first.
	if again.EventType != first.EventType || string(again.Data) != `{"n": 1}` || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("event answered again = %+v, want the first %+v", again, first)
	}
}

func TestDeleteEventRemovesAnEventSoItCanBePublishedAgain(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	ev := &hookflow.Event{ID: "evt-" + testenv.RandomID(6), EventType: "shift.created", FacilityID: "F-nobody", Data: json.RawMessage(`{}`)}
	testenv.PublishEvent(t, s, ev, "shift")
	if err := s.Events.DeleteEvent(ctx, ev.ID); err != nil {
		t.Fatal(err)
	}
	if _, created, err := s.Events.PublishEvent(ctx, ev, "shift"); err != nil || !created {
		t.Errorf("publish after delete = created %v, %v; want a new event", created, err)
	}
	if err := s.Events.DeleteEvent(ctx, "evt-never-published"); err != nil {
		t.Errorf("deleting an unknown event = %v, want nothing to do", err)
	}
}

func TestPublishingUnstorableDataIsInvalid(t *testing.T) {
	ev := &hookflow.Event{ID: "evt-" + testenv.RandomID(6), EventType: "shift.created", FacilityID: "F-nobody", Data: json.RawMessage(`{"a":"\u0000"}`)}
	_, _, err := testDB.Stores.Events.PublishEvent(context.Background(), ev, "shift")
	if hookflow.ErrorCodeOf(err) != hookflow.EINVALID || !errors.Is(err, storage.ErrUnstorable) {
		t.Errorf("publish of a NUL in jsonb = %v, want %v", err, storage.ErrUnstorable)
	}
}

func TestAPublishPastTheFanoutQuotaStoresNothing(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores.WithQuotas(hookflow.Quotas{FanoutPerPublish: 2})
	id := testenv.RandomID(4)
	facility := "F-fanout-" + id
	publish := func(eventID string) ([]hookflow.Delivery, error) {
		ds, _, err := s.Events.PublishEvent(ctx, &hookflow.Event{ID: eventID, EventType: "shift.created", FacilityID: facility, Data: json.RawMessage(`{}`)}, "shift")
		return ds, err
	}
	subscribe := func(i int) {
		testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: fmt.Sprintf("client-%s-%d", id, i), Facilities: []string{facility}})
	}
	subscribe(1)
	subscribe(2)
	if ds, err := publish("evt-at-limit-" + id); err != nil || len(ds) != 2 {
		t.Fatalf("a publish at the limit = %v, %v; want 2 deliveries", ds, err)
	}
	subscribe(3)
	past := "evt-past-limit-" + id
	_, err := publish(past)
	if appErr := (*hookflow.Error)(nil); !errors.As(err, &appErr) || appErr.Code != hookflow.EINVALID ||
		!slices.Equal(appErr.Details, []string{"an event may be delivered to at most 2 webhooks at once"}) {
		t.Fatalf("a publish one past the limit: err = %v, want the quota's 400", err)
	}
	var events, deliveries int
	if err := testDB.DB.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM events WHERE id = $1), (SELECT count(*) FROM deliveries WHERE event_id = $1)`,
		past).Scan(&events, &deliveries); err != nil {
		t.Fatal(err)
	}
	if events != 0 || deliveries != 0 {
		t.Errorf("a refused publish left %d events and %d deliveries, want none", events, deliveries)
	}
}

// A webhook with a filter gets only the events its filter matches; one
// whose filter fails on the event (a missing key) does not get it; a
// re-publish returns the deliveries of the first.
func TestPublishEventDeliversOnlyToWebhooksWhoseFilterMatches(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	id := testenv.RandomID(4)
	client := "client-filter-" + id
	mk := func(filter string) *hookflow.Webhook {
		return testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client, Filter: filter})
	}
	none := mk("")
	big := mk(`data.amount > 100`)
	small := mk(`data.amount <= 100`)
	other := mk(`eventType == "facility.other"`)
	missing := mk(`data.missing == "x"`)

	ev := &hookflow.Event{ID: "evt-filter-" + id, EventType: "facility.creation.accepted", ClientID: client, Data: json.RawMessage(`{"amount": 150}`)}
	ds, created, err := s.Events.PublishEvent(ctx, ev, "facility")
	if err != nil || !created {
		t.Fatalf("publish = %v, created %v", err, created)
	}
	if got, want := deliveryWebhooks(ds), sorted(none.ID, big.ID); !slices.Equal(got, want) {
		t.Errorf("delivered to %v, want the unfiltered and the matching webhook %v (not %s, %s, %s)", got, want, small.ID, other.ID, missing.ID)
	}
	replay, created, err := s.Events.PublishEvent(ctx, &hookflow.Event{ID: ev.ID, EventType: ev.EventType, ClientID: client, Data: json.RawMessage(`{"amount": 1}`)}, "facility")
	if err != nil || created {
		t.Fatalf("re-publish = %v, created %v", err, created)
	}
	if got, want := deliveryWebhooks(replay), deliveryWebhooks(ds); !slices.Equal(got, want) {
		t.Errorf("re-publish answered %v, want the first deliveries %v", got, want)
	}
}

// The fan-out quota counts the webhooks whose filters match, not those
// the event is routed to.
func TestTheFanoutQuotaCountsMatchesAfterFiltering(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores.WithQuotas(hookflow.Quotas{FanoutPerPublish: 2})
	id := testenv.RandomID(4)
	client := "client-fanout-filter-" + id
	for _, filter := range []string{"", `data.n == 1`, `data.n == 2`, `data.n == 2`} {
		testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client, Filter: filter})
	}
	publish := func(eventID, data string) ([]hookflow.Delivery, error) {
		ds, _, err := s.Events.PublishEvent(ctx, &hookflow.Event{ID: eventID, EventType: "facility.creation.accepted", ClientID: client, Data: json.RawMessage(data)}, "facility")
		return ds, err
	}
	if ds, err := publish("evt-one-"+id, `{"n": 1}`); err != nil || len(ds) != 2 {
		t.Fatalf("4 routed, 2 matching = %d deliveries, %v; want 2", len(ds), err)
	}
	if _, err := publish("evt-two-"+id, `{"n": 2}`); hookflow.ErrorCodeOf(err) != hookflow.EINVALID {
		t.Fatalf("3 matching past a quota of 2 = %v, want the quota's 400", err)
	}
}

func TestWebhookFilterIsStoredUpdatedAndCleared(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: "client-" + testenv.RandomID(4), Filter: `data.a == 1`})
	got, err := s.Webhooks.Webhook(ctx, w.ID)
	if err != nil || got.Filter != `data.a == 1` {
		t.Fatalf("stored filter = %q, %v", got.Filter, err)
	}
	for _, c := range []struct {
		update *string
		want   string
	}{{nil, `data.a == 1`}, {ptr(`data.a == 2`), `data.a == 2`}, {ptr(""), ""}} {
		got, err := s.Webhooks.UpdateWebhook(ctx, w.ID, hookflow.WebhookUpdate{Filter: c.update}, "me")
		if err != nil || got.Filter != c.want {
			t.Errorf("update with %v: filter %q, %v; want %q", c.update, got.Filter, err, c.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// A test event has exactly one delivery, to its webhook, even when others
// would match it; a deleted webhook gets none and nothing is stored.
func TestPublishTestEventDeliversToItsWebhookOnly(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	id := testenv.RandomID(4)
	client, facility := "client-"+id, "F-"+id
	target := testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{facility}})
	testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{facility}}) // would match a publish
	ev := &hookflow.Event{ID: "test-" + id, EventType: "shift.created", FacilityID: facility, Data: json.RawMessage(`{}`)}
	d, err := s.Events.PublishTestEvent(ctx, ev, *target)
	if err != nil {
		t.Fatal(err)
	}
	if d.WebhookID != target.ID || d.EventID != ev.ID || d.FacilityID != facility || d.ClientID != client {
		t.Errorf("test delivery = %+v", d)
	}
	if err := s.Webhooks.DeleteWebhook(ctx, target.ID, client); err != nil {
		t.Fatal(err)
	}
	gone := &hookflow.Event{ID: "test-gone-" + id, EventType: "shift.created", Data: json.RawMessage(`{}`)}
	if _, err := s.Events.PublishTestEvent(ctx, gone, *target); !errors.Is(err, hookflow.ErrWebhookNotFound) {
		t.Errorf("a test event to a deleted webhook = %v, want ErrWebhookNotFound", err)
	}
}
