package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

var seedShiftEvents = []string{"shift.request.created", "shift.request.cancelled", "shift.report.created", "shift.scheduled.cancelled",
	"shift.scheduled", "shift.created", "shift.report.accepted-automatically", "shift.report.accepted", "shift.report.rejected", "shift.cancelled"}

var seedFacilityEvents = []string{"facility.user-connection.accepted", "facility.user-connection.rejected", "facility.creation.accepted", "facility.creation.rejected"}

func newCategory(t *testing.T) *hookflow.Category {
	t.Helper()
	desc := "made by " + t.Name()
	c, err := testDB.Stores.Catalog.CreateCategory(context.Background(), hookflow.CategoryInput{Code: "cat-" + testenv.RandomID(4), Name: "Test", Description: &desc}, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newEvent(t *testing.T, c *hookflow.Category, suffix, version string) *hookflow.CatalogEvent {
	t.Helper()
	e, err := testDB.Stores.Catalog.CreateCatalogEvent(context.Background(), c.ID, hookflow.CatalogEventInput{Code: c.Code + "." + suffix, Name: suffix, Version: version}, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func wantCode(t *testing.T, err error, code hookflow.ErrorCode, what string) {
	t.Helper()
	if hookflow.ErrorCodeOf(err) != code {
		t.Fatalf("%s: error %v, want code %s", what, err, code)
	}
}

func TestSeededCatalogIsLiveInSeedOrder(t *testing.T) {
	ctx := context.Background()
	shift, err := testDB.Stores.Catalog.CatalogEventCodes(ctx, "shift")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shift, seedShiftEvents) {
		t.Errorf("shift events = %v", shift)
	}
	all, err := testDB.Stores.Catalog.AllEventCodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all[:14], append(slices.Clone(seedShiftEvents), seedFacilityEvents...)) {
		t.Errorf("all events begin %v", all)
	}
	if cat, err := testDB.Stores.Catalog.EventCategory(ctx, "facility.creation.accepted"); err != nil || cat != "facility" {
		t.Errorf("EventCategory = %q, %v", cat, err)
	}
	_, err = testDB.Stores.Catalog.EventCategory(ctx, "nope.nothing")
	wantCode(t, err, hookflow.EINVALID, "unknown event type")
	versions, err := testDB.Stores.SamplePayloads.SeedDataVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 1 || versions[0].Version != "v1" || versions[0].Description == "" || versions[0].AppliedAt.IsZero() {
		t.Errorf("seed data versions = %+v", versions)
	}
}

func TestCategoryCreateReadUpdate(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	if c.Audit.CreatedBy != "admin-1" || c.Audit.UpdatedBy != "admin-1" || !c.Lifecycle.Active || c.Lifecycle.ArchivedAt != nil || c.Lifecycle.ActiveChangedAt != nil {
		t.Errorf("new category = %+v", c)
	}
	_, err := testDB.Stores.Catalog.CreateCategory(ctx, hookflow.CategoryInput{Code: c.Code, Name: "again"}, "admin-1")
	wantCode(t, err, hookflow.ECONFLICT, "duplicate code")

	got, err := testDB.Stores.Catalog.Category(ctx, c.ID)
	if err != nil || got.Code != c.Code || *got.Description != *c.Description {
		t.Fatalf("Category = %+v, %v", got, err)
	}
	_, err = testDB.Stores.Catalog.Category(ctx, "not-a-uuid")
	wantCode(t, err, hookflow.ENOTFOUND, "malformed id")

	newCode := c.Code + "-x"
	updated, err := testDB.Stores.Catalog.UpdateCategory(ctx, c.ID, hookflow.CategoryInput{Code: newCode, Name: "Renamed"}, "admin-2")
	if err != nil {
		t.Fatal(err)
	}
	if updated.Code != newCode || updated.Name != "Renamed" || updated.Description != nil || updated.Audit.UpdatedBy != "admin-2" || updated.Audit.CreatedBy != "admin-1" {
		t.Errorf("updated = %+v", updated)
	}
	other := newCategory(t)
	_, err = testDB.Stores.Catalog.UpdateCategory(ctx, other.ID, hookflow.CategoryInput{Code: newCode, Name: "x"}, "admin-2")
	wantCode(t, err, hookflow.ECONFLICT, "code taken by another category")

	newEvent(t, updated, "happened", "v1")
	_, err = testDB.Stores.Catalog.UpdateCategory(ctx, c.ID, hookflow.CategoryInput{Code: c.Code + "-y", Name: "x"}, "admin-2")
	if !errors.Is(err, hookflow.ErrCategoryCodeInUse) {
		t.Errorf("code change with events: %v", err)
	}
	if _, err := testDB.Stores.Catalog.UpdateCategory(ctx, c.ID, hookflow.CategoryInput{Code: newCode, Name: "Same code"}, "admin-2"); err != nil {
		t.Errorf("name change with events: %v", err)
	}
}

func TestCategoriesListPagesAndHidesArchivedAndDeleted(t *testing.T) {
	ctx := context.Background()
	a, b, c := newCategory(t), newCategory(t), newCategory(t)
	for _, step := range []struct {
		id     string
		action hookflow.LifecycleAction
	}{{b.ID, hookflow.ActionArchive}, {c.ID, hookflow.ActionDeactivate}} {
		if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, step.id, step.action, "admin-1"); err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := testDB.Stores.Catalog.Categories(ctx, hookflow.Page{Take: 100})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, x := range list {
		ids = append(ids, x.ID)
	}
	if total != len(list) || ids[0] == "" || !slices.Contains(ids, a.ID) || slices.Contains(ids, b.ID) || !slices.Contains(ids, c.ID) {
		t.Fatalf("list %v (total %d) should hold a and deactivated c, not archived b", ids, total)
	}
	if slices.Index(ids, a.ID) > slices.Index(ids, c.ID) {
		t.Errorf("ascending order puts c before a: %v", ids)
	}
	desc, _, err := testDB.Stores.Catalog.Categories(ctx, hookflow.Page{Descending: true, Take: 1})
	if err != nil || len(desc) != 1 || desc[0].ID != c.ID {
		t.Errorf("newest first, take 1 = %+v, %v", desc, err)
	}
	skipped, total2, err := testDB.Stores.Catalog.Categories(ctx, hookflow.Page{Skip: total, Take: 10})
	if err != nil || len(skipped) != 0 || total2 != total {
		t.Errorf("skip past the end = %d items, total %d, %v", len(skipped), total2, err)
	}
	if list[0].Code != "shift" || list[1].Code != "facility" {
		t.Errorf("seeded categories first, in seed order: %s, %s", list[0].Code, list[1].Code)
	}
}

func TestLifecycleActionsAreIdempotentAndRecorded(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	do := func(action hookflow.LifecycleAction, by string) *hookflow.Category {
		t.Helper()
		if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, action, by); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		got, err := testDB.Stores.Catalog.Category(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	archived := do(hookflow.ActionArchive, "a1")
	if archived.Lifecycle.ArchivedAt == nil || archived.Lifecycle.ArchivedBy != "a1" {
		t.Errorf("archived = %+v", archived.Lifecycle)
	}
	again := do(hookflow.ActionArchive, "a2")
	if again.Lifecycle.ArchivedBy != "a1" || !again.Lifecycle.ArchivedAt.Equal(*archived.Lifecycle.ArchivedAt) {
		t.Errorf("archiving again moved the record: %+v", again.Lifecycle)
	}
	if restored := do(hookflow.ActionRestore, "a3"); restored.Lifecycle.ArchivedAt != nil || restored.Lifecycle.ArchivedBy != "" {
		t.Errorf("restored = %+v", restored.Lifecycle)
	}
	off := do(hookflow.ActionDeactivate, "a4")
	if off.Lifecycle.Active || off.Lifecycle.ActiveChangedAt == nil || off.Lifecycle.ActiveChangedBy != "a4" {
		t.Errorf("deactivated = %+v", off.Lifecycle)
	}
	if offAgain := do(hookflow.ActionDeactivate, "a5"); offAgain.Lifecycle.ActiveChangedBy != "a4" {
		t.Errorf("deactivating again moved the record: %+v", offAgain.Lifecycle)
	}
	if on := do(hookflow.ActionActivate, "a6"); !on.Lifecycle.Active || on.Lifecycle.ActiveChangedBy != "a6" {
		t.Errorf("activated = %+v", on.Lifecycle)
	}
	if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionDelete, "a7"); err != nil {
		t.Fatal(err)
	}
	_, err := testDB.Stores.Catalog.Category(ctx, c.ID)
	wantCode(t, err, hookflow.ENOTFOUND, "deleted category")
	for _, action := range []hookflow.LifecycleAction{hookflow.ActionArchive, hookflow.ActionDelete} {
		wantCode(t, testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, action, "a8"), hookflow.ENOTFOUND, string(action)+" of a deleted category")
	}
	wantCode(t, testDB.Stores.Catalog.CategoryLifecycle(ctx, "42", hookflow.ActionArchive, "a8"), hookflow.ENOTFOUND, "malformed id")
	// Its code is free again.
	if _, err := testDB.Stores.Catalog.CreateCategory(ctx, hookflow.CategoryInput{Code: c.Code, Name: "reborn"}, "a9"); err != nil {
		t.Errorf("reuse of a deleted category's code: %v", err)
	}
}

func TestCategoryWithEventsCannotBeDeleted(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	e := newEvent(t, c, "done", "v1")
	if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionDelete, "a1"); !errors.Is(err, hookflow.ErrCategoryHasEvents) {
		t.Fatalf("delete with an event: %v", err)
	}
	if err := testDB.Stores.Catalog.CatalogEventLifecycle(ctx, c.ID, e.ID, hookflow.ActionDelete, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionDelete, "a1"); err != nil {
		t.Fatalf("delete once its events are deleted: %v", err)
	}
	_, err := testDB.Stores.Catalog.CreateCatalogEvent(ctx, c.ID, hookflow.CatalogEventInput{Code: c.Code + ".late", Name: "late", Version: "v1"}, "a1")
	wantCode(t, err, hookflow.ENOTFOUND, "event in a deleted category")
}

