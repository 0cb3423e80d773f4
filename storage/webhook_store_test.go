package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/storage"
)

// newDatabase gives a test a migrated database of its own on the real
// PostgreSQL, dropped afterwards. (Per test, not in TestMain, so that the
// package's pure tests and benchmarks still run without one.)
func newDatabase(t *testing.T) *testenv.Database {
	t.Helper()
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "storage")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Drop(ctx); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestWebhooksPagesTheClientsWebhooksOfAKindOldestFirst(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	create := func(kind hookflow.WebhookKind, client, url string) *hookflow.Webhook {
		w := &hookflow.Webhook{Kind: kind, ClientID: client, URL: url, Events: []string{hookflow.AllEvents}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
		if err := db.Webhooks.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	var mine []string
	for i := range 3 {
		mine = append(mine, create(hookflow.KindUser, "c1", fmt.Sprintf("https://example.com/%d", i)).ID)
	}
	other := create(hookflow.KindUser, "c2", "https://example.com/other-client")
	create(hookflow.KindFacility, "c1", "https://example.com/other-kind")
	gone := create(hookflow.KindUser, "c1", "https://example.com/deleted")
	if err := db.Webhooks.DeleteWebhook(ctx, gone.ID, "c1"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		filter hookflow.WebhookFilter
		want   []string
		total  int
	}{
		{"first page", hookflow.WebhookFilter{Kind: hookflow.KindUser, ClientID: "c1", Limit: 2}, mine[:2], 3},
		{"second page", hookflow.WebhookFilter{Kind: hookflow.KindUser, ClientID: "c1", Limit: 2, Offset: 2}, mine[2:], 3},
		{"past the end", hookflow.WebhookFilter{Kind: hookflow.KindUser, ClientID: "c1", Limit: 2, Offset: 3}, nil, 3},
		{"total only", hookflow.WebhookFilter{Kind: hookflow.KindUser, ClientID: "c1", Limit: 0}, nil, 3},
		{"every client", hookflow.WebhookFilter{Kind: hookflow.KindUser, Limit: 10}, append(mine[:3:3], other.ID), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hooks, total, err := db.Webhooks.Webhooks(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, w := range hooks {
				ids = append(ids, w.ID)
			}
			if total != tt.total {
				t.Errorf("total = %d, want %d", total, tt.total)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("page = %v, want %v", ids, tt.want)
			}
		})
	}
}

func TestWebhookLoadsOneWebhookAndUpdateChangesOnlyTheGivenFields(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	client := "client-" + testenv.RandomID(4)
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, URL: "https://example.com/a",
		Events: []string{"shift.created"}, Facilities: []string{"F-1"}})
	got, err := s.Webhooks.Webhook(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != w.ID || got.Kind != hookflow.KindFacility || got.ClientID != client || got.URL != "https://example.com/a" || !got.Active ||
		!slices.Equal(got.Events, []string{"shift.created"}) || !slices.Equal(got.Facilities, []string{"F-1"}) ||
		!slices.Equal(got.Secrets, []string{testenv.TestSecret}) || got.DeletedAt != nil || got.CreatedAt.IsZero() {
		t.Errorf("webhook = %+v", got)
	}

	url := "https://example.com/b"
	updated, err := s.Webhooks.UpdateWebhook(ctx, w.ID, hookflow.WebhookUpdate{URL: &url}, client)
	if err != nil {
		t.Fatal(err)
	}
	if updated.URL != url || !slices.Equal(updated.Events, []string{"shift.created"}) || !slices.Equal(updated.Facilities, []string{"F-1"}) ||
		!slices.Equal(updated.Secrets, []string{testenv.TestSecret}) || !updated.UpdatedAt.After(got.UpdatedAt) {
		t.Errorf("after a URL update = %+v", updated)
	}
	newSecret := "whsec_" + testenv.RandomID(16)
	updated, err = s.Webhooks.UpdateWebhook(ctx, w.ID, hookflow.WebhookUpdate{Events: []string{"shift.cancelled", "shift.created"}, Facilities: []string{"F-2"}, Secrets: []string{newSecret}}, client)
	if err != nil {
		t.Fatal(err)
	}
	if updated.URL != url || !slices.Equal(updated.Events, []string{"shift.cancelled", "shift.created"}) || !slices.Equal(updated.Facilities, []string{"F-2"}) ||
		!slices.Equal(updated.Secrets, []string{newSecret}) {
		t.Errorf("after updating events, facilities and secrets = %+v; the old secret must be revoked", updated)
	}

	if err := s.Webhooks.DeleteWebhook(ctx, w.ID, client); err != nil {
		t.Fatal(err)
	}
	// A deleted webhook is gone for reads and updates (DeliveryTarget alone still sees it).
	if gone, err := s.Webhooks.Webhook(ctx, w.ID); err != hookflow.ErrWebhookNotFound {
		t.Errorf("deleted webhook = %+v, %v; want not found", gone, err)
	}
	if _, err := s.Webhooks.UpdateWebhook(ctx, w.ID, hookflow.WebhookUpdate{URL: &url}, client); err != hookflow.ErrWebhookNotFound {
		t.Errorf("update of a deleted webhook = %v", err)
	}
	if err := s.Webhooks.DeleteWebhook(ctx, w.ID, client); err != hookflow.ErrWebhookNotFound {
		t.Errorf("second delete = %v", err)
	}
	for _, id := range []string{"not-a-uuid", "0b7e8c8e-9f3a-4a53-9a57-2b1f7c5d9e11"} {
		if _, err := s.Webhooks.Webhook(ctx, id); err != hookflow.ErrWebhookNotFound {
			t.Errorf("Webhook(%s) = %v", id, err)
		}
		if _, err := s.Webhooks.UpdateWebhook(ctx, id, hookflow.WebhookUpdate{URL: &url}, client); err != hookflow.ErrWebhookNotFound {
			t.Errorf("UpdateWebhook(%s) = %v", id, err)
		}
	}
}

// countWebhooks counts a client's webhooks of both kinds.
func countWebhooks(t *testing.T, s storage.Stores, client string) int {
	t.Helper()
	n := 0
	for _, kind := range []hookflow.WebhookKind{hookflow.KindFacility, hookflow.KindUser} {
		_, total, err := s.Webhooks.Webhooks(context.Background(), hookflow.WebhookFilter{Kind: kind, ClientID: client})
		if err != nil {
			t.Fatal(err)
		}
		n += total
	}
	return n
}

func TestAClientsWebhooksOfBothKindsAreBoundedByItsQuota(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores.WithQuotas(hookflow.Quotas{WebhooksPerClient: 2})
	client := "quota-" + testenv.RandomID(4)
	create := func(kind hookflow.WebhookKind, client string) error {
		return s.Webhooks.CreateWebhook(ctx, &hookflow.Webhook{Kind: kind, ClientID: client, URL: "https://example.com/q",
			Events: []string{hookflow.AllEvents}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
	}
	steps := []struct {
		name    string
		kind    hookflow.WebhookKind
		client  string
		refused bool
	}{
		{"first, a facility webhook", hookflow.KindFacility, client, false},
		{"second, a user webhook: at the limit", hookflow.KindUser, client, false},
		{"one past, of either kind", hookflow.KindFacility, client, true},
		{"one past, user", hookflow.KindUser, client, true},
		{"another client is counted apart", hookflow.KindUser, client + "-other", false},
	}
	for _, st := range steps {
		before := countWebhooks(t, s, st.client)
		err := create(st.kind, st.client)
		if !st.refused {
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		var appErr *hookflow.Error
		if !errors.As(err, &appErr) || appErr.Code != hookflow.EINVALID || !slices.Equal(appErr.Details, []string{"a client may have at most 2 webhooks"}) {
			t.Errorf("%s: err = %v, want the quota's 400", st.name, err)
		}
		if after := countWebhooks(t, s, st.client); after != before {
			t.Errorf("%s: %d webhooks after a refusal, want %d: nothing stored", st.name, after, before)
		}
	}
	// A deleted webhook frees its place.
	hooks, _, err := s.Webhooks.Webhooks(ctx, hookflow.WebhookFilter{Kind: hookflow.KindUser, ClientID: client, Limit: 10})
	if err != nil || len(hooks) != 1 {
		t.Fatalf("user webhooks = %v, %v", hooks, err)
	}
	if err := s.Webhooks.DeleteWebhook(ctx, hooks[0].ID, client); err != nil {
		t.Fatal(err)
	}
	if err := create(hookflow.KindUser, client); err != nil {
		t.Errorf("create after a delete: %v", err)
	}
}

// Creates racing at one below the quota: a third transaction holds the
// webhooks table against inserts until every racer waits, so all of them
// have started before any inserts; exactly one may pass.
func TestConcurrentWebhookCreatesAtTheQuotaNeverBothPass(t *testing.T) {
	ctx := context.Background()
	const limit, racers = 5, 2 // two racers and the blocker leave the pool (4) a connection to watch with
	s := testDB.Stores.WithQuotas(hookflow.Quotas{WebhooksPerClient: limit})
	client := "race-" + testenv.RandomID(4)
	create := func() error {
		return s.Webhooks.CreateWebhook(ctx, &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client, URL: "https://example.com/race",
			Events: []string{hookflow.AllEvents}, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
	}
	for range limit - 1 {
		if err := create(); err != nil {
			t.Fatal(err)
		}
	}
	blocker, err := testDB.DB.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.Exec(ctx, `LOCK TABLE webhooks IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, racers)
	for range racers {
		go func() { errs <- create() }()
	}
	waitForLockWaiters(t, racers)
	if err := blocker.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	passed := 0
	for range racers {
		switch err := <-errs; {
		case err == nil:
			passed++
		case hookflow.ErrorCodeOf(err) != hookflow.EINVALID:
			t.Errorf("a racing create failed otherwise: %v", err)
		}
	}
	if stored := countWebhooks(t, s, client); passed != 1 || stored != limit {
		t.Errorf("%d of %d racing creates at %d of %d passed, %d stored; want exactly one and %d", passed, racers, limit-1, limit, stored, limit)
	}
}
