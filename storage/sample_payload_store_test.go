package storage_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

func TestSamplePayloadsPerEventAndVersion(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	e := newEvent(t, c, "sampled", "v1")
	p, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v1", json.RawMessage(`{"a": 1}`), nil, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Event.ID != e.ID || p.Event.Code != e.Code || p.Version != "v1" || string(p.Payload) != `{"a": 1}` || p.Audit.CreatedBy != "a1" {
		t.Errorf("created = %+v", p)
	}
	_, err = testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v1", json.RawMessage(`{}`), nil, "a1")
	wantCode(t, err, hookflow.ECONFLICT, "second payload of v1")
	if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v2", json.RawMessage(`{"b": 2}`), nil, "a1"); err != nil {
		t.Fatal(err)
	}
	got, err := testDB.Stores.SamplePayloads.SamplePayload(ctx, e.ID, "v1")
	if err != nil || got.ID != p.ID {
		t.Fatalf("SamplePayload = %+v, %v", got, err)
	}
	_, err = testDB.Stores.SamplePayloads.SamplePayload(ctx, e.ID, "v9")
	wantCode(t, err, hookflow.ENOTFOUND, "unknown version")

	updated, err := testDB.Stores.SamplePayloads.UpdateSamplePayload(ctx, e.ID, "v1", "v3", json.RawMessage(`{"c": 3}`), nil, "a2")
	if err != nil || updated.Version != "v3" || !strings.Contains(string(updated.Payload), `"c"`) || updated.Audit.UpdatedBy != "a2" {
		t.Fatalf("updated = %+v, %v", updated, err)
	}
	_, err = testDB.Stores.SamplePayloads.UpdateSamplePayload(ctx, e.ID, "v3", "v2", json.RawMessage(`{}`), nil, "a2")
	wantCode(t, err, hookflow.ECONFLICT, "update onto a taken version")
	_, err = testDB.Stores.SamplePayloads.UpdateSamplePayload(ctx, e.ID, "v1", "v1", json.RawMessage(`{}`), nil, "a2")
	wantCode(t, err, hookflow.ENOTFOUND, "update of a moved version")

	if err := testDB.Stores.SamplePayloads.DeleteSamplePayload(ctx, e.ID, "v3"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, testDB.Stores.SamplePayloads.DeleteSamplePayload(ctx, e.ID, "v3"), hookflow.ENOTFOUND, "second delete")
	wantCode(t, testDB.Stores.SamplePayloads.DeleteSamplePayload(ctx, "x", "v3"), hookflow.ENOTFOUND, "malformed event id")
}

func TestSeedDataVersionsListTheAppliedCatalogData(t *testing.T) {
	versions, err := testDB.Stores.SamplePayloads.SeedDataVersions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 1 || versions[0].Version != "v1" || !strings.Contains(versions[0].Description, "seed 000") || versions[0].AppliedAt.IsZero() {
		t.Errorf("seed data versions = %+v, want the v1 the migrations applied", versions)
	}
}

// A sample payload of its event's own version is checked against the
// event's schema inside the write: a refusal stores nothing, samples of
// other versions and events without a schema are not checked.
func TestSamplePayloadWritesCheckTheEventsSchema(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	e := newEvent(t, c, "checked", "v1")
	var seen []string
	refuse := hookflow.Invalid("samplePayload: refused")
	check := func(schema json.RawMessage) error { seen = append(seen, string(schema)); return refuse }
	if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v1", json.RawMessage(`{}`), check, "a1"); err != nil || seen != nil {
		t.Fatalf("without a schema: %v, checked %q", err, seen)
	}
	if _, err := testDB.Stores.Catalog.SetEventSchema(ctx, c.ID, e.ID, json.RawMessage(`{"title": "s"}`), func(json.RawMessage) error { return nil }, "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := testDB.Stores.SamplePayloads.UpdateSamplePayload(ctx, e.ID, "v1", "v1", json.RawMessage(`{"x": 1}`), check, "a1"); !errors.Is(err, refuse) {
		t.Fatalf("refused update: %v", err)
	}
	if p, _ := testDB.Stores.SamplePayloads.SamplePayload(ctx, e.ID, "v1"); string(p.Payload) != `{}` {
		t.Errorf("a refused update was stored: %s", p.Payload)
	}
	if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v2", json.RawMessage(`{}`), check, "a1"); err != nil {
		t.Fatalf("another version: %v", err)
	}
	if !slices.Equal(seen, []string{`{"title": "s"}`}) {
		t.Errorf("checked %q", seen)
	}
}

// Setting a schema and writing a sample payload exclude each other: a
// write that waited on SetEventSchema is checked against the new schema.
func TestSamplePayloadWriteWaitingOnASchemaChangeSeesTheNewSchema(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	e := newEvent(t, c, "raced", "v1")
	if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v1", json.RawMessage(`{}`), nil, "a1"); err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 1)
	done := make(chan error, 1)
	hold := func(json.RawMessage) error {
		// The event row is locked for update: start the write, and let the
		// set commit only once the write waits on that lock.
		go func() {
			_, err := testDB.Stores.SamplePayloads.UpdateSamplePayload(ctx, e.ID, "v1", "v1", json.RawMessage(`{"y": 1}`),
				func(schema json.RawMessage) error { seen <- string(schema); return nil }, "a2")
			done <- err
		}()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			var waiting int
			if err := testDB.DB.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT version, schema FROM webhook_events%'`).Scan(&waiting); err != nil {
				return err
			}
			if waiting > 0 {
				return nil
			}
			time.Sleep(5 * time.Millisecond) // polling PostgreSQL for the waiter; nothing to wait on in Go
		}
		return errors.New("the sample payload write never waited on the event's lock")
	}
	if _, err := testDB.Stores.Catalog.SetEventSchema(ctx, c.ID, e.ID, json.RawMessage(`{"title": "new"}`), hold, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != `{"title": "new"}` {
		t.Errorf("the waiting write checked against %s", got)
	}
}

func TestSampleDataIsTheLiveEventsOwnVersionsSample(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	e := newEvent(t, c, "sample-data", "v1")
	if got, err := testDB.Stores.SamplePayloads.SampleData(ctx, e.Code); err != nil || got != nil {
		t.Fatalf("SampleData without a sample = %s, %v; want nil", got, err)
	}
	for version, payload := range map[string]string{"v0": `{"old": true}`, "v1": `{"own": true}`} {
		if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, version, json.RawMessage(payload), nil, "a1"); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := testDB.Stores.SamplePayloads.SampleData(ctx, e.Code); err != nil || string(got) != `{"own": true}` {
		t.Errorf("SampleData = %s, %v; want the v1 sample", got, err)
	}
}