func TestCatalogEventsCreateReadUpdateList(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	e := newEvent(t, c, "opened", "v1")
	if e.Category.ID != c.ID || e.Category.Code != c.Code || e.Version != "v1" || e.Audit.CreatedBy != "admin-1" || !e.Lifecycle.Active {
		t.Errorf("new event = %+v", e)
	}
	_, err := testDB.Stores.Catalog.CreateCatalogEvent(ctx, c.ID, hookflow.CatalogEventInput{Code: e.Code, Name: "dup", Version: "v1"}, "a1")
	wantCode(t, err, hookflow.ECONFLICT, "duplicate (code, version)")
	v2 := newEvent(t, c, "opened", "v2")
	closed := newEvent(t, c, "closed", "v1")

	got, err := testDB.Stores.Catalog.CatalogEvent(ctx, c.ID, e.ID)
	if err != nil || got.ID != e.ID {
		t.Fatalf("CatalogEvent = %+v, %v", got, err)
	}
	other := newCategory(t)
	_, err = testDB.Stores.Catalog.CatalogEvent(ctx, other.ID, e.ID)
	if !errors.Is(err, hookflow.ErrCatalogEventNotFound) {
		t.Errorf("event under another category: %v", err)
	}
	_, err = testDB.Stores.Catalog.CatalogEvent(ctx, "x", e.ID)
	if !errors.Is(err, hookflow.ErrCategoryNotFound) {
		t.Errorf("malformed category id: %v", err)
	}
	_, err = testDB.Stores.Catalog.CatalogEvent(ctx, c.ID, "x")
	if !errors.Is(err, hookflow.ErrCatalogEventNotFound) {
		t.Errorf("malformed event id: %v", err)
	}

	desc := "now described"
	updated, err := testDB.Stores.Catalog.UpdateCatalogEvent(ctx, c.ID, closed.ID, hookflow.CatalogEventInput{Code: closed.Code, Name: "Closed", Description: &desc, Version: "v3"}, "a2")
	if err != nil || updated.Version != "v3" || *updated.Description != desc || updated.Audit.UpdatedBy != "a2" {
		t.Fatalf("updated = %+v, %v", updated, err)
	}
	_, err = testDB.Stores.Catalog.UpdateCatalogEvent(ctx, c.ID, closed.ID, hookflow.CatalogEventInput{Code: e.Code, Name: "x", Version: "v2"}, "a2")
	wantCode(t, err, hookflow.ECONFLICT, "update onto a taken (code, version)")
	_, err = testDB.Stores.Catalog.UpdateCatalogEvent(ctx, other.ID, closed.ID, hookflow.CatalogEventInput{Code: closed.Code, Name: "x", Version: "v1"}, "a2")
	wantCode(t, err, hookflow.ENOTFOUND, "update under another category")

	if err := testDB.Stores.Catalog.CatalogEventLifecycle(ctx, c.ID, v2.ID, hookflow.ActionArchive, "a3"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, testDB.Stores.Catalog.CatalogEventLifecycle(ctx, other.ID, e.ID, hookflow.ActionArchive, "a3"), hookflow.ENOTFOUND, "lifecycle under another category")
	list, total, err := testDB.Stores.Catalog.CatalogEvents(ctx, c.ID, hookflow.Page{Take: 10})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(list) != 2 || list[0].ID != e.ID || list[1].ID != closed.ID {
		t.Errorf("events = %+v (total %d), want opened v1 then closed, archived v2 hidden", list, total)
	}
	_, _, err = testDB.Stores.Catalog.CatalogEvents(ctx, "nope", hookflow.Page{Take: 10})
	wantCode(t, err, hookflow.ENOTFOUND, "events of a malformed category id")
}

