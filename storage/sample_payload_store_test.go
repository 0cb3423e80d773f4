package storage_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
)

func TestSamplePayloadsPerEventAndVersion(t *testing.T) {
	ctx := context.Background()
	c := newCategory(t)
	e := newEvent(t, c, "sampled", "v1")
	p, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v1", json.RawMessage(`{"a": 1}`), "a1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Event.ID != e.ID || p.Event.Code != e.Code || p.Version != "v1" || string(p.Payload) != `{"a": 1}` || p.Audit.CreatedBy != "a1" {
		t.Errorf("created = %+v", p)
	}
	_, err = testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v1", json.RawMessage(`{}`), "a1")
	wantCode(t, err, hookflow.ECONFLICT, "second payload of v1")
	if _, err := testDB.Stores.SamplePayloads.CreateSamplePayload(ctx, e.ID, "v2", json.RawMessage(`{"b": 2}`), "a1"); err != nil {
		t.Fatal(err)
	}
	got, err := testDB.Stores.SamplePayloads.SamplePayload(ctx, e.ID, "v1")
	if err != nil || got.ID != p.ID {
		t.Fatalf("SamplePayload = %+v, %v", got, err)
	}
	_, err = testDB.Stores.SamplePayloads.SamplePayload(ctx, e.ID, "v9")
	wantCode(t, err, hookflow.ENOTFOUND, "unknown version")

	updated, err := testDB.Stores.SamplePayloads.UpdateSamplePayload(ctx, e.ID, "v1", "v3", json.RawMessage(`{"c": 3}`), "a2")
	if err != nil || updated.Version != "v3" || !strings.Contains(string(updated.Payload), `"c"`) || updated.Audit.UpdatedBy != "a2" {
		t.Fatalf("updated = %+v, %v", updated, err)
	}
	_, err = testDB.Stores.SamplePayloads.UpdateSamplePayload(ctx, e.ID, "v3", "v2", json.RawMessage(`{}`), "a2")
	wantCode(t, err, hookflow.ECONFLICT, "update onto a taken version")
	_, err = testDB.Stores.SamplePayloads.UpdateSamplePayload(ctx, e.ID, "v1", "v1", json.RawMessage(`{}`), "a2")
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
