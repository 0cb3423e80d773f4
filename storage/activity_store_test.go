package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

// newOrgWebhook creates a subscription to one event that the package's
// other tests do not list, since they share the database.
func newOrgWebhook(t *testing.T) *hookflow.Webhook {
	t.Helper()
	id := testenv.RandomID(4)
	w := &hookflow.Webhook{Kind: hookflow.KindOrganization, ClientID: "org-client-" + id, OrganizationID: "org-" + id,
		URL: "https://example.com/" + id, Events: []string{"shift.request.created"}, Secrets: []string{"ecg-secret-key"}}
	if err := testDB.Stores.Webhooks.CreateWebhook(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func shiftCreated(t *testing.T) hookflow.CatalogEventRef {
	t.Helper()
	ev, err := testDB.Stores.Activity.ActivityEvent(context.Background(), "shift.created", "v1", true)
	if err != nil {
		t.Fatal(err)
	}
	return *ev
}

func TestAnAddedPostIsAnActivityBeforeItIsMadeAndLinksToThePostItRetries(t *testing.T) {
	ctx := context.Background()
	w := newOrgWebhook(t)
	ev := shiftCreated(t)
	later := time.Now().Add(time.Hour)
	first, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: ev, Data: json.RawMessage(`{"n":1}`),
		RawMessage: json.RawMessage(`{"source":"desk"}`), PostAt: &later, CreatedBy: "nurse"})
	if err != nil {
		t.Fatal(err)
	}
	if first.NextRetryAt == nil || !first.NextRetryAt.Equal(later.Truncate(time.Microsecond)) || first.Status != hookflow.StatusPending {
		t.Errorf("scheduled delivery = %+v, want pending and due at %v", first, later)
	}
	a, err := testDB.Stores.Activity.Activity(ctx, w.ID, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != hookflow.ActivityAdded || a.PostedAt != nil || a.Posted() || string(a.RawMessage) != `{"source": "desk"}` ||
		!strings.Contains(a.Payload, `"data":{"n":1}`) || a.Event.ID != ev.ID || a.CreatedBy != "nurse" {
		t.Errorf("pending activity = %+v", a)
	}

	second, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: ev, Data: json.RawMessage(`{"n":2}`), RetryingFromID: first.ID})
	if err != nil {
		t.Fatal(err)
	}
	outcomeID, deliveryID, err := testDB.Stores.Activity.RecordOutcome(ctx, w.ID, hookflow.Outcome{ActivityID: second.ID, OriginalActivityID: first.ID,
		Success: true, HTTPStatusCode: 200, RawResponse: json.RawMessage(`{"ack":true}`)})
	if err != nil || deliveryID != second.ID {
		t.Fatalf("outcome = %s of %s, %v; want one of %s", outcomeID, deliveryID, err, second.ID)
	}
	tree, _, err := testDB.Stores.Activity.ActivityTree(ctx, w.ID, first.ID, hookflow.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree) != 3 || tree[0].ID != first.ID || tree[1].ID != second.ID || tree[1].Level != 2 || tree[1].RetryingFromID != first.ID ||
		tree[2].ID != outcomeID || tree[2].Level != 3 || tree[2].Type != hookflow.ActivityOutcome {
		t.Errorf("tree = %+v", tree)
	}
	settled, err := testDB.Stores.Deliveries.Delivery(ctx, second.ID)
	if err != nil || settled.Status != hookflow.StatusSucceeded {
		t.Errorf("delivery after a successful outcome = %+v, %v", settled, err)
	}
	succeeded, total, err := testDB.Stores.Activity.Activations(ctx, hookflow.ActivityFilter{SubscriptionID: w.ID, Status: hookflow.ActivitySucceeded, Page: hookflow.Page{Take: 10}})
	if err != nil || total != 1 || succeeded[0].ID != second.ID || !succeeded[0].Success {
		t.Errorf("succeeded activations = %+v (%d), %v", succeeded, total, err)
	}
}

func TestActivityOfAnotherSubscriptionIsNotFound(t *testing.T) {
	ctx := context.Background()
	a, b := newOrgWebhook(t), newOrgWebhook(t)
	del, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *a, Event: shiftCreated(t), Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		func() error { _, err := testDB.Stores.Activity.Activity(ctx, b.ID, del.ID); return err }(),
		func() error {
			_, _, err := testDB.Stores.Activity.ActivityTree(ctx, b.ID, del.ID, hookflow.Page{})
			return err
		}(),
		func() error {
			_, _, err := testDB.Stores.Activity.RecordOutcome(ctx, b.ID, hookflow.Outcome{ActivityID: del.ID})
			return err
		}(),
		func() error { _, err := testDB.Stores.Activity.Activity(ctx, a.ID, "not-a-uuid"); return err }(),
	} {
		if err != hookflow.ErrActivityNotFound {
			t.Errorf("err = %v, want %v", err, hookflow.ErrActivityNotFound)
		}
	}
	if _, err := testDB.Stores.Activity.Activation(ctx, b.ID, del.ID); err != hookflow.ErrActivationNotFound {
		t.Errorf("activation err = %v", err)
	}
}