func TestLiveCatalogFollowsEventAndCategoryLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	first := newEvent(t, c, "first", "v1")
	newEvent(t, c, "second", "v1")
	newEvent(t, c, "first", "v2") // a second version lists the code once
	codes := func() []string {
		t.Helper()
		got, err := testDB.Stores.Catalog.CatalogEventCodes(ctx, c.Code)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := codes(); !slices.Equal(got, []string{c.Code + ".first", c.Code + ".second"}) {
		t.Fatalf("live codes = %v", got)
	}
	all, _ := testDB.Stores.Catalog.AllEventCodes(ctx)
	if !slices.Contains(all, first.Code) {
		t.Errorf("AllEventCodes lacks %s", first.Code)
	}
	// Deactivating both versions of first takes it out; the category's state
	// takes out everything.
	for _, e := range []string{first.ID} {
		if err := testDB.Stores.Catalog.CatalogEventLifecycle(ctx, c.ID, e, hookflow.ActionDeactivate, "a1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := codes(); !slices.Contains(got, first.Code) {
		t.Errorf("first stays live through its v2: %v", got)
	}
	if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionArchive, "a1"); err != nil {
		t.Fatal(err)
	}
	if got := codes(); len(got) != 0 {
		t.Errorf("archived category still live: %v", got)
	}
	_, err := testDB.Stores.Catalog.EventCategory(ctx, first.Code)
	wantCode(t, err, hookflow.EINVALID, "event of an archived category")
	if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionRestore, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionDeactivate, "a1"); err != nil {
		t.Fatal(err)
	}
	if got := codes(); len(got) != 0 {
		t.Errorf("deactivated category still live: %v", got)
	}
	if err := testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionActivate, "a1"); err != nil {
		t.Fatal(err)
	}
	if cat, err := testDB.Stores.Catalog.EventCategory(ctx, c.Code+".second"); err != nil || cat != c.Code {
		t.Errorf("reactivated: %q %v", cat, err)
	}
}

func TestRandomLiveEventIsLive(t *testing.T) {
	e, err := testDB.Stores.Catalog.RandomLiveEvent(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	all, _ := testDB.Stores.Catalog.AllEventCodes(context.Background())
	if !slices.Contains(all, e.Code) || e.Category.ID == "" {
		t.Errorf("random event %+v is not live", e)
	}
}

// Deleting a category and adding an event to it race: either the event is
// added and the deletion refused, or the deletion wins and the event is
// refused; never a deleted category with a live event. A third transaction
// holds the category until both wait for it, so they start together.
func TestCategoryDeletionAndEventCreationNeverBothWin(t *testing.T) {
	ctx := context.Background()
	for i := range 10 {
		c := newCategory(t)
		blocker, err := testDB.DB.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := blocker.Exec(ctx, `SELECT 1 FROM webhook_categories WHERE id = $1 FOR UPDATE`, c.ID); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		go func() {
			_, err := testDB.Stores.Catalog.CreateCatalogEvent(ctx, c.ID, hookflow.CatalogEventInput{Code: c.Code + ".raced", Name: "r", Version: "v1"}, "a1")
			errs <- err
		}()
		go func() { errs <- testDB.Stores.Catalog.CategoryLifecycle(ctx, c.ID, hookflow.ActionDelete, "a2") }()
		waitForLockWaiters(t, 2)
		if err := blocker.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		first, second := <-errs, <-errs
		if (first == nil) == (second == nil) {
			t.Fatalf("round %d: both or neither won: %v, %v", i, first, second)
		}
		var live int
		if err := testDB.DB.Pool().QueryRow(ctx, `SELECT count(*) FROM webhook_events e JOIN webhook_categories c ON c.id = e.category_id
			WHERE c.id = $1 AND c.deleted_at IS NOT NULL AND e.deleted_at IS NULL`, c.ID).Scan(&live); err != nil {
			t.Fatal(err)
		}
		if live != 0 {
			t.Fatalf("round %d: a deleted category holds %d live events", i, live)
		}
	}
}

// waitForLockWaiters waits until n sessions of the test database wait for a lock.
func waitForLockWaiters(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := testDB.DB.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait for a lock, want %d", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCatalogWritesOfUnstorableTextAreInvalid(t *testing.T) {
	ctx := context.Background()
	_, err := testDB.Stores.Catalog.CreateCategory(ctx, hookflow.CategoryInput{Code: "nul-" + testenv.RandomID(3), Name: "a\x00b"}, "a1")
	wantCode(t, err, hookflow.EINVALID, "category name with NUL")
	c := newCategory(t)
	_, err = testDB.Stores.Catalog.CreateCatalogEvent(ctx, c.ID, hookflow.CatalogEventInput{Code: c.Code + ".x", Name: "\xff", Version: "v1"}, "a1")
	wantCode(t, err, hookflow.EINVALID, "event name not UTF-8")
	e := newEvent(t, c, "ok", "v1")
	_, err = testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v1", json.RawMessage(`{"k":"\u0000"}`), nil, "a1")
	wantCode(t, err, hookflow.EINVALID, "sample payload with NUL")
}

func TestCatalogVersionsAreTheVersionsOfLiveEventsInOrder(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	s := tdb.Stores
	versions, err := s.Catalog.CatalogVersions(ctx)
	if err != nil || !slices.Equal(versions, []string{"v1"}) {
		t.Fatalf("seeded versions = %v, %v; want v1", versions, err)
	}
	c, err := s.Catalog.CreateCategory(ctx, hookflow.CategoryInput{Code: "cat-versions", Name: "Versions"}, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	e3, err := s.Catalog.CreateCatalogEvent(ctx, c.ID, hookflow.CatalogEventInput{Code: "cat-versions.three", Name: "three", Version: "v3"}, "admin-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Catalog.CreateCatalogEvent(ctx, c.ID, hookflow.CatalogEventInput{Code: "cat-versions.two", Name: "two", Version: "v2"}, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if versions, err = s.Catalog.CatalogVersions(ctx); err != nil || !slices.Equal(versions, []string{"v1", "v2", "v3"}) {
		t.Errorf("versions = %v, %v; want v1, v2, v3 once each, in order", versions, err)
	}
	if err := s.Catalog.CatalogEventLifecycle(ctx, c.ID, e3.ID, hookflow.ActionArchive, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if versions, err = s.Catalog.CatalogVersions(ctx); err != nil || !slices.Equal(versions, []string{"v1", "v2"}) {
		t.Errorf("versions after archiving the only v3 event = %v, %v", versions, err)
	}
}

func TestEventSchemaSetReadDeleteWithRevisions(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	e := newEvent(t, c, "schemed", "v1")
	_, err := testDB.Stores.Catalog.EventSchema(ctx, c.ID, e.ID)
	wantCode(t, err, hookflow.ENOTFOUND, "schema of a fresh event")
	if ref, err := testDB.Stores.Catalog.EventSchemaRef(ctx, e.ID); err != nil || ref != nil {
		t.Fatalf("ref of a fresh event = %v, %v", ref, err)
	}
	if _, _, err := testDB.Stores.Catalog.EventSchemaDocument(ctx, e.ID); !errors.Is(err, hookflow.ErrEventSchemaNotFound) {
		t.Fatalf("document of a fresh event: %v", err)
	}

	// The check sees the sample payload of the event's own version only.
	if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v1", json.RawMessage(`{"mine":1}`), nil, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v2", json.RawMessage(`{"other":2}`), nil, "admin-1"); err != nil {
		t.Fatal(err)
	}
	var checked []string
	check := func(sample json.RawMessage) error { checked = append(checked, string(sample)); return nil }
	stored, err := testDB.Stores.Catalog.SetEventSchema(ctx, c.ID, e.ID, json.RawMessage(`{"type": "object", "required": ["mine"]}`), check, "admin-2")
	if err != nil || string(stored) != `{"type": "object", "required": ["mine"]}` {
		t.Fatalf("set = %s, %v", stored, err)
	}
	if !slices.Equal(checked, []string{`{"mine": 1}`}) {
		t.Errorf("checked %q", checked)
	}
	if got, err := testDB.Stores.Catalog.EventSchema(ctx, c.ID, e.ID); err != nil || string(got) != string(stored) {
		t.Errorf("get = %s, %v", got, err)
	}
	ref, err := testDB.Stores.Catalog.EventSchemaRef(ctx, e.ID)
	if err != nil || ref == nil || ref.EventID != e.ID || ref.Revision != 1 {
		t.Fatalf("ref = %+v, %v", ref, err)
	}
	if doc, rev, err := testDB.Stores.Catalog.EventSchemaDocument(ctx, e.ID); err != nil || rev != 1 || string(doc) != string(stored) {
		t.Errorf("document = %s rev %d, %v", doc, rev, err)
	}
	if ev, _ := testDB.Stores.Catalog.CatalogEvent(ctx, c.ID, e.ID); ev.Audit.UpdatedBy != "admin-2" {
		t.Errorf("updatedBy = %q", ev.Audit.UpdatedBy)
	}

	// A refusing check leaves the schema as it was.
	refused := hookflow.Invalid("samplePayload: nope")
	_, err = testDB.Stores.Catalog.SetEventSchema(ctx, c.ID, e.ID, json.RawMessage(`{}`), func(json.RawMessage) error { return refused }, "admin-2")
	if !errors.Is(err, refused) {
		t.Fatalf("refused set: %v", err)
	}
	if ref, _ := testDB.Stores.Catalog.EventSchemaRef(ctx, e.ID); ref.Revision != 1 {
		t.Errorf("a refused set changed the revision: %+v", ref)
	}

	if err := testDB.Stores.Catalog.DeleteEventSchema(ctx, c.ID, e.ID, "admin-3"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, testDB.Stores.Catalog.DeleteEventSchema(ctx, c.ID, e.ID, "admin-3"), hookflow.ENOTFOUND, "second delete")
	if ref, err := testDB.Stores.Catalog.EventSchemaRef(ctx, e.ID); err != nil || ref != nil {
		t.Errorf("ref after delete = %+v, %v", ref, err)
	}
	if _, err := testDB.Stores.Catalog.SetEventSchema(ctx, c.ID, e.ID, json.RawMessage(`{}`), check, "admin-2"); err != nil {
		t.Fatal(err)
	}
	if ref, _ := testDB.Stores.Catalog.EventSchemaRef(ctx, e.ID); ref.Revision != 3 {
		t.Errorf("revision after set, delete, set = %+v", ref)
	}

	other := newCategory(t)
	_, err = testDB.Stores.Catalog.EventSchema(ctx, other.ID, e.ID)
	wantCode(t, err, hookflow.ENOTFOUND, "schema under another category")
	_, err = testDB.Stores.Catalog.SetEventSchema(ctx, other.ID, e.ID, json.RawMessage(`{}`), check, "admin-2")
	wantCode(t, err, hookflow.ENOTFOUND, "set under another category")
	_, err = testDB.Stores.Catalog.EventSchemaRef(ctx, "not-a-uuid")
	wantCode(t, err, hookflow.ENOTFOUND, "ref of a malformed id")
}

// A published event is checked against the schema of its code's live
// version created last.
func TestLiveEventSchemaRefIsOfTheNewestLiveVersion(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	v1 := newEvent(t, c, "versioned", "v1")
	v2 := newEvent(t, c, "versioned", "v2")
	none := func(json.RawMessage) error { return nil }
	if _, err := testDB.Stores.Catalog.SetEventSchema(ctx, c.ID, v1.ID, json.RawMessage(`{"title": "v1"}`), none, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if ref, err := testDB.Stores.Catalog.LiveEventSchemaRef(ctx, v1.Code); err != nil || ref != nil {
		t.Fatalf("v2 has no schema, yet ref = %+v, %v", ref, err)
	}
	if err := testDB.Stores.Catalog.CatalogEventLifecycle(ctx, c.ID, v2.ID, hookflow.ActionDeactivate, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if ref, err := testDB.Stores.Catalog.LiveEventSchemaRef(ctx, v1.Code); err != nil || ref == nil || ref.EventID != v1.ID {
		t.Fatalf("with v2 inactive, ref = %+v, %v", ref, err)
	}
	if err := testDB.Stores.Catalog.CatalogEventLifecycle(ctx, c.ID, v2.ID, hookflow.ActionActivate, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := testDB.Stores.Catalog.SetEventSchema(ctx, c.ID, v2.ID, json.RawMessage(`{"title": "v2"}`), none, "admin-1"); err != nil {
		t.Fatal(err)
	}
	if ref, err := testDB.Stores.Catalog.LiveEventSchemaRef(ctx, v1.Code); err != nil || ref == nil || ref.EventID != v2.ID || ref.Revision != 1 {
		t.Fatalf("ref = %+v, %v", ref, err)
	}
	if ref, err := testDB.Stores.Catalog.LiveEventSchemaRef(ctx, "nope.nothing"); err != nil || ref != nil {
		t.Fatalf("ref of an unknown code = %+v, %v", ref, err)
	}
}