// post makes the first attempt of an added post as the engine does: an
// intent, so the attempt takes the delivery's id, then its outcome.
func post(t *testing.T, d *hookflow.Delivery, w *hookflow.Webhook, success bool) {
	t.Helper()
	ctx := context.Background()
	id, _, err := testDB.Stores.Deliveries.BeginAttempt(ctx, hookflow.AttemptIntent{DeliveryID: d.ID, Key: "post-" + d.ID, URL: w.URL, Kind: hookflow.ScheduledAttempt})
	if err != nil {
		t.Fatal(err)
	}
	// A last attempt: it settles the post either way.
	a := &hookflow.Attempt{ID: id, DeliveryID: d.ID, URL: w.URL, ResponseStatus: 500, Success: success, DeliveryStatus: hookflow.StatusFailed}
	if success {
		a.ResponseStatus, a.DeliveryStatus = 200, hookflow.StatusSucceeded
	}
	if err := testDB.Stores.Deliveries.CompleteAttempt(ctx, a, hookflow.ScheduledAttempt); err != nil {
		t.Fatal(err)
	}
}

func TestActivitiesListASubscriptionsPostsByStatusAndPage(t *testing.T) {
	ctx := context.Background()
	w := newOrgWebhook(t)
	var posts []*hookflow.Delivery
	for i := range 3 {
		d, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: shiftCreated(t), Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, d)
	}
	post(t, posts[1], w, true)
	post(t, posts[2], w, false)
	ids := func(as []hookflow.Activity) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	tests := []struct {
		name   string
		filter hookflow.ActivityFilter
		want   []string
		total  int
	}{
		{"all, oldest first", hookflow.ActivityFilter{SubscriptionID: w.ID, Page: hookflow.Page{Take: 10}}, []string{posts[0].ID, posts[1].ID, posts[2].ID}, 3},
		{"newest first", hookflow.ActivityFilter{SubscriptionID: w.ID, Page: hookflow.Page{Take: 10, Descending: true}}, []string{posts[2].ID, posts[1].ID, posts[0].ID}, 3},
		{"a page", hookflow.ActivityFilter{SubscriptionID: w.ID, Page: hookflow.Page{Take: 1, Skip: 1}}, []string{posts[1].ID}, 3},
		{"succeeded", hookflow.ActivityFilter{SubscriptionID: w.ID, Status: hookflow.ActivitySucceeded, Page: hookflow.Page{Take: 10}}, []string{posts[1].ID}, 1},
		{"failed: made and failed, not yet made is neither", hookflow.ActivityFilter{SubscriptionID: w.ID, Status: hookflow.ActivityFailed, Page: hookflow.Page{Take: 10}}, []string{posts[2].ID}, 1},
		{"another subscription's", hookflow.ActivityFilter{SubscriptionID: newOrgWebhook(t).ID, Page: hookflow.Page{Take: 10}}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := testDB.Stores.Activity.Activities(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) || total != tt.total {
				t.Errorf("activities = %v (total %d), want %v (total %d)", ids(got), total, tt.want, tt.total)
			}
		})
	}
	if _, _, err := testDB.Stores.Activity.Activities(ctx, hookflow.ActivityFilter{SubscriptionID: "not-a-uuid"}); err != hookflow.ErrSubscriptionNotFound {
		t.Errorf("activities of a malformed subscription id = %v", err)
	}
}

func TestPendingScheduledPostsOfASubscriptionAreBoundedByItsQuota(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores.WithQuotas(hookflow.Quotas{PendingPostsPerSubscription: 2})
	w, other := newOrgWebhook(t), newOrgWebhook(t)
	ev := shiftCreated(t)
	later := time.Now().Add(time.Hour)
	add := func(w *hookflow.Webhook, at *time.Time) error {
		_, err := s.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: ev, Data: json.RawMessage(`{}`), PostAt: at})
		return err
	}
	posts := func(w *hookflow.Webhook) int {
		_, total, err := s.Activity.Activities(ctx, hookflow.ActivityFilter{SubscriptionID: w.ID, Page: hookflow.Page{Take: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	steps := []struct {
		name    string
		sub     *hookflow.Webhook
		at      *time.Time
		refused bool
	}{
		{"first for later", w, &later, false},
		{"second for later: at the limit", w, &later, false},
		{"one past", w, &later, true},
		{"a post due now does not wait", w, nil, false},
		{"another subscription is counted apart", other, &later, false},
	}
	for _, st := range steps {
		before := posts(st.sub)
		err := add(st.sub, st.at)
		if !st.refused {
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		if appErr := (*hookflow.Error)(nil); !errors.As(err, &appErr) || appErr.Code != hookflow.EINVALID ||
			!slices.Equal(appErr.Details, []string{"a subscription may have at most 2 scheduled posts pending"}) {
			t.Errorf("%s: err = %v, want the quota's 400", st.name, err)
		}
		if after := posts(st.sub); after != before {
			t.Errorf("%s: %d posts after a refusal, want %d", st.name, after, before)
		}
	}
}

// A tree read answers a bounded page however large the tree: at most
// MaxActivityTreeTake descendants, none deeper than MaxActivityTreeDepth,
// and payloads past MaxActivityTreePayloadBytes left out.
func TestALargeActivityTreeAnswersABoundedPage(t *testing.T) {
	ctx := context.Background()
	ev := shiftCreated(t)
	add := func(w *hookflow.Webhook, parent string, data json.RawMessage) string {
		t.Helper()
		d, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: ev, Data: data, RetryingFromID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}

	wide := newOrgWebhook(t)
	root := add(wide, "", json.RawMessage(`{}`))
	const children = hookflow.MaxActivityTreeTake + 20
	for range children {
		add(wide, root, json.RawMessage(`{}`))
	}
	pages := []struct {
		name      string
		page      hookflow.Page
		wantChild int
	}{
		{"default page", hookflow.Page{}, hookflow.MaxActivityTreeTake},
		{"a take past the bound", hookflow.Page{Take: 10 * hookflow.MaxActivityTreeTake}, hookflow.MaxActivityTreeTake},
		{"a small page", hookflow.Page{Take: 5}, 5},
		{"the last page", hookflow.Page{Skip: hookflow.MaxActivityTreeTake, Take: hookflow.MaxActivityTreeTake}, 20},
		{"past the end", hookflow.Page{Skip: 10 * children}, 0},
	}
	for _, p := range pages {
		tree, total, err := testDB.Stores.Activity.ActivityTree(ctx, wide.ID, root, p.page)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if total != children || len(tree) != 1+p.wantChild || tree[0].ID != root || tree[0].Level != 1 {
			t.Errorf("%s: %d posts of %d, first %s; want the root and %d of %d", p.name, len(tree), total, tree[0].ID, p.wantChild, children)
		}
	}

	deep := newOrgWebhook(t)
	parent := add(deep, "", json.RawMessage(`{}`))
	deepRoot := parent
	for range hookflow.MaxActivityTreeDepth + 8 {
		parent = add(deep, parent, json.RawMessage(`{}`))
	}
	tree, total, err := testDB.Stores.Activity.ActivityTree(ctx, deep.ID, deepRoot, hookflow.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if total != hookflow.MaxActivityTreeDepth-1 || len(tree) != hookflow.MaxActivityTreeDepth || tree[len(tree)-1].Level != hookflow.MaxActivityTreeDepth {
		t.Errorf("a chain deeper than the bound: %d posts of %d, deepest level %d; want %d levels", len(tree), total, tree[len(tree)-1].Level,
			hookflow.MaxActivityTreeDepth)
	}

	heavy := newOrgWebhook(t)
	big := json.RawMessage(`{"blob":"` + strings.Repeat("x", 300<<10) + `"}`)
	heavyRoot := add(heavy, "", big)
	for range 5 {
		add(heavy, heavyRoot, big)
	}
	tree, _, err = testDB.Stores.Activity.ActivityTree(ctx, heavy.ID, heavyRoot, hookflow.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var inlined, omitted int
	for i, a := range tree {
		switch {
		case a.PayloadOmitted && a.Payload == "" && i > 0:
			omitted++
		case !a.PayloadOmitted && strings.Contains(a.Payload, `"blob"`):
			inlined++
		default:
			t.Errorf("post %d: omitted %v, payload of %d bytes", i, a.PayloadOmitted, len(a.Payload))
		}
	}
	// 300 KiB each: the root and two descendants fit in 1 MiB, a third not.
	if inlined != 3 || omitted != 3 {
		t.Errorf("%d payloads inlined and %d left out, want 3 and 3", inlined, omitted)
	}
}
